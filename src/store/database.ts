/**
 * The database: SQLite (better-sqlite3) in `<dataDir>/tessera.db` by default, PostgreSQL (pg) when
 * TESSERA_DATABASE_URL is set. One schema, one set of migrations and one set of queries serve both
 * (see ./schema.ts for the portable column types).
 *
 * SQLite runs in WAL mode (readers never block the writer), with foreign keys enforced and a busy
 * timeout so a second process (the CLI next to the server) waits for the write lock instead of
 * failing. Transactions start with BEGIN IMMEDIATE: every transaction Tessera opens writes, and
 * taking the write lock up front means a transaction never has to upgrade a read lock, which
 * SQLite refuses with SQLITE_BUSY without waiting (https://sqlite.org/lang_transaction.html).
 *
 * PostgreSQL bigint (int8) values are read as JavaScript numbers: Tessera stores only millisecond
 * timestamps and 32-bit signature counters in them, far below 2^53.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import pg from 'pg';
import type { Schema } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Database {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  /** Release the connection(s). Idempotent. */
  close(): Promise<void>;
}

export interface DatabaseSettings {
  /** Folder of the SQLite file (created when missing). */
  readonly dataDir: string;
  /** postgres:// URL, or null for SQLite. */
  readonly databaseUrl: string | null;
}

export interface OpenOptions {
  /** PostgreSQL only: the schema to work in (search_path of every connection). For tests. */
  readonly schema?: string;
  /** PostgreSQL pool size (default 10). */
  readonly maxConnections?: number;
  /** SQLite busy timeout in ms (default 5000). */
  readonly busyTimeoutMs?: number;
}

export const SQLITE_FILE = 'tessera.db';
const PG_INT8 = 20;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class TesseraSqliteDialect extends SqliteDialect {
  readonly #settings: SqliteDialectConfig;
  constructor(settings: SqliteDialectConfig) {
    super(settings);
    this.#settings = settings;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#settings);
  }
}

function openSqlite(dataDir: string, options: OpenOptions): Database {
  mkdirSync(dataDir, { recursive: true });
  const file = new BetterSqlite3(join(dataDir, SQLITE_FILE));
  file.pragma('journal_mode = WAL');
  file.pragma('foreign_keys = ON');
  file.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  // In WAL mode NORMAL is durable across application crashes; only a power loss may roll back the
  // last transactions (https://sqlite.org/pragma.html#pragma_synchronous).
  file.pragma('synchronous = NORMAL');
  const db = new Kysely<Schema>({ dialect: new TesseraSqliteDialect({ database: file }) });
  return { db, dialect: 'sqlite', close: once(() => db.destroy()) };
}

function openPostgres(url: string, options: OpenOptions): Database {
  if (options.schema !== undefined && !IDENTIFIER.test(options.schema))
    throw new Error(`schema must be a lower-case SQL identifier, got ${JSON.stringify(options.schema)}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8 && format !== 'binary'
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server drops must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: once(() => db.destroy()) };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}

/** Open the configured database. Nothing is read or written until the first query (or migration). */
export function openDatabase(settings: DatabaseSettings, options: OpenOptions = {}): Database {
  return settings.databaseUrl === null
    ? openSqlite(settings.dataDir, options)
    : openPostgres(settings.databaseUrl, options);
}

/** Which dialect a Kysely instance speaks. */
export function dialectOf(db: Kysely<Schema> | Kysely<unknown>): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** True when the database answers a trivial query. */
export async function ping(db: Kysely<Schema>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

/**
 * A unique or primary-key violation (SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY, PostgreSQL
 * SQLSTATE 23505), which repositories turn into a typed result.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
