/**
 * `tessera policy apply|show|history|simulate` against the database, `tessera groups` and
 * `tessera people add --group`, in-process, configured from an environment as an operator would,
 * on both dialects.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGroups } from '../../src/cli/groups.js';
import type { CliIo } from '../../src/cli/io.js';
import { runPeople } from '../../src/cli/people.js';
import { runPolicy } from '../../src/cli/policy.js';
import { cliEnvironment, createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';

const NOW = new Date('2026-03-01T10:00:00Z');

const POLICY = `version: 1
segments:
  - name: admins
    groups: [sre]
    requirements:
      minAal: AAL3
      allowedClasses: [security-key]
    rollout:
      - phase: warn
      - phase: enforce
        from: 2026-04-01
default:
  requirements:
    minAal: AAL2
    allowedClasses: [synced-passkey, device-bound-passkey, security-key, device-bound-unverified]
`;

describe.each(DIALECTS)('tessera policy and groups on %s', (dialect) => {
  let t: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase(dialect, { migrate: false });
    dir = await mkdtemp(join(tmpdir(), 'tessera-policy-cli-'));
    env = cliEnvironment(t, { USER: 'root-user' });
  });
  afterAll(async () => {
    await t.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(
    command: (argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv) => Promise<number>,
    argv: string[],
  ) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      readStdin: () => '',
      now: () => NOW,
    };
    const code = await command(argv, io, env);
    return { code, out: out.join(''), err: err.join('') };
  }

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it('show says when no policy is applied; history is empty', async () => {
    const shown = await run(runPolicy, ['show']);
    expect(shown.code).toBe(1);
    expect(shown.out).toMatch(/^no policy applied/);
    expect((await run(runPolicy, ['history'])).out).toBe('no policy applied yet\n');
  });

  it('people add --group, groups add/list/remove', async () => {
    const added = await run(runPeople, ['add', 'ada', '--group', 'sre', '--group', 'finance']);
    expect(added.code).toBe(0);
    expect(added.out).toContain('added ada (ada) in sre, finance');
    expect((await run(runPeople, ['add', 'bob'])).code).toBe(0);
    expect((await run(runGroups, ['add', 'finance', 'bob'])).out).toBe('finance: 2 members (ada, bob)\n');
    expect((await run(runGroups, ['list'])).out).toBe('finance (2): ada, bob\nsre (1): ada\n');
    expect((await run(runGroups, ['remove', 'finance', 'ada'])).out).toBe('removed ada from finance\n');
    const json = JSON.parse((await run(runGroups, ['list', '--json'])).out) as {
      groups: { name: string; members: string[] }[];
    };
    expect(json.groups).toEqual([
      { name: 'finance', members: ['bob'] },
      { name: 'sre', members: ['ada'] },
    ]);
    expect((await run(runGroups, ['remove', 'nope'])).code).toBe(1);
    expect((await run(runGroups, ['add', 'bad group'])).code).toBe(2);
    expect((await run(runGroups, ['add', 'sre', 'nobody'])).err).toContain('No person has that username');
    await expect(run(runGroups, ['frob'])).rejects.toThrow(/usage: tessera groups/);
  });

  it('simulate without --population reads the database', async () => {
    const path = await file('policy.yaml', POLICY);
    const result = await run(runPolicy, ['simulate', path, '--people', 'all', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out) as {
      population: string;
      totals: { people: number };
      people: { username: string; segment: string; status: string }[];
    };
    expect(report.population).toBe('database');
    expect(report.totals.people).toBe(2);
    expect(report.people.map((p) => [p.username, p.segment, p.status])).toEqual([
      ['ada', 'admins', 'no-credentials'],
      ['bob', 'default', 'no-credentials'],
    ]);
    const text = await run(runPolicy, ['simulate', path]);
    expect(text.out).toMatch(
      /^Simulation of .*policy\.yaml against the database at 2026-03-01T10:00:00\.000Z/,
    );
  });

  it('apply refuses an invalid document with line numbers and stores nothing', async () => {
    const path = await file('bad.yaml', POLICY.replace('minAal: AAL2', 'minAal: AAL9'));
    const result = await run(runPolicy, ['apply', path]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/bad\.yaml:14:\d+: default\.requirements\.minAal/);
    expect((await run(runPolicy, ['show'])).code).toBe(1);
  });

  it('apply stores versions; show prints the one in force; history lists them with the diff', async () => {
    const path = await file('policy.yaml', POLICY);
    const first = await run(runPolicy, ['apply', path, '--by', 'alice']);
    expect(first.code).toBe(0);
    expect(first.out).toContain('applied as policy version 1 by alice at 2026-03-01T10:00:00.000Z');
    expect(first.out).toContain('sessions ended because they no longer qualify: 0');
    expect(first.out).toContain('+++ policy version 1');
    const again = await run(runPolicy, ['apply', path]);
    expect(again.out).toContain('unchanged — already policy version 1');
    await file('policy.yaml', POLICY.replace('from: 2026-04-01', 'from: 2026-05-01'));
    const second = await run(runPolicy, ['apply', path]);
    expect(second.out).toContain('applied as policy version 2 by root-user');
    expect(second.out).toContain('-        from: 2026-04-01\n+        from: 2026-05-01');
    const shown = await run(runPolicy, ['show']);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(
      /^# policy version 2, applied by root-user at 2026-03-01T10:00:00.000Z, sha256 [0-9a-f]{64}\n/,
    );
    expect(shown.out).toContain('from: 2026-05-01');
    const history = await run(runPolicy, ['history', '--diff']);
    expect(history.out).toMatch(
      /^version 2 {2}2026-03-01T10:00:00.000Z {2}by root-user {2}sha256 [0-9a-f]{12} {2}2 lines changed$/m,
    );
    expect(history.out).toMatch(/^version 1 .* by alice /m);
    expect(history.out).toContain('+        from: 2026-05-01');
    const json = JSON.parse((await run(runPolicy, ['history', '--json'])).out) as {
      history: { version: number; appliedBy: string }[];
    };
    expect(json.history.map((v) => [v.version, v.appliedBy])).toEqual([
      [2, 'root-user'],
      [1, 'alice'],
    ]);
    await expect(run(runPolicy, ['show', '--by', 'x'])).rejects.toThrow(/--by is not an option here/);
  });
});
