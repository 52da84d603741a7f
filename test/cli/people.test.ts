/**
 * `tessera people add|pass` (src/cli/people.ts), in-process, configured from an environment as an
 * operator would, on both dialects: the printed link opens an onboarding pass the services accept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, UsageError } from '../../src/cli/io.js';
import { runPeople } from '../../src/cli/people.js';
import { loadConfig } from '../../src/config/index.js';
import { createServices, emptyMetadata } from '../../src/services/index.js';
import { cliEnvironment, createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';

const NOW = new Date('2026-03-01T10:00:00Z');

describe.each(DIALECTS)('tessera people on %s', (dialect) => {
  let t: TestDatabase;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    t = await createTestDatabase(dialect, { migrate: false });
    env = cliEnvironment(t, { TESSERA_ORIGINS: 'https://id.example.com,https://example.com' });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  async function run(argv: string[], environment = env) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      readStdin: () => '',
      now: () => NOW,
    };
    const code = await runPeople(argv, io, environment);
    return { code, out: out.join(''), err: err.join('') };
  }

  async function describePass(pass: string) {
    const config = loadConfig(env);
    const services = createServices({ db: t.database, config, metadata: emptyMetadata });
    return services.onboarding.describe(pass, NOW);
  }

  it('adds a person and prints a one-time link on the first origin (migrating first)', async () => {
    const result = await run(['add', 'Ada', '--name', 'Ada Lovelace']);
    expect(result.code).toBe(0);
    const match = /^ {2}https:\/\/id\.example\.com\/onboard#pass=([A-Za-z0-9_-]{43})$/m.exec(result.out);
    expect(match).not.toBeNull();
    expect(result.out).toContain('added ada (Ada Lovelace)');
    expect(result.out).toContain('valid until 2026-03-01T10:15:00.000Z');
    expect(await describePass(match?.[1] ?? '')).toEqual({
      username: 'ada',
      displayName: 'Ada Lovelace',
      expiresAt: '2026-03-01T10:15:00.000Z',
    });
  });

  it('answers in JSON, with a lifetime in minutes', async () => {
    const result = await run(['add', 'grace', '--lifetime', '60', '--json']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.out) as { person: { username: string }; link: string; expiresAt: string };
    expect(json.person.username).toBe('grace');
    expect(json.expiresAt).toBe('2026-03-01T11:00:00.000Z');
    expect(json.link).toMatch(/^https:\/\/id\.example\.com\/onboard#pass=/);
  });

  it('issues a new link for an existing person and refuses unknown or taken usernames', async () => {
    const first = await run(['add', 'linus', '--json']);
    const firstPass = (JSON.parse(first.out) as { link: string }).link.split('pass=')[1] ?? '';
    const again = await run(['pass', 'linus', '--json']);
    expect(again.code).toBe(0);
    const pass = (JSON.parse(again.out) as { link: string }).link.split('pass=')[1] ?? '';
    expect((await describePass(pass)).username).toBe('linus');
    await expect(describePass(firstPass)).rejects.toMatchObject({ code: 'pass_invalid' });
    expect(await run(['pass', 'nobody'])).toMatchObject({
      code: 1,
      err: 'tessera people: No person has that username.\n',
    });
    expect(await run(['add', 'linus'])).toMatchObject({
      code: 1,
      err: 'tessera people: That username is already in use.\n',
    });
    expect((await run(['add', 'not valid'])).code).toBe(2);
  });

  it('reports usage and configuration problems on one line', async () => {
    await expect(run(['add'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(['remove', 'x'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(['add', 'x', '--lifetime', '0'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(['pass', 'x', '--name', 'X'])).rejects.toBeInstanceOf(UsageError);
    expect(await run(['add', 'x'], { ...env, TESSERA_PORT: 'abc' })).toEqual({
      code: 2,
      out: '',
      err: 'tessera people: TESSERA_PORT must be an integer from 1 to 65535 (got "abc")\n',
    });
  });
});
