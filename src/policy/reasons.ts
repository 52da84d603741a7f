/**
 * Policy decision reasons: one table of stable codes, each with what it means. A decision's
 * reasons carry a code from this table and a sentence built for the case at hand ("denied:
 * segment admins requires AAL3; this credential is a synced passkey"); the sentence may change
 * wording between releases, the code never changes meaning (docs/policy.md lists them).
 */

export const POLICY_REASONS = {
  // Outcomes.
  requirements_met: 'Meets every requirement of its segment.',
  monitor_would_deny:
    'Would be denied, but the segment is in its monitor phase: the decision is only logged and the person is told nothing.',
  // Requirements (the checks, in the order they run).
  model_refused:
    "Authenticator metadata reports the credential's model revoked or compromised and configuration refuses it; no rollout phase softens this.",
  aal_below_minimum:
    "The credential, sign-in or session does not reach the segment's minimum assurance level (NIST SP 800-63B-4).",
  class_not_allowed:
    "The credential's class (synced passkey, device-bound passkey, security key, unattested device-bound credential) is not allowed in the segment.",
  attestation_required:
    "The segment requires attestation that reaches a root trusted for the model, and the credential's does not.",
  authenticator_denied: "The authenticator model (by AAGUID or by name) is on the segment's deny list.",
  authenticator_not_allowed:
    'The segment allows only listed authenticator models, and this one is not listed.',
  user_verification_missing:
    'The segment requires user verification (PIN or biometric), and the authenticator cannot or the sign-in did not.',
  backup_missing:
    "The person has fewer enrolled credentials meeting the segment's requirements than it asks for (a backup); this warns and never blocks.",
  session_lifetime_exceeded: "The session is older than the segment's maximum session lifetime.",
  session_idle_exceeded: 'The session has been idle longer than the segment allows.',
  recovery_codes_not_allowed: 'The segment does not allow recovery codes.',
  acr_unsupported: 'None of the acr values the application requested is one Tessera knows.',
  acr_not_satisfied:
    'The session does not reach the level of any acr value the application requested: the person must step up.',
} as const satisfies Record<string, string>;

export type PolicyReasonCode = keyof typeof POLICY_REASONS;

/** The codes checks produce (everything but the two outcome codes). */
export type PolicyCheckCode = Exclude<PolicyReasonCode, 'requirements_met' | 'monitor_would_deny'>;

export type Severity = 'info' | 'warn' | 'deny';

export interface PolicyReason {
  readonly code: PolicyReasonCode;
  /** A sentence a person understands, specific to this decision. */
  readonly message: string;
  readonly severity: Severity;
}
