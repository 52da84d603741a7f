/**
 * `tessera apps` — the apps (OpenID Connect relying parties) that may sign people in with Tessera:
 *
 *   tessera apps add NAME --redirect-uri URI [--redirect-uri URI]… [--public] [--min-acr phr|phrh]
 *                         [--post-logout-uri URI]… [--json]
 *   tessera apps list [--json]
 *   tessera apps remove CLIENT_ID
 *
 * `add` prints the client id and, for a confidential app, its client secret — once: it is not
 * shown again. `--public` is for apps that cannot keep a secret (single-page and native apps):
 * they authenticate with PKCE alone. Redirect URIs are matched exactly. `--min-acr phrh` makes the
 * app accept only sign-ins with AAL3 evidence (a trusted security key), whatever it asks for.
 *
 * The issuer is `<first origin>/oidc`; discovery is at `<issuer>/.well-known/openid-configuration`.
 * Exit codes: 0 done; 1 no such app; 2 usage or configuration.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../config/index.js';
import type { OidcStorage } from '../services/index.js';
import { type CliIo, UsageError } from './io.js';
import { withOidcStorage } from './services.js';

const USAGE = [
  'usage: tessera apps add NAME --redirect-uri URI [--redirect-uri URI]… [--public] [--min-acr phr|phrh]',
  '                            [--post-logout-uri URI]… [--json]',
  '       tessera apps list [--json]',
  '       tessera apps remove CLIENT_ID',
].join('\n');

function redirectUri(value: string, option: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${option} ${JSON.stringify(value)} is not an absolute URL`);
  }
  if (url.hash !== '') throw new UsageError(`${option} must not have a fragment`);
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol === 'http:' && !local)
    throw new UsageError(`${option} must be https (http only for localhost)`);
  return value;
}

async function run(
  storage: OidcStorage,
  config: Config,
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-uri': { type: 'string', multiple: true },
      public: { type: 'boolean', default: false },
      'min-acr': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [command, argument, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(USAGE);
  const issuer = `${config.origins[0] ?? `http://localhost:${config.port}`}/oidc`;

  if (command === 'add' && argument !== undefined) {
    const uris = (values['redirect-uri'] ?? []).map((u) => redirectUri(u, '--redirect-uri'));
    if (uris.length === 0) throw new UsageError(`--redirect-uri is required\n${USAGE}`);
    const minAcr = values['min-acr'];
    if (minAcr !== undefined && minAcr !== 'phr' && minAcr !== 'phrh')
      throw new UsageError('--min-acr must be phr or phrh');
    const { app, secret } = await storage.apps.add({
      name: argument,
      redirectUris: uris,
      public: values.public,
      postLogoutRedirectUris: (values['post-logout-uri'] ?? []).map((u) =>
        redirectUri(u, '--post-logout-uri'),
      ),
      ...(minAcr === undefined ? {} : { minAcr }),
    });
    if (values.json) {
      io.out(`${JSON.stringify({ ...app, clientSecret: secret, issuer })}\n`);
      return 0;
    }
    io.out(
      [
        `added ${app.name} (${app.public ? 'public: PKCE, no secret' : 'confidential'})`,
        `  issuer:        ${issuer}`,
        `  client id:     ${app.clientId}`,
        ...(secret === null
          ? []
          : [`  client secret: ${secret}`, '  (shown once: keep it now, it is not shown again)']),
      ].join('\n'),
    );
    return 0;
  }
  if (command === 'list' && argument === undefined) {
    const apps = await storage.apps.list();
    if (values.json) {
      io.out(`${JSON.stringify({ apps })}\n`);
      return 0;
    }
    if (apps.length === 0) {
      io.out('no apps (add one with tessera apps add)\n');
      return 0;
    }
    for (const app of apps) {
      const acr = app.minAcr === null ? '' : `, min acr ${app.minAcr}`;
      io.out(
        `${app.clientId}  ${app.name} (${app.public ? 'public' : 'confidential'}${acr})  ${app.redirectUris.join(' ')}\n`,
      );
    }
    return 0;
  }
  if (command === 'remove' && argument !== undefined) {
    if (!(await storage.apps.remove(argument))) {
      io.err(`tessera apps: no app with client id ${JSON.stringify(argument)}\n`);
      return 1;
    }
    io.out(`removed ${argument}\n`);
    return 0;
  }
  throw new UsageError(USAGE);
}

export async function runApps(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return withOidcStorage('apps', io, env, (storage, config) => run(storage, config, argv, io));
}
