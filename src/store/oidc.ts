/**
 * The OpenID Provider's rows (migration 0003): oidc-provider's models by (model, id) with a JSON
 * payload, and the signing keys. Expired rows are never returned; consuming a code is a
 * conditional update so two concurrent redemptions cannot both see it unconsumed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Schema } from './schema.js';

/**
 * Client secrets are stored as `sha256$` + the base64url SHA-256 of the secret, never as issued:
 * a copy of the database (a backup, a replica) must not let anyone act as an app. Every secret is
 * 256 random bits (`tessera apps add`, and oidc-provider's own for dynamic registration), so a fast
 * hash is enough: there is nothing to guess.
 */
export const CLIENT_SECRET_DIGEST_PREFIX = 'sha256$';

export function clientSecretDigest(secret: string): string {
  return `${CLIENT_SECRET_DIGEST_PREFIX}${createHash('sha256').update(secret, 'utf8').digest('base64url')}`;
}

export function isClientSecretDigest(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(CLIENT_SECRET_DIGEST_PREFIX);
}

/** Does a presented secret match a stored digest? Compared in constant time (digests have one length). */
export function clientSecretMatches(storedDigest: unknown, presented: string): boolean {
  if (!isClientSecretDigest(storedDigest)) return false;
  const expected = Buffer.from(storedDigest, 'utf8');
  const actual = Buffer.from(clientSecretDigest(presented), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * A `Client` payload as it is stored: its `client_secret`, when present and not already a digest,
 * replaced by its digest.
 */
export function withSecretDigest(
  payload: Readonly<Record<string, unknown>>,
): Readonly<Record<string, unknown>> {
  const secret = payload.client_secret;
  if (typeof secret !== 'string' || isClientSecretDigest(secret)) return payload;
  return { ...payload, client_secret: clientSecretDigest(secret) };
}

export interface OidcModelRow {
  readonly payload: string;
  readonly consumedAt: number | null;
}

export interface OidcModelWrite {
  readonly model: string;
  readonly id: string;
  readonly payload: string;
  readonly grantId: string | null;
  readonly uid: string | null;
  readonly userCode: string | null;
  readonly expiresAt: number | null;
}

export async function upsertOidcModel(db: Kysely<Schema>, row: OidcModelWrite): Promise<void> {
  const values = {
    payload: row.payload,
    grant_id: row.grantId,
    uid: row.uid,
    user_code: row.userCode,
    expires_at: row.expiresAt,
  };
  await db
    .insertInto('oidc_models')
    .values({ model: row.model, id: row.id, consumed_at: null, ...values })
    .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(values))
    .execute();
}

type Lookup = 'id' | 'uid' | 'user_code';

export async function findOidcModel(
  db: Kysely<Schema>,
  model: string,
  by: Lookup,
  value: string,
  now: number,
): Promise<OidcModelRow | null> {
  const row = await db
    .selectFrom('oidc_models')
    .select(['payload', 'consumed_at'])
    .where('model', '=', model)
    .where(by, '=', value)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
  return row === undefined ? null : { payload: row.payload, consumedAt: row.consumed_at };
}

export async function consumeOidcModel(db: Kysely<Schema>, model: string, id: string, now: number) {
  await db
    .updateTable('oidc_models')
    .set({ consumed_at: now })
    .where('model', '=', model)
    .where('id', '=', id)
    .where('consumed_at', 'is', null)
    .execute();
}

export async function deleteOidcModel(db: Kysely<Schema>, model: string, id: string): Promise<void> {
  await db.deleteFrom('oidc_models').where('model', '=', model).where('id', '=', id).execute();
}

export async function deleteOidcGrant(db: Kysely<Schema>, grantId: string): Promise<void> {
  await db.deleteFrom('oidc_models').where('grant_id', '=', grantId).execute();
}

export async function listOidcModels(db: Kysely<Schema>, model: string): Promise<readonly string[]> {
  const rows = await db.selectFrom('oidc_models').select('payload').where('model', '=', model).execute();
  return rows.map((r) => r.payload);
}

export async function purgeExpiredOidcModels(db: Kysely<Schema>, now: number): Promise<void> {
  await db.deleteFrom('oidc_models').where('expires_at', '<=', now).execute();
}

export interface OidcKeyRecord {
  readonly kid: string;
  readonly jwk: string;
  readonly createdAt: number;
  readonly retiredAt: number | null;
  readonly removedAt: number | null;
}

/** Keys still published at `now`, newest first. */
export async function listOidcKeys(db: Kysely<Schema>, now: number): Promise<readonly OidcKeyRecord[]> {
  const rows = await db
    .selectFrom('oidc_keys')
    .selectAll()
    .where((eb) => eb.or([eb('removed_at', 'is', null), eb('removed_at', '>', now)]))
    .orderBy('created_at', 'desc')
    .orderBy('kid', 'desc')
    .execute();
  return rows.map((r) => ({
    kid: r.kid,
    jwk: r.jwk,
    createdAt: r.created_at,
    retiredAt: r.retired_at,
    removedAt: r.removed_at,
  }));
}

/** Insert a key; when `retireOthers`, every current signing key is retired in the same transaction. */
export async function insertOidcKey(
  db: Kysely<Schema>,
  key: { readonly kid: string; readonly jwk: string; readonly now: number; readonly overlapMs: number },
  retireOthers: boolean,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (retireOthers) {
      await trx
        .updateTable('oidc_keys')
        .set({ retired_at: key.now, removed_at: key.now + key.overlapMs })
        .where('retired_at', 'is', null)
        .execute();
    }
    await trx
      .insertInto('oidc_keys')
      .values({ kid: key.kid, jwk: key.jwk, created_at: key.now, retired_at: null, removed_at: null })
      .execute();
  });
}

export async function countSigningOidcKeys(db: Kysely<Schema>): Promise<number> {
  const row = await db
    .selectFrom('oidc_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('retired_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
