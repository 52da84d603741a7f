/**
 * The attestation format table. CONTRACT STUB — being implemented.
 */
import type { CborMap } from '../cbor.js';
import type { AttestationContext, AttestationResult, AttestationVerifier } from '../types.js';

export declare const ATTESTATION_FORMATS: ReadonlyMap<string, AttestationVerifier>;
/** Look up `fmt` (case-sensitive, §7.1 step 21) and run its verifier. */
export declare function verifyAttestationStatement(
  fmt: string,
  attStmt: CborMap,
  ctx: AttestationContext,
): AttestationResult;
