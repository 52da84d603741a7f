/**
 * The server's metadata snapshot source on both dialects: built once and reused until the BLOB or
 * the statements change; with a database, one BLOB shared by every instance, only ever replaced by
 * a higher serial.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importBlob, openMetadataStore } from '../../src/services/metadata.js';
import { metadataSource } from '../../src/services/snapshot-source.js';
import { latestBlobSerial } from '../../src/store/metadata-blobs.js';
import { DIALECTS, useTestDatabase } from '../support/databases.js';
import { signedBlob, TEST_ROOT_PEM, testPayload, testStatement } from '../trust/fixtures/signed-blob.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const anchors = [TEST_ROOT_PEM];
const blob = (no: number) =>
  signedBlob(
    testPayload(no, '2099-01-01', [
      testStatement(`7e57c0de-0000-4000-8000-${String(no).padStart(12, '0')}`, `Key ${no}`),
    ]),
  );

const folders: string[] = [];
afterAll(async () => {
  for (const f of folders) await rm(f, { recursive: true, force: true });
});
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-source-'));
  folders.push(dir);
  return dir;
}

async function imported(dataDir: string, no: number): Promise<void> {
  const result = await importBlob(openMetadataStore(dataDir), blob(no), { now: NOW, anchors });
  expect(result.ok).toBe(true);
}

describe('metadata source from the data directory', () => {
  it('reuses the snapshot until the BLOB or a statement changes', async () => {
    const dataDir = await folder();
    const statements = await folder();
    const source = metadataSource({
      dataDir,
      metadataDir: statements,
      anchors,
      recheckMs: 0,
      now: () => NOW,
    });
    const empty = await source();
    expect(empty.blob).toBeNull();
    expect(await source()).toBe(empty);
    await imported(dataDir, 3);
    const withBlob = await source();
    expect(withBlob.blob?.no).toBe(3);
    expect(await source()).toBe(withBlob);
    await cp(
      resolve(import.meta.dirname, '../trust/fixtures/statements/acme-key.json'),
      join(statements, 'acme.json'),
    );
    const withStatement = await source();
    expect(withStatement).not.toBe(withBlob);
    expect(withStatement.counts.statements).toBe(1);
  });

  it('checks for changes at most once per interval', async () => {
    const dataDir = await folder();
    const source = metadataSource({ dataDir, metadataDir: null, anchors, recheckMs: 60_000 });
    const first = await source();
    await imported(dataDir, 4);
    expect(await source()).toBe(first);
  });
});

describe.each(DIALECTS)('metadata source shared through %s', (dialect) => {
  const t = useTestDatabase(dialect);

  it('shares the newest BLOB between instances and never goes back to an older one', async () => {
    const db = t().database;
    const [a, b] = [await folder(), await folder()];
    const sourceA = metadataSource({
      dataDir: a,
      metadataDir: null,
      db,
      anchors,
      recheckMs: 0,
      now: () => NOW,
    });
    const sourceB = metadataSource({
      dataDir: b,
      metadataDir: null,
      db: t().openAnother(),
      anchors,
      recheckMs: 0,
    });
    expect((await sourceB()).blob).toBeNull();

    await imported(a, 9);
    expect((await sourceA()).blob?.no).toBe(9);
    expect(await latestBlobSerial(db.db)).toBe(9);
    expect((await sourceB()).blob?.no).toBe(9);

    await imported(b, 12);
    expect((await sourceB()).blob?.no).toBe(12);
    expect((await sourceA()).blob?.no).toBe(12);

    // An older BLOB in another data directory is not copied over the newer one.
    const c = await folder();
    await imported(c, 5);
    const sourceC = metadataSource({ dataDir: c, metadataDir: null, db, anchors, recheckMs: 0 });
    expect((await sourceC()).blob?.no).toBe(12);
    expect(await latestBlobSerial(db.db)).toBe(12);
  });

  it('re-verifies the stored BLOB: a tampered row is not used', async () => {
    const db = t().database;
    await db.db.updateTable('metadata_blobs').set({ jws: 'x.y.z' }).execute();
    const source = metadataSource({ dataDir: await folder(), metadataDir: null, db, anchors, recheckMs: 0 });
    expect((await source()).blob).toBeNull();
  });
});
