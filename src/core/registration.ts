/**
 * Registration ceremony verification: WebAuthn L3 §7.1, every relying-party step in order.
 *
 * Pure and synchronous: no clock reads (`expected.now` is the clock), no I/O, no storage. Steps
 * that need state (§7.1 step 26, "credential ID not yet registered") or policy (steps 18-19, 24's
 * acceptance of none/self) belong to the caller; the evidence returned carries what they need.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { verifyAttestationStatement } from './attestation/index.js';
import { formatAaguid, MAX_CREDENTIAL_ID_LENGTH, parseAuthenticatorData } from './authenticator-data.js';
import { fromBase64url } from './base64url.js';
import { type CborMap, type CborValue, decodeCbor, isBytes, isCborMap } from './cbor.js';
import {
  checkClientData,
  decodeClientDataJSON,
  parseClientData,
  readClientExtensionResults,
  readCredentialEnvelope,
  readTransports,
} from './client-data.js';
import { importCredentialPublicKey, SUPPORTED_ALGORITHMS } from './cose/index.js';
import { fail } from './errors.js';
import type { AttestationPolicy, RegistrationEvidence, RegistrationExpectations } from './types.js';

/** Attestation objects with full certificate chains stay well under this (TPM ~ 4 KiB). */
export const MAX_ATTESTATION_OBJECT_BYTES = 128 * 1024;

export const DEFAULT_ATTESTATION_POLICY: AttestationPolicy = Object.freeze({
  safetyNetRequireCtsProfileMatch: true,
  safetyNetMaxAgeMs: 60_000,
  androidKeyRequireTee: false,
});

function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

function copy(bytes: Uint8Array): Uint8Array {
  // Evidence outlives the request: keep only these bytes, not the whole decoded response.
  return new Uint8Array(bytes);
}

interface AttestationObject {
  readonly fmt: string;
  readonly attStmt: CborMap;
  readonly authData: Uint8Array;
}

/** §6.5.4: attObj = { fmt: text, attStmt: map, authData: bytes }. Unknown members are ignored. */
function readAttestationObject(bytes: Uint8Array): AttestationObject {
  const value: CborValue = decodeCbor(bytes);
  if (!isCborMap(value)) fail('attestation_invalid', 'attestationObject is not a CBOR map');
  const fmt = value.get('fmt');
  const attStmt = value.get('attStmt');
  const authData = value.get('authData');
  if (typeof fmt !== 'string') fail('attestation_invalid', 'fmt is missing or not a text string');
  if (attStmt === undefined || !isCborMap(attStmt)) {
    fail('attestation_invalid', 'attStmt is missing or not a map');
  }
  if (authData === undefined || !isBytes(authData)) {
    fail('attestation_invalid', 'authData is missing or not a byte string');
  }
  return { fmt, attStmt, authData };
}

/**
 * Verify a RegistrationResponseJSON (`PublicKeyCredential.toJSON()` after create()) against
 * what the relying party issued. Throws a `WebAuthnError` at the first failing step.
 */
