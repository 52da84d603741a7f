/**
 * The OpenID Provider's storage (src/oidc): one table for everything oidc-provider persists
 * (sessions, interactions, authorization codes, tokens, grants, registered clients), keyed by model
 * name and id, with the payload as JSON text; and the signing keys.
 *
 * - `oidc_models`: `expires_at` null means "never" (registered clients); the indexes serve the
 *   adapter's lookups by uid (sessions), user code (device flow) and grant id (revoking every
 *   token of a grant when a code is reused), and purging expired rows.
 * - `oidc_keys`: private JWKs as JSON text. The newest key that is not retired signs; retired keys
 *   stay published in the JWKS until `retire_at + overlap` so tokens they signed still verify.
 */
import type { Kysely, Migration } from 'kysely';

type AnyDb = Kysely<unknown>;

export const oidc: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema
      .createTable('oidc_models')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('grant_id', 'text')
      .addColumn('uid', 'text')
      .addColumn('user_code', 'text')
      .addColumn('consumed_at', 'bigint')
      .addColumn('expires_at', 'bigint')
      .addPrimaryKeyConstraint('oidc_models_pk', ['model', 'id'])
      .execute();
    await db.schema.createIndex('oidc_models_grant').on('oidc_models').columns(['grant_id']).execute();
    await db.schema.createIndex('oidc_models_uid').on('oidc_models').columns(['model', 'uid']).execute();
    await db.schema
      .createIndex('oidc_models_user_code')
      .on('oidc_models')
      .columns(['model', 'user_code'])
      .execute();
    await db.schema.createIndex('oidc_models_expires').on('oidc_models').column('expires_at').execute();

    await db.schema
      .createTable('oidc_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('jwk', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      /** When a newer key took over signing; null for the signing key. */
      .addColumn('retired_at', 'bigint')
      /** After this the key is no longer published (null: not retired). */
      .addColumn('removed_at', 'bigint')
      .execute();
  },
  async down(db: AnyDb): Promise<void> {
    await db.schema.dropTable('oidc_keys').execute();
    await db.schema.dropTable('oidc_models').execute();
  },
};
