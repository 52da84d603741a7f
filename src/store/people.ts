/** People: a random id, a unique username, a display name and a random 64-byte WebAuthn user handle. */
import type { Kysely, Selectable } from 'kysely';
import { toBuffer } from './codec.js';
import { isUniqueViolation } from './database.js';
import type { PeopleTable, Schema } from './schema.js';

export interface PersonRecord {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly userHandle: Buffer;
  readonly createdAt: number;
}

function record(row: Selectable<PeopleTable>): PersonRecord {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    userHandle: row.user_handle,
    createdAt: row.created_at,
  };
}

/**
 * Insert a person; 'username_taken' when the username is in use. On PostgreSQL a violation
 * aborts the surrounding transaction, so callers inside one must not continue it.
 */
export async function insertPerson(
  db: Kysely<Schema>,
  person: PersonRecord,
): Promise<'ok' | 'username_taken'> {
  try {
    await db
      .insertInto('people')
      .values({
        id: person.id,
        username: person.username,
        display_name: person.displayName,
        user_handle: toBuffer(person.userHandle),
        created_at: person.createdAt,
      })
      .execute();
    return 'ok';
  } catch (error) {
    if (isUniqueViolation(error)) return 'username_taken';
    throw error;
  }
}

export async function findPersonById(db: Kysely<Schema>, id: string): Promise<PersonRecord | null> {
  const row = await db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? record(row) : null;
}

export async function findPersonByUsername(
  db: Kysely<Schema>,
  username: string,
): Promise<PersonRecord | null> {
  const row = await db.selectFrom('people').selectAll().where('username', '=', username).executeTakeFirst();
  return row ? record(row) : null;
}

export async function findPersonByUserHandle(
  db: Kysely<Schema>,
  userHandle: Uint8Array,
): Promise<PersonRecord | null> {
  const row = await db
    .selectFrom('people')
    .selectAll()
    .where('user_handle', '=', toBuffer(userHandle))
    .executeTakeFirst();
  return row ? record(row) : null;
}

/**
 * Take the person's row lock until the transaction ends (PostgreSQL `SELECT … FOR UPDATE`), so
 * checks over the person's credentials cannot race. SQLite needs nothing: transactions begin
 * IMMEDIATE and hold the database write lock.
 */
export async function lockPerson(
  trx: Kysely<Schema>,
  personId: string,
  dialect: 'sqlite' | 'postgres',
): Promise<void> {
  if (dialect !== 'postgres') return;
  await trx.selectFrom('people').select('id').where('id', '=', personId).forUpdate().execute();
}

/** Everyone, by username (for simulating a policy against the whole database). */
export async function allPeople(db: Kysely<Schema>): Promise<PersonRecord[]> {
  const rows = await db.selectFrom('people').selectAll().orderBy('username').execute();
  return rows.map(record);
}
