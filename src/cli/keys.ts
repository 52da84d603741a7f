/**
 * `tessera keys` — the OpenID Provider's token-signing keys (kept in the database):
 *
 *   tessera keys list [--json]
 *   tessera keys rotate [--overlap HOURS]
 *
 * The first key is generated when the server first starts. `rotate` makes a new key the signing
 * key; the previous ones stay published in the JWKS for the overlap (default 168 hours, longer
 * than any token lives) so tokens they signed still verify, then drop out. Running servers pick
 * the new key up within seconds; nothing restarts.
 *
 * Exit codes: 0 done; 2 usage or configuration.
 */
import { parseArgs } from 'node:util';
import { KEY_OVERLAP_MS, type OidcStorage } from '../services/index.js';
import { type CliIo, UsageError } from './io.js';
import { withOidcStorage } from './services.js';

const USAGE = ['usage: tessera keys list [--json]', '       tessera keys rotate [--overlap HOURS]'].join(
  '\n',
);
const MAX_OVERLAP_HOURS = 90 * 24;

async function run(storage: OidcStorage, argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { overlap: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const [command, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(USAGE);
  if (command === 'rotate') {
    let overlapMs = KEY_OVERLAP_MS;
    if (values.overlap !== undefined) {
      const hours = /^\d{1,5}$/.test(values.overlap) ? Number(values.overlap) : Number.NaN;
      if (!(hours >= 1 && hours <= MAX_OVERLAP_HOURS))
        throw new UsageError(`--overlap must be a whole number of hours from 1 to ${MAX_OVERLAP_HOURS}`);
      overlapMs = hours * 3_600_000;
    }
    await storage.keys.current();
    const key = await storage.keys.rotate(overlapMs);
    io.out(`new signing key ${key.kid}; previous keys stay published for ${overlapMs / 3_600_000} hours\n`);
    return 0;
  }
  if (command === 'list') {
    const keys = (await storage.keys.current()).map(({ jwk: _private, ...rest }) => rest);
    if (values.json) {
      io.out(`${JSON.stringify({ keys })}\n`);
      return 0;
    }
    for (const key of keys)
      io.out(
        `${key.kid}  ${key.signing ? 'signing' : `retired ${key.retiredAt ?? ''}, published until ${key.removedAt ?? ''}`}  created ${key.createdAt}\n`,
      );
    return 0;
  }
  throw new UsageError(USAGE);
}

export async function runKeys(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return withOidcStorage('keys', io, env, (storage) => run(storage, argv, io));
}
