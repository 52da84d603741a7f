/**
 * The "apple" anonymous attestation statement format (WebAuthn L3 §8.8). Type 'anonca'.
 */
import type { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { children, DER, type DerNode, isUniversal, parseDer } from '../asn1.js';
import { publicKeyMatches } from '../cose/index.js';
import { fail, isWebAuthnError } from '../errors.js';
import type { AttestationVerifier } from '../types.js';
import { attestationChain, chainEvidence, type ParsedCertificate } from './x509.js';

/** Apple's anonymous attestation nonce extension (WebAuthn L3 §8.8). */
export const OID_APPLE_NONCE = '1.2.840.113635.100.8.2';

/** The nonce in credCert: `SEQUENCE { [1] EXPLICIT OCTET STRING }` (32 bytes, SHA-256). */
export function readAppleNonce(cert: ParsedCertificate): Buffer {
  const ext = cert.extensions.get(OID_APPLE_NONCE);
  if (!ext) return fail('attestation_invalid', 'apple: credCert has no nonce extension');
  let tagged: DerNode | undefined;
  try {
    const seq = parseDer(ext.value);
    if (!isUniversal(seq, DER.SEQUENCE) || !seq.constructed) throw new Error('not a SEQUENCE');
    const parts = children(seq);
    if (parts.length !== 1) throw new Error('SEQUENCE must hold one element');
    tagged = parts[0];
    if (tagged?.cls !== 2 || tagged.tag !== 1 || !tagged.constructed) throw new Error('expected [1]');
    const inner = children(tagged);
    const octets = inner[0];
    if (inner.length !== 1 || !octets || !isUniversal(octets, DER.OCTET_STRING) || octets.constructed)
      throw new Error('expected OCTET STRING');
    if (octets.content.length !== 32) throw new Error('nonce is not 32 bytes');
    return octets.content;
  } catch (err) {
    const why = isWebAuthnError(err)
      ? (err.detail ?? err.code)
      : err instanceof Error
        ? err.message
        : 'malformed';
    return fail('attestation_invalid', `apple: malformed nonce extension (${why})`);
  }
}

export const verifyApple: AttestationVerifier = (attStmt, ctx) => {
  // WebAuthn L3 §8.8 verification procedure, step 1: attStmt conforms to
  // `{x5c: [credCert: bytes, * (caCert: bytes)]}`. (iOS 14 also sends `alg`; extra members are
  // ignored.)
  const chain = attestationChain(attStmt.get('x5c'));
  const credCert = chain[0] as ParsedCertificate;
  // §8.8 steps 2-3: nonce = SHA-256(authenticatorData || clientDataHash).
  const nonce = createHash('sha256').update(ctx.authData.raw).update(ctx.clientDataHash).digest();
  // §8.8 step 4: nonce equals the value of extension 1.2.840.113635.100.8.2 in credCert.
  if (!readAppleNonce(credCert).equals(nonce))
    fail('attestation_invalid', 'apple: credCert nonce does not match authenticatorData and clientDataHash');
  // §8.8 step 5: the credential public key equals the Subject Public Key of credCert.
  if (!publicKeyMatches(ctx.credentialPublicKey, credCert.publicKey))
    fail('attestation_invalid', 'apple: credCert public key differs from the credential public key');
  // §8.8 step 6: Anonymization CA, trust path x5c; §7.1 steps 23-24: chain to anchors.
  return { type: 'anonca', ...chainEvidence(chain, ctx), details: {} };
};
