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
