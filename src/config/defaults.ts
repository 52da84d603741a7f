/**
 * Every setting Tessera reads, with its default and what it means. The environment variable names
 * are a stable contract (operators put them in unit files and container definitions); the other
 * values are fixed by the product and its standards and are listed here so there is one place that
 * says what they are and why.
 */
import type { CredentialClass } from '../trust/assessment.js';

export interface EnvironmentKey {
  /** The environment variable. */
  readonly name: string;
  /** The default, as the text it would be written as; null when absent means "not used". */
  readonly default: string | null;
  readonly description: string;
}

export const ENVIRONMENT = {
  port: {
    name: 'TESSERA_PORT',
    default: '8080',
    description: 'TCP port the HTTP server listens on (1-65535).',
  },
  rpId: {
    name: 'TESSERA_RP_ID',
    default: 'localhost',
    description:
      'The WebAuthn relying party ID (WebAuthn L3 §4 "RP ID"): a lower-case domain that every origin is equal to or a subdomain of. Credentials are bound to it; changing it orphans every credential.',
  },
  origins: {
    name: 'TESSERA_ORIGINS',
    default: 'http://localhost:<port>',
    description:
      'Comma-separated origins (scheme://host[:port], no path) browsers use to reach Tessera. Responses from any other origin are refused (WebAuthn L3 §7.1 step 9, §7.2 step 13). http is accepted only for localhost.',
  },
  dataDir: {
    name: 'TESSERA_DATA_DIR',
    default: './data',
    description:
      'Folder for the embedded SQLite database (tessera.db) and the stored FIDO metadata BLOB (metadata/). Created when missing.',
  },
  databaseUrl: {
    name: 'TESSERA_DATABASE_URL',
    default: null,
    description:
      'postgres:// or postgresql:// URL: use PostgreSQL instead of SQLite (required for several instances).',
  },
  metadataDir: {
    name: 'TESSERA_METADATA_DIR',
    default: null,
    description:
      'Folder of FIDO MDS3 metadata statement JSON files; their attestation roots are trusted in addition to the imported BLOB.',
  },
  conformance: {
    name: 'TESSERA_CONFORMANCE',
    default: '0',
    description:
      '1 mounts the FIDO conformance API (/attestation/*, /assertion/*). Only for conformance testing.',
  },
  counterRegression: {
    name: 'TESSERA_COUNTER_REGRESSION',
    default: 'refuse-attested',
    description:
      'What a signature counter that did not increase does (WebAuthn L3 §6.1.1, §7.2 step 22). It is always recorded as a counter_regression signal on the sign-in. refuse-attested: refuse the sign-in for credentials whose trusted attestation proves a device-bound key (security keys, device-bound passkeys), allow the rest; allow: never refuse; refuse: refuse for every credential.',
  },
  adminGroups: {
    name: 'TESSERA_ADMIN_GROUPS',
    default: 'tessera-admins',
    description:
      'Comma-separated groups (tessera groups) whose members are administrators: they may use the admin API (/api/admin) from a session at AAL3, i.e. signed in with a trusted security key.',
  },
  oidcRegistrationToken: {
    name: 'TESSERA_OIDC_REGISTRATION_TOKEN',
    default: null,
    description:
      'Enables OpenID Connect dynamic client registration (POST /oidc/reg) for requests carrying this value as a bearer token (the initial access token): 32 to 512 visible ASCII characters. Unset: apps are added only with tessera apps add.',
  },
  policyEventsRetentionDays: {
    name: 'TESSERA_POLICY_EVENTS_RETENTION_DAYS',
    default: '400',
    description:
      'Days the assurance policy event log (tessera policy events) keeps an event, 1 to 3650; older events are deleted as new ones are written. The default covers a yearly review.',
  },
  trustProxy: {
    name: 'TESSERA_TRUST_PROXY',
    default: null,
    description:
      'The reverse proxies in front of Tessera whose X-Forwarded-For (and -Proto, -Host) is believed, so the client address in rate limits and the sign-in history is the one behind them: comma-separated IP addresses or CIDR ranges (IPv4 or IPv6) and "loopback" (127.0.0.0/8 and ::1). A hop count is not accepted: it would believe any client that reaches Tessera directly. Unset: no proxy is trusted and the address of the TCP peer is the client.',
  },
} as const satisfies Record<string, EnvironmentKey>;

