/** What every use case shares: the database, the configuration, the metadata, and session lookup. */
import type { Kysely } from 'kysely';
import type { Config } from '../config/index.js';
import { fromBase64url } from '../core/base64url.js';
import type { CredentialRecord } from '../store/credentials.js';
import type { DialectName } from '../store/database.js';
import { findPersonById, type PersonRecord } from '../store/people.js';
import type { Schema } from '../store/schema.js';
import { type SessionRecord, touchSession } from '../store/sessions.js';
import { assessCredential, type CredentialAssessment, type CredentialFacts } from '../trust/assessment.js';
import type { MetadataSnapshot } from '../trust/metadata/index.js';
import type { CallContext } from './contract.js';
import { ServiceError } from './errors.js';
import type { PolicyInForce } from './policy.js';
import { secretHash } from './secrets.js';

export interface ServiceContext {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  readonly config: Config;
  /** The metadata snapshot to judge credentials with, read per operation. */
  snapshot(): Promise<MetadataSnapshot>;
  /** The server's key for plausible allowCredentials of unknown usernames (stored in the database). */
  allowCredentialsKey(): Promise<Buffer>;
  /** The assurance policy in force, or null (the built-in default: allow what verifies). */
  policy(): Promise<PolicyInForce | null>;
  /**
   * Does this live session still satisfy the policy (`decideSession`)? Always true without one.
   * False means the policy has ended it (and logged why).
   */
  sessionQualifies(session: SessionRecord, now: Date): Promise<boolean>;
}

/** What trust assessment reads of a stored credential (its registration evidence and time). */
export function factsOf(credential: CredentialRecord): CredentialFacts {
  return {
    fmt: credential.fmt,
    aaguid: credential.aaguid,
    flags: { be: credential.backupEligible, bs: credential.backupState, uv: credential.userVerified },
    authenticatorAttachment: credential.attachment,
    transports: credential.transports,
    attestation: {
      type: credential.attestation.type,
      trustPath: credential.attestation.trustPath.map((der) => fromBase64url(der, 'trustPath')),
      details: credential.attestation.details,
    },
    registeredAt: new Date(credential.createdAt),
  };
}

/** The credential judged against the current metadata: nothing about trust is frozen at enrolment. */
export function assess(credential: CredentialRecord, snapshot: MetadataSnapshot): CredentialAssessment {
  return assessCredential(factsOf(credential), { snapshot });
}

export interface LiveSession {
  readonly session: SessionRecord;
  readonly person: PersonRecord;
}

/**
 * The caller's live session (its idle clock restarted), or null. A session the policy no longer
 * allows (decideSession: its level, its credential, the segment's limits) is ended here.
 */
export async function liveSession(sc: ServiceContext, ctx: CallContext): Promise<LiveSession | null> {
  if (ctx.sessionId === null || ctx.sessionId === '') return null;
  const session = await touchSession(sc.db, secretHash(ctx.sessionId), ctx.now.getTime());
  if (session === null) return null;
  // A session the policy denies is ended by sessionQualifies itself, which logs the decision.
  if (!(await sc.sessionQualifies(session, ctx.now))) return null;
  const person = await findPersonById(sc.db, session.personId);
  return person === null ? null : { session, person };
}

/** The caller's live session, else `unauthenticated`. */
export async function requireSession(sc: ServiceContext, ctx: CallContext): Promise<LiveSession> {
  const live = await liveSession(sc, ctx);
  if (live === null) throw new ServiceError('unauthenticated');
  return live;
}
