/**
 * Sessions: the id lives in the person's cookie and here only as its SHA-256. Each row carries
 * what the sign-in established (AAL, RFC 8176 amr, auth_time, the credential) and both limits of
 * SP 800-63B-4 §2.2.3/§2.3.3 (reauthentication): an absolute end and an inactivity timeout.
 */
import type { Kysely, Selectable } from 'kysely';
import { stringArray, toBuffer } from './codec.js';
import type { Schema, SessionsTable } from './schema.js';

export interface SessionRecord {
  readonly hash: Buffer;
  readonly personId: string;
  readonly credentialId: Buffer;
  readonly aal: string;
  readonly amr: readonly string[];
  readonly authTime: number;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly idleTimeoutMs: number;
}

function record(row: Selectable<SessionsTable>): SessionRecord {
  return {
    hash: row.hash,
    personId: row.person_id,
    credentialId: row.credential_id,
    aal: row.aal,
    amr: stringArray(row.amr),
    authTime: row.auth_time,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    idleTimeoutMs: row.idle_timeout_ms,
  };
}

export async function insertSession(db: Kysely<Schema>, session: SessionRecord): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      hash: toBuffer(session.hash),
      person_id: session.personId,
      credential_id: toBuffer(session.credentialId),
      aal: session.aal,
      amr: JSON.stringify(session.amr),
      auth_time: session.authTime,
      created_at: session.createdAt,
      last_seen_at: session.lastSeenAt,
      expires_at: session.expiresAt,
      idle_timeout_ms: session.idleTimeoutMs,
    })
    .execute();
}

/**
 * The live session for this hash with its inactivity clock restarted at `now`, in one UPDATE; null
 * when there is none or it is past its absolute end or idle for too long (such a row is deleted).
 */
export async function touchSession(
  db: Kysely<Schema>,
  hash: Uint8Array,
  now: number,
): Promise<SessionRecord | null> {
  const key = toBuffer(hash);
  const row = await db
    .updateTable('sessions')
    .set({ last_seen_at: now })
    .where('hash', '=', key)
    .where('expires_at', '>', now)
    .where((eb) => eb(eb('last_seen_at', '+', eb.ref('idle_timeout_ms')), '>', now))
    .returningAll()
    .executeTakeFirst();
  if (row) return record(row);
  await deleteSession(db, key);
  return null;
}

export async function findSession(db: Kysely<Schema>, hash: Uint8Array): Promise<SessionRecord | null> {
  const row = await db
    .selectFrom('sessions')
    .selectAll()
    .where('hash', '=', toBuffer(hash))
    .executeTakeFirst();
  return row ? record(row) : null;
}

/** True when this call removed the row (of two concurrent deletions, exactly one). */
export async function deleteSession(db: Kysely<Schema>, hash: Uint8Array): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('hash', '=', toBuffer(hash)).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Lower a session's inactivity limit and absolute end to these values where they are shorter than
 * the stored ones; never raises either (a policy with longer limits must not extend a session
 * issued under a stricter one). Each column keeps the lesser of its value and the new one, in SQL,
 * so a concurrent narrowing by another instance can only lower it further. True when a row changed.
 */
export async function narrowSessionLimits(
  db: Kysely<Schema>,
  hash: Uint8Array,
  idleTimeoutMs: number,
  expiresAt: number,
): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set((eb) => ({
      idle_timeout_ms: eb
        .case()
        .when('idle_timeout_ms', '>', idleTimeoutMs)
        .then(idleTimeoutMs)
        .else(eb.ref('idle_timeout_ms'))
        .end(),
      expires_at: eb
        .case()
        .when('expires_at', '>', expiresAt)
        .then(expiresAt)
        .else(eb.ref('expires_at'))
        .end(),
    }))
    .where('hash', '=', toBuffer(hash))
    .where((eb) => eb.or([eb('idle_timeout_ms', '>', idleTimeoutMs), eb('expires_at', '>', expiresAt)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Remove sessions past their absolute end (idle ones are removed when next presented, or then). */
export async function purgeExpiredSessions(db: Kysely<Schema>, now: number): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Sessions not past their absolute end (idle ones included), for re-checking them against a new policy. */
export async function liveSessions(db: Kysely<Schema>, now: number): Promise<SessionRecord[]> {
  const rows = await db.selectFrom('sessions').selectAll().where('expires_at', '>', now).execute();
  return rows.map(record);
}