/**
 * A group name (`tessera groups`, TESSERA_ADMIN_GROUPS): 1 to 128 letters, digits, ".", "_", "-",
 * "@" or ":", so directory names such as `sre@example.com` or `corp:finance` fit as they are.
 * Defined here, at the edge where the setting is read, and used by the services for the groups
 * themselves, so the two can never disagree.
 */
export const GROUP_NAME = /^[\p{L}\p{N}._@:-]{1,128}$/u;

/** Shown in the browser's passkey dialogs (PublicKeyCredentialRpEntity.name, WebAuthn L3 §5.4.1). */
export const RP_NAME = 'Tessera';

/** An onboarding pass is valid this long unless the operator asks otherwise (`--lifetime`). */
export const PASS_LIFETIME_MS = 15 * 60_000;
/** Longest lifetime an operator may give a pass: one week. */
export const MAX_PASS_LIFETIME_MS = 7 * 24 * 60 * 60_000;

/** Ceremony timeout and challenge lifetime: the WebAuthn L3 §15.1 recommended default (5 minutes). */
export const CHALLENGE_TIMEOUT_MS = 300_000;

/**
 * Adding a credential needs a sign-in this recent (SP 800-63B-4 §4.2.2 "Binding an additional
 * authenticator at AAL2/AAL3": the subscriber authenticates at the AAL of the account first).
 */
export const REAUTHENTICATION_WINDOW_MS = 5 * 60_000;

/**
 * Consecutive failed sign-ins per account (SP 800-63B-4 §3.2.2 "Rate Limiting (Throttling)"):
 * the verifier SHALL allow no more than 100 in a row, and a success SHOULD reset the count. They
 * are counted per person across all their credentials, at least as strict as per authenticator.
 * A failure is an assertion for one of the person's credentials that did not verify (bad
 * signature, wrong origin, no user verification…); an unknown credential has no account to count
 * against. A WebAuthn signature cannot be guessed, so the limit is about the standard's ceiling
 * and about noticing an attack (the sign-in history shows each failure), not about odds.
 *
 * Past the limit an attempt is verified only from an address the person has signed in from
 * before, or once a wait (below) has passed since the last failure; any other is refused without
 * being verified. §3.2.2 lists both as ways to limit attempts that do not lock the subscriber
 * out (addresses the subscriber has authenticated from; waits that grow, e.g. 30 seconds up to an
 * hour): whoever fails on a person's behalf slows the attack, never the person at their usual
 * place (OWASP ASVS 5.0 V6.1.1, malicious account lockout).
 */
export const MAX_CONSECUTIVE_FAILURES = 100;
/** The first wait past the limit: the low end of §3.2.2's example (30 seconds up to an hour). */
export const FAILURE_WAIT_INITIAL_MS = 30_000;
/** The wait doubles for every this many further failures, so only a sustained attack meets the cap. */
export const FAILURE_WAIT_DOUBLING_EVERY = 10;
/**
 * The longest wait: the high end of §3.2.2's example, so a person attacked without end waits at
 * most an hour.
 */
export const FAILURE_WAIT_MAX_MS = 60 * 60_000;

/** What a counter regression does to a sign-in with a credential of each class. */
export type CounterRegressionAction = 'allow' | 'refuse';
export type CounterRegressionPolicy = Readonly<Record<CredentialClass, CounterRegressionAction>>;

