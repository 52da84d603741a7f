/**
 * The COSE algorithm table. CONTRACT STUB — being implemented.
 */
import type { KeyObject } from 'node:crypto';
import type { CborMap } from '../cbor.js';
import type { CoseAlgorithm, CredentialPublicKey } from '../types.js';

export declare const COSE_ALGORITHMS: ReadonlyMap<number, CoseAlgorithm>;
/** Every algorithm the table supports, in preference order. */
export declare const SUPPORTED_ALGORITHMS: readonly number[];
/** Read `alg` (3) from a COSE_Key map, look it up, validate and import. */
export declare function importCredentialPublicKey(key: CborMap): CredentialPublicKey;
/** Decode stored COSE_Key bytes (strict CBOR, no trailing bytes) and import. */
export declare function decodeCredentialPublicKey(bytes: Uint8Array): CredentialPublicKey;
/** Verify with a certificate key using COSE `alg`; `unsupported_algorithm` when unknown. */
export declare function verifyWithCertificateKey(
  alg: number,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean;
/** True when the credential key and `key` are the same public key. */
export declare function publicKeyMatches(credential: CredentialPublicKey, key: KeyObject): boolean;
