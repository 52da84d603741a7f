/**
 * Databases for store and service tests: every such test runs on both dialects.
 *
 *   describe.each(DIALECTS)('%s', (dialect) => {
 *     const t = useTestDatabase(dialect);   // beforeAll: fresh database, migrated; afterAll: dropped
 *     it('…', async () => { t().database.db … });
 *   });
 *
 * SQLite: a file in a fresh temporary folder. PostgreSQL: a fresh schema in the `test` database at
 * 127.0.0.1:5432 (override with TESSERA_TEST_DATABASE_URL), dropped afterwards. PostgreSQL being
 * unreachable is a failure, never a skip: this machine and CI both have it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { type Config, loadConfig, type RateLimits } from '../../src/config/index.js';
import { type Database, type DialectName, openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrations/index.js';

export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

export const POSTGRES_URL =
  process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  readonly dialect: DialectName;
  readonly database: Database;
  /** A data directory of its own (metadata store, SQLite file). */
  readonly dataDir: string;
  /** Settings that open this same database again (a second instance). */
  readonly settings: { readonly dataDir: string; readonly databaseUrl: string | null };
  /** PostgreSQL schema, or null. */
  readonly schema: string | null;
  /** Open another connection (pool) to the same database, as a second instance would. */
  openAnother(): Database;
  cleanup(): Promise<void>;
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `PostgreSQL is unreachable at ${POSTGRES_URL} (${reason}). The store and service tests run on both ` +
        'dialects and need it (trust auth, user postgres, database test); start it or set TESSERA_TEST_DATABASE_URL.',
    );
  }
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(
  dialect: DialectName,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-test-'));
  const extra: Database[] = [];
  let schema: string | null = null;
  let settings: { dataDir: string; databaseUrl: string | null };
  if (dialect === 'postgres') {
    const name = `t_${randomBytes(8).toString('hex')}`;
    await withAdmin((client) => client.query(`create schema ${name}`));
    schema = name;
    settings = { dataDir, databaseUrl: POSTGRES_URL };
  } else {
    settings = { dataDir, databaseUrl: null };
  }
  const open = (): Database => openDatabase(settings, schema === null ? {} : { schema });
  const database = open();
  const dropAll = async () => {
    for (const d of extra) await d.close();
    await database.close();
    if (schema !== null) {
      const drop = schema;
      await withAdmin((client) => client.query(`drop schema if exists ${drop} cascade`));
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  if (options.migrate !== false) {
    try {
      await migrateToLatest(database);
    } catch (error) {
      await dropAll();
      throw error;
    }
  }
  return {
    dialect,
    database,
    dataDir,
    settings,
    schema,
    openAnother() {
      const another = open();
      extra.push(another);
      return another;
    },
    cleanup: dropAll,
  };
}

/** A fresh, migrated database for the enclosing `describe`, dropped after it. */
export function useTestDatabase(
  dialect: DialectName,
  options: { migrate?: boolean } = {},
): () => TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase(dialect, options);
  });
  afterAll(async () => {
    await current?.cleanup();
  });
  return () => {
    if (current === undefined) throw new Error('the test database is not open yet (use it inside a test)');
    return current;
  };
}

/**
 * The environment a `tessera` command would run with against this database (the CLI reads its
 * settings from TESSERA_*): on PostgreSQL the test schema goes through libpq's `options` parameter.
 */
export function cliEnvironment(t: TestDatabase, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    TESSERA_RP_ID: 'example.com',
    TESSERA_ORIGINS: 'https://id.example.com',
    TESSERA_DATA_DIR: t.dataDir,
    ...(t.schema === null
      ? {}
      : { TESSERA_DATABASE_URL: `${t.settings.databaseUrl}?options=-c%20search_path%3D${t.schema}` }),
    ...extra,
  };
}

export const TEST_ORIGIN = 'http://localhost:8080';
export const TEST_RP_ID = 'localhost';

/**
 * Request budgets out of the way: the suites drive one app from one address far faster than a
 * person could. The real budgets (the default of every configuration) are tested in
 * test/http/rate-limit.test.ts, which gives its own.
 */
export const UNLIMITED_RATE_LIMITS: RateLimits = Object.freeze({
  ceremony: { max: 1_000_000, windowMs: 60_000 },
  signInOptions: { max: 1_000_000, windowMs: 60_000 },
  admin: { max: 1_000_000, windowMs: 60_000 },
  api: { max: 1_000_000, windowMs: 60_000 },
});

/** The configuration a test server would load, for this database, with overrides. */
export function testConfig(db: TestDatabase, overrides: Partial<Config> = {}): Config {
  const base = loadConfig({
    TESSERA_RP_ID: TEST_RP_ID,
    TESSERA_ORIGINS: TEST_ORIGIN,
    TESSERA_DATA_DIR: db.dataDir,
    ...(db.settings.databaseUrl === null ? {} : { TESSERA_DATABASE_URL: db.settings.databaseUrl }),
  });
  return Object.freeze({ ...base, ...overrides });
}
