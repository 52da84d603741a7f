/**
 * Authentication ceremony verification: WebAuthn L3 §7.2, every relying-party step in order.
 *
 * This is the hot path of the server. It decodes each field once, hashes clientDataJSON once,
 * builds the signed message with one allocation, and imports the stored COSE key once.
 * Pure and synchronous: the caller supplies the stored credential and applies the updates
 * (§7.2 step 24) from the evidence returned.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { MAX_AUTH_DATA_LENGTH, parseAuthenticatorData } from './authenticator-data.js';
import { fromBase64url } from './base64url.js';
import {
  checkClientData,
  decodeClientDataJSON,
  parseClientData,
  readClientExtensionResults,
  readCredentialEnvelope,
} from './client-data.js';
import { decodeCredentialPublicKey } from './cose/index.js';
import { fail } from './errors.js';
import type { AuthenticationEvidence, AuthenticationExpectations, CounterOutcome } from './types.js';

/** §5.4.3: a user handle is at most 64 bytes. */
export const MAX_USER_HANDLE_LENGTH = 64;
/** The largest signatures in use (ML-DSA-87: 4627 bytes) fit with room to spare. */
export const MAX_SIGNATURE_BYTES = 16 * 1024;

/**
 * SHA-256 of recent RP IDs. A server has one RP ID (a few with related origins), so the cache
 * stays tiny; it is cleared rather than grown if a caller ever passes many distinct values.
 */
const rpIdHashes = new Map<string, Buffer>();
function rpIdHash(rpId: string): Buffer {
  let hash = rpIdHashes.get(rpId);
  if (hash === undefined) {
    if (rpIdHashes.size >= 32) rpIdHashes.clear();
    hash = createHash('sha256').update(rpId).digest();
    rpIdHashes.set(rpId, hash);
  }
  return hash;
}

function includesBytes(list: readonly Uint8Array[], bytes: Uint8Array): boolean {
  for (const item of list) if (Buffer.compare(item, bytes) === 0) return true;
  return false;
}

/** §7.2 step 22 (§6.1.1): how the signature counter moved. */
export function counterOutcome(stored: number, received: number): CounterOutcome {
  if (stored === 0 && received === 0) return 'not_supported';
  return received > stored ? 'increased' : 'regressed';
}

/**
 * Verify an AuthenticationResponseJSON (`PublicKeyCredential.toJSON()` after get()) for a
 * stored credential. Throws a `WebAuthnError` at the first failing step.
 */
