/**
 * ECDSA over the NIST curves with EC2 keys (RFC 9053 §2.1, §7.1.1). The per-algorithm files
 * (es256.ts, es384.ts, es512.ts) instantiate this once each.
 */
import { createPublicKey, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import type { CborMap } from '../cbor.js';
import { fail } from '../errors.js';
import type { CoseAlgorithm, CredentialPublicKey } from '../types.js';
import { bytesParam, checkKeyHeader, credentialKey, intParam, KTY_EC2, safeVerify } from './key.js';

/** EC2 key labels (RFC 9053 §7.1.1). */
const LABEL_CRV = -1;
const LABEL_X = -2;
const LABEL_Y = -3;
const LABEL_D = -4;

export interface EcCurve {
  /** COSE Elliptic Curves registry value. */
  readonly cose: number;
  /** JWK / WebCrypto curve name. */
  readonly jwk: 'P-256' | 'P-384' | 'P-521';
  /** Field size in bytes: each coordinate is exactly this long (RFC 9053 §7.1.1 keeps leading zeros). */
  readonly size: number;
}

export const P256: EcCurve = { cose: 1, jwk: 'P-256', size: 32 };
export const P384: EcCurve = { cose: 2, jwk: 'P-384', size: 48 };
export const P521: EcCurve = { cose: 3, jwk: 'P-521', size: 66 };

export interface EcdsaSpec {
  readonly id: number;
  readonly name: string;
  readonly curve: EcCurve;
  readonly hash: 'sha256' | 'sha384' | 'sha512';
}

export function ecdsaAlgorithm(spec: EcdsaSpec): CoseAlgorithm {
  const { id, name, curve, hash } = spec;
  const identity = { id, name, kty: KTY_EC2 };

  function importCoseKey(key: CborMap): CredentialPublicKey {
    checkKeyHeader(key, identity, [LABEL_D]);
    // WebAuthn L3 §5.8.5 binds each ECDSA algorithm to one curve (ES256 to P-256, etc.), even
    // though RFC 9053 does not: a key on another curve is not a key for this algorithm.
    const crv = intParam(key, LABEL_CRV, 'crv');
    if (crv !== curve.cose)
      fail('public_key_invalid', `${name} needs crv ${curve.cose}; the key has crv ${crv}`);
    // RFC 9053 §7.1.1 lets y be a sign bit (point compression); WebAuthn L3 §5.8.5 requires the
    // uncompressed form, and accepting both would give one key two stored encodings.
    if (typeof key.get(LABEL_Y) === 'boolean')
      fail('public_key_invalid', 'compressed EC points are not allowed');
    const x = bytesParam(key, LABEL_X, 'x', curve.size);
    const y = bytesParam(key, LABEL_Y, 'y', curve.size);
    let keyObject: KeyObject;
    try {
      // OpenSSL's JWK EC import runs the full public-key validation (coordinates in range, point
      // on the curve, order check: NIST SP 800-56A §5.6.2.3.3), so an invalid-curve point never
      // becomes a KeyObject. It costs about one scalar multiplication, which is why import is as
      // expensive as a verification for EC keys; the SPKI DER route is slower still on OpenSSL 3.
      keyObject = createPublicKey({
        key: { kty: 'EC', crv: curve.jwk, x: x.toString('base64url'), y: y.toString('base64url') },
        format: 'jwk',
      });
    } catch {
      return fail('public_key_invalid', `the ${curve.jwk} point is not on the curve`);
    }
    // WebAuthn L3 §6.5.5: ECDSA signatures are ASN.1 DER. 'der' is Node's default; it is spelled
    // out so that raw r||s (the WebCrypto/JWS form) can never verify. The options object is built
    // once per key so that verify allocates nothing of its own.
    const options: VerifyKeyObjectInput = { key: keyObject, dsaEncoding: 'der' };
    return credentialKey(id, KTY_EC2, keyObject, (data, signature) =>
      safeVerify(hash, data, options, signature),
    );
  }

  function verifyWithKeyObject(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
    // Only an EC key: with an RSA key the same digest name would silently run RSA PKCS#1 and a
    // statement claiming ES256 would verify as RS256 (algorithm confusion). The curve is not
    // pinned here: RFC 9053 §2.1 does not bind ES256 to P-256, and the certificate chain, not
    // this table, decides whether an attestation key is acceptable.
    if (key.asymmetricKeyType !== 'ec') return false;
    return safeVerify(hash, data, { key, dsaEncoding: 'der' }, signature);
  }

  return Object.freeze({ id, name, kty: KTY_EC2, importCoseKey, verifyWithKeyObject });
}
