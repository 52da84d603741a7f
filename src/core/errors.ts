/**
 * Typed errors for the WebAuthn core.
 *
 * Every rejection the core produces is a `WebAuthnError` whose `code` comes from the table below.
 * The `message` is safe to show a client; `detail` is for the operator's log only and may name
 * the exact field or value that failed. Codes are stable: never rename or reuse one.
 */

/** The base class every Tessera layer extends: a stable code, a client-safe message, a log detail. */
export class TesseraError extends Error {
  readonly code: string;
  /** HTTP status an outer layer should answer with; core errors are client errors (4xx). */
  readonly status: number;
  /** Operator-facing detail. Never sent to a client. */
  readonly detail: string | undefined;

  constructor(code: string, message: string, status: number, detail?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.detail = detail;
  }
}

/** code → client-safe message. One table for the whole core (docs/errors.md lists the same codes). */
export const CORE_ERRORS = {
  malformed_input: 'The response is malformed.',
  cbor_invalid: 'The response contains invalid or non-canonical CBOR.',
  client_data_invalid: 'The client data is invalid.',
  authenticator_data_invalid: 'The authenticator data is invalid.',
  ceremony_type_mismatch: 'The response belongs to a different ceremony.',
  challenge_mismatch: 'The response does not answer the challenge that was issued.',
  origin_mismatch: 'The response comes from an origin that is not allowed.',
  cross_origin_not_allowed: 'The response was made inside a cross-origin frame, which is not allowed.',
  top_origin_mismatch: 'The response was made inside a frame of a page that is not allowed.',
  rp_id_mismatch: 'The credential was made for a different relying party.',
  user_presence_required: 'The authenticator did not confirm user presence.',
  user_verification_required: 'The authenticator did not verify the user.',
  backup_state_invalid: 'The authenticator reported an impossible backup state.',
  backup_eligibility_changed: 'The backup eligibility of this credential changed, which is not allowed.',
  credential_id_too_long: 'The credential ID is longer than 1023 bytes.',
  credential_id_mismatch: 'The credential ID does not match the authenticator data.',
  credential_not_allowed: 'This credential was not one of the credentials allowed for this sign-in.',
  user_handle_mismatch: 'The user handle does not belong to this credential.',
  algorithm_not_allowed: 'The credential uses an algorithm the relying party did not offer.',
  unsupported_algorithm: 'The credential uses an unsupported algorithm.',
  public_key_invalid: 'The credential public key is invalid.',
  signature_invalid: 'The signature is invalid.',
  counter_regression: 'The signature counter did not increase; the authenticator may be cloned.',
  unsupported_attestation_format: 'The attestation format is not supported.',
  attestation_invalid: 'The attestation statement is invalid.',
  attestation_untrusted: 'The attestation does not chain to a trusted root.',
  certificate_invalid: 'A certificate in the attestation chain is invalid.',
  extension_invalid: 'An extension output is invalid.',
  options_invalid: 'The ceremony options are invalid.',
} as const satisfies Record<string, string>;

export type CoreErrorCode = keyof typeof CORE_ERRORS;

export class WebAuthnError extends TesseraError {
  declare readonly code: CoreErrorCode;

  constructor(code: CoreErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(code, CORE_ERRORS[code], 400, detail, options);
  }
}

/** Narrowing helper for callers that `switch (err.code)`. */
export function isWebAuthnError(value: unknown): value is WebAuthnError {
  return value instanceof WebAuthnError;
}

/** Throw a typed error. Written as a function so checks read as one line: `x || fail(...)`. */
export function fail(code: CoreErrorCode, detail?: string): never {
  throw new WebAuthnError(code, detail);
}
