/** Applied versions of the assurance policy document: the newest is in force; none means the built-in default. */
import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation } from './database.js';
import type { PoliciesTable, Schema } from './schema.js';

export interface PolicyRecord {
  readonly version: number;
  readonly document: string;
  readonly sha256: string;
  readonly appliedBy: string;
  readonly appliedAt: number;
  readonly diff: string;
}

function record(row: Selectable<PoliciesTable>): PolicyRecord {
  return {
    version: Number(row.version),
    document: row.document,
    sha256: row.sha256,
    appliedBy: row.applied_by,
    appliedAt: Number(row.applied_at),
    diff: row.diff,
  };
}

/** The policy in force (the highest version), or null when none was ever applied. */
export async function currentPolicy(db: Kysely<Schema>): Promise<PolicyRecord | null> {
  const row = await db
    .selectFrom('policies')
    .selectAll()
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? record(row) : null;
}

/** The highest version number, or 0. Cheap: used to tell whether a cached policy is still current. */
export async function currentPolicyVersion(db: Kysely<Schema>): Promise<number> {
  const row = await db
    .selectFrom('policies')
    .select((eb) => eb.fn.max('version').as('version'))
    .executeTakeFirst();
  return row?.version === null || row?.version === undefined ? 0 : Number(row.version);
}

/** Every version, newest first. */
export async function policyHistory(db: Kysely<Schema>, limit = 1000): Promise<PolicyRecord[]> {
  const rows = await db.selectFrom('policies').selectAll().orderBy('version', 'desc').limit(limit).execute();
  return rows.map(record);
}

/** Insert a version; 'conflict' when that version number was taken (another apply got there first). */
export async function insertPolicy(db: Kysely<Schema>, policy: PolicyRecord): Promise<'ok' | 'conflict'> {
  try {
    await db
      .insertInto('policies')
      .values({
        version: policy.version,
        document: policy.document,
        sha256: policy.sha256,
        applied_by: policy.appliedBy,
        applied_at: policy.appliedAt,
        diff: policy.diff,
      })
      .execute();
    return 'ok';
  } catch (error) {
    if (isUniqueViolation(error)) return 'conflict';
    throw error;
  }
}
