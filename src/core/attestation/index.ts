/**
 * The attestation format table (WebAuthn L3 §8, IANA "WebAuthn Attestation Statement Format
 * Identifiers"). One verifier per format; each returns the evidence its chain validation proved.
 */
import { type CborMap, isCborMap } from '../cbor.js';
import { fail } from '../errors.js';
import type { AttestationContext, AttestationResult, AttestationVerifier } from '../types.js';
import { verifyAndroidKey } from './android-key.js';
import { verifyAndroidSafetyNet } from './android-safetynet.js';
import { verifyApple } from './apple.js';
import { verifyFidoU2f } from './fido-u2f.js';
import { verifyNone } from './none.js';
import { verifyPacked } from './packed.js';
import { verifyTpm } from './tpm.js';

export const ATTESTATION_FORMATS: ReadonlyMap<string, AttestationVerifier> = new Map<
  string,
  AttestationVerifier
>([
  ['packed', verifyPacked],
  ['tpm', verifyTpm],
  ['android-key', verifyAndroidKey],
  ['android-safetynet', verifyAndroidSafetyNet],
  ['fido-u2f', verifyFidoU2f],
  ['none', verifyNone],
  ['apple', verifyApple],
]);

/** Look up `fmt` (case-sensitive, §7.1 step 21) and run its verifier. */
export function verifyAttestationStatement(
  fmt: string,
  attStmt: CborMap,
  ctx: AttestationContext,
): AttestationResult {
  // WebAuthn L3 §7.1 step 21: determine the format by a USASCII case-sensitive match on fmt
  // against the supported formats ("Packed" is not "packed").
  const verifier = typeof fmt === 'string' ? ATTESTATION_FORMATS.get(fmt) : undefined;
  if (verifier === undefined) return fail('unsupported_attestation_format', `fmt ${JSON.stringify(fmt)}`);
  // WebAuthn L3 §8 (every format, step 1): attStmt is a CBOR map.
  if (!isCborMap(attStmt)) fail('attestation_invalid', 'attStmt is not a map');
  // WebAuthn L3 §7.1 step 22: verify attStmt with the format's verification procedure.
  return verifier(attStmt, ctx);
}
