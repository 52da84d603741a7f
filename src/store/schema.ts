/**
 * The tables, as Kysely sees them. One schema for SQLite and PostgreSQL, in portable types:
 *
 * - bytes: `blob` (SQLite) / `bytea` (PostgreSQL), read back as `Buffer` by both drivers;
 * - times: `bigint` milliseconds since the Unix epoch (UTC), so expiry checks are integer
 *   comparisons in SQL on both dialects and no time zone or text format is involved;
 * - booleans: `integer` 0/1;
 * - small structured values (transports, amr, signals, attestation evidence): `text` holding JSON;
 * - identifiers a client sees: `text` (base64url of random bytes); credential IDs: bytes.
 *
 * Secrets a client holds (session id, onboarding pass, flow id) are stored only as SHA-256.
 */

export interface SettingsTable {
  /** e.g. 'allow_credentials_key'. */
  key: string;
  value: Buffer;
  created_at: number;
}

export interface PeopleTable {
  /** Random, base64url (opaque to clients and never the user handle). */
  id: string;
  /** Normalised login name, unique. */
  username: string;
  display_name: string;
  /** WebAuthn user.id (§5.4.3): 64 random bytes, unique, never personal data. */
  user_handle: Buffer;
  created_at: number;
}

export interface CredentialsTable {
  /** Credential ID bytes: unique across all people (WebAuthn L3 §7.1 step 26). */
  id: Buffer;
  person_id: string;
  /** COSE_Key bytes as registered. */
  public_key: Buffer;
  alg: number;
  /** Signature counter (§6.1.1); only ever raised, by a conditional update. */
  counter: number;
  /** JSON array of AuthenticatorTransport. */
  transports: string;
  aaguid: string;
  fmt: string;
  backup_eligible: number;
  backup_state: number;
  /** UV at registration (part of the facts trust assessment reads). */
  user_verified: number;
  /** authenticatorAttachment reported at registration, or null. */
  attachment: string | null;
  /** credProps.rk at registration: 1, 0, or null when not reported. */
  discoverable: number | null;
  /** JSON StoredAttestation: type, trust path (base64url DER, leaf first), format details. */
  attestation: string;
  /** The class assessed at registration (reports); views and policy use a fresh assessment. */
  class: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface ChallengesTable {
  /** SHA-256 of the browser's flow id. */
  flow_hash: Buffer;
  /** 'authentication' | 'onboarding' | 'registration'. */
  purpose: string;
  /** The random challenge bytes (WebAuthn L3 §13.5.3). */
  challenge: Buffer;
  /** The person the ceremony is for, when known. */
  person_id: string | null;
  /** Registration: SHA-256 of the session that asked. */
  session_hash: Buffer | null;
  /** Onboarding: SHA-256 of the pass that asked. */
  pass_hash: Buffer | null;
  /** 'passkey' | 'security-key' for registrations. */
  kind: string | null;
  /** Sign-in: 1 when the options named a username (allowCredentials), 0 for discoverable. */
  identified: number;
  created_at: number;
  expires_at: number;
}

export interface SessionsTable {
  /** SHA-256 of the session id in the cookie. */
  hash: Buffer;
  person_id: string;
  credential_id: Buffer;
  aal: string;
  /** JSON array of RFC 8176 values. */
  amr: string;
  auth_time: number;
  created_at: number;
  last_seen_at: number;
  /** Absolute end. */
  expires_at: number;
  /** Inactivity limit: the session ends at last_seen_at + idle_timeout_ms. */
  idle_timeout_ms: number;
}

export interface PassesTable {
  /** SHA-256 of the pass. */
  hash: Buffer;
  person_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface SignInsTable {
  id: string;
  person_id: string;
  credential_id: Buffer;
  at: number;
  /** 'success' | 'refused' | 'failed' (store/sign-ins.ts, SignInOutcome). */
  outcome: string;
  aal: string | null;
  /** The UV flag of a verified assertion; 0 when nothing was verified (failed, or refused unverified). */
  user_verified: number;
  /** JSON array of signal codes, e.g. ["counter_regression"] (services/sign-in.ts, SIGNALS). */
  signals: string;
  ip: string | null;
  user_agent: string | null;
}

export interface MetadataBlobsTable {
  /** The BLOB's `no`. */
  serial: number;
  /** The JWS exactly as imported. */
  jws: string;
  /** Hex SHA-256 of the JWS. */
  sha256: string;
  next_update: string;
  /** JSON entry counts (StoredBlobCounts). */
  counts: string;
  /** Clock the BLOB was verified at. */
  verified_at: number;
  imported_at: number;
}

export interface PoliciesTable {
  /** 1, 2, 3…: the newest row is the policy in force. */
  version: number;
  /** The document exactly as applied (YAML or JSON). */
  document: string;
  /** Hex SHA-256 of the document. */
  sha256: string;
  applied_by: string;
  applied_at: number;
  /** Unified diff from the previous version (from nothing, for the first). */
  diff: string;
}

export interface GroupsTable {
  name: string;
  created_at: number;
}

export interface PersonGroupsTable {
  person_id: string;
  group_name: string;
  added_at: number;
}

export interface Schema {
  settings: SettingsTable;
  people: PeopleTable;
  credentials: CredentialsTable;
  challenges: ChallengesTable;
  sessions: SessionsTable;
  passes: PassesTable;
  sign_ins: SignInsTable;
  metadata_blobs: MetadataBlobsTable;
  policies: PoliciesTable;
  groups: GroupsTable;
  person_groups: PersonGroupsTable;
  oidc_models: OidcModelsTable;
  oidc_keys: OidcKeysTable;
  policy_events: PolicyEventsTable;
}

/** oidc-provider's persisted models (migration 0003). */
export interface OidcModelsTable {
  /** oidc-provider model name, e.g. 'Session', 'AuthorizationCode', 'Client'. */
  model: string;
  id: string;
  /** The model's payload, JSON. */
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  consumed_at: number | null;
  /** null: never expires (registered clients). */
  expires_at: number | null;
}

/** The OpenID Provider's signing keys (private JWK JSON). */
export interface OidcKeysTable {
  kid: string;
  jwk: string;
  created_at: number;
  retired_at: number | null;
  removed_at: number | null;
}

/** Decisions of the assurance policy that were not a plain allow (migration 0004). */
export interface PolicyEventsTable {
  /** Random, base64url. */
  id: string;
  at: number;
  person_id: string;
  /** 'registration' | 'sign-in' | 'session' | 'acr'. */
  point: string;
  segment: string;
  /** 'monitor' | 'warn' | 'enforce'. */
  phase: string;
  /** 'allow' | 'warn' | 'deny'. */
  effect: string;
  /** JSON array of the decision's reason codes, without requirements_met. */
  codes: string;
  /** The policy version that decided. */
  policy_version: number;
  /** The credential judged, when there was one. */
  credential_id: Buffer | null;
  /** The OpenID Connect client that asked (point acr). */
  client_id: string | null;
}
