/**
 * Authenticator metadata use cases: import a FIDO MDS3 BLOB from a file, load the snapshot that
 * registrations and classification read, report the import status.
 *
 * Import rules ("FIDO Metadata Service v3.0 §3.2 Metadata BLOB object processing rules"):
 * - the BLOB must verify (JWS signature, signing chain to the anchor at `now`), else it is refused
 *   and the last good BLOB stays in place; the failure is recorded with its date;
 * - a BLOB whose `no` is lower than the one held is refused as `metadata_rollback` (an attacker or
 *   a mistake must not bring back older statuses); one with the same `no` is ignored (outcome
 *   `unchanged`, §3.2: "less or equal" is not newer);
 * - a BLOB past its `nextUpdate` is accepted, with a `metadata_stale` warning in the result and in
 *   the status. Decision: an operator importing the newest file they could obtain is better served
 *   by it than by the older one it would replace (rollback protection still applies), and refusing
 *   would leave no metadata at all on a first import; the warning keeps saying a newer one is due.
 *
 * Loading re-verifies the stored BLOB's signature and chain at the clock it was verified at on
 * import (a stored BLOB does not expire with its signing certificate; staleness is judged by
 * `nextUpdate` against the current clock instead), so a tampered or corrupted file is detected and
 * left out rather than trusted.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isWebAuthnError } from '../core/errors.js';
import type { TrustAnchorInput } from '../core/types.js';
import {
  type ImportAttempt,
  type ImportStatus,
  METADATA_STORE_ERRORS,
  MetadataFileStore,
  type StoredBlob,
  type StoredError,
} from '../store/metadata-file-store.js';
import {
  buildSnapshot,
  isBlobStale,
  isMetadataError,
  METADATA_ERRORS,
  type MetadataEntry,
  type MetadataSnapshot,
  type MetadataWarning,
  metadataWarning,
  type PasskeyProviderList,
  parseMetadataStatement,
  type VerifiedMetadataBlob,
  verifyMetadataBlob,
} from '../trust/metadata/index.js';

export type { ImportStatus, StoredBlob } from '../store/metadata-file-store.js';
export { MetadataFileStore, MetadataStoreError } from '../store/metadata-file-store.js';

/** The store for a data directory: `<dataDir>/metadata/`. */
export function openMetadataStore(dataDir: string): MetadataFileStore {
  return new MetadataFileStore(join(dataDir, 'metadata'));
}

export interface ImportOptions {
  /** The verification clock (certificate validity, staleness). */
  readonly now: Date;
  /** The wall clock recorded as the import time; default `now`. */
  readonly recordedAt?: Date;
  /** BLOB signing trust anchors; default GlobalSign Root CA - R3. */
  readonly anchors?: readonly TrustAnchorInput[];
}

export interface ImportedBlobInfo {
  readonly serial: number;
  readonly nextUpdate: string;
  readonly verifiedAt: string;
  readonly importedAt: string;
  readonly sha256: string;
  readonly counts: StoredBlob['counts'];
}

export type ImportResult =
  | {
      readonly ok: true;
      /** 'unchanged': the BLOB has the serial already held, nothing was replaced. */
      readonly outcome: 'imported' | 'unchanged';
      readonly blob: ImportedBlobInfo;
      /** Serial held before this import, or null. */
      readonly previousSerial: number | null;
      readonly stale: boolean;
      readonly warnings: readonly MetadataWarning[];
    }
  | {
      readonly ok: false;
      readonly error: StoredError;
      /** The BLOB still in place, or null. */
      readonly kept: ImportedBlobInfo | null;
    };

const MAX_RECORDED_WARNINGS = 20;
const CORRUPT = 'metadata_store_corrupt';
const CORRUPT_MESSAGE = METADATA_STORE_ERRORS.metadata_store_corrupt;

function info(blob: StoredBlob): ImportedBlobInfo {
  const { jws: _jws, ...rest } = blob;
  return rest;
}

function describeWarning(w: MetadataWarning): string {
  return `${w.code}: ${w.detail}`;
}

/**
 * Verify a BLOB and, when it is good and newer than the one held, make it the stored BLOB
 * (atomically). Never throws for a bad BLOB: the refusal is returned and recorded.
 */
