/**
 * The "none" attestation statement format (WebAuthn L3 §8.7).
 *
 * Whether to accept it is relying-party policy (§7.1 step 24); this verifier only checks syntax.
 */
import { isCborMap } from '../cbor.js';
import { fail } from '../errors.js';
import type { AttestationVerifier } from '../types.js';

export const verifyNone: AttestationVerifier = (attStmt) => {
  // WebAuthn L3 §8.7 syntax: `noneAttStmtFormat = {}`; the verification procedure returns None only
  // "if attStmt is a properly formed attestation statement", i.e. an empty map.
  if (!isCborMap(attStmt) || attStmt.size !== 0)
    fail('attestation_invalid', 'none: attStmt must be an empty map');
  // WebAuthn L3 §8.7 verification procedure: return attestation type None with an empty trust path.
  return { type: 'none', trustPath: [], trusted: false, root: null, lenientCertificates: 0, details: {} };
};
