/**
 * `tessera metadata import|status|show` (src/cli/metadata.ts), run in-process against a temporary
 * data directory with the real BLOBs no. 9 and no. 121.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliIo, UsageError } from '../../src/cli/io.js';
import { type MetadataShowReport, runMetadata } from '../../src/cli/metadata.js';

const fixtures = resolve(import.meta.dirname, '../trust/fixtures');
const BLOB_9 = join(fixtures, 'fido-mds3-blob-no9-2021-11.jwt');
const BLOB_121 = join(fixtures, 'fido-mds3-blob-no121-2024-12.jwt');
const STATEMENTS = join(fixtures, 'statements');
const TODAY = new Date('2026-11-26T00:00:00Z');

async function run(argv: string[], now = TODAY) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    readStdin: () => '',
    now: () => now,
  };
  const code = await runMetadata(argv, io);
  return { code, out: out.join(''), err: err.join('') };
}

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-metadata-'));
  created.push(dir);
  return dir;
}

describe('tessera metadata import / status', () => {
  it('imports, refuses a rollback, and reports the status', async () => {
    const dir = dataDir();
    const first = await run(['import', BLOB_9, '--at', '2021-11-15', '--data-dir', dir]);
    expect(first.code).toBe(0);
    expect(first.out).toContain('imported BLOB no. 9\n');
    expect(first.out).toContain('verified at 2021-11-15T00:00:00.000Z, next update 2021-12-01');
    expect(first.out).toContain(
      'entries: 98 (46 with an AAGUID, 17 with an AAID, 35 with key identifiers; 0 skipped)',
    );

    const same = await run(['import', BLOB_9, '--at', '2021-11-15', '--data-dir', dir]);
    expect(same.code).toBe(0);
    expect(same.out).toContain('BLOB no. 9 is already held; nothing changed');

    const newer = await run(['import', BLOB_121, '--at', '2024-12-15T00:00:00Z', '--data-dir', dir]);
    expect(newer.code).toBe(0);
    expect(newer.out).toContain('imported BLOB no. 121 (replacing no. 9)');
    expect(newer.out).toContain(
      'entries: 280 (188 with an AAGUID, 17 with an AAID, 75 with key identifiers; 0 skipped)',
    );

    const rollback = await run(['import', BLOB_9, '--at', '2021-11-15', '--data-dir', dir]);
    expect(rollback.code).toBe(1);
    expect(rollback.err).toContain('refused: metadata_rollback');
    expect(rollback.err).toContain('(BLOB no. 9 offered, no. 121 held)');
    expect(rollback.err).toContain('kept BLOB no. 121 (next update 2025-01-01)');

    const s = await run(['status', '--data-dir', dir]);
    expect(s.code).toBe(0);
    expect(s.out).toContain(
      'BLOB no. 121, verified at 2024-12-15T00:00:00.000Z (imported 2026-11-26T00:00:00.000Z)',
    );
    expect(s.out).toContain('next update 2025-01-01 — STALE');
    expect(s.out).toContain('warning: metadata_stale');
    expect(s.out).toContain('last import: 2026-11-26T00:00:00.000Z failed (BLOB no. 9): metadata_rollback');
    expect(s.out).toContain('last error: 2026-11-26T00:00:00.000Z metadata_rollback');

    const json = JSON.parse((await run(['status', '--data-dir', dir, '--json'])).out) as {
      blob: { serial: number; stale: boolean; counts: { entries: number } };
      lastError: { code: string };
    };
    expect(json.blob).toMatchObject({ serial: 121, stale: true, counts: { entries: 280 } });
    expect(json.lastError.code).toBe('metadata_rollback');
  });

  it('refuses a BLOB whose signing certificate has expired at the import date, with --json', async () => {
    const dir = dataDir();
    const r = await run(['import', BLOB_9, '--data-dir', dir, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({
      ok: false,
      error: { code: 'metadata_chain_invalid' },
      kept: null,
    });
  });

  it('shows the statements folder in the status', async () => {
    const dir = dataDir();
    const r = await run(['status', '--data-dir', dir, '--metadata-dir', STATEMENTS]);
    expect(r.out).toContain('no BLOB imported');
    expect(r.out).toContain('statements: 1 in use, 3 file(s) skipped');
    expect(r.out).toContain(
      'broken-statement.json: broken-statement.json: a fido2 statement needs an aaguid',
    );
  });
});

describe('tessera metadata show', () => {
  const dir = dataDir();
  const ready = run(['import', BLOB_121, '--at', '2024-12-15', '--data-dir', dir]);

  it('describes YubiKey 5 Series with NFC', async () => {
    await ready;
    const r = await run(
      ['show', 'fa2b99dc-9e39-4257-8f92-4a30d23c4118', '--data-dir', dir],
      new Date('2024-12-20T00:00:00Z'),
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^name +YubiKey 5 Series with NFC \(mds\)$/m);
    expect(r.out).toMatch(/^icon +yes$/m);
    expect(r.out).toMatch(/^key protection +hardware, secure_element$/m);
    expect(r.out).toMatch(/^attachment +external, wired, wireless, nfc$/m);
    expect(r.out).toMatch(/^certification +FIDO_CERTIFIED_L\d/m);
    expect(r.out).not.toContain('stale');
  });

  it('reports the revoked TruU authenticator in JSON', async () => {
    await ready;
    const r = await run(['show', 'BA86DC56-635F-4141-AEF6-00227B1B9AF6', '--data-dir', dir, '--json']);
    const report = JSON.parse(r.out) as MetadataShowReport;
    expect(report).toMatchObject({
      aaguid: 'ba86dc56-635f-4141-aef6-00227b1b9af6',
      name: 'TruU Windows Authenticator',
      nameSource: 'mds',
      latestStatus: { status: 'REVOKED', effectiveDate: '2023-12-20' },
      certificationLevel: null,
    });
    expect(report.statusReports).toHaveLength(2);
  });

  it('names a passkey provider without metadata, and a statement from the folder', async () => {
    await ready;
    const google = await run(['show', 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4', '--data-dir', dir, '--json']);
    expect(google.code).toBe(0);
    expect(JSON.parse(google.out)).toMatchObject({
      name: 'Google Password Manager',
      nameSource: 'passkey-provider-list',
      icon: true,
      origin: null,
    });
    const acme = await run([
      'show',
      '7e57c0de-0000-4000-8000-000000000001',
      '--data-dir',
      dir,
      '--metadata-dir',
      STATEMENTS,
    ]);
    expect(acme.out).toMatch(/^name +ACME Test Key \(statement\)$/m);
    expect(acme.out).toMatch(/^metadata +acme-key\.json$/m);
    expect(acme.out).toMatch(/^roots +1$/m);
  });

  it('looks up a U2F key identifier', async () => {
    await ready;
    const r = await run(['show', '2806DF6C60B1656A78F97A28E168E5EC8D2937B4', '--data-dir', dir, '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ aaguid: null, name: 'RSA DS100', protocolFamily: 'u2f' });
  });

  it('exits 1 when nothing is known, and notes a missing BLOB', async () => {
    const r = await run(['show', '12345678-1234-1234-1234-123456789abc', '--data-dir', dataDir()]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^name +-$/m);
    expect(r.out).toContain('note: no BLOB imported');
  });
});

describe('usage', () => {
  it.each([
    [[]],
    [['frobnicate']],
    [['import']],
    [['import', 'a', 'b']],
    [['import', BLOB_9, '--at', 'yesterday']],
    [['import', join(fixtures, 'no-such-file.jwt')]],
    [['status', 'extra']],
    [['status', '--at', '2021-01-01']],
    [['show']],
    [['show', 'not-an-aaguid']],
  ])('%j is a usage error', async (argv) => {
    await expect(run(argv)).rejects.toBeInstanceOf(UsageError);
  });

  it('rejects unknown options the way parseArgs does', async () => {
    await expect(run(['status', '--bogus'])).rejects.toMatchObject({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
  });

  it('prints help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('tessera metadata import FILE');
  });
});

describe('tessera metadata import from a URL', () => {
  it('downloads a BLOB from a mirror and verifies it like a file; a failed download keeps what is held', async () => {
    const { createServer } = await import('node:http');
    const { readFileSync } = await import('node:fs');
    const body = readFileSync(BLOB_9);
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      if (req.url === '/blob') {
        res.writeHead(200, { 'content-type': 'application/jwt', 'content-length': body.length });
        res.end(body);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const dir = dataDir();
      const ok = await run([
        'import',
        `http://127.0.0.1:${port}/blob`,
        '--at',
        '2021-11-15',
        '--data-dir',
        dir,
      ]);
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/no\. 9/);
      const missing = await run([
        'import',
        `http://127.0.0.1:${port}/nothing`,
        '--at',
        '2021-11-15',
        '--data-dir',
        dir,
      ]);
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/HTTP 404/);
      const status = await run(['status', '--data-dir', dir, '--json']);
      expect(JSON.parse(status.out)).toMatchObject({ blob: { serial: 9 } });
      expect(requests).toBe(2);
    } finally {
      server.close();
    }
  });

  it('refuses plain http to anything but a loopback address, without connecting', async () => {
    const result = await run(['import', 'http://metadata.example/blob', '--data-dir', dataDir()]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/https only/);
  });
});
