/**
 * `tessera` — the operator's command line. One entry per command group, in a table.
 */
import { readFileSync } from 'node:fs';
import { runApps } from './apps.js';
import { runGroups } from './groups.js';
import { runInspect } from './inspect.js';
import { type CliIo, UsageError } from './io.js';
import { runKeys } from './keys.js';
import { runMetadata } from './metadata.js';
import { runPeople } from './people.js';
import { runPolicy } from './policy.js';
import { runServe } from './serve.js';

type Command = (argv: readonly string[], io: CliIo) => number | Promise<number>;

const COMMANDS: Readonly<Record<string, { readonly run: Command; readonly summary: string }>> = {
  apps: {
    run: (argv, io) => runApps(argv, io),
    summary: 'register the apps that sign people in with Tessera (OpenID Connect)',
  },
  groups: {
    run: (argv, io) => runGroups(argv, io),
    summary: 'the groups people belong to, which policy segments name',
  },
  inspect: { run: runInspect, summary: 'verify recorded WebAuthn responses offline and describe them' },
  keys: {
    run: (argv, io) => runKeys(argv, io),
    summary: 'list and rotate the OpenID Provider token-signing keys',
  },
  metadata: { run: runMetadata, summary: 'import and inspect FIDO metadata (MDS3 BLOB, statements)' },
  people: {
    run: (argv, io) => runPeople(argv, io),
    summary: 'add people and print their one-time onboarding links',
  },
  policy: {
    run: (argv, io) => runPolicy(argv, io),
    summary: 'validate, simulate, apply and show the assurance policy and its history',
  },
  serve: { run: (argv, io) => runServe(argv, io), summary: 'run the server (what `npm start` does)' },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['usage: tessera <command> [options]', '', 'commands:', ...rows].join('\n');
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`tessera: unknown command "${name}"\n${help()}\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
      // parseArgs reports unknown or malformed options as TypeError with an ERR_PARSE_ARGS_* code.
      io.err(`tessera ${name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(line.endsWith('\n') ? line : `${line}\n`),
  err: (line) => process.stderr.write(line),
  readStdin: () => readFileSync(0, 'utf8'),
  now: () => new Date(),
};
