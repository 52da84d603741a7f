import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InspectReport } from '../../src/cli/inspect.js';
import { main } from '../../src/cli/main.js';

const root = resolve(import.meta.dirname, '../..');
const vectors = join(root, 'test/corpus/vectors');
const roots = join(root, 'test/corpus/roots');

function run(argv: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (line: string) => out.push(line),
    err: (line: string) => err.push(line),
    readStdin: () => stdin,
    now: () => new Date('2026-11-24T00:00:00Z'),
  };
  return main(argv, io).then((code) => ({ code, out: out.join(''), err: err.join('') }));
}

function reports(text: string): InspectReport[] {
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as InspectReport);
}

describe('tessera inspect', () => {
  it('prints one JSON line per case with the documented members', async () => {
    const { code, out } = await run(['inspect', join(vectors, 'w3c-l3.json'), '--json']);
    expect(code).toBe(0);
    const lines = reports(out);
    expect(lines).toHaveLength(30);
    const first = lines.find((r) => r.name === 'w3c-reg-none-es256');
    expect(first).toEqual({
      name: 'w3c-reg-none-es256',
      verified: true,
      error: null,
      ceremony: 'registration',
      fmt: 'none',
      aaguid: '8446ccb9-ab1d-b374-750b-2367ff6f3a1f',
      credentialId: '-R85HbTJsv3g6nAYnLo_tj9Xm6YSKzOtlP8-wzAIS-Q',
      alg: -7,
      flags: { up: true, uv: false, be: true, bs: true, at: true, ed: false },
      counter: 0,
      attestation: { type: 'none', trusted: false, root: null, status: null },
      model: null,
      class: 'synced-passkey',
      aal: 'AAL2',
      reasons: [
        { code: 'phishing_resistant', message: expect.any(String) },
        {
          code: 'exportable_key',
          message: 'This passkey is synced (backup eligible), so it cannot reach AAL3.',
        },
        { code: 'user_verification_capable', message: expect.any(String) },
      ],
    });
  });

  it('reports rejections as verdicts with a code, and still describes the bytes', async () => {
    const { code, out } = await run(['inspect', join(vectors, 'simplewebauthn.json'), '--json']);
    expect(code).toBe(0);
    const wrongOrigin = reports(out).find((r) => r.name === 'swa-reg-none-wrong-origin');
    expect(wrongOrigin?.verified).toBe(false);
    expect(wrongOrigin?.error?.code).toBe('origin_mismatch');
    expect(wrongOrigin?.fmt).toBe('none');
    expect(wrongOrigin?.flags?.up).toBe(true);
  });

  it('marks chains that reach --roots as trusted at the --at date', async () => {
    const { out } = await run([
      'inspect',
      join(vectors, 'yubico-java-webauthn-server.json'),
      '--roots',
      roots,
      '--at',
      '2022-08-25T16:00:00Z',
      '--json',
    ]);
    const hello = reports(out).find((r) => r.name === 'yubico-reg-windows-hello-tpm');
    expect(hello?.verified).toBe(true);
    expect(hello?.attestation.type).toBe('attca');
    expect(hello?.attestation.trusted).toBe(true);
    expect(hello?.attestation.root).toContain('Microsoft');
  });

  it('describes a chain whose root is not in --roots as untrusted instead of rejecting it', async () => {
    const { out } = await run([
      'inspect',
      join(vectors, 'yubico-java-webauthn-server.json'),
      '--roots',
      roots,
      '--json',
    ]);
    const preview = reports(out).find((r) => r.name === 'yubico-reg-ml-dsa-44');
    expect(preview?.verified).toBe(true);
    expect(preview?.alg).toBe(-48);
    expect(preview?.attestation).toEqual({ type: 'basic', trusted: false, root: null, status: null });
    const yubikey = reports(out).find((r) => r.name === 'yubico-reg-yubikey-5-nfc');
    expect(yubikey?.attestation.trusted).toBe(true);
    expect(yubikey?.attestation.root).toContain('Yubico U2F Root CA');
  });

  it('names models, classifies and levels credentials with --metadata', async () => {
    const blob = join(root, 'test/trust/fixtures/fido-mds3-blob-no121-2024-12.jwt');
    const { code, out, err } = await run([
      'inspect',
      join(vectors, 'yubico-java-webauthn-server.json'),
      '--metadata',
      blob,
      '--metadata-at',
      '2024-12-15T00:00:00Z',
      '--json',
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const all = reports(out);
    const bio = all.find((r) => r.name === 'yubico-reg-yubikey-bio-5.5.6');
    expect(bio).toMatchObject({
      verified: true,
      model: 'YubiKey Bio Series',
      class: 'security-key',
      aal: 'AAL3',
      attestation: { trusted: true, status: expect.stringMatching(/^FIDO_CERTIFIED/) },
    });
    expect(bio?.reasons.map((r) => r.code)).toContain('hardware_key_protection');
    const u2f = all.find((r) => r.name === 'yubico-reg-yubikey-4');
    expect(u2f).toMatchObject({ model: 'YK4 Series Key by Yubico', class: 'security-key', aal: 'AAL1' });
    expect(u2f?.reasons.map((r) => r.code)).toContain('user_verification_unsupported');
    const assertion = all.find((r) => r.ceremony === 'authentication' && r.verified);
    expect(assertion?.class).toMatch(/synced-passkey|device-bound-unverified/);
  });

  it('exits 2 when a --metadata path is unusable', async () => {
    const blob = join(root, 'test/trust/fixtures/fido-mds3-blob-no121-2024-12.jwt');
    // The BLOB's signing certificate is not yet valid in 2020.
    const { code, err } = await run([
      'inspect',
      join(vectors, 'go-webauthn.json'),
      '--metadata',
      blob,
      '--at',
      '2020-01-01',
    ]);
    expect(code).toBe(2);
    expect(err).toMatch(/--metadata .*metadata_chain_invalid|certificate/);
  });

  it('reads a single case from stdin and prints it for a person', async () => {
    const cases = JSON.parse(
      execFileSync('cat', [join(vectors, 'go-webauthn.json')], { encoding: 'utf8' }),
    ) as unknown[];
    const { code, out } = await run(['inspect', '-'], JSON.stringify(cases[0]));
    expect(code).toBe(0);
    expect(out).toMatch(/^go-[a-z0-9-]+: VERIFIED/);
    expect(out).toContain('attestation');
  });

  it('exits 2 with one line for a missing file, invalid JSON, a bad case or a bad date', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-inspect-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    const shapeless = join(dir, 'shapeless.json');
    writeFileSync(shapeless, JSON.stringify({ ceremony: 'dance' }));
    for (const argv of [
      ['inspect', join(dir, 'missing.json')],
      ['inspect', bad],
      ['inspect', shapeless],
      ['inspect', join(vectors, 'go-webauthn.json'), '--at', 'yesterday'],
      ['inspect'],
    ]) {
      const { code, err, out } = await run(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(out).toBe('');
    }
  });

  it('works as a process from the built bin', () => {
    const ok = spawnSync(
      process.execPath,
      [join(root, 'bin/tessera.mjs'), 'inspect', join(vectors, 'go-webauthn.json'), '--json'],
      {
        encoding: 'utf8',
      },
    );
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(4);
    const bad = spawnSync(process.execPath, [join(root, 'bin/tessera.mjs'), 'inspect', '/nonexistent.json'], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/cannot read/);
  });
});
