/**
 * The FIDO metadata BLOB in the database, so every instance of a PostgreSQL deployment judges
 * credentials with the same BLOB. Rows are only ever added, one per serial (`no`); the highest
 * serial is the BLOB in use, so an older BLOB can never come back (FIDO MDS3 §3.2 rollback rule).
 */
import type { Kysely } from 'kysely';
import type { StoredBlob, StoredBlobCounts } from './metadata-file-store.js';
import type { Schema } from './schema.js';

function counts(text: string): StoredBlobCounts {
  const value = JSON.parse(text) as Partial<Record<keyof StoredBlobCounts, unknown>>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);
  return {
    entries: n(value.entries),
    aaguid: n(value.aaguid),
    aaid: n(value.aaid),
    attestationCertificateKeyIdentifiers: n(value.attestationCertificateKeyIdentifiers),
    skipped: n(value.skipped),
  };
}

/** The serial of the newest BLOB held, or null. */
export async function latestBlobSerial(db: Kysely<Schema>): Promise<number | null> {
  const row = await db
    .selectFrom('metadata_blobs')
    .select('serial')
    .orderBy('serial', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.serial ?? null;
}

/** The newest BLOB held, in the metadata store's shape, or null. */
export async function latestBlob(db: Kysely<Schema>): Promise<StoredBlob | null> {
  const row = await db
    .selectFrom('metadata_blobs')
    .selectAll()
    .orderBy('serial', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (row === undefined) return null;
  return {
    serial: row.serial,
    nextUpdate: row.next_update,
    verifiedAt: new Date(row.verified_at).toISOString(),
    importedAt: new Date(row.imported_at).toISOString(),
    sha256: row.sha256,
    counts: counts(row.counts),
    jws: row.jws,
  };
}

/** Add a BLOB; false when one with this serial is held already. */
export async function putBlob(db: Kysely<Schema>, blob: StoredBlob): Promise<boolean> {
  const inserted = await db
    .insertInto('metadata_blobs')
    .values({
      serial: blob.serial,
      jws: blob.jws,
      sha256: blob.sha256,
      next_update: blob.nextUpdate,
      counts: JSON.stringify(blob.counts),
      verified_at: Date.parse(blob.verifiedAt),
      imported_at: Date.parse(blob.importedAt),
    })
    .onConflict((oc) => oc.column('serial').doNothing())
    .returning('serial')
    .executeTakeFirst();
  return inserted !== undefined;
}
