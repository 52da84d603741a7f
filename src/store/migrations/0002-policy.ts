/**
 * Policy storage: every applied version of the assurance policy document (the newest is the one in
 * force), with who applied it, when, and the unified diff from the version before; and the groups
 * people belong to, which the policy's segments name.
 *
 * Versions are numbered 1, 2, 3… (the primary key, so two operators applying at once cannot both
 * get the same number: the second insert fails and is retried by the service).
 */
import type { Kysely, Migration } from 'kysely';

type AnyDb = Kysely<unknown>;

export const policy: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema
      .createTable('policies')
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('applied_by', 'text', (c) => c.notNull())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .addColumn('diff', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('groups')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('person_groups')
      .addColumn('person_id', 'text', (c) => c.notNull().references('people.id').onDelete('cascade'))
      .addColumn('group_name', 'text', (c) => c.notNull().references('groups.name').onDelete('cascade'))
      .addColumn('added_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('person_groups_pk', ['person_id', 'group_name'])
      .execute();
    await db.schema.createIndex('person_groups_group').on('person_groups').column('group_name').execute();
  },
};
