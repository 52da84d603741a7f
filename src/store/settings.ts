/**
 * Server-wide values every instance must share, such as secret keys generated at first start.
 * The first writer wins (`INSERT … ON CONFLICT DO NOTHING`, then read), so instances starting
 * together agree on one value.
 */
import type { Kysely } from 'kysely';
import { toBuffer } from './codec.js';
import type { Schema } from './schema.js';

export async function ensureSetting(
  db: Kysely<Schema>,
  key: string,
  create: () => Uint8Array,
  now: number,
): Promise<Buffer> {
  const held = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  if (held) return held.value;
  await db
    .insertInto('settings')
    .values({ key, value: toBuffer(create()), created_at: now })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  return row.value;
}
