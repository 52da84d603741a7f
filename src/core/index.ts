/**
 * The public surface of the WebAuthn core (`tessera/core`): ceremony options, response
 * verification, the typed errors, and the building blocks a later layer may need (CBOR,
 * base64url, authenticator data, COSE and attestation tables). Everything here is pure and
 * synchronous; nothing reads the clock, the network or storage.
 */

export {
  ATTESTATION_FORMATS,
  verifyAttestationStatement,
} from './attestation/index.js';
export { counterOutcome, verifyAuthenticationResponse } from './authentication.js';
export {
  formatAaguid,
  MAX_CREDENTIAL_ID_LENGTH,
  parseAuthenticatorData,
} from './authenticator-data.js';
export { fromBase64Lenient, fromBase64url, toBase64url } from './base64url.js';
export {
  type CborKey,
  type CborLimits,
  type CborMap,
  type CborValue,
  DEFAULT_CBOR_LIMITS,
  decodeCbor,
  encodeCbor,
  isBytes,
  isCborMap,
} from './cbor.js';
export { checkClientData, MAX_CLIENT_DATA_BYTES, parseClientData } from './client-data.js';
export {
  COSE_ALGORITHMS,
  clearCredentialKeyCache,
  DEFAULT_ALGORITHMS,
  decodeCredentialPublicKey,
  importCredentialPublicKey,
  SUPPORTED_ALGORITHMS,
} from './cose/index.js';
export {
  CORE_ERRORS,
  type CoreErrorCode,
  isWebAuthnError,
  TesseraError,
  WebAuthnError,
} from './errors.js';
export * from './options.js';
export { DEFAULT_ATTESTATION_POLICY, verifyRegistrationResponse } from './registration.js';
export type * from './types.js';
