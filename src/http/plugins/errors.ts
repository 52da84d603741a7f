/**
 * One error answer for the whole JSON API: `{error: {code, message}}` with a 4xx status and a
 * stable code, or 500 `internal_error` for a real fault, logged with its stack and never described
 * to the client.
 *
 * - a `TesseraError` (core, trust, services, this layer) answers with its own status and code,
 *   plus the policy's `reasons` for `policy_denied` and the document's `problems` for `policy_invalid`;
 * - a schema validation failure is 400 `invalid_request`;
 * - Fastify's body errors: too large 413 `payload_too_large`, wrong content type 415
 *   `unsupported_media_type`, empty or malformed JSON 400 `invalid_json`;
 * - any other Fastify client error keeps its 4xx status under a generic code;
 * - an unknown route is 404 `not_found`.
 *
 * Client errors are logged at `info` with their code and the operator detail; the detail strings
 * of the core and the services name fields, never secrets.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TesseraError } from '../../core/errors.js';
import { PolicyDeniedError, PolicyInvalidError, type PolicyProblemView } from '../../services/errors.js';
import { type ErrorBody, HTTP_ERRORS, type HttpErrorCode } from '../errors.js';

export interface DescribedError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** Operator detail (client errors only). */
  readonly detail: string | undefined;
  /** True for a server fault: logged at `error` with the original error. */
  readonly fault: boolean;
  /** The assurance policy's reasons (`policy_denied`), passed on to the client. */
  readonly reasons?: readonly { readonly code: string; readonly message: string }[];
  /** A policy document's problems (`policy_invalid`), passed on to the client. */
  readonly problems?: readonly PolicyProblemView[];
}

function http(code: HttpErrorCode, detail?: string): DescribedError {
  const { status, message } = HTTP_ERRORS[code];
  return { status, code, message, detail, fault: status >= 500 };
}

const FASTIFY_CODES: Readonly<Record<string, HttpErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_VALIDATION: 'invalid_request',
  FST_ERR_NOT_FOUND: 'not_found',
  // A path that does not decode, or a path parameter longer than any identifier can be.
  FST_ERR_BAD_URL: 'invalid_request',
  FST_ERR_MAX_PARAM_LENGTH: 'not_found',
};

function isFastifyError(value: unknown): value is FastifyError {
  return value instanceof Error && typeof (value as { code?: unknown }).code === 'string';
}

/** What to answer for a thrown value; shared with the conformance API's own envelope. */
export function describeError(error: unknown): DescribedError {
  if (error instanceof TesseraError) {
    if (error.status >= 400 && error.status < 500) {
      return {
        status: error.status,
        code: error.code,
        message: error.message,
        detail: error.detail,
        fault: false,
        ...(error instanceof PolicyDeniedError ? { reasons: error.reasons } : {}),
        ...(error instanceof PolicyInvalidError ? { problems: error.errors } : {}),
      };
    }
    return http('internal_error');
  }
  if (isFastifyError(error)) {
    if (error.validation !== undefined) {
      // e.g. "body/kind must be equal to one of the allowed values": names the member, never a value.
      const described = http('invalid_request', error.message);
      return { ...described, message: `${described.message} (${error.message.slice(0, 200)})` };
    }
    const mapped = FASTIFY_CODES[error.code];
    if (mapped !== undefined) return http(mapped, error.message);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      if (status === 404) return http('not_found');
      if (status === 413) return http('payload_too_large');
      if (status === 415) return http('unsupported_media_type');
      return { ...http('invalid_request', `${error.code}: ${error.message}`), status };
    }
  }
  return http('internal_error');
}

/** Log one described error: client errors as `info` with their code, faults as `error` with the stack. */
export function logError(request: FastifyRequest, error: unknown, described: DescribedError): void {
  if (described.fault) {
    request.log.error({ err: error }, 'request failed');
  } else {
    request.log.info(
      {
        code: described.code,
        status: described.status,
        ...(described.detail ? { detail: described.detail } : {}),
      },
      'request refused',
    );
  }
}

function send(reply: FastifyReply, described: DescribedError): FastifyReply {
  const body: ErrorBody = {
    error: {
      code: described.code,
      message: described.message,
      ...(described.reasons === undefined ? {} : { reasons: described.reasons }),
      ...(described.problems === undefined ? {} : { problems: described.problems }),
    },
  };
  return reply.code(described.status).header('cache-control', 'no-store').type('application/json').send(body);
}

/** Answer a thrown value with the API's error envelope. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const described = describeError(error);
  logError(request, error, described);
  return send(reply, described);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_request, reply) => send(reply, http('not_found')));
}
