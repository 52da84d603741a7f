/**
 * Typed errors of the use cases, with the HTTP status an outer layer answers with. Codes are
 * stable; docs/errors.md lists them. Where a difference would tell an attacker whether an account
 * or credential exists, the same code and message are used for both cases (`authentication_failed`).
 */
import { TesseraError } from '../core/errors.js';
import { formatPolicyError, type PolicyError } from '../policy/index.js';

export const SERVICE_ERRORS = {
  unauthenticated: { status: 401, message: 'Sign in first.' },
  reauthentication_required: { status: 401, message: 'Sign in again to continue.' },
  authentication_failed: { status: 400, message: 'The sign-in could not be verified.' },
  challenge_missing: { status: 400, message: 'There is no ceremony in progress; ask for new options.' },
  challenge_expired: { status: 400, message: 'The ceremony took too long; ask for new options.' },
  pass_invalid: { status: 400, message: 'This onboarding link is invalid, used or expired.' },
  username_invalid: { status: 400, message: 'The username is not valid.' },
  username_taken: { status: 409, message: 'That username is already in use.' },
  credential_not_found: { status: 404, message: 'No such credential.' },
  credential_already_registered: { status: 409, message: 'This credential is already registered.' },
  last_credential: { status: 409, message: 'This is your only credential; add another before removing it.' },
  credential_refused: { status: 403, message: 'This authenticator model is not accepted.' },
  name_invalid: { status: 400, message: 'The name must be 1 to 64 printable characters.' },
  kind_invalid: { status: 400, message: 'The kind must be "passkey" or "security-key".' },
  pass_lifetime_invalid: { status: 400, message: 'An onboarding pass must last from 1 minute to 7 days.' },
  person_not_found: { status: 404, message: 'No person has that username.' },
  policy_denied: { status: 403, message: 'The assurance policy does not allow this.' },
  policy_invalid: { status: 400, message: 'The policy document is not valid.' },
  group_invalid: {
    status: 400,
    message: 'A group name must be 1 to 128 characters: letters, digits, ".", "_", "-", "@" or ":".',
  },
  group_not_found: { status: 404, message: 'No such group.' },
  event_filter_invalid: {
    status: 400,
    message: 'The event filter is not valid (point, effect, segment, time or limit).',
  },
  simulation_invalid: {
    status: 400,
    message: 'The simulation options are not valid (the time, or which people to list).',
  },
  // PRODUCT.md: "Admin actions themselves require an AAL3 session". The two refusals tell a
  // signed-in person only what they can act on: not an administrator at all, or an administrator
  // who must sign in again with a security key. Neither says anything about the request itself.
  admin_required: { status: 403, message: 'Only administrators can do this.' },
  admin_aal3_required: {
    status: 403,
    message: 'Administration needs a session at AAL3: sign in again with your security key, then try again.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ServiceErrorCode = keyof typeof SERVICE_ERRORS;

export class ServiceError extends TesseraError {
  declare readonly code: ServiceErrorCode;

  constructor(code: ServiceErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(code, SERVICE_ERRORS[code].message, SERVICE_ERRORS[code].status, detail, options);
  }
}

/** A reason the assurance policy gives for a decision (docs/policy.md, "Reason codes"). */
export interface PolicyReasonView {
  readonly code: string;
  readonly message: string;
}

/** `policy_denied` with the policy's reasons, which the HTTP layer passes on to the client. */
export class PolicyDeniedError extends ServiceError {
  readonly reasons: readonly PolicyReasonView[];

  constructor(reasons: readonly PolicyReasonView[], detail?: string) {
    super('policy_denied', detail ?? reasons.map((r) => r.code).join(', '));
    this.reasons = reasons;
  }
}

/** A problem of a policy document as a client sees it (the file name is the caller's own). */
export interface PolicyProblemView {
  readonly code: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units. */
  readonly column: number;
  /** The field, e.g. `segments[0].requirements.minAal`; `(document)` for the whole document. */
  readonly path: string;
  readonly message: string;
}

/**
 * `policy_invalid` with every problem: `problems` as `FILE:LINE:COL: path: message` lines (the
 * CLI prints them), `errors` as fields (the HTTP layer passes them on to the client).
 */
export class PolicyInvalidError extends ServiceError {
  readonly problems: readonly string[];
  readonly errors: readonly PolicyProblemView[];

  constructor(errors: readonly PolicyError[]) {
    const problems = errors.map(formatPolicyError);
    super('policy_invalid', problems.slice(0, 5).join('; '));
    this.problems = problems;
    this.errors = errors.map((e) => ({
      code: e.code,
      line: e.line,
      column: e.column,
      path: e.path,
      message: e.message,
    }));
  }
}

export function isServiceError(value: unknown): value is ServiceError {
  return value instanceof ServiceError;
}
