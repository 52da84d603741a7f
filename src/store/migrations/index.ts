/**
 * Migrations, provided in code (no files are read at run time, so the built package and the
 * sources behave the same). Kysely's Migrator records what ran in `kysely_migration` and takes a
 * lock while migrating, so several instances starting together run each migration once.
 * Names sort in the order they must run.
 */
import { Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { type Database, dialectOf } from '../database.js';
import type { Schema } from '../schema.js';
import { initial } from './0001-initial.js';
import { policy } from './0002-policy.js';
import { oidc } from './0003-oidc.js';
import { policyEvents } from './0004-policy-events.js';
import { clientSecretDigests } from './0005-client-secret-digests.js';
import { signInFailures } from './0006-sign-in-failures.js';

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_initial': initial,
  '0002_policy': policy,
  '0003_oidc': oidc,
  '0004_policy_events': policyEvents,
  '0005_client_secret_digests': clientSecretDigests,
  '0006_sign_in_failures': signInFailures,
};

const provider: MigrationProvider = {
  getMigrations: async () => ({ ...MIGRATIONS }),
};

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/**
 * Bring the schema up to date; returns the names of the migrations that ran (empty when it was
 * already current). Throws `MigrationError` naming the failed migration.
 */
export async function migrateToLatest(database: Database | Kysely<Schema>): Promise<string[]> {
  const db = database instanceof Kysely ? database : database.db;
  // Kysely looks for its bookkeeping tables in every schema unless told which one; on PostgreSQL
  // name the schema this connection works in (search_path), so another schema's tables (another
  // application, another test) are never mistaken for ours.
  const schema =
    dialectOf(db) === 'postgres'
      ? (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  if (schema === null) throw new MigrationError('no schema in the search_path exists');
  const migrator = new Migrator({
    db,
    provider,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`migration ${failed} failed: ${reason}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
