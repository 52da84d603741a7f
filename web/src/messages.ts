/**
 * What to tell a person when something fails: the browser's WebAuthn errors (a `DOMException`
 * whose `name` says what happened) and the server's error codes (docs/errors.md).
 */
import { ApiError } from './api';
import type { AssuranceLevel, CredentialClass } from './types';
import { WebAuthnUnavailableError } from './webauthn';

export type Ceremony = 'register' | 'sign-in';

/** True for a request the page itself aborted (a newer request replaced it): nothing to say. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** The browser's "cancelled or timed out" (it deliberately does not say which). */
export function isNotAllowed(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'NotAllowedError';
}

const API_MESSAGES: Readonly<Record<string, string>> = {
  authentication_failed:
    'That passkey or security key is not registered for an account here, or the sign-in could not be verified. Try another one.',
  reauthentication_required:
    'For your security, adding a passkey or security key needs a recent sign-in. Sign in again, then add it.',
  unauthenticated: 'You are signed out. Sign in to continue.',
  rate_limited: 'Too many sign-in attempts from your network just now. Wait a minute, then try again.',
  challenge_missing: 'That request is no longer in progress. Please try again.',
  challenge_expired: 'That took too long, so it was stopped. Please try again.',
  pass_invalid:
    'This onboarding link is invalid, has already been used, or has expired. Ask your administrator for a new one.',
  credential_already_registered:
    'That authenticator is already registered. Use a different passkey or security key.',
  credential_refused:
    'Your organization does not accept this authenticator model. Use a different passkey or security key.',
  last_credential:
    'This is your only passkey or security key, so it cannot be removed: you would be locked out. Add another one first.',
  origin_not_allowed:
    'This page was opened from an address Tessera does not accept. Open Tessera from its usual address.',
};

export function describeApiError(error: ApiError): string {
  return API_MESSAGES[error.code] ?? error.message;
}

function describeDomException(error: DOMException, ceremony: Ceremony): string {
  switch (error.name) {
    case 'NotAllowedError':
      return ceremony === 'register'
        ? 'The request was cancelled or timed out, so nothing was saved. Try again when you are ready.'
        : 'The sign-in was cancelled or timed out, or no passkey for this site was found. Try again, or use another passkey or security key.';
    case 'InvalidStateError':
      return 'This authenticator is already registered for your account. Use a different passkey provider or security key.';
    case 'SecurityError':
      return 'Your browser refused the request because this page’s address does not match the site the passkey is for. Open Tessera from its usual address and try again.';
    case 'NotSupportedError':
      return 'Your browser or authenticator does not support the kind of credential Tessera asked for. Try another one.';
    case 'ConstraintError':
      return 'The authenticator could not meet the requirements, such as checking it is you with a PIN or biometrics. Try another one.';
    case 'AbortError':
      return 'The request was stopped.';
    default:
      return `Your browser reported a problem (${error.name}). Try again, or use another passkey or security key.`;
  }
}

/** One sentence for any failure of a ceremony or an API call. */
export function describeError(error: unknown, ceremony: Ceremony): string {
  if (error instanceof ApiError) return describeApiError(error);
  if (error instanceof WebAuthnUnavailableError)
    return 'This browser cannot use passkeys. Use a current version of Chrome, Edge, Firefox or Safari.';
  if (error instanceof DOMException) return describeDomException(error, ceremony);
  return 'Something unexpected went wrong. Try again.';
}

export const CLASS_NAMES: Readonly<Record<CredentialClass, string>> = {
  'synced-passkey': 'Synced passkey',
  'device-bound-passkey': 'Device-bound passkey',
  'security-key': 'Security key',
  'device-bound-unverified': 'Device-bound (unverified)',
};

export const CLASS_DESCRIPTIONS: Readonly<Record<CredentialClass, string>> = {
  'synced-passkey': 'Copied between your devices by your passkey provider.',
  'device-bound-passkey': 'Kept in this device’s hardware; it never leaves it.',
  'security-key': 'A hardware key; the secret never leaves it.',
  'device-bound-unverified': 'Stays on one authenticator, but its hardware could not be verified.',
};

/** NIST SP 800-63B-4 names each level by the confidence it gives. */
export const AAL_DESCRIPTIONS: Readonly<Record<AssuranceLevel, string>> = {
  AAL1: 'some confidence',
  AAL2: 'high confidence',
  AAL3: 'very high confidence',
};

/**
 * What each signal on a sign-in means to the person. Failed and throttled attempts are listed so
 * that someone trying to sign in as them shows (SP 800-63B-4 §3.2.2 counts the failures).
 */
export const SIGNAL_MESSAGES: Readonly<Record<string, string>> = {
  counter_regression: 'Its signature counter went backwards: the authenticator may have been copied.',
  policy_denied: 'Refused by your organisation’s security requirements for your role.',
  credential_refused: 'Refused: this authenticator’s model has been reported revoked or compromised.',
  verification_failed: 'Failed: the passkey’s response did not verify.',
  too_many_failures:
    'Refused without being checked: too many failed attempts on your account. Sign-ins from places you have used before still work.',
};
