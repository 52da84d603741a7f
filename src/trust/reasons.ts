/**
 * Assurance reasons: every class and level Tessera assigns is explained by stable codes with a
 * sentence a person can read. Codes never change meaning; docs/errors.md lists them.
 */

export const ASSURANCE_REASONS = {
  // What raises assurance.
  phishing_resistant:
    'WebAuthn binds every signature to this site, so the credential resists phishing (SP 800-63B-4 §3.2.5).',
  user_verified: 'The authenticator verified the user (PIN or biometric), so this is multi-factor.',
  user_verification_capable:
    'The authenticator can verify the user (PIN or biometric), so its sign-ins can be multi-factor.',
  device_bound: 'The key is not backup eligible, so it cannot leave the authenticator.',
  hardware_key_protection: 'Trusted attestation shows the private key is held in hardware.',
  attestation_trusted:
    'The attestation chain reaches a root that metadata or the vendor publishes for this authenticator.',
  // What limits it.
  exportable_key: 'This passkey is synced (backup eligible), so it cannot reach AAL3.',
  no_user_verification: 'The authenticator did not verify the user, so this is a single factor (AAL1).',
  user_verification_unsupported:
    'This authenticator cannot verify the user, so sign-ins with it are single-factor (AAL1).',
  attestation_none: 'The authenticator gave no attestation, so nothing proves where the key is kept.',
  attestation_self: 'The authenticator signed its own attestation, which proves nothing about its hardware.',
  attestation_chain_untrusted: 'The attestation chain does not reach a root trusted for this authenticator.',
  attestation_unverifiable:
    'No metadata or vendor root describes this authenticator, so its attestation cannot be checked.',
  software_key_protection: 'Metadata says this authenticator keeps keys in software, not in hardware.',
  attachment_unknown: 'Nothing trusted says whether this authenticator is built in or a separate device.',
  // Metadata status reports (FIDO Metadata Service v3.0 §3.1.4 AuthenticatorStatus).
  status_revoked: 'The FIDO Alliance revoked this authenticator model.',
  status_attestation_key_compromise:
    'The attestation key of this authenticator model is reported compromised.',
  status_user_verification_bypass:
    'This authenticator model is reported to let user verification be bypassed.',
  status_user_key_remote_compromise: 'Keys on this authenticator model are reported extractable remotely.',
  status_user_key_physical_compromise:
    'Keys on this authenticator model are reported extractable with physical access.',
  refused_by_status: 'Configuration refuses credentials of a model with this status report.',
} as const satisfies Record<string, string>;

export type AssuranceReasonCode = keyof typeof ASSURANCE_REASONS;

export interface AssuranceReason {
  readonly code: AssuranceReasonCode;
  readonly message: string;
}

export function because(code: AssuranceReasonCode): AssuranceReason {
  return { code, message: ASSURANCE_REASONS[code] };
}