export const COUNTER_REGRESSION_POLICIES = {
  /**
   * Synced passkeys legitimately show non-increasing counters (several devices share one key) and
   * unverified keys prove nothing about cloning; a device-bound key whose hardware attestation is
   * trusted should never regress, so a regression there is a cloning signal and is refused.
   */
  'refuse-attested': {
    'synced-passkey': 'allow',
    'device-bound-unverified': 'allow',
    'device-bound-passkey': 'refuse',
    'security-key': 'refuse',
  },
  allow: {
    'synced-passkey': 'allow',
    'device-bound-unverified': 'allow',
    'device-bound-passkey': 'allow',
    'security-key': 'allow',
  },
  refuse: {
    'synced-passkey': 'refuse',
    'device-bound-unverified': 'refuse',
    'device-bound-passkey': 'refuse',
    'security-key': 'refuse',
  },
} as const satisfies Record<string, CounterRegressionPolicy>;

export type CounterRegressionSetting = keyof typeof COUNTER_REGRESSION_POLICIES;

/** At most `max` requests from one client address in each window of `windowMs` (a fixed window). */
export interface RateBudget {
  readonly max: number;
  readonly windowMs: number;
}

/**
 * Request budgets per client address: OWASP ASVS 5.0 V2.4.1 (anti-automation against excessive
 * calls, garbage data and overuse of costly resources) and V6.3.1 (controls against online
 * guessing, as documented per V6.1.1 in README.md, "Rate limits"). NIST SP 800-63B-4 §3.2.2 asks
 * the verifier to limit failed attempts; a WebAuthn signature cannot be guessed, so what is
 * throttled here is what can be: onboarding passes, usernames, and the server's work. Counting
 * is per address, never per account, so nobody can lock a person out by failing on their behalf
 * (V6.1.1 "prevent malicious account lockout"); the per-account count of failed sign-ins
 * (MAX_CONSECUTIVE_FAILURES) is built so that it cannot either. Over budget: 429 `rate_limited` (RFC 6585 §4) with
 * Retry-After (RFC 9110 §10.2.3). IPv6 clients are counted per /64, the smallest prefix a
 * subscriber is usually given.
 *
 * Behind a reverse proxy, TESSERA_TRUST_PROXY makes the address the client's rather than the
 * proxy's. People behind one NAT address share a budget; the figures leave room for that. They
 * are fixed rather than environment variables: far above what a person needs, far below what an
 * attack needs, and tied to the shape of the ceremonies rather than to a deployment.
 */
export const RATE_LIMITS = Object.freeze({
  /**
   * The calls that verify or consume something, one budget for all five: POST
   * /api/onboarding/pass, /api/onboarding/options, /api/onboarding/verify, /api/registration/verify
   * and /api/authentication/verify. Each looks up a pass or consumes a challenge and may verify a
   * signature or an attestation chain and write a transaction. The budget is per address, and an
   * organization's people usually share a few (an office's NAT, a VPN): ten a second lets a whole
   * office sign in at nine o'clock, while one source cannot make the server verify without end.
   * Passes and challenges are 256 random bits, so the budget is about load, not guessing.
   */
  ceremony: Object.freeze({ max: 600, windowMs: 60_000 }),
  /**
   * POST /api/authentication/options: cheap, constant-shape answers (an unknown username gets
   * plausible options), but each writes a challenge row. Twice the ceremony budget, since passkey
   * autofill asks for options on every page load.
   */
  signInOptions: Object.freeze({ max: 1200, windowMs: 60_000 }),
  /** The admin API (/api/admin/*): a simulation reads every person and credential. */
  admin: Object.freeze({ max: 60, windowMs: 60_000 }),
  /**
   * Every other /api route, all together: a hundred a second from one address, far more than
   * an office's portals make, so only a runaway or hostile client meets it.
   */
  api: Object.freeze({ max: 6000, windowMs: 60_000 }),
}) satisfies Record<string, RateBudget>;

export type RateBudgetName = keyof typeof RATE_LIMITS;
export type RateLimits = Readonly<Record<RateBudgetName, RateBudget>>;
