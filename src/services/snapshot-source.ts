/**
 * The metadata snapshot for the server: the last good BLOB plus the statements in
 * TESSERA_METADATA_DIR, built once and reused until either changes.
 *
 * Where the BLOB lives:
 * - without `db`: the metadata store in the data directory (`<dataDir>/metadata/blob.json`, written
 *   by `tessera metadata import`);
 * - with `db`: the `metadata_blobs` table, shared by every instance (needed when several instances
 *   run on PostgreSQL, each with its own data directory). A BLOB imported into an instance's data
 *   directory with a higher serial than the database holds is copied into the database when that
 *   instance next looks, and from then on every instance uses it. Only higher serials are copied,
 *   so an older BLOB never replaces a newer one (FIDO MDS3 §3.2).
 * Either way the stored JWS is re-verified when the snapshot is built (services/metadata.ts).
 *
 * Whether anything changed is checked at most once per `recheckMs` (default 1 s) from cheap facts
 * only (the BLOB file's size and mtime or the database's highest serial, the statements folder's
 * files' sizes and mtimes), so the hot path never re-reads or re-verifies a multi-megabyte BLOB.
 * The cache is only a cache: every instance builds the same snapshot from the same sources.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely } from 'kysely';
import type { TrustAnchorInput } from '../core/types.js';
import type { Database } from '../store/database.js';
import { latestBlob, latestBlobSerial, putBlob } from '../store/metadata-blobs.js';
import type { Schema } from '../store/schema.js';
import { buildSnapshot, type MetadataSnapshot } from '../trust/metadata/index.js';
import { loadSnapshot, MetadataFileStore, openMetadataStore, type StoredBlob } from './metadata.js';

export interface SnapshotSourceOptions {
  readonly dataDir: string;
  readonly metadataDir: string | null;
  /** Keep the BLOB in this database, shared by every instance. */
  readonly db?: Database | Kysely<Schema>;
  readonly recheckMs?: number;
  /** BLOB signing anchors; default the FIDO MDS root (tests use their own). */
  readonly anchors?: readonly TrustAnchorInput[];
  /** The clock (tests). */
  readonly now?: () => Date;
}

async function fingerprint(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'absent';
  }
}

async function folderFingerprint(dir: string): Promise<string> {
  try {
    const names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.json')).sort();
    const parts = await Promise.all(names.map(async (n) => `${n}=${await fingerprint(join(dir, n))}`));
    return `${await fingerprint(dir)}|${parts.join(',')}`;
  } catch {
    return 'absent';
  }
}

/** The metadata store with its BLOB read from the database instead of blob.json. */
class DatabaseBlobStore extends MetadataFileStore {
  readonly #db: Kysely<Schema>;
  constructor(dir: string, db: Kysely<Schema>) {
    super(dir);
    this.#db = db;
  }
  override async readBlob(): Promise<StoredBlob | null> {
    return latestBlob(this.#db);
  }
}

/** A snapshot getter for `createServices({metadata})`. */
export function metadataSource(options: SnapshotSourceOptions): () => Promise<MetadataSnapshot> {
  const files = openMetadataStore(options.dataDir);
  const db = options.db === undefined ? null : options.db instanceof Kysely ? options.db : options.db.db;
  const store = db === null ? files : new DatabaseBlobStore(files.dir, db);
  const blobFile = join(files.dir, 'blob.json');
  const recheckMs = options.recheckMs ?? 1000;
  const clock = options.now ?? (() => new Date());
  let key: string | null = null;
  let syncedFile: string | null = null;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let current: Promise<MetadataSnapshot> | null = null;

  /** Copy a newer BLOB from this instance's data directory into the database. */
  const sync = async (database: Kysely<Schema>): Promise<void> => {
    const file = await fingerprint(blobFile);
    if (file === syncedFile) return;
    syncedFile = file;
    let held: StoredBlob | null;
    try {
      held = await files.readBlob();
    } catch {
      return; // A damaged file is not copied; loading from it would report it.
    }
    if (held === null) return;
    const serial = await latestBlobSerial(database);
    if (serial === null || held.serial > serial) await putBlob(database, held);
  };

  const sourceKey = async (): Promise<string> => {
    const statements = options.metadataDir === null ? '' : await folderFingerprint(options.metadataDir);
    if (db === null) return `file:${await fingerprint(blobFile)}#${statements}`;
    await sync(db);
    return `db:${(await latestBlobSerial(db)) ?? 'none'}#${statements}`;
  };

  const build = async (): Promise<MetadataSnapshot> => {
    const loaded = await loadSnapshot(store, {
      now: clock(),
      ...(options.metadataDir === null ? {} : { statementsDir: options.metadataDir }),
      ...(options.anchors === undefined ? {} : { anchors: options.anchors }),
    });
    return loaded.snapshot;
  };

  return async () => {
    const now = Date.now();
    if (current !== null && now - checkedAt < recheckMs) return current;
    checkedAt = now;
    const next = await sourceKey();
    if (current === null || next !== key) {
      key = next;
      const building = build();
      current = building;
      // A failed build is not kept: the next call tries again.
      building.catch(() => {
        if (current === building) {
          current = null;
          key = null;
        }
      });
    }
    return current;
  };
}

/** A snapshot with no metadata at all (no BLOB, no statements): the passkey provider names only. */
export function emptyMetadata(): MetadataSnapshot {
  return buildSnapshot({ blob: null });
}
