/**
 * One schema for both dialects: migrations run from nothing, are idempotent, and leave the tables
 * and the hot-path indexes the repositories rely on.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/store/database.js';
import { MIGRATIONS, migrateToLatest } from '../../src/store/migrations/index.js';
import { DIALECTS, useTestDatabase } from '../support/databases.js';

const TABLES = [
  'challenges',
  'credentials',
  'groups',
  'metadata_blobs',
  'oidc_keys',
  'oidc_models',
  'passes',
  'people',
  'person_groups',
  'policies',
  'policy_events',
  'sessions',
  'settings',
  'sign_ins',
];

describe.each(DIALECTS)('migrations on %s', (dialect) => {
  const t = useTestDatabase(dialect, { migrate: false });

  it('runs every migration once from an empty database', async () => {
    const ran = await migrateToLatest(t().database);
    expect(ran).toEqual(Object.keys(MIGRATIONS));
  });

  it('is idempotent: a second run (a second instance starting) does nothing', async () => {
    expect(await migrateToLatest(t().database)).toEqual([]);
    expect(await migrateToLatest(t().database.db)).toEqual([]);
  });

  it('runs concurrently from two instances without running anything twice', async () => {
    const another = t().openAnother();
    const results = await Promise.all([migrateToLatest(t().database), migrateToLatest(another)]);
    expect(results.flat()).toEqual([]);
  });

  it('keeps only digests of the client secrets stored before 0005', async () => {
    const { db } = t().database;
    const legacy = { client_id: 'legacy-app', client_secret: 'the-secret-as-issued', client_name: 'Old' };
    const row = (id: string, model: string, payload: unknown) => ({
      model,
      id,
      payload: JSON.stringify(payload),
      grant_id: null,
      uid: null,
      user_code: null,
      consumed_at: null,
      expires_at: null,
    });
    await db
      .insertInto('oidc_models')
      .values([
        row('legacy-app', 'Client', legacy),
        row('public-app', 'Client', { client_id: 'public-app', token_endpoint_auth_method: 'none' }),
        // Not a client: left as it is, whatever it holds.
        row('a-session', 'Session', { client_secret: 'not-a-client' }),
      ])
      .execute();
    const migration = MIGRATIONS['0005_client_secret_digests'];
    if (migration === undefined) throw new Error('migration 0005 is missing');
    const payloadOf = async (model: string, id: string) => {
      const found = await db
        .selectFrom('oidc_models')
        .select('payload')
        .where('model', '=', model)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return JSON.parse(found.payload) as Record<string, unknown>;
    };
    await migration.up(db);
    const digest = `sha256$${createHash('sha256').update('the-secret-as-issued').digest('base64url')}`;
    expect(await payloadOf('Client', 'legacy-app')).toEqual({ ...legacy, client_secret: digest });
    expect(await payloadOf('Client', 'public-app')).toEqual({
      client_id: 'public-app',
      token_endpoint_auth_method: 'none',
    });
    expect(await payloadOf('Session', 'a-session')).toEqual({ client_secret: 'not-a-client' });
    // Running it again does not hash the digest.
    await migration.up(db);
    expect((await payloadOf('Client', 'legacy-app')).client_secret).toBe(digest);
    await db.deleteFrom('oidc_models').execute();
  });

  it('creates the tables and indexes', async () => {
    const { db } = t().database;
    expect(dialectOf(db)).toBe(dialect);
    const tables = (await db.introspection.getTables())
      .filter((table) => t().schema === null || table.schema === t().schema)
      .map((table) => table.name)
      .filter((n) => !n.startsWith('kysely_'));
    expect(tables.sort()).toEqual(TABLES);
    const indexes =
      dialect === 'postgres'
        ? (
            await sql<{
              name: string;
            }>`select indexname as name from pg_indexes where schemaname = current_schema()`.execute(db)
          ).rows
        : (await sql<{ name: string }>`select name from sqlite_master where type = 'index'`.execute(db)).rows;
    const names = indexes.map((r) => r.name);
    for (const expected of [
      'people_username',
      'people_user_handle',
      'credentials_person',
      'challenges_expires',
      'sessions_expires',
      'sign_ins_person_at',
      'sign_ins_person_outcome_at',
      'policy_events_at',
      'policy_events_person_at',
    ])
      expect(names).toContain(expected);
  });

  it('stores bytes, millisecond times and 32-bit counters round-trip', async () => {
    const { db } = t().database;
    const handle = Buffer.from(Array.from({ length: 64 }, (_, i) => 255 - i));
    await db
      .insertInto('people')
      .values({
        id: 'p-roundtrip',
        username: 'roundtrip',
        display_name: 'R',
        user_handle: handle,
        created_at: 1_900_000_000_123,
      })
      .execute();
    const row = await db
      .selectFrom('people')
      .selectAll()
      .where('id', '=', 'p-roundtrip')
      .executeTakeFirstOrThrow();
    expect(Buffer.compare(row.user_handle, handle)).toBe(0);
    expect(row.created_at).toBe(1_900_000_000_123);
    expect(typeof row.created_at).toBe('number');
    await db
      .insertInto('credentials')
      .values({
        id: Buffer.from([1, 2, 3]),
        person_id: 'p-roundtrip',
        public_key: Buffer.from([4]),
        alg: -7,
        counter: 4_294_967_295,
        transports: '[]',
        aaguid: '00000000-0000-0000-0000-000000000000',
        fmt: 'none',
        backup_eligible: 0,
        backup_state: 0,
        user_verified: 1,
        attachment: null,
        discoverable: null,
        attestation: '{"type":"none","trustPath":[],"details":{}}',
        class: 'device-bound-unverified',
        name: 'x',
        created_at: 1,
        last_used_at: null,
      })
      .execute();
    const credential = await db.selectFrom('credentials').select('counter').executeTakeFirstOrThrow();
    expect(credential.counter).toBe(4_294_967_295);
  });
});
