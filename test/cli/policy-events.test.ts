/**
 * `tessera policy events` against the database, in-process, configured from an environment as an
 * operator would, on both dialects: the table and the JSON, each filter, and usage errors. The
 * events are written with the store's own insert (the services tests cover what gets logged).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { runPeople } from '../../src/cli/people.js';
import { runPolicy } from '../../src/cli/policy.js';
import type { PolicyEventView } from '../../src/services/contract.js';
import { findPersonByUsername } from '../../src/store/people.js';
import { insertPolicyEvent, type PolicyEventRecord } from '../../src/store/policy-events.js';
import { cliEnvironment, createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';

const NOW = new Date('2026-03-10T12:00:00Z');
const DAY = 86_400_000;

describe.each(DIALECTS)('tessera policy events on %s', (dialect) => {
  let t: TestDatabase;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    t = await createTestDatabase(dialect, { migrate: false });
    env = cliEnvironment(t);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  function io(out: string[], err: string[]): CliIo {
    return { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: () => '', now: () => NOW };
  }

  async function run(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPolicy(argv, io(out, err), env);
    return { code, out: out.join(''), err: err.join('') };
  }

  /**
   * Through `main`, as the command line runs it: usage errors are one line and exit code 2. They
   * are found before any configuration is read, so the process environment is not needed.
   */
  async function runMain(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['policy', ...argv], io(out, err));
    return { code, out: out.join(''), err: err.join('') };
  }

  it('says when there is nothing to show', async () => {
    const result = await run(['events']);
    expect(result).toEqual({ code: 0, out: 'no policy events\n', err: '' });
    expect(JSON.parse((await run(['events', '--json'])).out)).toEqual({ events: [] });
  });

  it('prints the log newest first as a table and as JSON, filtered', async () => {
    for (const name of ['ada', 'bob']) expect(await runPeople(['add', name], io([], []), env)).toBe(0);
    const ada = await findPersonByUsername(t.database.db, 'ada');
    const bob = await findPersonByUsername(t.database.db, 'bob');
    if (ada === null || bob === null) throw new Error('people add did not add them');
    const event = (
      e: Partial<PolicyEventRecord> & Pick<PolicyEventRecord, 'id' | 'at'>,
    ): PolicyEventRecord => ({
      personId: ada.id,
      point: 'sign-in',
      segment: 'admins',
      phase: 'monitor',
      effect: 'allow',
      codes: ['monitor_would_deny', 'aal_below_minimum', 'class_not_allowed'],
      policyVersion: 2,
      credentialId: Buffer.from([1, 2, 3]),
      clientId: null,
      ...e,
    });
    for (const e of [
      event({ id: 'e1', at: NOW.getTime() - 10 * DAY, point: 'registration' }),
      event({ id: 'e2', at: NOW.getTime() - 2 * DAY }),
      event({
        id: 'e3',
        at: NOW.getTime() - DAY,
        personId: bob.id,
        point: 'acr',
        segment: 'default',
        phase: 'enforce',
        effect: 'deny',
        codes: ['acr_not_satisfied'],
        credentialId: null,
        clientId: 'wiki',
      }),
    ])
      await insertPolicyEvent(t.database.db, e);

    const table = await run(['events']);
    expect(table.code).toBe(0);
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^at {2,}person {2,}point {2,}segment {2,}phase {2,}effect {2,}version {2,}app {2,}codes$/,
    );
    expect(lines.slice(1).map((l) => l.split(/ {2,}/))).toEqual([
      [
        '2026-03-09T12:00:00.000Z',
        'bob',
        'acr',
        'default',
        'enforce',
        'deny',
        '2',
        'wiki',
        'acr_not_satisfied',
      ],
      [
        '2026-03-08T12:00:00.000Z',
        'ada',
        'sign-in',
        'admins',
        'monitor',
        'allow',
        '2',
        '—',
        'monitor_would_deny, aal_below_minimum, class_not_allowed',
      ],
      [
        '2026-02-28T12:00:00.000Z',
        'ada',
        'registration',
        'admins',
        'monitor',
        'allow',
        '2',
        '—',
        'monitor_would_deny, aal_below_minimum, class_not_allowed',
      ],
    ]);

    const json = async (argv: string[]) => {
      const result = await run(['events', ...argv, '--json']);
      expect(result.code).toBe(0);
      return (JSON.parse(result.out) as { events: PolicyEventView[] }).events;
    };
    expect((await json([]))[0]).toEqual({
      id: 'e3',
      at: '2026-03-09T12:00:00.000Z',
      username: 'bob',
      point: 'acr',
      segment: 'default',
      phase: 'enforce',
      effect: 'deny',
      codes: ['acr_not_satisfied'],
      policyVersion: 2,
      credentialId: null,
      clientId: 'wiki',
    });
    expect((await json(['--person', 'ada']))[0]?.credentialId).toBe('AQID');
    const ids = async (argv: string[]) => (await json(argv)).map((e) => e.id);
    expect(await ids(['--since', '7d'])).toEqual(['e3', 'e2']);
    expect(await ids(['--since', '36h'])).toEqual(['e3']);
    expect(await ids(['--since', '2026-03-08'])).toEqual(['e3', 'e2']);
    expect(await ids(['--since', '2026-03-08T13:00:00+01:00'])).toEqual(['e3', 'e2']);
    expect(await ids(['--segment', 'admins'])).toEqual(['e2', 'e1']);
    expect(await ids(['--point', 'registration'])).toEqual(['e1']);
    expect(await ids(['--effect', 'deny'])).toEqual(['e3']);
    expect(await ids(['--effect', 'allow', '--person', 'ADA', '--since', '1w'])).toEqual(['e2']);
    expect(await ids(['--limit', '1'])).toEqual(['e3']);

    // A full page says there may be more.
    const page = await run(['events', '--limit', '2']);
    expect(page.out.trimEnd().split('\n').at(-1)).toBe('the newest 2 events; --limit or --since for others');
    expect((await run(['events', '--limit', '3'])).out).not.toContain('the newest');
  });

  it('refuses bad arguments with a usage error, and an unknown person', async () => {
    for (const [argv, message] of [
      [
        ['--since', 'yesterday'],
        /--since must be a date \(2026-03-01\), a date-time with a zone, or a duration/,
      ],
      [['--since', '7y'], /--since must be/],
      [['--point', 'login'], /--point must be one of registration, sign-in, session, acr, got "login"/],
      [['--effect', 'block'], /--effect must be one of allow, warn, deny/],
      [['--limit', '0'], /--limit must be a whole number from 1 to 10000, got "0"/],
      [['--limit', '10001'], /--limit must be/],
      [['--limit', 'ten'], /--limit must be/],
      [['--segment', 'Admins!'], /--segment must be a segment name/],
      [['--by', 'x'], /--by is not an option here/],
      [['extra'], /usage: tessera policy/],
      [['--bogus'], /Unknown option '--bogus'/],
    ] as const) {
      const result = await runMain(['events', ...argv]);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err, argv.join(' ')).toMatch(message);
      expect(result.out).toBe('');
    }
    const unknown = await run(['events', '--person', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('tessera policy: No person has that username. (nobody)\n');
    // The other subcommands refuse the log's options instead of ignoring them.
    expect((await runMain(['history', '--limit', '5'])).err).toMatch(/--limit is not an option here/);
    expect((await runMain(['validate', 'policy.yaml', '--since', '7d'])).err).toMatch(
      /--since is not an option here/,
    );
  });
});
