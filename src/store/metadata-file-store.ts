/**
 * Files for authenticator metadata under one directory (default `./data/metadata/`, chosen by the
 * caller):
 *
 * - `blob.json`: the last good Metadata BLOB — the raw JWS text as imported, its serial, when and
 *   at what clock it was verified, its nextUpdate and entry counts. One file, so the BLOB and what
 *   is recorded about it can never disagree.
 * - `import-status.json`: the last import attempt and the last error, each with its date.
 *
 * Every write is atomic: the content goes to a temporary file in the same directory, is flushed to
 * disk, then renamed over the old file (rename(2) replaces atomically on one file system), and the
 * directory is flushed. A crash leaves the old file or the new one, never half of either; a stray
 * `*.tmp` file may remain and is ignored.
 *
 * The store validates the shape of what it reads (a hand-edited or truncated file is reported as
 * `metadata_store_corrupt`, not used); whether a stored BLOB is genuine is for the service to check
 * (it re-verifies the signature on load).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TesseraError } from '../core/errors.js';

export const METADATA_STORE_ERRORS = {
  metadata_store_corrupt: 'The stored metadata is unreadable.',
} as const satisfies Record<string, string>;

export class MetadataStoreError extends TesseraError {
  declare readonly code: keyof typeof METADATA_STORE_ERRORS;

  constructor(detail: string, options?: { cause?: unknown }) {
    super('metadata_store_corrupt', METADATA_STORE_ERRORS.metadata_store_corrupt, 500, detail, options);
  }
}

export interface StoredBlobCounts {
  readonly entries: number;
  readonly aaguid: number;
  readonly aaid: number;
  readonly attestationCertificateKeyIdentifiers: number;
  readonly skipped: number;
}

/** The last good BLOB. Dates are ISO 8601 strings. */
export interface StoredBlob {
  /** The BLOB's `no`. */
  readonly serial: number;
  /** YYYY-MM-DD. */
  readonly nextUpdate: string;
  /** The clock the BLOB was verified at (the import's `--at`, else the time of import). */
  readonly verifiedAt: string;
  /** When it was imported (wall clock). */
  readonly importedAt: string;
  /** Hex SHA-256 of the JWS text. */
  readonly sha256: string;
  readonly counts: StoredBlobCounts;
  /** The JWS compact serialisation, exactly as imported (surrounding whitespace removed). */
  readonly jws: string;
}

export interface StoredError {
  readonly at: string;
  readonly code: string;
  readonly message: string;
  readonly detail: string | null;
}

export interface ImportAttempt {
  readonly at: string;
  readonly outcome: 'imported' | 'unchanged' | 'failed';
  /** Serial of the BLOB offered, when it could be read. */
  readonly serial: number | null;
  readonly error: StoredError | null;
  /** Warning codes and details of the attempt (e.g. metadata_stale). */
  readonly warnings: readonly string[];
}

export interface ImportStatus {
  readonly lastAttempt: ImportAttempt | null;
  readonly lastError: StoredError | null;
}

const BLOB_FILE = 'blob.json';
const STATUS_FILE = 'import-status.json';
/** BLOBs are 1-11 MB today; the stored record is bounded with room to grow. */
const MAX_RECORD_BYTES = 128 * 1024 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isText = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function readError(value: unknown): StoredError | null {
  if (value === null || value === undefined) return null;
  if (!isRecord(value) || !isText(value.at) || !isText(value.code) || !isText(value.message))
    throw new MetadataStoreError('import-status.json: malformed error');
  return {
    at: value.at,
    code: value.code,
    message: value.message,
    detail: isText(value.detail) ? value.detail : null,
  };
}

export class MetadataFileStore {
  constructor(readonly dir: string) {}

  private async readJson(file: string): Promise<unknown> {
    const path = join(this.dir, file);
    let text: string;
    try {
      const handle = await open(path, 'r');
      try {
        const { size } = await handle.stat();
        if (size > MAX_RECORD_BYTES) throw new MetadataStoreError(`${file}: ${size} bytes`);
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new MetadataStoreError(`${file}: not JSON`, { cause: error });
    }
  }

  /** Write `content` to `file` atomically (temporary file, fsync, rename, fsync of the directory). */
  private async writeAtomic(file: string, content: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = join(this.dir, file);
    const temp = join(this.dir, `.${file}.${process.pid}.${randomUUID()}.tmp`);
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(content, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    try {
      const dir = await open(this.dir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      // Some platforms cannot fsync a directory; the rename itself is still atomic.
    }
  }

  /** The last good BLOB, or null when none was imported. */
  async readBlob(): Promise<StoredBlob | null> {
    const value = await this.readJson(BLOB_FILE);
    if (value === undefined) return null;
    if (!isRecord(value)) throw new MetadataStoreError(`${BLOB_FILE}: not an object`);
    const { serial, nextUpdate, verifiedAt, importedAt, sha256, counts, jws } = value;
    if (
      !isCount(serial) ||
      !isText(nextUpdate) ||
      !isText(verifiedAt) ||
      !isText(importedAt) ||
      !isText(sha256) ||
      !isText(jws) ||
      !isRecord(counts) ||
      !isCount(counts.entries) ||
      !isCount(counts.aaguid) ||
      !isCount(counts.aaid) ||
      !isCount(counts.attestationCertificateKeyIdentifiers) ||
      !isCount(counts.skipped)
    )
      throw new MetadataStoreError(`${BLOB_FILE}: missing or malformed members`);
    return {
      serial,
      nextUpdate,
      verifiedAt,
      importedAt,
      sha256,
      jws,
      counts: {
        entries: counts.entries,
        aaguid: counts.aaguid,
        aaid: counts.aaid,
        attestationCertificateKeyIdentifiers: counts.attestationCertificateKeyIdentifiers,
        skipped: counts.skipped,
      },
    };
  }

  /** Replace the stored BLOB atomically. */
  async writeBlob(blob: StoredBlob): Promise<void> {
    await this.writeAtomic(BLOB_FILE, `${JSON.stringify(blob)}\n`);
  }

  async readStatus(): Promise<ImportStatus> {
    const value = await this.readJson(STATUS_FILE);
    if (value === undefined) return { lastAttempt: null, lastError: null };
    if (!isRecord(value)) throw new MetadataStoreError(`${STATUS_FILE}: not an object`);
    let lastAttempt: ImportAttempt | null = null;
    const a = value.lastAttempt;
    if (a !== null && a !== undefined) {
      if (
        !isRecord(a) ||
        !isText(a.at) ||
        (a.outcome !== 'imported' && a.outcome !== 'unchanged' && a.outcome !== 'failed') ||
        !(a.serial === null || isCount(a.serial)) ||
        !Array.isArray(a.warnings)
      )
        throw new MetadataStoreError(`${STATUS_FILE}: malformed lastAttempt`);
      lastAttempt = {
        at: a.at,
        outcome: a.outcome,
        serial: a.serial,
        error: readError(a.error),
        warnings: a.warnings.filter(isText),
      };
    }
    return { lastAttempt, lastError: readError(value.lastError) };
  }

  async writeStatus(status: ImportStatus): Promise<void> {
    await this.writeAtomic(STATUS_FILE, `${JSON.stringify(status, null, 2)}\n`);
  }
}