export function verifyAuthenticationResponse(
  response: unknown,
  expected: AuthenticationExpectations,
): AuthenticationEvidence {
  // WebAuthn L3 §7.2 steps 1-2 happen in the browser; the server starts from the credential JSON.

  // WebAuthn L3 §7.2 step 3: the response must be an AuthenticatorAssertionResponse.
  const envelope = readCredentialEnvelope(response);
  const { rawId } = envelope;
  const res = envelope.response;
  const clientDataJSON = decodeClientDataJSON(res.clientDataJSON);
  const authDataBytes = fromBase64url(res.authenticatorData, 'authenticatorData', MAX_AUTH_DATA_LENGTH);
  const signature = fromBase64url(res.signature, 'signature', MAX_SIGNATURE_BYTES);
  if (signature.length === 0) fail('signature_invalid', 'the signature is empty');
  // userHandle: absent, null (toJSON of a null handle in some clients) and empty all mean "none".
  // §5.4.3 forbids an empty user handle, so an empty one cannot name an account.
  let userHandle: Buffer | null = null;
  if (res.userHandle !== undefined && res.userHandle !== null) {
    const decoded = fromBase64url(res.userHandle, 'userHandle', 1024);
    if (decoded.length > MAX_USER_HANDLE_LENGTH) {
      fail('user_handle_mismatch', `userHandle is ${decoded.length} bytes, more than 64`);
    }
    if (decoded.length > 0) userHandle = decoded;
  }

  // WebAuthn L3 §7.2 step 4: the client extension results.
  const clientExtensions = readClientExtensionResults(envelope.clientExtensionResults);

  // WebAuthn L3 §7.2 step 5: when allowCredentials is non-empty, the credential is one of them.
  const allow = expected.allowCredentials;
  if (allow !== undefined && allow.length > 0 && !includesBytes(allow, rawId)) {
    fail('credential_not_allowed', 'the credential is not in allowCredentials');
  }

  // WebAuthn L3 §7.2 step 6: the credential record belongs to the user being authenticated.
  const { credential } = expected;
  if (Buffer.compare(rawId, credential.id) !== 0) {
    fail('credential_id_mismatch', 'rawId is not the stored credential ID');
  }
  if (userHandle === null) {
    // Discoverable flow: the user handle is how the account was found; it must be there.
    if (expected.requireUserHandle === true) fail('user_handle_mismatch', 'userHandle is missing');
  } else if (expected.userHandle !== undefined && Buffer.compare(userHandle, expected.userHandle) !== 0) {
    fail('user_handle_mismatch', "userHandle is not the account's user handle");
  }

  // WebAuthn L3 §7.2 step 7: cData, authData and sig are the three fields decoded above.

  // WebAuthn L3 §7.2 step 8: UTF-8 decode cData, stripping a leading BOM.
  // WebAuthn L3 §7.2 step 9: parse it as JSON.
  const c = parseClientData(clientDataJSON);

  // WebAuthn L3 §7.2 step 10: C.type is "webauthn.get".
  // WebAuthn L3 §7.2 step 11: C.challenge is the base64url of the issued challenge.
  // WebAuthn L3 §7.2 step 12: C.origin is an expected origin.
  // WebAuthn L3 §7.2 step 13: crossOrigin true only when the RP expects a cross-origin iframe.
  // WebAuthn L3 §7.2 step 14: topOrigin present only when expected, and then one of topOrigins.
  checkClientData(c, expected, 'webauthn.get');

  const authData = parseAuthenticatorData(authDataBytes);
  const { flags } = authData;
  // §6.1: AT must not be set in authenticator data produced for an assertion.
  if (flags.at) fail('authenticator_data_invalid', 'the AT flag is set in an assertion');

  // WebAuthn L3 §7.2 step 15: rpIdHash is SHA-256 of the expected RP ID (appid is not supported).
  if (Buffer.compare(authData.rpIdHash, rpIdHash(expected.rpId)) !== 0) {
    fail('rp_id_mismatch', 'rpIdHash is not SHA-256 of the expected RP ID');
  }

  // WebAuthn L3 §7.2 step 16: UP is set.
  if (!flags.up) fail('user_presence_required', 'the UP flag is not set');

  // WebAuthn L3 §7.2 step 17: UV is set when user verification is required; otherwise ignored.
  if (expected.requireUserVerification && !flags.uv) {
    fail('user_verification_required', 'the UV flag is not set');
  }

  // WebAuthn L3 §7.2 step 18: BE = 0 implies BS = 0.
  if (!flags.be && flags.bs) fail('backup_state_invalid', 'BS is set while BE is not');

  // WebAuthn L3 §7.2 step 19: BE never changes (§6.1.3); BS is returned for policy.
  if (credential.backupEligible !== undefined && flags.be !== credential.backupEligible) {
    fail(
      'backup_eligibility_changed',
      `BE is ${flags.be}, it was ${credential.backupEligible} at registration`,
    );
  }

  // WebAuthn L3 §7.2 step 20: hash = SHA-256(cData).
  // WebAuthn L3 §7.2 step 21: sig verifies over authData || hash with the stored public key.
  const key = decodeCredentialPublicKey(credential.publicKey);
  const signed = Buffer.allocUnsafe(authDataBytes.length + 32);
  authDataBytes.copy(signed, 0);
  createHash('sha256').update(clientDataJSON).digest().copy(signed, authDataBytes.length);
  if (!key.verify(signed, signature)) fail('signature_invalid', 'the assertion signature does not verify');

  // WebAuthn L3 §7.2 step 22: the signature counter. A regression is a signal, not proof
  // (§6.1.1): it is reported, and refused only when the relying party asks for that.
  const outcome = counterOutcome(credential.counter, authData.signCount);
  if (outcome === 'regressed' && expected.onCounterRegression === 'reject') {
    fail('counter_regression', `counter ${authData.signCount} is not above the stored ${credential.counter}`);
  }

  // WebAuthn L3 §7.2 step 23: extension outputs, kept as evidence; unsolicited ones are ignored.
  // credProps is a registration extension, so it is not reported here.
  const extensions = {
    credProps: null,
    client: clientExtensions.client,
    authenticator: authData.extensions ?? null,
  };

  // WebAuthn L3 §7.2 step 24: the caller updates signCount, backupState and uvInitialized from
  // this evidence, after any further checks of its own pass.
  // WebAuthn L3 §7.2 step 25: every step above succeeded.
  return {
    ceremony: 'authentication',
    credentialId: rawId,
    alg: key.alg,
    flags,
    counter: authData.signCount,
    counterOutcome: outcome,
    userHandle,
    origin: c.origin,
    topOrigin: c.topOrigin ?? null,
    authenticatorAttachment: envelope.authenticatorAttachment,
    extensions,
  };
}
