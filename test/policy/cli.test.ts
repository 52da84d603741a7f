/**
 * `tessera policy validate|simulate` (src/cli/policy.ts), run in-process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliIo, UsageError } from '../../src/cli/io.js';
import { runPolicy } from '../../src/cli/policy.js';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/policy.hybrid.yaml');
const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function run(argv: string[], now = new Date('2026-02-15T00:00:00Z')) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: () => '', now: () => now };
  const code = await runPolicy(argv, io);
  return { code, out: out.join(''), err: err.join('') };
}

const KEY = {
  class: 'security-key',
  aal: 'AAL3',
  aaguid: 'fa2b99dc-9e39-4257-8f92-4a30d23c4118',
  model: 'YubiKey 5 Series with NFC',
  attestationTrust: 'trusted',
  uvCapable: true,
  refused: false,
};
const PASSKEY = {
  class: 'synced-passkey',
  aal: 'AAL2',
  aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4',
  model: 'Google Password Manager',
  attestationTrust: 'unverifiable',
  uvCapable: true,
  refused: false,
};
const POPULATION = file(
  'people.json',
  JSON.stringify({
    people: [
      { id: '1', username: 'ada', groups: ['sre'] },
      { id: '2', username: 'bob', groups: ['sre'] },
      { id: '3', username: 'cy', groups: ['staff'] },
    ],
    credentials: [
      { personId: '1', ...KEY },
      { personId: '1', ...KEY },
      { personId: '2', ...PASSKEY },
      { personId: '3', ...PASSKEY },
    ],
  }),
);

describe('tessera policy validate', () => {
  it('accepts the example and shows each segment with its phase', async () => {
    const { code, out } = await run(['validate', EXAMPLE]);
    expect(code).toBe(0);
    expect(out.split('\n').slice(0, 4)).toEqual([
      `${EXAMPLE}: valid (policy version 1; 2 segments and the default)`,
      '  admins   AAL3  security-key  — warn on 2026-02-15 (monitor, warn from 2026-02-01, enforce from 2026-03-01)',
      '  finance  AAL3  security-key  — warn on 2026-02-15 (warn, enforce from 2026-04-01)',
      '  default  AAL2  synced-passkey, device-bound-passkey, security-key, device-bound-unverified  — enforce on 2026-02-15 (enforce)',
    ]);
  });

  it('prints FILE:LINE:COL: path: message for each problem and exits 1', async () => {
    const bad = file(
      'bad.yaml',
      `version: 1
segments:
  - name: admins
    groups: [admins]
    requirements:
      minAal: AAL3
      allowedClasses: [security-key]
      recoveryCodes: true
default:
  requirements: {minAal: AAL2, allowedClasses: [synced-passkey], maxIdleMinutes: 90}
`,
    );
    const { code, out } = await run(['validate', bad]);
    expect(code).toBe(1);
    expect(out).toBe(
      `${bad}:8:22: segments[0].requirements.recoveryCodes: recovery codes are never allowed in a segment that requires AAL3: a code is not a hardware authenticator, so recovery must go through the help desk\n${bad}:10:82: default.requirements.maxIdleMinutes: must be at most 60; found 90\n`,
    );
    const json = await run(['validate', bad, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({
      valid: false,
      errors: [{ line: 8, column: 22, code: 'policy_conflict' }, {}],
    });
  });

  it('refuses a file over 1 MiB without reading it, and says so', async () => {
    const big = file('big.yaml', `# ${'x'.repeat(1024 * 1024)}\n`);
    const { code, out } = await run(['validate', big]);
    expect(code).toBe(1);
    expect(out).toBe(`${big}:1:1: (document): the document is larger than 1 MiB\n`);
  });

  it('is a usage error without a readable file', async () => {
    await expect(run(['validate'])).rejects.toThrow(UsageError);
    await expect(run(['validate', join(dir, 'missing.yaml')])).rejects.toThrow(/cannot read/);
  });
});

describe('tessera policy simulate', () => {
  it('prints the table for a person', async () => {
    const { code, out } = await run(['simulate', EXAMPLE, '--population', POPULATION, '--at', '2026-03-01']);
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toBe(`Simulation of ${EXAMPLE} at 2026-03-01T00:00:00.000Z (nothing applied)`);
    expect(lines[1]).toBe('3 people, 4 credentials');
    expect(lines.slice(3, 8)).toEqual([
      'segment  level  phase    enforce from  people  blocked  warned  would block  lacking backup  no credentials  credentials denied',
      'admins   AAL3   enforce  —                  2        1       0            1               1               0                 1/3',
      'finance  AAL3   warn     2026-04-01         0        0       0            0               0               0                 0/0',
      'default  AAL2   enforce  —                  1        0       0            0               0               0                 0/1',
      'total                                       3        1       0            1               1               0                 1/4',
    ]);
    expect(out).toContain('Why (people / credentials), whatever the phase:\n  admins\n    aal_below_minimum');
  });

  it('prints JSON for tools, people included on request', async () => {
    const { code, out } = await run([
      'simulate',
      EXAMPLE,
      '--population',
      POPULATION,
      '--at',
      '2026-02-15',
      '--json',
      '--people',
      'affected',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.at).toBe('2026-02-15T00:00:00.000Z');
    expect(report.segments[0]).toMatchObject({ name: 'admins', phase: 'warn', warned: 1, wouldBlock: 1 });
    expect(report.people).toEqual([
      expect.objectContaining({
        id: '2',
        username: 'bob',
        status: 'warned',
        wouldBlock: true,
        lacksBackup: true,
      }),
    ]);
  });

  it('reports an invalid population file by field, and exits 1', async () => {
    const bad = file(
      'bad.json',
      JSON.stringify({ people: [{ id: '1', groups: [] }], credentials: [{ personId: '1' }] }),
    );
    const { code, err } = await run(['simulate', EXAMPLE, '--population', bad]);
    expect(code).toBe(1);
    expect(err).toBe(
      `${bad}: credentials[0].class: expected one of synced-passkey, device-bound-passkey, security-key, device-bound-unverified\n`,
    );
    const notJson = file('not.json', '{people: []}');
    expect((await run(['simulate', EXAMPLE, '--population', notJson])).err).toMatch(
      /^.*not\.json: not JSON: /,
    );
  });

  it('rejects bad arguments as usage errors; --help explains the population file', async () => {
    await expect(run(['simulate'])).rejects.toThrow(/usage: tessera policy/);
    await expect(run(['simulate', EXAMPLE, '--population', POPULATION, '--at', 'March'])).rejects.toThrow(
      /--at/,
    );
    await expect(run(['simulate', EXAMPLE, '--population', POPULATION, '--people', 'some'])).rejects.toThrow(
      /--people/,
    );
    await expect(run(['enforce', EXAMPLE])).rejects.toThrow(/unknown subcommand "enforce"/);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Without it: the people, groups and credentials in');
    expect((await run([])).code).toBe(2);
  });
});
