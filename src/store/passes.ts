/**
 * Onboarding passes: a one-time secret in a link, stored only as its SHA-256. A pass is consumed
 * with one conditional UPDATE (`SET used_at … WHERE used_at IS NULL AND expires_at > now
 * RETURNING`), so of concurrent uses exactly one succeeds (PostgreSQL re-checks the WHERE clause
 * on the locked row after the first commits; SQLite serialises writers).
 */
import type { Kysely, Selectable } from 'kysely';
import { toBuffer } from './codec.js';
import type { PassesTable, Schema } from './schema.js';

export interface PassRecord {
  readonly hash: Buffer;
  readonly personId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly usedAt: number | null;
}

function record(row: Selectable<PassesTable>): PassRecord {
  return {
    hash: row.hash,
    personId: row.person_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

export async function insertPass(db: Kysely<Schema>, pass: PassRecord): Promise<void> {
  await db
    .insertInto('passes')
    .values({
      hash: toBuffer(pass.hash),
      person_id: pass.personId,
      created_at: pass.createdAt,
      expires_at: pass.expiresAt,
      used_at: pass.usedAt,
    })
    .execute();
}

/** The pass if it is unused and unexpired at `now` (read only). */
export async function findUsablePass(
  db: Kysely<Schema>,
  hash: Uint8Array,
  now: number,
): Promise<PassRecord | null> {
  const row = await db
    .selectFrom('passes')
    .selectAll()
    .where('hash', '=', toBuffer(hash))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row ? record(row) : null;
}

/** Use the pass up; null when it is unknown, used or expired (or another caller just used it). */
export async function consumePass(
  db: Kysely<Schema>,
  hash: Uint8Array,
  now: number,
): Promise<PassRecord | null> {
  const row = await db
    .updateTable('passes')
    .set({ used_at: now })
    .where('hash', '=', toBuffer(hash))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
  return row ? record(row) : null;
}

/** Withdraw the person's unused passes (a new pass replaces them). */
export async function revokeUnusedPasses(db: Kysely<Schema>, personId: string): Promise<number> {
  const result = await db
    .deleteFrom('passes')
    .where('person_id', '=', personId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
