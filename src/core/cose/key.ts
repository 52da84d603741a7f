/**
 * Building blocks shared by the per-algorithm files: reading COSE_Key parameters (RFC 9052 §7,
 * RFC 9053 §7), the checks every credential key gets (WebAuthn L3 §5.8.5), and the
 * `CredentialPublicKey` value the table hands out.
 */
import { Buffer } from 'node:buffer';
import { type KeyObject, verify as nodeCryptoVerify, type VerifyKeyObjectInput } from 'node:crypto';
import type { CborMap, CborValue } from '../cbor.js';
import { fail } from '../errors.js';
import type { CredentialPublicKey } from '../types.js';

/** Common COSE_Key labels (RFC 9052 §7.1). */
export const LABEL_KTY = 1;
export const LABEL_ALG = 3;

/** COSE key types (RFC 9053 §7; AKP from the IETF COSE ML-DSA draft, IANA value 7). */
export const KTY_OKP = 1;
export const KTY_EC2 = 2;
export const KTY_RSA = 3;
export const KTY_AKP = 7;

const KTY_NAMES: Readonly<Record<number, string>> = {
  1: 'OKP',
  2: 'EC2',
  3: 'RSA',
  4: 'Symmetric',
  7: 'AKP',
};

/** What the shared checks need to know about the algorithm doing the import. */
export interface AlgorithmIdentity {
  readonly id: number;
  readonly name: string;
  readonly kty: number;
}

/** A short, log-safe rendering of a CBOR value for error details (never echoes key bytes). */
export function describe(value: CborValue): string {
  if (value === undefined) return 'absent';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value === null) return 'null';
  if (typeof value === 'string') return 'a text string';
  if (value instanceof Uint8Array) return `a ${value.length}-byte string`;
  return Array.isArray(value) ? 'an array' : 'a map';
}

/**
 * The checks every key gets, whatever its type: `kty` is the one the algorithm is defined for
 * (RFC 9053 ties each algorithm to one key type), `alg` is present and names this algorithm
 * (WebAuthn L3 §5.8.5: the credential public key MUST contain `alg`), and no private-key
 * parameter is present: a stored credential key is public by definition, and one that carries
 * private material was produced by something that should not be trusted with keys.
 */
export function checkKeyHeader(key: CborMap, alg: AlgorithmIdentity, privateLabels: readonly number[]): void {
  const kty = key.get(LABEL_KTY);
  if (kty !== alg.kty) {
    const expected = `${alg.kty} (${KTY_NAMES[alg.kty] ?? '?'})`;
    fail('public_key_invalid', `${alg.name} needs kty ${expected}; the key has kty ${describe(kty)}`);
  }
  const keyAlg = key.get(LABEL_ALG);
  if (keyAlg === undefined) fail('public_key_invalid', 'COSE_Key has no alg (3) (WebAuthn L3 §5.8.5)');
  if (keyAlg !== alg.id) {
    fail('public_key_invalid', `COSE_Key alg ${describe(keyAlg)} is not ${alg.name} (${alg.id})`);
  }
  for (const label of privateLabels) {
    if (key.has(label)) fail('public_key_invalid', `COSE_Key carries private-key parameter ${label}`);
  }
}

/** An integer parameter (e.g. `crv`); anything else is invalid. */
export function intParam(key: CborMap, label: number, name: string): number {
  const value = key.get(label);
  if (typeof value !== 'number') fail('public_key_invalid', `${name} (${label}) is ${describe(value)}`);
  return value;
}

/**
 * A byte-string parameter, as a Buffer over the same memory (no copy: the callers either hand it
 * straight to OpenSSL, which copies, or copy it themselves). `length`, when given, is exact.
 */
export function bytesParam(key: CborMap, label: number, name: string, length?: number): Buffer {
  const value = key.get(label);
  if (!(value instanceof Uint8Array)) {
    fail('public_key_invalid', `${name} (${label}) must be a byte string; it is ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    fail('public_key_invalid', `${name} (${label}) must be ${length} bytes; it is ${value.length}`);
  }
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * `crypto.verify` that answers false instead of throwing: a malformed signature (e.g. raw r||s
 * where DER is required), a key of the wrong type or a non-byte argument is simply not a valid
 * signature, and callers on the hot path must not need a try/catch of their own.
 */
export function safeVerify(
  digest: string | null,
  data: Uint8Array,
  key: KeyObject | VerifyKeyObjectInput,
  signature: Uint8Array,
): boolean {
  try {
    return nodeCryptoVerify(digest, data, key, signature);
  } catch {
    return false;
  }
}

/** The immutable value the table returns: callers may cache and share it freely. */
export function credentialKey(
  alg: number,
  kty: number,
  keyObject: KeyObject | undefined,
  verify: (data: Uint8Array, signature: Uint8Array) => boolean,
): CredentialPublicKey {
  return Object.freeze({ alg, kty, keyObject, verify });
}