export async function importBlob(
  store: MetadataFileStore,
  input: Uint8Array | string,
  options: ImportOptions,
): Promise<ImportResult> {
  const at = (options.recordedAt ?? options.now).toISOString();
  const held = await store.readBlob();
  const previous = await store.readStatus();

  const refuse = async (error: StoredError, serial: number | null): Promise<ImportResult> => {
    const attempt: ImportAttempt = { at, outcome: 'failed', serial, error, warnings: [] };
    await store.writeStatus({ lastAttempt: attempt, lastError: error });
    return { ok: false, error, kept: held ? info(held) : null };
  };

  let verified: VerifiedMetadataBlob;
  try {
    verified = verifyMetadataBlob(input, {
      now: options.now,
      ...(options.anchors ? { anchors: options.anchors } : {}),
    });
  } catch (error) {
    if (!isMetadataError(error)) throw error;
    return refuse({ at, code: error.code, message: error.message, detail: error.detail ?? null }, null);
  }

  // §3.2: a BLOB that is not newer than the one held is not used.
  if (held && verified.no < held.serial) {
    return refuse(
      {
        at,
        code: 'metadata_rollback',
        message: METADATA_ERRORS.metadata_rollback,
        detail: `BLOB no. ${verified.no} offered, no. ${held.serial} held`,
      },
      verified.no,
    );
  }

  const warnings = [...verified.warnings];
  const recorded = warnings.slice(0, MAX_RECORDED_WARNINGS).map(describeWarning);
  if (held && verified.no === held.serial) {
    const attempt: ImportAttempt = {
      at,
      outcome: 'unchanged',
      serial: verified.no,
      error: null,
      warnings: recorded,
    };
    await store.writeStatus({ lastAttempt: attempt, lastError: previous.lastError });
    return {
      ok: true,
      outcome: 'unchanged',
      blob: info(held),
      previousSerial: held.serial,
      stale: isBlobStale(held.nextUpdate, options.now),
      warnings,
    };
  }

  const jws = (typeof input === 'string' ? input : Buffer.from(input).toString('utf8')).trim();
  const stored: StoredBlob = {
    serial: verified.no,
    nextUpdate: verified.nextUpdate,
    verifiedAt: verified.verifiedAt.toISOString(),
    importedAt: at,
    sha256: createHash('sha256').update(jws).digest('hex'),
    counts: verified.counts,
    jws,
  };
  await store.writeBlob(stored);
  const attempt: ImportAttempt = {
    at,
    outcome: 'imported',
    serial: verified.no,
    error: null,
    warnings: recorded,
  };
  await store.writeStatus({ lastAttempt: attempt, lastError: previous.lastError });
  return {
    ok: true,
    outcome: 'imported',
    blob: info(stored),
    previousSerial: held?.serial ?? null,
    stale: verified.stale,
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Statement folder
// ---------------------------------------------------------------------------------------------

export interface StatementFileIssue {
  /** The file name (inside the folder), or the folder itself when it cannot be read. */
  readonly file: string;
  readonly reason: string;
}

export interface StatementFolder {
  readonly entries: readonly MetadataEntry[];
  readonly issues: readonly StatementFileIssue[];
  readonly warnings: readonly MetadataWarning[];
}

/** Statements are a few KB (icons up to ~100 KB); larger files are refused unread. */
const MAX_STATEMENT_FILE_BYTES = 2 * 1024 * 1024;
const MAX_STATEMENT_FILES = 10_000;

/**
 * Read one MDS3 metadata statement per `*.json` file of `dir`, in file-name order. A file that
 * cannot be read, is not JSON or is not a valid statement is reported by name with the reason and
 * skipped; other files are reported as ignored. Never throws for the folder's content.
 */
export async function readStatementsDir(dir: string): Promise<StatementFolder> {
  const entries: MetadataEntry[] = [];
  const issues: StatementFileIssue[] = [];
  const warnings: MetadataWarning[] = [];
  let names: { name: string; isFile: boolean }[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).map((d) => ({ name: d.name, isFile: d.isFile() }));
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'error';
    return { entries, issues: [{ file: dir, reason: `the folder cannot be read (${code})` }], warnings };
  }
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { name, isFile } of names.slice(0, MAX_STATEMENT_FILES)) {
    if (!isFile) {
      issues.push({ file: name, reason: 'not a regular file (ignored)' });
      continue;
    }
    if (!name.toLowerCase().endsWith('.json')) {
      issues.push({ file: name, reason: 'not a .json file (ignored)' });
      continue;
    }
    let text: string;
    try {
      const handle = await open(join(dir, name), 'r');
      try {
        const { size } = await handle.stat();
        if (size > MAX_STATEMENT_FILE_BYTES) {
          issues.push({
            file: name,
            reason: `${size} bytes is over the ${MAX_STATEMENT_FILE_BYTES}-byte limit`,
          });
          continue;
        }
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      issues.push({
        file: name,
        reason: `cannot be read (${error instanceof Error ? error.message : String(error)})`,
      });
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
    } catch (error) {
      issues.push({
        file: name,
        reason: `not JSON (${error instanceof Error ? error.message : String(error)})`,
      });
      continue;
    }
    try {
      entries.push(parseMetadataStatement(json, name, warnings));
    } catch (error) {
      if (!isMetadataError(error)) throw error;
      issues.push({ file: name, reason: error.detail ?? error.message });
    }
  }
  if (names.length > MAX_STATEMENT_FILES)
    issues.push({ file: dir, reason: `only the first ${MAX_STATEMENT_FILES} files are read` });
  return { entries, issues, warnings };
}

// ---------------------------------------------------------------------------------------------
// Snapshot
// ---------------------------------------------------------------------------------------------

export interface LoadOptions {
  readonly now: Date;
  /** The metadata statements folder (TESSERA_METADATA_DIR), if any. */
  readonly statementsDir?: string;
  readonly anchors?: readonly TrustAnchorInput[];
  /** Passkey provider names; default the list shipped with Tessera. */
  readonly providers?: PasskeyProviderList;
}

export interface LoadedSnapshot {
  readonly snapshot: MetadataSnapshot;
  /** The stored BLOB in use, or null (none imported, or it failed re-verification: see `blobError`). */
  readonly blob: ImportedBlobInfo | null;
  readonly stale: boolean;
  readonly blobError: StoredError | null;
  readonly statementIssues: readonly StatementFileIssue[];
  /** Stale BLOB, ignored values, shadowed or duplicate statements. */
  readonly warnings: readonly MetadataWarning[];
}

/** Build the metadata snapshot from the stored BLOB, the statements folder and the provider list. */
export async function loadSnapshot(store: MetadataFileStore, options: LoadOptions): Promise<LoadedSnapshot> {
  const warnings: MetadataWarning[] = [];
  let blob: VerifiedMetadataBlob | null = null;
  let blobInfo: ImportedBlobInfo | null = null;
  let blobError: StoredError | null = null;
  const stored = await store.readBlob();
  if (stored) {
    const at = options.now.toISOString();
    const digest = createHash('sha256').update(stored.jws).digest('hex');
    try {
      if (digest !== stored.sha256)
        blobError = { at, code: CORRUPT, message: CORRUPT_MESSAGE, detail: 'blob.json: SHA-256 mismatch' };
      else {
        blob = verifyMetadataBlob(stored.jws, {
          now: new Date(stored.verifiedAt),
          ...(options.anchors ? { anchors: options.anchors } : {}),
        });
        if (blob.no !== stored.serial) {
          blob = null;
          blobError = { at, code: CORRUPT, message: CORRUPT_MESSAGE, detail: 'blob.json: serial mismatch' };
        }
      }
    } catch (error) {
      if (!isMetadataError(error)) throw error;
      blobError = { at, code: error.code, message: error.message, detail: error.detail ?? null };
    }
    if (blob) {
      blobInfo = info(stored);
      // Staleness is judged now, not at the clock of the import.
      warnings.push(...blob.warnings.filter((w) => w.code !== 'metadata_stale'));
    }
  }
  const stale = blob !== null && isBlobStale(blob.nextUpdate, options.now);
  if (blob && stale)
    warnings.unshift(
      metadataWarning('metadata_stale', `BLOB no. ${blob.no}: nextUpdate ${blob.nextUpdate} has passed`),
    );
  const folder = options.statementsDir === undefined ? null : await readStatementsDir(options.statementsDir);
  if (folder) warnings.push(...folder.warnings);
  const snapshot = buildSnapshot({
    blob,
    statements: folder?.entries ?? [],
    ...(options.providers ? { providers: options.providers } : {}),
  });
  warnings.push(...snapshot.warnings);
  return {
    snapshot,
    blob: blobInfo,
    stale,
    blobError,
    statementIssues: folder?.issues ?? [],
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

export interface MetadataStatus {
  readonly blob: (ImportedBlobInfo & { readonly stale: boolean }) | null;
  readonly lastAttempt: ImportAttempt | null;
  readonly lastError: StoredError | null;
  /** metadata_stale when the held BLOB is past nextUpdate at `now`. */
  readonly warnings: readonly MetadataWarning[];
}

/** What is held and how the last import went (reads the records; does not re-verify the BLOB). */
export async function status(
  store: MetadataFileStore,
  options: { readonly now: Date },
): Promise<MetadataStatus> {
  const stored = await store.readBlob();
  const log: ImportStatus = await store.readStatus();
  const stale = stored !== null && isBlobStale(stored.nextUpdate, options.now);
  return {
    blob: stored ? { ...info(stored), stale } : null,
    lastAttempt: log.lastAttempt,
    lastError: log.lastError,
    warnings:
      stored && stale
        ? [
            metadataWarning(
              'metadata_stale',
              `BLOB no. ${stored.serial}: nextUpdate ${stored.nextUpdate} has passed`,
            ),
          ]
        : [],
  };
}

// ---------------------------------------------------------------------------------------------
// Ad-hoc snapshots (tessera inspect --metadata)
// ---------------------------------------------------------------------------------------------

export interface MetadataSourceIssue {
  readonly path: string;
  readonly reason: string;
}

/**
 * Build a snapshot from paths given on a command line: each a BLOB file (verified at `now`) or a
 * folder of statements. Nothing is stored. A path that cannot be used is reported, not thrown;
 * with several BLOBs the one with the highest serial is used.
 */
export async function snapshotFromPaths(
  paths: readonly string[],
  options: { readonly now: Date; readonly anchors?: readonly TrustAnchorInput[] },
): Promise<{ readonly snapshot: MetadataSnapshot; readonly issues: readonly MetadataSourceIssue[] }> {
  const issues: MetadataSourceIssue[] = [];
  const statements: MetadataEntry[] = [];
  let blob: VerifiedMetadataBlob | null = null;
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch {
      issues.push({ path, reason: 'cannot be read' });
      continue;
    }
    if (isDirectory) {
      const folder = await readStatementsDir(path);
      statements.push(...folder.entries);
      for (const issue of folder.issues) issues.push({ path: join(path, issue.file), reason: issue.reason });
      continue;
    }
    try {
      const verified = verifyMetadataBlob(await readFile(path, 'utf8'), {
        now: options.now,
        ...(options.anchors ? { anchors: options.anchors } : {}),
      });
      if (blob === null || verified.no > blob.no) blob = verified;
    } catch (error) {
      if (!isMetadataError(error) && !isWebAuthnError(error)) throw error;
      issues.push({ path, reason: `${error.code}: ${error.detail ?? error.message}` });
    }
  }
  return { snapshot: buildSnapshot({ blob, statements }), issues };
}

// ---------------------------------------------------------------------------------------------
// Download (when the network allows; never required)
// ---------------------------------------------------------------------------------------------

/** Where the FIDO Alliance publishes the MDS3 BLOB (FIDO Metadata Service v3.0 §3.1.7). */
export const FIDO_MDS_URL = 'https://mds3.fidoalliance.org/';

export class MetadataDownloadError extends Error {
  override readonly name = 'MetadataDownloadError';
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Fetch a BLOB over https (plain http only from a loopback address, for tests and local mirrors),
 * bounded in time and size. The bytes are not trusted: `importBlob` verifies them like a file.
 */
export async function downloadBlob(
  url: string,
  options: { readonly timeoutMs?: number; readonly maxBytes?: number } = {},
): Promise<Buffer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MetadataDownloadError(`not a URL: ${url}`);
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopback(parsed.hostname))) {
    throw new MetadataDownloadError('metadata is downloaded over https only');
  }
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  let response: Response;
  try {
    response = await fetch(parsed, {
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw new MetadataDownloadError(
      `cannot download ${parsed.origin}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!response.ok) throw new MetadataDownloadError(`download failed: HTTP ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new MetadataDownloadError(`the BLOB is larger than ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let total = 0;
  const body = response.body;
  if (body === null) throw new MetadataDownloadError('the response has no body');
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new MetadataDownloadError(`the BLOB is larger than ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
