/**
 * Why a policy document is refused: stable codes, each with a sentence. A `PolicyError` names the
 * file, line, column and field (`segments[1].requirements.minAal`) of each problem; its `message`
 * says what is wrong with that field in particular. Codes never change meaning (docs/policy.md).
 */

export const POLICY_DOCUMENT_ERRORS = {
  policy_too_large: 'The document is larger than 1 MiB.',
  policy_too_deep: 'The document nests collections too deeply.',
  policy_syntax: 'The document is not well-formed YAML or JSON.',
  policy_unsupported_yaml: 'The document uses a YAML feature a policy may not use (aliases, custom tags).',
  policy_type: 'A value has the wrong type.',
  policy_required: 'A required field is missing.',
  policy_unknown_field: 'A field the schema does not define.',
  policy_value: 'A value is not one of those allowed, or out of its range, length or format.',
  policy_duplicate: 'A value that must be unique appears twice.',
  policy_conflict: 'Two fields contradict each other or a limit of NIST SP 800-63B-4.',
  policy_schedule: 'A rollout schedule is out of order or has an invalid date.',
  policy_unreachable_segment: 'A segment can never apply: earlier segments take all of its groups.',
} as const satisfies Record<string, string>;

export type PolicyDocumentErrorCode = keyof typeof POLICY_DOCUMENT_ERRORS;

export interface PolicyError {
  readonly code: PolicyDocumentErrorCode;
  /** The file name given to `parsePolicy`. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units. */
  readonly column: number;
  /** The field, e.g. `segments[0].requirements.minAal`; `(document)` for the whole document. */
  readonly path: string;
  readonly message: string;
}

/** `FILE:LINE:COL: path: message`, the form editors and CI annotations understand. */
export function formatPolicyError(error: PolicyError): string {
  return `${error.file}:${error.line}:${error.column}: ${error.path}: ${error.message}`;
}
