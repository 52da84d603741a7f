/**
 * Metadata use cases (src/services/metadata.ts) over the file store
 * (src/store/metadata-file-store.ts): import with rollback protection and last-good retention,
 * staleness, status, statement folders, and re-verification of the stored BLOB on load.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  importBlob,
  loadSnapshot,
  type MetadataFileStore,
  MetadataStoreError,
  openMetadataStore,
  readStatementsDir,
  status,
} from '../../src/services/metadata.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const BLOB_9 = readFileSync(join(fixtures, 'fido-mds3-blob-no9-2021-11.jwt'));
const BLOB_121 = readFileSync(join(fixtures, 'fido-mds3-blob-no121-2024-12.jwt'));
const STATEMENTS = join(fixtures, 'statements');
const AT_9 = new Date('2021-11-15T00:00:00Z');
const AT_121 = new Date('2024-12-15T00:00:00Z');
const TODAY = new Date('2026-11-26T00:00:00Z');

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

function freshStore(): MetadataFileStore {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-metadata-'));
  created.push(dir);
  return openMetadataStore(dir);
}

function tamperedPayload(jws: Buffer): string {
  const parts = jws.toString('utf8').split('.');
  const payload = parts[1] ?? '';
  parts[1] = `${payload.slice(0, 100)}${payload[100] === 'A' ? 'B' : 'A'}${payload.slice(101)}`;
  return parts.join('.');
}

describe('importBlob', () => {
  it('imports BLOB no. 9 at 2021-11-15 and records it', async () => {
    const store = freshStore();
    const result = await importBlob(store, BLOB_9, { now: AT_9, recordedAt: TODAY });
    expect(result).toMatchObject({
      ok: true,
      outcome: 'imported',
      previousSerial: null,
      stale: false,
      blob: {
        serial: 9,
        nextUpdate: '2021-12-01',
        verifiedAt: '2021-11-15T00:00:00.000Z',
        importedAt: '2026-11-26T00:00:00.000Z',
        sha256: '42d80df8c252841a79318be858f21094cdd0022dcfe14576c1b83ffe45809567',
        counts: { entries: 98, aaguid: 46, aaid: 17, attestationCertificateKeyIdentifiers: 35, skipped: 0 },
      },
    });
    const held = await store.readBlob();
    expect(held?.jws).toBe(BLOB_9.toString('utf8'));
    expect(readdirSync(store.dir).sort()).toEqual(['blob.json', 'import-status.json']);
    const s = await store.readStatus();
    expect(s.lastAttempt).toMatchObject({ outcome: 'imported', serial: 9, error: null });
    expect(s.lastError).toBeNull();
  });

  it('leaves an already held serial unchanged', async () => {
    const store = freshStore();
    await importBlob(store, BLOB_9, { now: AT_9 });
    const again = await importBlob(store, BLOB_9, { now: AT_9 });
    expect(again).toMatchObject({ ok: true, outcome: 'unchanged', previousSerial: 9 });
    expect((await store.readStatus()).lastAttempt?.outcome).toBe('unchanged');
  });

  it('replaces no. 9 with no. 121, then refuses no. 9 as a rollback and keeps no. 121', async () => {
    const store = freshStore();
    await importBlob(store, BLOB_9, { now: AT_9 });
    const newer = await importBlob(store, BLOB_121, { now: AT_121 });
    expect(newer).toMatchObject({
      ok: true,
      outcome: 'imported',
      previousSerial: 9,
      blob: {
        serial: 121,
        counts: { entries: 280, aaguid: 188, aaid: 17, attestationCertificateKeyIdentifiers: 75 },
      },
    });
    const rollback = await importBlob(store, BLOB_9, { now: AT_9, recordedAt: TODAY });
    expect(rollback).toMatchObject({
      ok: false,
      error: {
        code: 'metadata_rollback',
        detail: 'BLOB no. 9 offered, no. 121 held',
        at: TODAY.toISOString(),
      },
      kept: { serial: 121 },
    });
    expect((await store.readBlob())?.serial).toBe(121);
    const s = await status(store, { now: new Date('2024-12-20T00:00:00Z') });
    expect(s.blob).toMatchObject({ serial: 121, stale: false });
    expect(s.lastError).toMatchObject({ code: 'metadata_rollback' });
    expect(s.lastAttempt).toMatchObject({ outcome: 'failed', serial: 9 });
  });

  it('keeps the last good BLOB when a new one fails verification, and records the error', async () => {
    const store = freshStore();
    await importBlob(store, BLOB_9, { now: AT_9 });
    const tampered = await importBlob(store, tamperedPayload(BLOB_121), { now: AT_121 });
    expect(tampered).toMatchObject({
      ok: false,
      error: { code: 'metadata_signature_invalid' },
      kept: { serial: 9 },
    });
    const expired = await importBlob(store, BLOB_121, { now: TODAY });
    expect(expired).toMatchObject({
      ok: false,
      error: { code: 'metadata_chain_invalid' },
      kept: { serial: 9 },
    });
    const garbage = await importBlob(store, 'not a jws', { now: TODAY });
    expect(garbage).toMatchObject({ ok: false, error: { code: 'metadata_malformed' } });
    expect((await store.readBlob())?.sha256).toBe(
      '42d80df8c252841a79318be858f21094cdd0022dcfe14576c1b83ffe45809567',
    );
    expect((await store.readStatus()).lastError).toMatchObject({ code: 'metadata_malformed' });
    // A later success keeps the last error on record (with its date), next to the successful attempt.
    await importBlob(store, BLOB_121, { now: AT_121 });
    const s = await store.readStatus();
    expect(s.lastAttempt).toMatchObject({ outcome: 'imported', serial: 121 });
    expect(s.lastError).toMatchObject({ code: 'metadata_malformed' });
  });

  it('accepts a BLOB past its nextUpdate with a stale warning', async () => {
    const store = freshStore();
    const result = await importBlob(store, BLOB_9, { now: new Date('2021-12-05T00:00:00Z') });
    expect(result).toMatchObject({ ok: true, outcome: 'imported', stale: true });
    if (result.ok) expect(result.warnings.map((w) => w.code)).toEqual(['metadata_stale']);
    expect((await store.readStatus()).lastAttempt?.warnings[0]).toMatch(/^metadata_stale: BLOB no. 9/);
  });
});

describe('status', () => {
  it('reports nothing held on a fresh store', async () => {
    expect(await status(freshStore(), { now: TODAY })).toEqual({
      blob: null,
      lastAttempt: null,
      lastError: null,
      warnings: [],
    });
  });

  it('warns once the held BLOB is past nextUpdate', async () => {
    const store = freshStore();
    await importBlob(store, BLOB_9, { now: AT_9 });
    expect((await status(store, { now: new Date('2021-11-30T00:00:00Z') })).warnings).toEqual([]);
    const later = await status(store, { now: TODAY });
    expect(later.blob?.stale).toBe(true);
    expect(later.warnings.map((w) => w.code)).toEqual(['metadata_stale']);
  });

  it('refuses to read a corrupted store file', async () => {
    const store = freshStore();
    await importBlob(store, BLOB_9, { now: AT_9 });
    writeFileSync(join(store.dir, 'blob.json'), '{"serial": 9, "jws": ');
    await expect(status(store, { now: TODAY })).rejects.toBeInstanceOf(MetadataStoreError);
    writeFileSync(join(store.dir, 'blob.json'), '{"serial": 9}');
    await expect(store.readBlob()).rejects.toMatchObject({ code: 'metadata_store_corrupt' });
  });
});

describe('statement folders', () => {
  it('loads the valid statement and reports the others by file name with the reason', async () => {
    const folder = await readStatementsDir(STATEMENTS);
    expect(folder.entries.map((e) => [e.origin, e.aaguid, e.statement?.description])).toEqual([
      ['acme-key.json', '7e57c0de-0000-4000-8000-000000000001', 'ACME Test Key'],
    ]);
    expect(folder.issues).toEqual([
      { file: 'README.txt', reason: 'not a .json file (ignored)' },
      { file: 'broken-statement.json', reason: 'broken-statement.json: a fido2 statement needs an aaguid' },
      { file: 'not-json.json', reason: expect.stringMatching(/^not JSON \(/) },
    ]);
  });

  it('reports a missing folder instead of failing', async () => {
    const folder = await readStatementsDir(join(fixtures, 'no-such-folder'));
    expect(folder.entries).toEqual([]);
    expect(folder.issues).toEqual([
      { file: join(fixtures, 'no-such-folder'), reason: 'the folder cannot be read (ENOENT)' },
    ]);
  });
});

describe('loadSnapshot', () => {
  it('merges the stored BLOB, the statements folder and the provider names', async () => {
    const store = freshStore();
    await importBlob(store, BLOB_121, { now: AT_121 });
    const loaded = await loadSnapshot(store, {
      now: new Date('2024-12-20T00:00:00Z'),
      statementsDir: STATEMENTS,
    });
    expect(loaded.blobError).toBeNull();
    expect(loaded.blob?.serial).toBe(121);
    expect(loaded.stale).toBe(false);
    expect(loaded.snapshot.counts).toMatchObject({ blobEntries: 280, statements: 1, providers: 52 });
    expect(loaded.statementIssues.map((i) => i.file)).toEqual([
      'README.txt',
      'broken-statement.json',
      'not-json.json',
    ]);
    expect(loaded.snapshot.describe('7e57c0de-0000-4000-8000-000000000001')).toMatchObject({
      name: 'ACME Test Key',
      source: 'statement',
    });
    expect(loaded.snapshot.byAaguid('ba86dc56-635f-4141-aef6-00227b1b9af6')?.latestStatus?.status).toBe(
      'REVOKED',
    );
    expect(loaded.snapshot.describe('ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4').name).toBe(
      'Google Password Manager',
    );
  });

  it('uses a stored BLOB after its signing certificate expired, and says it is stale', async () => {
    const store = freshStore();
    await importBlob(store, BLOB_9, { now: AT_9 });
    const loaded = await loadSnapshot(store, { now: TODAY });
    expect(loaded.blob?.serial).toBe(9);
    expect(loaded.stale).toBe(true);
    expect(loaded.warnings.map((w) => w.code)).toEqual(['metadata_stale']);
    expect(loaded.snapshot.byAaguid('fa2b99dc-9e39-4257-8f92-4a30d23c4118')?.statement?.description).toBe(
      'YubiKey 5 Series with NFC',
    );
  });

  it('leaves out a stored BLOB that was tampered with', async () => {
    const store = freshStore();
    await importBlob(store, BLOB_9, { now: AT_9 });
    const held = await store.readBlob();
    if (!held) throw new Error('no blob');
    // Changed content with a matching digest: caught by the signature.
    const jws = tamperedPayload(Buffer.from(held.jws));
    const { createHash } = await import('node:crypto');
    await store.writeBlob({ ...held, jws, sha256: createHash('sha256').update(jws).digest('hex') });
    const loaded = await loadSnapshot(store, { now: TODAY });
    expect(loaded.blob).toBeNull();
    expect(loaded.blobError).toMatchObject({ code: 'metadata_signature_invalid' });
    expect(loaded.snapshot.counts.blobEntries).toBe(0);
    // Changed content with the old digest: caught by the digest.
    await store.writeBlob({ ...held, jws });
    expect((await loadSnapshot(store, { now: TODAY })).blobError).toMatchObject({
      code: 'metadata_store_corrupt',
    });
  });

  it('works with nothing imported', async () => {
    const loaded = await loadSnapshot(freshStore(), { now: TODAY });
    expect(loaded.blob).toBeNull();
    expect(loaded.snapshot.counts.blobEntries).toBe(0);
    expect(loaded.snapshot.describe('fbfc3007-154e-4ecc-8c0b-6e020557d7bd').name).toBe('Apple Passwords');
  });
});
