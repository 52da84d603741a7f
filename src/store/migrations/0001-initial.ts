/**
 * The first schema: people, credentials, ceremony challenges, sessions, onboarding passes, the
 * sign-in history, settings (server secrets), and the metadata BLOB shared by every instance.
 *
 * Portable types only (see ../schema.ts); the one difference between dialects is the bytes type.
 * Indexes are for the lookups on the hot paths and nothing else: credential by ID (primary key),
 * a person's credentials, person by username and by user handle, session by hash (primary key),
 * challenge by flow hash + purpose (primary key), a person's recent sign-ins; plus `expires_at` on
 * challenges and sessions so purging expired rows never scans the table.
 */

import type { Migration } from 'kysely';
import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../database.js';

/** A migration sees the schema as it is being built, not the final `Schema`. */
type AnyDb = Kysely<unknown>;

export const initial: Migration = {
  async up(db: AnyDb): Promise<void> {
    const bytes = dialectOf(db) === 'postgres' ? sql`bytea` : sql`blob`;

    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', bytes, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('people')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('user_handle', bytes, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('people_username').unique().on('people').column('username').execute();
    await db.schema.createIndex('people_user_handle').unique().on('people').column('user_handle').execute();

    await db.schema
      .createTable('credentials')
      .addColumn('id', bytes, (c) => c.primaryKey())
      .addColumn('person_id', 'text', (c) => c.notNull().references('people.id').onDelete('cascade'))
      .addColumn('public_key', bytes, (c) => c.notNull())
      .addColumn('alg', 'integer', (c) => c.notNull())
      .addColumn('counter', 'bigint', (c) => c.notNull())
      .addColumn('transports', 'text', (c) => c.notNull())
      .addColumn('aaguid', 'text', (c) => c.notNull())
      .addColumn('fmt', 'text', (c) => c.notNull())
      .addColumn('backup_eligible', 'integer', (c) => c.notNull())
      .addColumn('backup_state', 'integer', (c) => c.notNull())
      .addColumn('user_verified', 'integer', (c) => c.notNull())
      .addColumn('attachment', 'text')
      .addColumn('discoverable', 'integer')
      .addColumn('attestation', 'text', (c) => c.notNull())
      .addColumn('class', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('credentials_person').on('credentials').column('person_id').execute();

    await db.schema
      .createTable('challenges')
      .addColumn('flow_hash', bytes, (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('challenge', bytes, (c) => c.notNull())
      .addColumn('person_id', 'text', (c) => c.references('people.id').onDelete('cascade'))
      .addColumn('session_hash', bytes)
      .addColumn('pass_hash', bytes)
      .addColumn('kind', 'text')
      .addColumn('identified', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('challenges_pk', ['flow_hash', 'purpose'])
      .execute();
    await db.schema.createIndex('challenges_expires').on('challenges').column('expires_at').execute();

    await db.schema
      .createTable('sessions')
      .addColumn('hash', bytes, (c) => c.primaryKey())
      .addColumn('person_id', 'text', (c) => c.notNull().references('people.id').onDelete('cascade'))
      .addColumn('credential_id', bytes, (c) => c.notNull())
      .addColumn('aal', 'text', (c) => c.notNull())
      .addColumn('amr', 'text', (c) => c.notNull())
      .addColumn('auth_time', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('idle_timeout_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

    await db.schema
      .createTable('passes')
      .addColumn('hash', bytes, (c) => c.primaryKey())
      .addColumn('person_id', 'text', (c) => c.notNull().references('people.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();

    await db.schema
      .createTable('sign_ins')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('person_id', 'text', (c) => c.notNull().references('people.id').onDelete('cascade'))
      .addColumn('credential_id', bytes, (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('aal', 'text')
      .addColumn('user_verified', 'integer', (c) => c.notNull())
      .addColumn('signals', 'text', (c) => c.notNull())
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .execute();
    await db.schema.createIndex('sign_ins_person_at').on('sign_ins').columns(['person_id', 'at']).execute();

    await db.schema
      .createTable('metadata_blobs')
      .addColumn('serial', 'bigint', (c) => c.primaryKey())
      .addColumn('jws', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('next_update', 'text', (c) => c.notNull())
      .addColumn('counts', 'text', (c) => c.notNull())
      .addColumn('verified_at', 'bigint', (c) => c.notNull())
      .addColumn('imported_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
