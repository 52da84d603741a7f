/**
 * `tessera people` — people and their onboarding links, for operators:
 *
 *   tessera people add USERNAME [--name "Display Name"] [--group G]… [--lifetime MINUTES] [--json]
 *   tessera people pass USERNAME [--lifetime MINUTES] [--json]
 *
 * `add` creates the person and prints a one-time onboarding link, `<first origin>/onboard#pass=…`
 * (the pass travels in the URL fragment, which browsers never send to a server); following it lets
 * the person enrol a first passkey or security key. `pass` issues a new link for an existing
 * person (the first expired or was lost) and withdraws any unused one. Links last 15 minutes
 * unless --lifetime says otherwise (1 minute to 7 days). There are no passwords. `--group` (repeatable)
 * puts the person in groups (created when missing) before they enrol, so the assurance policy
 * judges their first credential by their segment.
 *
 * The database and origins come from the environment (TESSERA_*, see src/config/defaults.ts);
 * the schema is migrated first, so this also works before the server has ever started.
 *
 * Exit codes: 0 done; 1 refused (username taken or unknown); 2 usage or configuration.
 */
import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from '../config/index.js';
import {
  createServices,
  emptyMetadata,
  isServiceError,
  migrateToLatest,
  openDatabase,
  type TesseraServices,
} from '../services/index.js';
import { type CliIo, UsageError } from './io.js';

const USAGE = [
  'usage: tessera people add USERNAME [--name "Display Name"] [--group G]… [--lifetime MINUTES] [--json]',
  '       tessera people pass USERNAME [--lifetime MINUTES] [--json]',
].join('\n');

const MAX_LIFETIME_MINUTES = 7 * 24 * 60;

interface Parsed {
  readonly command: 'add' | 'pass';
  readonly username: string;
  readonly displayName: string | undefined;
  readonly lifetimeMs: number | undefined;
  readonly groups: readonly string[];
  readonly json: boolean;
}

function parse(argv: readonly string[]): Parsed {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      lifetime: { type: 'string' },
      group: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
  });
  const [command, username, ...extra] = positionals;
  if ((command !== 'add' && command !== 'pass') || username === undefined || extra.length > 0)
    throw new UsageError(USAGE);
  if (command === 'pass' && values.name !== undefined)
    throw new UsageError(`--name is not an option here\n${USAGE}`);
  if (command === 'pass' && values.group !== undefined)
    throw new UsageError(`--group is not an option here (use tessera groups add)\n${USAGE}`);
  let lifetimeMs: number | undefined;
  if (values.lifetime !== undefined) {
    const minutes = /^\d{1,6}$/.test(values.lifetime) ? Number(values.lifetime) : Number.NaN;
    if (!(minutes >= 1 && minutes <= MAX_LIFETIME_MINUTES))
      throw new UsageError(`--lifetime must be a whole number of minutes from 1 to ${MAX_LIFETIME_MINUTES}`);
    lifetimeMs = minutes * 60_000;
  }
  return {
    command,
    username,
    displayName: values.name,
    lifetimeMs,
    groups: values.group ?? [],
    json: values.json,
  };
}

function link(config: Config, pass: string): string {
  return `${config.origins[0] ?? `http://localhost:${config.port}`}/onboard#pass=${pass}`;
}

async function run(services: TesseraServices, config: Config, args: Parsed, io: CliIo): Promise<number> {
  const now = io.now();
  const lifetime = args.lifetimeMs === undefined ? {} : { passLifetimeMs: args.lifetimeMs };
  if (args.command === 'add') {
    const added = await services.people.add(
      {
        username: args.username,
        ...(args.displayName === undefined ? {} : { displayName: args.displayName }),
        ...lifetime,
      },
      now,
    );
    for (const group of args.groups)
      await services.groups.add({ group, usernames: [added.person.username] }, now);
    const url = link(config, added.pass);
    if (args.json) {
      io.out(
        `${JSON.stringify({ person: added.person, groups: args.groups, link: url, expiresAt: added.expiresAt })}\n`,
      );
      return 0;
    }
    io.out(
      [
        `added ${added.person.username} (${added.person.displayName})${args.groups.length > 0 ? ` in ${args.groups.join(', ')}` : ''}`,
        `onboarding link, single use, valid until ${added.expiresAt}:`,
        `  ${url}`,
      ].join('\n'),
    );
    return 0;
  }
  const issued = await services.people.issuePass({ username: args.username, ...lifetime }, now);
  const url = link(config, issued.pass);
  if (args.json) {
    io.out(`${JSON.stringify({ username: args.username, link: url, expiresAt: issued.expiresAt })}\n`);
    return 0;
  }
  io.out(
    [
      `new onboarding link for ${args.username}, single use, valid until ${issued.expiresAt}`,
      '(any earlier unused link no longer works):',
      `  ${url}`,
    ].join('\n'),
  );
  return 0;
}

export async function runPeople(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const args = parse(argv);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`tessera people: ${error.message}\n`);
    return 2;
  }
  const database = openDatabase(config);
  const services = createServices({ db: database, config, metadata: emptyMetadata });
  try {
    await migrateToLatest(database);
    return await run(services, config, args, io);
  } catch (error) {
    if (!isServiceError(error)) throw error;
    io.err(`tessera people: ${error.message}${error.detail ? ` (${error.detail})` : ''}\n`);
    return error.code === 'username_invalid' ||
      error.code === 'name_invalid' ||
      error.code === 'group_invalid'
      ? 2
      : 1;
  } finally {
    await services.close();
  }
}
