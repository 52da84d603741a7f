/**
 * The COSE algorithm table (RFC 9053, RFC 8230, RFC 8812, RFC 9864, IETF COSE ML-DSA): one
 * file per algorithm, registered here by COSE identifier. Everything that checks a credential
 * or attestation signature goes through this table, so an algorithm is either in it, with its
 * key validation, or not supported at all.
 */
import { Buffer } from 'node:buffer';
import type { KeyObject } from 'node:crypto';
import { type CborMap, decodeCbor, isCborMap } from '../cbor.js';
import { fail } from '../errors.js';
import type { CoseAlgorithm, CredentialPublicKey } from '../types.js';
import { Ed448 } from './ed448.js';
import { Ed25519 } from './ed25519.js';
import { EdDSA } from './eddsa.js';
import { ES256 } from './es256.js';
import { ES384 } from './es384.js';
import { ES512 } from './es512.js';
import { describe, LABEL_ALG } from './key.js';
import { ML_DSA_44 } from './ml-dsa-44.js';
import { ML_DSA_65 } from './ml-dsa-65.js';
import { ML_DSA_87 } from './ml-dsa-87.js';
import { PS256 } from './ps256.js';
import { PS384 } from './ps384.js';
import { PS512 } from './ps512.js';
import { RS1 } from './rs1.js';
import { RS256 } from './rs256.js';
import { RS384 } from './rs384.js';
import { RS512 } from './rs512.js';

export {
  Ed448,
  Ed25519,
  EdDSA,
  ES256,
  ES384,
  ES512,
  ML_DSA_44,
  ML_DSA_65,
  ML_DSA_87,
  PS256,
  PS384,
  PS512,
  RS1,
  RS256,
  RS384,
  RS512,
};

/**
 * Preference order. The first three are the default pubKeyCredParams (WebAuthn L3 §5.4 note:
 * ES256 and RS256 cover nearly every authenticator, EdDSA the rest). Then the stronger curves,
 * the fully-specified EdDSA identifiers, RSA-PSS, the longer RSA PKCS#1 hashes, ML-DSA, and last
 * the SHA-1 legacy that only TPM attestation still needs.
 */
const TABLE: readonly CoseAlgorithm[] = [
  ES256,
  EdDSA,
  RS256,
  ES384,
  ES512,
  Ed25519,
  Ed448,
  PS256,
  PS384,
  PS512,
  RS384,
  RS512,
  ML_DSA_44,
  ML_DSA_65,
  ML_DSA_87,
  RS1,
];

export const COSE_ALGORITHMS: ReadonlyMap<number, CoseAlgorithm> = new Map(TABLE.map((alg) => [alg.id, alg]));
/** Every algorithm the table supports, in preference order. */
export const SUPPORTED_ALGORITHMS: readonly number[] = Object.freeze(TABLE.map((alg) => alg.id));
/** The default pubKeyCredParams: ES256, EdDSA, RS256. */
export const DEFAULT_ALGORITHMS: readonly number[] = Object.freeze([-7, -8, -257]);

function lookup(alg: number): CoseAlgorithm {
  return COSE_ALGORITHMS.get(alg) ?? fail('unsupported_algorithm', `COSE algorithm ${alg} is not supported`);
}

/** Read `alg` (3) from a COSE_Key map, look it up, validate and import. */
export function importCredentialPublicKey(key: CborMap): CredentialPublicKey {
  const alg = key.get(LABEL_ALG);
  // WebAuthn L3 §5.8.5: the credential public key MUST carry alg. COSE allows text algorithm
  // names and integers beyond 2^53; none is in the table, so those are unsupported, not invalid.
  if (typeof alg === 'number') return lookup(alg).importCoseKey(key);
  if (typeof alg === 'string' || typeof alg === 'bigint') {
    return fail('unsupported_algorithm', `COSE algorithm ${String(alg)} is not supported`);
  }
  return fail('public_key_invalid', `COSE_Key alg (3) is ${describe(alg)}`);
}

/**
 * Imported stored keys, by their exact COSE bytes. With OpenSSL 3, importing an EC key validates
 * the point (a scalar multiplication) and costs as much as the signature check itself, so a
 * credential that signs in again skips the second half of that work. Safe to share: the entry is
 * a pure function of the bytes, frozen, and only successful imports are kept. Bounded, with the
 * oldest entry evicted first; it holds nothing another instance needs.
 */
const KEY_CACHE_LIMIT = 4096;
const MAX_CACHED_KEY_BYTES = 1024;
const keyCache = new Map<string, CredentialPublicKey>();

/** Decode stored COSE_Key bytes (strict CBOR, no trailing bytes) and import. */
export function decodeCredentialPublicKey(bytes: Uint8Array): CredentialPublicKey {
  const cacheable = bytes.byteLength <= MAX_CACHED_KEY_BYTES;
  const id = cacheable
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
    : '';
  if (cacheable) {
    const hit = keyCache.get(id);
    if (hit !== undefined) {
      // Refresh recency: Map iteration order is insertion order.
      keyCache.delete(id);
      keyCache.set(id, hit);
      return hit;
    }
  }
  const key = decodeCbor(bytes);
  if (!isCborMap(key)) fail('public_key_invalid', `COSE_Key must be a CBOR map; it is ${describe(key)}`);
  const imported = importCredentialPublicKey(key);
  if (cacheable) {
    if (keyCache.size >= KEY_CACHE_LIMIT) {
      const oldest = keyCache.keys().next().value;
      if (oldest !== undefined) keyCache.delete(oldest);
    }
    keyCache.set(id, imported);
  }
  return imported;
}

/** Empty the imported-key cache (benchmarks measure the cold path with it). */
export function clearCredentialKeyCache(): void {
  keyCache.clear();
}

/** Verify with a certificate key using COSE `alg`; `unsupported_algorithm` when unknown. */
export function verifyWithCertificateKey(
  alg: number,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  return lookup(alg).verifyWithKeyObject(key, data, signature);
}

/**
 * True when the credential key and `key` are the same public key (e.g. android-key and apple
 * attestation, WebAuthn L3 §8.4 and §8.8, compare the credential key with the leaf certificate's).
 * `KeyObject.equals` compares the key material (OpenSSL EVP_PKEY_eq), so encodings that differ
 * only in form (named versus explicit curve parameters) still match, and keys of different types
 * never do.
 */
export function publicKeyMatches(credential: CredentialPublicKey, key: KeyObject): boolean {
  const own = credential.keyObject;
  // ML-DSA credentials have no KeyObject on Node 20, and no KeyObject can hold an ML-DSA key
  // there, so a certificate key can never be the same key.
  if (own === undefined) return false;
  try {
    return own.equals(key);
  } catch {
    return false;
  }
}
