/**
 * The policy event log: one row per decision of the assurance policy that is not a plain "every
 * requirement met" — a deny, a warn, or a monitor-phase decision that would be denied once
 * enforced — so an operator can see who a segment would block before enforcing it
 * (`tessera policy events`, docs/policy.md "The event log").
 *
 * - `codes`: JSON text array of the decision's reason codes (never `requirements_met`).
 * - `credential_id` is the credential judged (null when none, e.g. at the OpenID Provider);
 *   `client_id` the app that asked, for the `acr` point. Nothing secret is kept: no session id,
 *   challenge or pass, only what the sign-in history already shows.
 * - `person_id` cascades like the sign-in history: the log is about people who exist.
 * - Indexes: `(at)` for the newest events and `--since`, `(person_id, at)` for one person's.
 */
import { type Kysely, type Migration, sql } from 'kysely';
import { dialectOf } from '../database.js';

type AnyDb = Kysely<unknown>;

export const policyEvents: Migration = {
  async up(db: AnyDb): Promise<void> {
    const bytes = dialectOf(db) === 'postgres' ? sql`bytea` : sql`blob`;
    await db.schema
      .createTable('policy_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('person_id', 'text', (c) => c.notNull().references('people.id').onDelete('cascade'))
      .addColumn('point', 'text', (c) => c.notNull())
      .addColumn('segment', 'text', (c) => c.notNull())
      .addColumn('phase', 'text', (c) => c.notNull())
      .addColumn('effect', 'text', (c) => c.notNull())
      .addColumn('codes', 'text', (c) => c.notNull())
      .addColumn('policy_version', 'integer', (c) => c.notNull())
      .addColumn('credential_id', bytes)
      .addColumn('client_id', 'text')
      .execute();
    await db.schema.createIndex('policy_events_at').on('policy_events').column('at').execute();
    await db.schema
      .createIndex('policy_events_person_at')
      .on('policy_events')
      .columns(['person_id', 'at'])
      .execute();
  },
  async down(db: AnyDb): Promise<void> {
    await db.schema.dropTable('policy_events').execute();
  },
};
