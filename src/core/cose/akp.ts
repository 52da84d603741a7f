/**
 * ML-DSA (FIPS 204) with AKP keys, per the IETF COSE ML-DSA specification
 * (draft-ietf-cose-dilithium): kty AKP (7), the raw public key in `pub` (-1), the private
 * key / seed in `priv` (-2). Node 20 has no ML-DSA, so verification runs in
 * @noble/post-quantum and the key has no KeyObject.
 */
import type { KeyObject } from 'node:crypto';
import type { CborMap } from '../cbor.js';
import type { CoseAlgorithm, CredentialPublicKey } from '../types.js';
import { bytesParam, checkKeyHeader, credentialKey, KTY_AKP } from './key.js';

const LABEL_PUB = -1;
const LABEL_PRIV = -2;

/** The part of a noble ML-DSA parameter set this table uses. */
export interface MlDsaVerifier {
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

export interface MlDsaSpec {
  readonly id: number;
  readonly name: string;
  readonly scheme: MlDsaVerifier;
  /** FIPS 204 Table 2 public key size: 1312, 1952 or 2592 bytes. */
  readonly publicKeyLength: number;
}

export function mlDsaAlgorithm(spec: MlDsaSpec): CoseAlgorithm {
  const { id, name, scheme, publicKeyLength } = spec;
  const identity = { id, name, kty: KTY_AKP };

  function importCoseKey(key: CborMap): CredentialPublicKey {
    checkKeyHeader(key, identity, [LABEL_PRIV]);
    // Copied once here: there is no KeyObject to take its own copy, and the key must not change
    // if the caller later reuses the buffer it decoded from.
    const pub = new Uint8Array(bytesParam(key, LABEL_PUB, 'pub', publicKeyLength));
    // Pure ML-DSA with the empty context string (FIPS 204 §5.2), as WebAuthn authenticators
    // sign; noble's default context is empty. noble throws on malformed lengths: that is a bad
    // signature, not an error.
    return credentialKey(id, KTY_AKP, undefined, (data, signature) => {
      try {
        return scheme.verify(signature, data, pub);
      } catch {
        return false;
      }
    });
  }

  function verifyWithKeyObject(_key: KeyObject, _data: Uint8Array, _signature: Uint8Array): boolean {
    // Node 20 cannot represent an ML-DSA key as a KeyObject, so a certificate key handed in here
    // is necessarily of another algorithm and cannot produce an ML-DSA signature.
    return false;
  }

  return Object.freeze({ id, name, kty: KTY_AKP, importCoseKey, verifyWithKeyObject });
}
