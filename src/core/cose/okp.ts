/**
 * EdDSA with OKP keys (RFC 9053 §2.2, §7.2; RFC 8032). Used by the polymorphic EdDSA (-8), where
 * the key's curve decides between Ed25519 and Ed448, and by the fully-specified Ed25519 (-19)
 * and Ed448 (-53) identifiers (RFC 9864), which each allow one curve only.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { CborMap } from '../cbor.js';
import { fail } from '../errors.js';
import type { CoseAlgorithm, CredentialPublicKey } from '../types.js';
import { bytesParam, checkKeyHeader, credentialKey, intParam, KTY_OKP, safeVerify } from './key.js';

/** OKP key labels (RFC 9053 §7.2). */
const LABEL_CRV = -1;
const LABEL_X = -2;
const LABEL_D = -4;

export interface EdwardsCurve {
  /** COSE Elliptic Curves registry value. */
  readonly cose: number;
  readonly jwk: 'Ed25519' | 'Ed448';
  /** Node's `asymmetricKeyType` for this curve. */
  readonly nodeType: 'ed25519' | 'ed448';
  /** Encoded public key length (RFC 8032 §5.1.5, §5.2.5). */
  readonly size: number;
}

export const ED25519_CURVE: EdwardsCurve = { cose: 6, jwk: 'Ed25519', nodeType: 'ed25519', size: 32 };
export const ED448_CURVE: EdwardsCurve = { cose: 7, jwk: 'Ed448', nodeType: 'ed448', size: 57 };

export interface EddsaSpec {
  readonly id: number;
  readonly name: string;
  /** The curves this identifier may be used with. */
  readonly curves: readonly EdwardsCurve[];
}

export function eddsaAlgorithm(spec: EddsaSpec): CoseAlgorithm {
  const { id, name, curves } = spec;
  const identity = { id, name, kty: KTY_OKP };

  function importCoseKey(key: CborMap): CredentialPublicKey {
    checkKeyHeader(key, identity, [LABEL_D]);
    const crv = intParam(key, LABEL_CRV, 'crv');
    // X25519 (4) and X448 (5) are OKP curves too, but for key agreement, not signatures.
    const curve = curves.find((c) => c.cose === crv);
    if (curve === undefined) fail('public_key_invalid', `${name} cannot use crv ${crv}`);
    const x = bytesParam(key, LABEL_X, 'x', curve.size);
    let keyObject: KeyObject;
    try {
      keyObject = createPublicKey({
        key: { kty: 'OKP', crv: curve.jwk, x: x.toString('base64url') },
        format: 'jwk',
      });
    } catch {
      return fail('public_key_invalid', `${curve.jwk} public key was refused`);
    }
    // EdDSA hashes internally (RFC 8032), so Node takes a null digest; pure Ed25519/Ed448 with
    // an empty context is what WebAuthn authenticators produce.
    return credentialKey(id, KTY_OKP, keyObject, (data, signature) =>
      safeVerify(null, data, keyObject, signature),
    );
  }

  function verifyWithKeyObject(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
    // The key must be one of this identifier's curves: a fully-specified Ed25519 statement
    // verified with an Ed448 key (or any non-Edwards key) is not that algorithm.
    if (!curves.some((c) => c.nodeType === key.asymmetricKeyType)) return false;
    return safeVerify(null, data, key, signature);
  }

  return Object.freeze({ id, name, kty: KTY_OKP, importCoseKey, verifyWithKeyObject });
}
