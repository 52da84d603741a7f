/**
 * The use cases the HTTP layer, the CLI and the conformance API call: their inputs, outputs and
 * error codes. Each operation is one transaction (a challenge is consumed on its own, first, so a
 * failed verification still burns it). Identifiers that reach a client are opaque strings; the
 * session id, flow id and onboarding pass are secrets and are stored only as SHA-256 hashes.
 */
import type {
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '../core/index.js';
import type { Population, SimulationReport } from '../policy/index.js';
import type { AssuranceLevel, CredentialClass } from '../trust/assessment.js';

/** What every call knows about the request, passed in by the caller (HTTP or CLI). */
export interface CallContext {
  /** The clock. */
  readonly now: Date;
  /**
   * The browser's pre-authentication flow id (a random secret in a cookie). Challenges are bound
   * to it, so a response is only accepted from the browser that asked for the options.
   */
  readonly flowId: string;
  /** The session cookie's value, when present. */
  readonly sessionId: string | null;
  /** For the sign-in history; never logged with secrets. */
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** Which kind of authenticator the person wants to enrol (sets selection criteria and hints). */
export type EnrolmentKind = 'passkey' | 'security-key';

export interface PersonView {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
}

export interface SessionView {
  readonly person: PersonView;
  readonly aal: AssuranceLevel;
  /** RFC 8176 values, e.g. ["hwk", "user", "mfa"] or ["swk", "user", "mfa"]. */
  readonly amr: readonly string[];
  readonly authTime: string;
  /** When the session ends whatever happens (AAL2 24 h, AAL3 12 h). */
  readonly expiresAt: string;
  /** When it ends without activity (AAL2 1 h, AAL3 15 min). */
  readonly idleExpiresAt: string;
  readonly credentialId: string;
}

/** A new session: the secret goes into the cookie and nowhere else. */
export interface IssuedSession {
  readonly sessionId: string;
  readonly session: SessionView;
}

export interface CredentialView {
  /** base64url credential ID. */
  readonly id: string;
  readonly name: string;
  readonly model: string | null;
  readonly icon: string | null;
  readonly class: CredentialClass;
  /** Highest level a sign-in with it can reach; null when metadata refuses it. */
  readonly aal: AssuranceLevel | null;
  readonly reasons: readonly { readonly code: string; readonly message: string }[];
  readonly fmt: string;
  readonly aaguid: string;
  readonly transports: readonly AuthenticatorTransport[];
  readonly backupEligible: boolean;
  readonly backupState: boolean;
  readonly attestation: { readonly trust: string; readonly status: string | null };
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export interface SignInView {
  readonly at: string;
  /**
   * success: signed in. failed: the assertion did not verify (signal `verification_failed`).
   * refused: turned down by a rule, with the signal that says which (`policy_denied`,
   * `credential_refused`, `counter_regression`, or `too_many_failures`: not verified at all).
   */
  readonly outcome: 'success' | 'refused' | 'failed';
  readonly credentialId: string;
  readonly credentialName: string | null;
  /** The sign-in's level; null for a failed or refused one. */
  readonly aal: AssuranceLevel | null;
  /** The assertion's UV flag; false when nothing was verified. */
  readonly userVerified: boolean;
  /**
   * What was noticed (services/sign-in.ts, SIGNALS): `counter_regression` when the counter did
   * not increase (recorded, per configuration), the reason of a refusal, `verification_failed`.
   */
  readonly signals: readonly string[];
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export interface OnboardingPassView {
  readonly username: string;
  readonly displayName: string;
  readonly expiresAt: string;
}

/** A reason the assurance policy gives (docs/policy.md, "Reason codes"): a stable code and a sentence. */
export interface PolicyNotice {
  readonly code: string;
  readonly message: string;
}

/** An answer that may carry the policy's warnings (warn phase): what to do, and by when. */
export type Warned<T> = T & { readonly warnings?: readonly PolicyNotice[] };

export interface PolicyDecisionView {
  /** Where the decision was made: 'session' (the credential and level of this session) or 'backup'. */
  readonly point: string;
  readonly effect: 'allow' | 'warn' | 'deny';
  readonly reasons: readonly PolicyNotice[];
  /** When enforcement starts (ISO 8601), for a warning about something that will be denied. */
  readonly deadline: string | null;
}

/** What the policy says about the signed-in person now (GET /api/policy/status). */
export interface PolicyStatusView {
  readonly segment: string;
  readonly phase: 'monitor' | 'warn' | 'enforce';
  /** Decisions that are not simply `allow`, with their warn and deny reasons. */
  readonly decisions: readonly PolicyDecisionView[];
}

/**
 * The policy's word on an app's sign-in request at the OpenID Provider (`decideAcr`): the
 * segment's level for this session and the acr the app asked for.
 */
export interface AcrVerdictView extends PolicyDecisionView {
  readonly segment: string;
  readonly phase: 'monitor' | 'warn' | 'enforce';
  /** The sentence to show first (the first deny, else warn, reason). */
  readonly summary: string;
  /** The level a fresh sign-in must reach, when the session falls short of an essential acr. */
  readonly stepUpTo: AssuranceLevel | null;
}

export interface PolicyVersionView {
  readonly version: number;
  readonly sha256: string;
  readonly appliedBy: string;
  readonly appliedAt: string;
  /** Unified diff from the previous version. */
  readonly diff: string;
}

export interface AppliedPolicyView extends PolicyVersionView {
  /** The document exactly as applied. */
  readonly document: string;
}

export interface PolicyApplied {
  readonly policy: AppliedPolicyView;
  /** True when the document was the one in force already (no new version). */
  readonly unchanged: boolean;
  /** Sessions ended because they no longer qualify (decideSession said deny). */
  readonly sessionsEnded: number;
}

/** Where a logged policy decision was made (docs/policy.md, "The event log"). */
export type PolicyEventPoint = 'registration' | 'sign-in' | 'session' | 'acr';

/**
 * A decision of the assurance policy that was not a plain allow: a deny, a warn, or a monitor-phase
 * allow that enforcement would deny (`monitor_would_deny` among its codes).
 */
export interface PolicyEventView {
  readonly id: string;
  readonly at: string;
  readonly username: string;
  readonly point: PolicyEventPoint;
  readonly segment: string;
  readonly phase: 'monitor' | 'warn' | 'enforce';
  readonly effect: 'allow' | 'warn' | 'deny';
  /** The reason codes (docs/policy.md, "Reason codes"), without requirements_met. */
  readonly codes: readonly string[];
  readonly policyVersion: number;
  /** base64url credential ID of the credential judged, when there was one. */
  readonly credentialId: string | null;
  /** The OpenID Connect client that asked (point `acr`). */
  readonly clientId: string | null;
}

/** Which events to list: every filter given must match. */
export interface PolicyEventFilterInput {
  /** At or after this time. */
  readonly since?: Date;
  readonly segment?: string;
  readonly point?: PolicyEventPoint;
  readonly effect?: 'allow' | 'warn' | 'deny';
  /** One person's events. */
  readonly username?: string;
  /** 1 to 10,000; default 100. */
  readonly limit?: number;
}

/** A proposed policy to simulate (the admin API's `POST /api/admin/policy/simulate`). */
export interface SimulationInput {
  /** The policy document, YAML or JSON, as `tessera policy simulate FILE` reads it. */
  readonly document: string;
  /** The name problems are reported under (`FILE:LINE:COL`); default `policy`. */
  readonly fileName?: string;
  /** The simulated time, e.g. an enforce date; default the call's clock. */
  readonly at?: Date;
  /** Per-person outcomes: none (default), the people not simply allowed, or everyone. */
  readonly people?: 'none' | 'affected' | 'all';
}

export interface GroupView {
  readonly name: string;
  /** Usernames, sorted. */
  readonly members: readonly string[];
}

/** The use cases. Every method may throw a `ServiceError` (see ./errors.ts) or a core `WebAuthnError`. */
export interface TesseraServices {
  readonly people: {
    /** Create a person with a random 64-byte user handle and an onboarding pass (default 15 min). */
    add(
      input: { readonly username: string; readonly displayName?: string; readonly passLifetimeMs?: number },
      now: Date,
    ): Promise<{ readonly person: PersonView; readonly pass: string; readonly expiresAt: string }>;
    /** A new pass for an existing person (e.g. the first one expired). */
    issuePass(
      input: { readonly username: string; readonly passLifetimeMs?: number },
      now: Date,
    ): Promise<{ readonly pass: string; readonly expiresAt: string }>;
    /** A person by id (the OpenID Provider's `sub`), or null. */
    find(id: string): Promise<PersonView | null>;
  };
  readonly onboarding: {
    describe(pass: string, now: Date): Promise<OnboardingPassView>;
    options(
      input: { readonly pass: string; readonly kind: EnrolmentKind },
      ctx: CallContext,
    ): Promise<PublicKeyCredentialCreationOptionsJSON>;
    /** Verifies, consumes the pass, stores the credential and signs the person in, in one transaction. */
    finish(
      input: { readonly pass: string; readonly response: unknown; readonly name?: string },
      ctx: CallContext,
    ): Promise<Warned<{ readonly issued: IssuedSession; readonly credential: CredentialView }>>;
  };
  readonly registration: {
    /** Add another credential: needs a session whose sign-in is recent (5 minutes). */
    options(
      input: { readonly kind: EnrolmentKind },
      ctx: CallContext,
    ): Promise<PublicKeyCredentialCreationOptionsJSON>;
    finish(
      input: { readonly response: unknown; readonly name?: string },
      ctx: CallContext,
    ): Promise<Warned<CredentialView>>;
  };
  readonly signIn: {
    /** With a username: allowCredentials (plausible and deterministic when unknown). Without: discoverable. */
    options(
      input: { readonly username?: string },
      ctx: CallContext,
    ): Promise<PublicKeyCredentialRequestOptionsJSON>;
    finish(input: { readonly response: unknown }, ctx: CallContext): Promise<Warned<IssuedSession>>;
  };
  readonly sessions: {
    /**
     * The live session (refreshing its idle time), or null when absent, expired, idle too long, or
     * no longer allowed by the assurance policy (`decideSession`; such a session is ended).
     */
    current(ctx: CallContext): Promise<SessionView | null>;
    signOut(ctx: CallContext): Promise<void>;
  };
  readonly credentials: {
    list(ctx: CallContext): Promise<readonly CredentialView[]>;
    rename(input: { readonly id: string; readonly name: string }, ctx: CallContext): Promise<CredentialView>;
    /** Never the last one (`last_credential`). */
    remove(input: { readonly id: string }, ctx: CallContext): Promise<void>;
  };
  readonly signIns: {
    recent(ctx: CallContext, limit?: number): Promise<readonly SignInView[]>;
  };
  /**
   * The assurance policy (docs/policy.md). Until one is applied, everything that verifies is
   * allowed (the built-in default).
   */
  readonly policy: {
    /**
     * Validate and store a new version (refused with `policy_invalid` and every problem), then end
     * the sessions that no longer qualify.
     */
    apply(
      text: string,
      input: { readonly appliedBy: string; readonly fileName?: string },
      now: Date,
    ): Promise<PolicyApplied>;
    current(): Promise<AppliedPolicyView | null>;
    /** Every version, newest first. */
    history(): Promise<readonly PolicyVersionView[]>;
    /**
     * The event log, newest first: decisions that were not a plain allow, and sessions the policy
     * ended. `event_filter_invalid` for a bad filter, `person_not_found` for an unknown username.
     * Unguarded, for the operator's command line; over HTTP, `eventsFor`.
     */
    events(filter?: PolicyEventFilterInput): Promise<readonly PolicyEventView[]>;
    /** The signed-in person's segment, phase, and what the policy warns them about. */
    status(ctx: CallContext): Promise<PolicyStatusView>;
    /** Everyone and their credentials, assessed against the current metadata, for `simulate()`. */
    population(): Promise<Population>;
    /**
     * For an administrator (`requireAdmin`: `unauthenticated`, `admin_required`,
     * `admin_aal3_required`): what a proposed policy would do to everyone in the database, applying
     * nothing — `simulate()` over `population()`, as `tessera policy simulate FILE` without
     * `--population`. `policy_invalid` with every problem for a document that does not validate;
     * `simulation_invalid` for a time that is not one or an unknown `people`.
     */
    simulateProposed(ctx: CallContext, input: SimulationInput): Promise<SimulationReport>;
    /** `events(filter)` for an administrator (`requireAdmin` first, then the same checks). */
    eventsFor(ctx: CallContext, filter?: PolicyEventFilterInput): Promise<readonly PolicyEventView[]>;
    /**
     * At the OpenID Provider: the signed-in person's segment and the acr an app requires
     * (`decideAcr`); null without a policy. `unauthenticated` without a live session. A decision
     * that is not a plain allow is logged with `clientId`, the app that asked.
     */
    /**
     * At the OpenID Provider's refresh grant: does the person's segment still accept a session
     * from this sign-in (`decideSession`: its level, the segment's lifetime)? Always true without a
     * policy; a refusal is logged (point `session`, with the app).
     */
    refreshAllowed(
      personId: string,
      signIn: { readonly aal: AssuranceLevel; readonly authTime: Date; readonly clientId: string },
      now: Date,
    ): Promise<boolean>;
    acr(
      ctx: CallContext,
      request: {
        readonly values: readonly string[];
        readonly essential: boolean;
        readonly clientId?: string;
      },
    ): Promise<AcrVerdictView | null>;
  };
  readonly groups: {
    /** Create the group if needed and add these people to it. */
    add(
      input: { readonly group: string; readonly usernames?: readonly string[] },
      now: Date,
    ): Promise<GroupView>;
    /** Remove these people from the group, or without usernames delete the group. */
    remove(input: { readonly group: string; readonly usernames?: readonly string[] }): Promise<void>;
    list(): Promise<readonly GroupView[]>;
    /** A person's groups. */
    of(username: string): Promise<readonly string[]>;
  };
  readonly health: {
    /** True when the database answers. */
    ready(): Promise<boolean>;
  };
  /** Release the database. */
  close(): Promise<void>;
}
