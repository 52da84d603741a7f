/**
 * The "fido-u2f" attestation statement format (WebAuthn L3 §8.6).
 *
 * Attestation type 'basic': §8.6 step 7 allows Basic or AttCA only with externally provided
 * knowledge, which the core does not have. The AAGUID is not required to be zero: the
 * verification procedure does not ask for it (the W3C test vector `fido-u2f` has a non-zero one).
 */
import { Buffer } from 'node:buffer';
import { verify } from 'node:crypto';
import { isBytes } from '../cbor.js';
import { fail } from '../errors.js';
import type { AttestationVerifier } from '../types.js';
import { attestationChain, chainEvidence, type ParsedCertificate } from './x509.js';

const COSE_ALG_ES256 = -7;
const COSE_KEY_X = -2;
const COSE_KEY_Y = -3;

export const verifyFidoU2f: AttestationVerifier = (attStmt, ctx) => {
  // WebAuthn L3 §8.6 verification procedure, step 1: attStmt conforms to
  // `{x5c: [attestnCert: bytes], sig: bytes}`.
  const sig = attStmt.get('sig');
  if (sig === undefined || !isBytes(sig)) fail('attestation_invalid', 'fido-u2f: sig must be a byte string');
  const x5c = attStmt.get('x5c');
  // §8.6 step 2: x5c has exactly one element, attCert.
  if (!Array.isArray(x5c) || x5c.length !== 1)
    fail('attestation_invalid', 'fido-u2f: x5c must hold exactly one certificate');
  const chain = attestationChain(x5c);
  const attCert = chain[0] as ParsedCertificate;
  // §8.6 step 2: the certificate public key is an EC public key over the P-256 curve.
  const key = attCert.publicKey;
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    fail('attestation_invalid', 'fido-u2f: attestation certificate key is not EC P-256');

  // §8.6 step 3: rpIdHash from authenticatorData, credentialId and credentialPublicKey from
  // attestedCredentialData.
  const acd = ctx.authData.attestedCredentialData;
  if (acd === undefined) fail('attestation_invalid', 'fido-u2f: no attested credential data');
  // §8.6 step 4 (U2F keys are ECDSA P-256, FIDO U2F Raw Message Formats §4.3): the credential key
  // must be ES256; x (-2) and y (-3) are each exactly 32 bytes; publicKeyU2F = 0x04 || x || y.
  if (ctx.credentialPublicKey.alg !== COSE_ALG_ES256)
    fail('attestation_invalid', 'fido-u2f: credential public key is not ES256');
  const x = acd.credentialPublicKey.get(COSE_KEY_X);
  const y = acd.credentialPublicKey.get(COSE_KEY_Y);
  if (x === undefined || !isBytes(x) || x.length !== 32)
    fail('attestation_invalid', 'fido-u2f: x is not 32 bytes');
  if (y === undefined || !isBytes(y) || y.length !== 32)
    fail('attestation_invalid', 'fido-u2f: y is not 32 bytes');

  // §8.6 step 5: verificationData = 0x00 || rpIdHash || clientDataHash || credentialId || publicKeyU2F.
  const verificationData = Buffer.concat([
    Buffer.from([0x00]),
    ctx.authData.rpIdHash,
    ctx.clientDataHash,
    acd.credentialId,
    Buffer.from([0x04]),
    x,
    y,
  ]);
  // §8.6 step 6: verify sig with ECDSA (SEC1 §4.1.4) and SHA-256, using the certificate key.
  let ok = false;
  try {
    ok = verify('sha256', verificationData, key, sig);
  } catch {
    ok = false;
  }
  if (!ok)
    fail('attestation_invalid', 'fido-u2f: signature does not verify with the attestation certificate');

  // §8.6 steps 7-8: Basic (see header) with trust path x5c; §7.1 steps 23-24: chain to anchors.
  return { type: 'basic', ...chainEvidence(chain, ctx), details: {} };
};
