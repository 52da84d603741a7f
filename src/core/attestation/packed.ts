/**
 * The "packed" attestation statement format (WebAuthn L3 §8.2, certificate rules §8.2.1).
 *
 * Attestation type: with x5c this reports 'basic'. §8.2 allows Basic, AttCA "or uncertainty",
 * and telling Basic from AttCA needs externally provided knowledge about the authenticator
 * (e.g. the metadata statement's attestationTypes); nothing in the statement or certificate says
 * which one it is, so the core never claims 'attca' for packed. A metadata-aware layer may refine it.
 * Without x5c it is self attestation: 'self'.
 */
import { Buffer } from 'node:buffer';
import { isBytes } from '../cbor.js';
import { verifyWithCertificateKey } from '../cose/index.js';
import { fail } from '../errors.js';
import type { AttestationVerifier } from '../types.js';
import { attestationChain, chainEvidence, type ParsedCertificate, readAaguidExtension } from './x509.js';

const ATTESTATION_OU = 'Authenticator Attestation';

/** WebAuthn L3 §8.2.1 "Certificate Requirements for Packed Attestation Statements". */
export function checkPackedCertificate(cert: ParsedCertificate): void {
  // §8.2.1: "Version MUST be set to 3 (which is indicated by an ASN.1 INTEGER with value 2)."
  if (cert.version !== 3) fail('attestation_invalid', `packed: attestation certificate is v${cert.version}`);
  // §8.2.1 Subject field: C (ISO 3166 code), O (vendor legal name), OU = the literal
  // "Authenticator Attestation", CN (vendor's choosing) MUST be present.
  const attr = (name: string): readonly string[] => cert.subjectAttributes.get(name) ?? [];
  for (const name of ['C', 'O', 'CN']) {
    if (!attr(name).some((v) => v.length > 0))
      fail('attestation_invalid', `packed: attestation certificate subject has no ${name}`);
  }
  const ou = attr('OU');
  if (ou.length !== 1 || ou[0] !== ATTESTATION_OU)
    fail('attestation_invalid', `packed: attestation certificate subject OU must be "${ATTESTATION_OU}"`);
  // §8.2.1: "The Basic Constraints extension MUST have the CA component set to false." An absent
  // extension also means "not a CA" (RFC 5280 §4.2.1.9); a CA certificate is refused.
  if (cert.isCA === true) fail('attestation_invalid', 'packed: attestation certificate is a CA certificate');
}

export const verifyPacked: AttestationVerifier = (attStmt, ctx) => {
  // WebAuthn L3 §8.2 verification procedure, step 1: attStmt conforms to
  // `{alg: COSEAlgorithmIdentifier, sig: bytes, x5c?: [attestnCert: bytes, * (caCert: bytes)]}`.
  const alg = attStmt.get('alg');
  const sig = attStmt.get('sig');
  if (typeof alg !== 'number' || !Number.isSafeInteger(alg))
    fail('attestation_invalid', 'packed: alg must be an integer');
  if (sig === undefined || !isBytes(sig)) fail('attestation_invalid', 'packed: sig must be a byte string');
  const x5c = attStmt.get('x5c');
  const signed = Buffer.concat([ctx.authData.raw, ctx.clientDataHash]);

  if (x5c !== undefined) {
    const chain = attestationChain(x5c);
    const attestnCert = chain[0] as ParsedCertificate;
    // §8.2 verification procedure, x5c present, step 2.1: sig is a valid signature over
    // authenticatorData || clientDataHash with the attestation public key in attestnCert and alg.
    if (!verifyWithCertificateKey(alg, attestnCert.publicKey, signed, sig))
      fail('attestation_invalid', 'packed: signature does not verify with the attestation certificate');
    // §8.2 verification procedure, x5c present, step 2.2: attestnCert meets §8.2.1.
    checkPackedCertificate(attestnCert);
    // §8.2 verification procedure, x5c present, step 2.3: an id-fido-gen-ce-aaguid extension, if
    // present, matches the AAGUID in authenticatorData (§8.2.1: and is not critical).
    const certAaguid = readAaguidExtension(attestnCert);
    if (certAaguid !== undefined) {
      const aaguid = ctx.authData.attestedCredentialData?.aaguid;
      if (aaguid === undefined || !certAaguid.equals(aaguid))
        fail('attestation_invalid', 'packed: certificate AAGUID extension does not match authenticator data');
    }
    // §8.2 verification procedure, x5c present, steps 2.4-2.5: Basic (see header) with trust path
    // x5c; §7.1 step 23-24: the chain is validated against the configured anchors at ctx.now.
    const evidence = chainEvidence(chain, ctx);
    return { type: 'basic', ...evidence, details: { alg, aaguidExtension: certAaguid !== undefined } };
  }

  // §8.2 verification procedure, x5c absent, step 3.1: alg matches the credential public key's alg.
  if (alg !== ctx.credentialPublicKey.alg)
    fail('attestation_invalid', `packed: self attestation alg ${alg} differs from the credential key alg`);
  // §8.2 verification procedure, x5c absent, step 3.2: sig verifies with the credential public key.
  if (!ctx.credentialPublicKey.verify(signed, sig))
    fail('attestation_invalid', 'packed: self attestation signature does not verify');
  // §8.2 verification procedure, x5c absent, step 3.3: attestation type Self, empty trust path.
  return {
    type: 'self',
    trustPath: [],
    trusted: false,
    root: null,
    lenientCertificates: 0,
    details: { alg },
  };
};