export function verifyRegistrationResponse(
  response: unknown,
  expected: RegistrationExpectations,
): RegistrationEvidence {
  // WebAuthn L3 §7.1 steps 1-2 happen in the browser; the server starts from the credential JSON.

  // WebAuthn L3 §7.1 step 3: the response must be an AuthenticatorAttestationResponse.
  const envelope = readCredentialEnvelope(response);
  const res = envelope.response;
  const clientDataJSON = decodeClientDataJSON(res.clientDataJSON);
  const attestationObject = fromBase64url(
    res.attestationObject,
    'attestationObject',
    MAX_ATTESTATION_OBJECT_BYTES,
  );
  // response.authenticatorData / publicKey / publicKeyAlgorithm are unsigned convenience copies
  // of what attestationObject holds (§5.2.1.1); only the attestation object is read.
  const transports = readTransports(res.transports);

  // WebAuthn L3 §7.1 step 4: the client extension results.
  const clientExtensions = readClientExtensionResults(envelope.clientExtensionResults);

  // WebAuthn L3 §7.1 step 5: UTF-8 decode clientDataJSON, stripping a leading BOM.
  // WebAuthn L3 §7.1 step 6: parse it as JSON.
  const c = parseClientData(clientDataJSON);

  // WebAuthn L3 §7.1 step 7: C.type is "webauthn.create".
  // WebAuthn L3 §7.1 step 8: C.challenge is the base64url of the issued challenge.
  // WebAuthn L3 §7.1 step 9: C.origin is an expected origin.
  // WebAuthn L3 §7.1 step 10: crossOrigin true only when the RP expects a cross-origin iframe.
  // WebAuthn L3 §7.1 step 11: topOrigin present only when expected, and then one of topOrigins.
  checkClientData(c, expected, 'webauthn.create');

  // WebAuthn L3 §7.1 step 12: hash = SHA-256(clientDataJSON), over the raw bytes.
  const clientDataHash = sha256(clientDataJSON);

  // WebAuthn L3 §7.1 step 13: CBOR-decode the attestation object into fmt, authData, attStmt.
  const { fmt, attStmt, authData: authDataBytes } = readAttestationObject(attestationObject);
  const authData = parseAuthenticatorData(authDataBytes);
  const { flags } = authData;

  // WebAuthn L3 §7.1 step 14: rpIdHash is SHA-256 of the expected RP ID.
  if (Buffer.compare(authData.rpIdHash, sha256(expected.rpId)) !== 0) {
    fail('rp_id_mismatch', 'rpIdHash is not SHA-256 of the expected RP ID');
  }

  // WebAuthn L3 §7.1 step 15: UP is set, unless this is a conditional create.
  if (expected.requireUserPresence !== false && !flags.up) {
    fail('user_presence_required', 'the UP flag is not set');
  }

  // WebAuthn L3 §7.1 step 16: UV is set when the relying party requires user verification.
  if (expected.requireUserVerification && !flags.uv) {
    fail('user_verification_required', 'the UV flag is not set');
  }

  // WebAuthn L3 §7.1 step 17: BE = 0 implies BS = 0.
  if (!flags.be && flags.bs) fail('backup_state_invalid', 'BS is set while BE is not');

  // WebAuthn L3 §7.1 steps 18-19: BE and BS are returned in the evidence for policy to evaluate.

  // §6.1: AT must be set in authenticator data produced for attestation, with the credential data.
  const attested = authData.attestedCredentialData;
  if (!flags.at || attested === undefined) {
    fail('authenticator_data_invalid', 'no attested credential data (AT flag not set)');
  }
  // §5.1: id and rawId name the credential; the signed authenticator data is the authority.
  if (Buffer.compare(envelope.rawId, attested.credentialId) !== 0) {
    fail('credential_id_mismatch', 'rawId differs from the credential ID in authenticator data');
  }

  // WebAuthn L3 §7.1 step 20: the credential public key is valid and its alg was offered.
  const credentialPublicKey = importCredentialPublicKey(attested.credentialPublicKey);
  const allowed = expected.allowedAlgorithms ?? SUPPORTED_ALGORITHMS;
  if (!allowed.includes(credentialPublicKey.alg)) {
    fail('algorithm_not_allowed', `alg ${credentialPublicKey.alg} was not offered`);
  }

  // WebAuthn L3 §7.1 step 21: fmt is matched case-sensitively against the supported formats.
  // WebAuthn L3 §7.1 step 22: attStmt is verified with fmt's verification procedure.
  // WebAuthn L3 §7.1 step 23: the trust anchors for fmt come from configuration.
  // WebAuthn L3 §7.1 step 24: a format with anchors must chain to one of them (the verifier
  // enforces it); accepting none/self/untrusted attestation is the policy layer's decision.
  const attestation = verifyAttestationStatement(fmt, attStmt, {
    authData,
    clientDataHash,
    credentialPublicKey,
    trustAnchors: expected.trustAnchors?.[fmt] ?? [],
    now: expected.now,
    policy: { ...DEFAULT_ATTESTATION_POLICY, ...expected.attestationPolicy },
  });

  // WebAuthn L3 §7.1 step 25: credentialId is at most 1023 bytes (the parser refuses longer ones).
  if (attested.credentialId.length > MAX_CREDENTIAL_ID_LENGTH) {
    fail('credential_id_too_long', `credential ID is ${attested.credentialId.length} bytes`);
  }

  // WebAuthn L3 §7.1 step 26: "not yet registered for any user" needs the store: the caller's step.

  // WebAuthn L3 §7.1 step 27: the credential record is the evidence returned below: id,
  // publicKey (the COSE_Key bytes), signCount, uvInitialized (flags.uv), transports,
  // backupEligible (flags.be) and backupState (flags.bs).

  // WebAuthn L3 §7.1 step 28: extension outputs. Client outputs are kept bounded (checked at
  // step 4); authenticator outputs are the ED map from authData. Unsolicited ones are kept as
  // evidence and otherwise ignored.
  const extensions = {
    credProps: clientExtensions.credProps,
    client: clientExtensions.client,
    authenticator: authData.extensions ?? null,
  };

  // WebAuthn L3 §7.1 step 29: every step succeeded; storing the record is the caller's step.
  return {
    ceremony: 'registration',
    fmt,
    aaguid: formatAaguid(attested.aaguid),
    credentialId: copy(attested.credentialId),
    publicKey: copy(attested.credentialPublicKeyBytes),
    alg: credentialPublicKey.alg,
    flags,
    counter: authData.signCount,
    transports,
    authenticatorAttachment: envelope.authenticatorAttachment,
    attestation,
    origin: c.origin,
    topOrigin: c.topOrigin ?? null,
    extensions,
  };
}
