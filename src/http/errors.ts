/**
 * Errors of the HTTP layer itself: what goes wrong before a request reaches a use case (the
 * envelope, not the WebAuthn content). Codes are stable and listed in docs/errors.md; the
 * services' and the core's codes pass through unchanged with their own status.
 */
import { TesseraError } from '../core/errors.js';
import type { PolicyProblemView } from '../services/errors.js';

export const HTTP_ERRORS = {
  invalid_request: { status: 400, message: 'The request does not have the expected members or types.' },
  invalid_json: { status: 400, message: 'The request body is not valid UTF-8 JSON.' },
  unsupported_media_type: { status: 415, message: 'The request body must be application/json.' },
  payload_too_large: { status: 413, message: 'The request body is larger than 64 KiB.' },
  origin_not_allowed: { status: 403, message: 'This request must come from an allowed origin.' },
  not_found: { status: 404, message: 'There is nothing at this address.' },
  rate_limited: {
    status: 429,
    message: 'Too many requests from this address; try again after the number of seconds in Retry-After.',
  },
  internal_error: { status: 500, message: 'Something went wrong on the server; try again later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export class HttpError extends TesseraError {
  declare readonly code: HttpErrorCode;

  constructor(code: HttpErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(code, HTTP_ERRORS[code].message, HTTP_ERRORS[code].status, detail, options);
  }
}

export function isHttpError(value: unknown): value is HttpError {
  return value instanceof HttpError;
}

/** The body of every error answer of the JSON API. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    /** `policy_denied` only: the policy's reasons, each a stable code and a sentence. */
    readonly reasons?: readonly { readonly code: string; readonly message: string }[];
    /** `policy_invalid` only: every problem of the document, with its line and column. */
    readonly problems?: readonly PolicyProblemView[];
  };
}
