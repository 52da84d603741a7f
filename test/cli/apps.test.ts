/**
 * `tessera apps` and `tessera keys` (src/cli/apps.ts, src/cli/keys.ts), in-process on both
 * dialects: an app's secret is printed once, apps are listed and removed, keys rotate with overlap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApps } from '../../src/cli/apps.js';
import { type CliIo, UsageError } from '../../src/cli/io.js';
import { runKeys } from '../../src/cli/keys.js';
import { cliEnvironment, createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';

const NOW = new Date('2026-03-01T10:00:00Z');

describe.each(DIALECTS)('tessera apps and keys on %s', (dialect) => {
  let t: TestDatabase;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    t = await createTestDatabase(dialect, { migrate: false });
    env = cliEnvironment(t);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  async function run(command: typeof runApps, argv: string[]) {
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

  it('adds a confidential app, printing its secret once, then lists and removes it', async () => {
    const added = await run(runApps, [
      'add',
      'Wiki',
      '--redirect-uri',
      'https://wiki.example.com/cb',
      '--json',
    ]);
    expect(added.code).toBe(0);
    const app = JSON.parse(added.out) as { clientId: string; clientSecret: string | null; issuer: string };
    expect(app.clientSecret).toMatch(/^[\w-]{43}$/);
    expect(app.issuer).toBe('https://id.example.com/oidc');

    const listed = await run(runApps, ['list']);
    expect(listed.out).toContain(app.clientId);
    expect(listed.out).toContain('Wiki (confidential)');
    expect(listed.out).not.toContain(app.clientSecret ?? 'secret');

    const publicApp = await run(runApps, [
      'add',
      'SPA',
      '--redirect-uri',
      'http://localhost:3000/cb',
      '--public',
      '--min-acr',
      'phrh',
    ]);
    expect(publicApp.out).toContain('public: PKCE, no secret');
    expect(publicApp.out).not.toContain('client secret');
    expect((await run(runApps, ['list'])).out).toContain('SPA (public, min acr phrh)');

    expect((await run(runApps, ['remove', app.clientId])).code).toBe(0);
    expect((await run(runApps, ['list'])).out).not.toContain(app.clientId);
    expect((await run(runApps, ['remove', app.clientId])).code).toBe(1);
  });

  it('refuses bad redirect URIs and acr values', async () => {
    await expect(run(runApps, ['add', 'X', '--redirect-uri', 'http://evil.example/cb'])).rejects.toThrow(
      UsageError,
    );
    await expect(run(runApps, ['add', 'X', '--redirect-uri', 'https://a.example/cb#f'])).rejects.toThrow(
      UsageError,
    );
    await expect(run(runApps, ['add', 'X'])).rejects.toThrow(UsageError);
    await expect(
      run(runApps, ['add', 'X', '--redirect-uri', 'https://a.example/cb', '--min-acr', 'aal3']),
    ).rejects.toThrow(UsageError);
  });

  it('rotates keys, keeping the previous one published for the overlap', async () => {
    const first = JSON.parse((await run(runKeys, ['list', '--json'])).out) as { keys: { kid: string }[] };
    expect(first.keys).toHaveLength(1);
    const rotated = await run(runKeys, ['rotate', '--overlap', '24']);
    expect(rotated.out).toContain('previous keys stay published for 24 hours');
    const after = JSON.parse((await run(runKeys, ['list', '--json'])).out) as {
      keys: { kid: string; signing: boolean; removedAt: string | null }[];
    };
    expect(after.keys).toHaveLength(2);
    expect(after.keys[0]?.signing).toBe(true);
    expect(after.keys[1]).toMatchObject({
      kid: first.keys[0]?.kid,
      signing: false,
      removedAt: '2026-03-02T10:00:00.000Z',
    });
    expect(JSON.stringify(after)).not.toContain('"d"');
  });
});
