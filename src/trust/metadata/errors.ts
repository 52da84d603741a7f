/**
 * Typed errors and warnings for authenticator metadata (FIDO MDS3 BLOBs, metadata statements).
 *
 * Every refusal is a `MetadataError` whose `code` comes from `METADATA_ERRORS`; a condition that
 * does not refuse anything (a BLOB past its `nextUpdate`, an entry that was skipped) is a
 * `MetadataWarning` with a code from `METADATA_WARNINGS`. Codes are stable: never rename or reuse
 * one. The message is safe to show; `detail` is for the operator and may quote the offending value.
 */
import { TesseraError } from '../../core/errors.js';

/** code → message. */
export const METADATA_ERRORS = {
  metadata_malformed: 'The metadata BLOB is malformed.',
  metadata_too_large: 'The metadata BLOB is larger than allowed.',
  metadata_algorithm_unsupported: 'The metadata BLOB is signed with an unsupported algorithm.',
  metadata_chain_invalid: 'The metadata BLOB signing certificate chain does not reach a trusted root.',
  metadata_signature_invalid: 'The metadata BLOB signature is invalid.',
  metadata_rollback: 'The metadata BLOB is older than the one already held.',
  statement_invalid: 'The metadata statement is invalid.',
} as const satisfies Record<string, string>;

export type MetadataErrorCode = keyof typeof METADATA_ERRORS;

/** Warnings: reported alongside a result, never a refusal. */
export const METADATA_WARNINGS = {
  metadata_stale: 'The metadata BLOB is past its nextUpdate date; a newer one should be imported.',
  metadata_entry_skipped: 'A metadata BLOB entry is invalid and was skipped.',
  metadata_entry_duplicate: 'A metadata entry repeats an identifier already listed; the first one is used.',
  statement_shadowed:
    'A metadata statement describes an authenticator the BLOB already lists; it is ignored.',
  statement_value_ignored:
    'A metadata statement carries a value Tessera does not know; the value is ignored.',
} as const satisfies Record<string, string>;

export type MetadataWarningCode = keyof typeof METADATA_WARNINGS;

export interface MetadataWarning {
  readonly code: MetadataWarningCode;
  readonly message: string;
  readonly detail: string;
}

export function metadataWarning(code: MetadataWarningCode, detail: string): MetadataWarning {
  return { code, message: METADATA_WARNINGS[code], detail };
}

/** HTTP status an outer layer should answer with when an operator's upload is refused. */
const STATUS: Readonly<Record<MetadataErrorCode, number>> = {
  metadata_malformed: 422,
  metadata_too_large: 413,
  metadata_algorithm_unsupported: 422,
  metadata_chain_invalid: 422,
  metadata_signature_invalid: 422,
  metadata_rollback: 409,
  statement_invalid: 422,
};

export class MetadataError extends TesseraError {
  declare readonly code: MetadataErrorCode;

  constructor(code: MetadataErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(code, METADATA_ERRORS[code], STATUS[code], detail, options);
  }
}

export function isMetadataError(value: unknown): value is MetadataError {
  return value instanceof MetadataError;
}

/** Throw a typed metadata error (reads as one line: `x || metadataFail(...)`). */
export function metadataFail(code: MetadataErrorCode, detail?: string): never {
  throw new MetadataError(code, detail);
}
