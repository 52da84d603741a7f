/**
 * RSA signatures with RSA keys (RFC 8230 §4 key parameters): RSASSA-PKCS1-v1_5 for RS256,
 * RS384, RS512 and the legacy RS1 (RFC 8812 §2), RSASSA-PSS for PS256, PS384, PS512
 * (RFC 8230 §2). The per-algorithm files instantiate this once each.
 */
import type { Buffer } from 'node:buffer';
import { constants, createPublicKey, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import type { CborMap } from '../cbor.js';
import { fail } from '../errors.js';
import type { CoseAlgorithm, CredentialPublicKey } from '../types.js';
import { bytesParam, checkKeyHeader, credentialKey, KTY_RSA, safeVerify } from './key.js';

/** RSA key labels (RFC 8230 §4): n and e are public, -3 to -12 are private. */
const LABEL_N = -1;
const LABEL_E = -2;
const PRIVATE_LABELS: readonly number[] = [-3, -4, -5, -6, -7, -8, -9, -10, -11, -12];

/** RFC 7518 §3.3 / NIST SP 800-57 Part 1: 2048 bits is the floor for RSA signatures. */
export const MIN_RSA_MODULUS_BITS = 2048;
/**
 * OpenSSL's own ceiling (OPENSSL_RSA_MAX_MODULUS_BITS). Verification cost grows with the
 * modulus, so a stored key must not be able to make every sign-in arbitrarily slow.
 */
export const MAX_RSA_MODULUS_BITS = 16384;
/** NIST SP 800-56B caps e below 2^256; a larger one is only a way to slow verification down. */
const MAX_EXPONENT_BYTES = 32;

export type RsaPadding = 'pkcs1' | 'pss';
export type RsaHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

const HASH_LENGTH: Readonly<Record<RsaHash, number>> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

export interface RsaSpec {
  readonly id: number;
  readonly name: string;
  readonly hash: RsaHash;
  readonly padding: RsaPadding;
}

/** A big-endian unsigned integer without its leading zero bytes (a view, not a copy). */
function stripLeadingZeros(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function bitLength(minimal: Buffer): number {
  const top = minimal[0];
  return top === undefined ? 0 : (minimal.length - 1) * 8 + (32 - Math.clz32(top));
}

function isOdd(minimal: Buffer): boolean {
  const last = minimal[minimal.length - 1];
  return last !== undefined && (last & 1) === 1;
}

export function rsaAlgorithm(spec: RsaSpec): CoseAlgorithm {
  const { id, name, hash, padding } = spec;
  const identity = { id, name, kty: KTY_RSA };
  // RFC 8230 §2: the PSS salt is as long as the hash, and MGF1 uses the same hash (OpenSSL's
  // default when only the digest is given).
  const signingOptions =
    padding === 'pss'
      ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LENGTH[hash] }
      : { padding: constants.RSA_PKCS1_PADDING };
  // A certificate key for PSS may be an id-RSASSA-PSS key (Node's 'rsa-pss'); PKCS#1 v1.5 needs
  // a plain rsaEncryption key.
  const certificateKeyTypes: readonly string[] = padding === 'pss' ? ['rsa', 'rsa-pss'] : ['rsa'];

  function importCoseKey(key: CborMap): CredentialPublicKey {
    checkKeyHeader(key, identity, PRIVATE_LABELS);
    // Leading zero bytes are tolerated (some encoders keep a sign byte) but not counted.
    const n = stripLeadingZeros(bytesParam(key, LABEL_N, 'n'));
    const e = stripLeadingZeros(bytesParam(key, LABEL_E, 'e'));
    const bits = bitLength(n);
    if (bits < MIN_RSA_MODULUS_BITS) {
      fail(
        'public_key_invalid',
        `RSA modulus is ${bits} bits; at least ${MIN_RSA_MODULUS_BITS} are required`,
      );
    }
    if (bits > MAX_RSA_MODULUS_BITS) {
      fail('public_key_invalid', `RSA modulus is ${bits} bits; at most ${MAX_RSA_MODULUS_BITS} are accepted`);
    }
    // A modulus is a product of two odd primes, so an even one is not an RSA key at all.
    if (!isOdd(n)) fail('public_key_invalid', 'RSA modulus is even');
    // e must be odd (coprime to the even lambda(n)) and greater than 1 (e = 1 makes the
    // "signature" equal to the padded message): RFC 8017 §3.1, NIST SP 800-56B §6.2.1.
    if (!isOdd(e) || (e.length === 1 && e[0] === 1)) {
      fail('public_key_invalid', 'RSA exponent must be odd and greater than 1');
    }
    if (e.length > MAX_EXPONENT_BYTES) fail('public_key_invalid', 'RSA exponent is longer than 256 bits');
    let keyObject: KeyObject;
    try {
      keyObject = createPublicKey({
        key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') },
        format: 'jwk',
      });
    } catch {
      return fail('public_key_invalid', 'RSA public key was refused');
    }
    const options: VerifyKeyObjectInput = { key: keyObject, ...signingOptions };
    return credentialKey(id, KTY_RSA, keyObject, (data, signature) =>
      safeVerify(hash, data, options, signature),
    );
  }

  function verifyWithKeyObject(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
    // Only RSA keys: with an EC key the same digest name would run ECDSA instead (algorithm
    // confusion). The size of a certificate key is the certificate policy's business.
    const type = key.asymmetricKeyType;
    if (type === undefined || !certificateKeyTypes.includes(type)) return false;
    return safeVerify(hash, data, { key, ...signingOptions }, signature);
  }

  return Object.freeze({ id, name, kty: KTY_RSA, importCoseKey, verifyWithKeyObject });
}
