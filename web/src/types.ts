/**
 * The server's views as the portal receives them (docs/http-api.md; the server's own definitions
 * are in src/services/contract.ts). The portal only reads them.
 */

export type AssuranceLevel = 'AAL1' | 'AAL2' | 'AAL3';

export type CredentialClass =
  | 'synced-passkey'
  | 'device-bound-passkey'
  | 'security-key'
  | 'device-bound-unverified';

/** Which kind of authenticator a person enrols. */
export type EnrolmentKind = 'passkey' | 'security-key';

export interface PersonView {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
}

export interface SessionView {
  readonly person: PersonView;
  readonly aal: AssuranceLevel;
  readonly amr: readonly string[];
  readonly authTime: string;
  readonly expiresAt: string;
  readonly idleExpiresAt: string;
  readonly credentialId: string;
}

export interface Reason {
  readonly code: string;
  readonly message: string;
}

export interface CredentialView {
  readonly id: string;
  readonly name: string;
  readonly model: string | null;
  readonly icon: string | null;
  readonly class: CredentialClass;
  readonly aal: AssuranceLevel | null;
  readonly reasons: readonly Reason[];
  readonly fmt: string;
  readonly aaguid: string;
  readonly transports: readonly string[];
  readonly backupEligible: boolean;
  readonly backupState: boolean;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export interface SignInView {
  readonly at: string;
  /** failed: the passkey's response did not verify; refused: a rule turned it down (see signals). */
  readonly outcome: 'success' | 'refused' | 'failed';
  readonly credentialId: string;
  readonly credentialName: string | null;
  readonly aal: AssuranceLevel | null;
  readonly userVerified: boolean;
  readonly signals: readonly string[];
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export interface OnboardingPassView {
  readonly username: string;
  readonly displayName: string;
  readonly expiresAt: string;
}

/** A reason the assurance policy gives: a stable code and a sentence. */
export interface PolicyNotice {
  readonly code: string;
  readonly message: string;
}

/** GET /api/policy/status: what the organisation's policy says about the signed-in person. */
export interface PolicyStatusView {
  readonly segment: string;
  readonly phase: 'monitor' | 'warn' | 'enforce';
  readonly decisions: readonly {
    readonly point: string;
    readonly effect: 'allow' | 'warn' | 'deny';
    readonly reasons: readonly PolicyNotice[];
    readonly deadline: string | null;
  }[];
}
