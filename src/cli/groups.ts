/**
 * `tessera groups` — the groups people belong to, which the policy's segments name:
 *
 *   tessera groups list [--json]
 *   tessera groups add GROUP [USERNAME…]      create the group (if needed) and add these people
 *   tessera groups remove GROUP [USERNAME…]   remove these people, or without usernames the group
 *
 * `tessera people add USERNAME --group G` puts a new person in groups before they enrol, so the
 * policy judges their first credential by their segment.
 *
 * Exit codes: 0 done; 1 refused (unknown person or group); 2 usage or configuration.
 */
import { parseArgs } from 'node:util';
import { type CliIo, UsageError } from './io.js';
import { withServices } from './services.js';

const USAGE = [
  'usage: tessera groups list [--json]',
  '       tessera groups add GROUP [USERNAME…]',
  '       tessera groups remove GROUP [USERNAME…]',
].join('\n');

export async function runGroups(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const [sub, group, ...usernames] = positionals;
  if (sub === 'list') {
    if (group !== undefined) throw new UsageError(USAGE);
  } else if ((sub !== 'add' && sub !== 'remove') || group === undefined) {
    throw new UsageError(USAGE);
  }
  return withServices('groups', io, env, { metadata: false }, async (services) => {
    if (sub === 'list') {
      const groups = await services.groups.list();
      if (values.json) io.out(`${JSON.stringify({ groups })}\n`);
      else if (groups.length === 0) io.out('no groups\n');
      else
        io.out(
          `${groups.map((g) => `${g.name} (${g.members.length}): ${g.members.join(', ') || '—'}`).join('\n')}\n`,
        );
      return 0;
    }
    const name = group ?? '';
    if (sub === 'add') {
      const added = await services.groups.add({ group: name, usernames }, io.now());
      io.out(
        values.json
          ? `${JSON.stringify({ group: added })}\n`
          : `${added.name}: ${added.members.length} member${added.members.length === 1 ? '' : 's'}${added.members.length > 0 ? ` (${added.members.join(', ')})` : ''}\n`,
      );
      return 0;
    }
    await services.groups.remove({ group: name, usernames });
    io.out(
      usernames.length === 0 ? `removed group ${name}\n` : `removed ${usernames.join(', ')} from ${name}\n`,
    );
    return 0;
  });
}
