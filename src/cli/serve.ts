/**
 * `tessera serve`: read the configuration from the environment, open and migrate the database,
 * and serve the HTTP API, the portal and (with TESSERA_CONFORMANCE=1) the conformance API until
 * SIGTERM or SIGINT.
 *
 * Exit codes: 0 after a graceful shutdown; 2 for a configuration error (one line naming the
 * variable); 1 when the database cannot be opened or migrated, or the port cannot be bound.
 *
 * Shutdown: stop accepting connections, let in-flight requests finish (new ones on open
 * connections get 503), close the database, exit 0. Should that take longer than
 * SHUTDOWN_TIMEOUT_MS, the process exits with 1 rather than hang.
 */
import { parseArgs } from 'node:util';
import { type Config, ConfigError, ENVIRONMENT, loadConfig } from '../config/index.js';
import { buildApp } from '../http/app.js';
import { issuerFor, oidcRoutes } from '../oidc/index.js';
import { createConformanceServices } from '../services/conformance.js';
import { createServices, metadataSource, oidcStorage } from '../services/index.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrations/index.js';
import type { CliIo } from './io.js';

export const SHUTDOWN_TIMEOUT_MS = 15_000;
/** Listen on every IPv4 interface, like a server in a container or behind a proxy does. */
export const LISTEN_HOST = '0.0.0.0';

function usage(): string {
  const width = Math.max(...Object.values(ENVIRONMENT).map((e) => e.name.length));
  const rows = Object.values(ENVIRONMENT).map(
    (e) =>
      `  ${e.name.padEnd(width)}  ${e.description}${e.default === null ? '' : ` (default ${e.default})`}`,
  );
  return [
    'usage: tessera serve',
    '',
    'Serves Tessera over HTTP. Configuration, from the environment:',
    ...rows,
  ].join('\n');
}

/** Which signals end the server; injectable for tests. */
export interface ServeOptions {
  readonly signals?: Pick<NodeJS.Process, 'once' | 'removeListener'>;
  readonly env?: NodeJS.ProcessEnv;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function runServe(
  argv: readonly string[],
  io: CliIo,
  options: ServeOptions = {},
): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.out(`${usage()}\n`);
    return 0;
  }

  let config: Config;
  try {
    config = loadConfig(options.env ?? process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`tessera serve: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const database = openDatabase(config);
  try {
    await migrateToLatest(database);
  } catch (error) {
    io.err(`tessera serve: the database cannot be opened or migrated: ${message(error)}\n`);
    await database.close().catch(() => {});
    return 1;
  }

  const deps = {
    db: database,
    config,
    // With `db`, a BLOB imported on any instance is shared through the database (several
    // instances behind a load balancer read the same metadata).
    metadata: metadataSource({ dataDir: config.dataDir, metadataDir: config.metadataDir, db: database }),
  };
  const services = createServices(deps);
  const origin = config.origins[0] ?? `http://localhost:${config.port}`;
  const oidc = oidcRoutes({
    oidc: {
      issuer: issuerFor(origin),
      registrationToken: config.oidcRegistrationToken,
      storage: oidcStorage(database),
    },
    services,
    context: { secure: config.https, now: () => new Date() },
  });
  const app = buildApp({
    services,
    config,
    mounts: [oidc],
    ...(config.conformance ? { conformance: createConformanceServices(deps) } : {}),
  });

  try {
    await app.listen({ port: config.port, host: LISTEN_HOST });
  } catch (error) {
    io.err(`tessera serve: cannot listen on port ${config.port}: ${message(error)}\n`);
    await app.close().catch(() => {});
    await services.close().catch(() => {});
    return 1;
  }
  io.out(`Tessera listening on http://localhost:${config.port}\n`);
  if (config.conformance) app.log.warn('the FIDO conformance API is mounted (TESSERA_CONFORMANCE=1)');

  const signals = options.signals ?? process;
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      signals.removeListener('SIGTERM', stop);
      signals.removeListener('SIGINT', stop);
      app.log.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        io.err(`tessera serve: shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms\n`);
        process.exit(1);
      }, SHUTDOWN_TIMEOUT_MS);
      force.unref();
      app
        .close()
        .then(() => services.close())
        .then(
          () => {
            clearTimeout(force);
            resolve(0);
          },
          (error: unknown) => {
            clearTimeout(force);
            io.err(`tessera serve: shutdown failed: ${message(error)}\n`);
            resolve(1);
          },
        );
    };
    signals.once('SIGTERM', stop);
    signals.once('SIGINT', stop);
  });
}
