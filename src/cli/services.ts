/**
 * Opening the services from the environment for an operator command: load the configuration
 * (a bad value is one line and exit code 2), open and migrate the database, run, close. Service
 * errors are printed as one line; exit code 2 for bad input, 1 for a refusal.
 */
import { type Config, ConfigError, loadConfig } from '../config/index.js';
import {
  createServices,
  emptyMetadata,
  isServiceError,
  metadataSource,
  migrateToLatest,
  type OidcStorage,
  oidcStorage,
  openDatabase,
  PolicyInvalidError,
  type ServiceErrorCode,
  type TesseraServices,
} from '../services/index.js';
import type { CliIo } from './io.js';

const BAD_INPUT: readonly ServiceErrorCode[] = [
  'username_invalid',
  'name_invalid',
  'group_invalid',
  'event_filter_invalid',
];

/** The configuration from the environment, or null after printing why (the caller exits 2). */
function configFrom(command: string, io: CliIo, env: NodeJS.ProcessEnv): Config | null {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`tessera ${command}: ${error.message}\n`);
    return null;
  }
}

/** The OpenID Provider's storage (apps, signing keys) on the configured, migrated database. */
export async function withOidcStorage(
  command: string,
  io: CliIo,
  env: NodeJS.ProcessEnv,
  run: (storage: OidcStorage, config: Config) => Promise<number>,
): Promise<number> {
  const config = configFrom(command, io, env);
  if (config === null) return 2;
  const database = openDatabase(config);
  try {
    await migrateToLatest(database);
    return await run(oidcStorage(database, io.now), config);
  } finally {
    await database.close();
  }
}

export async function withServices(
  command: string,
  io: CliIo,
  env: NodeJS.ProcessEnv,
  options: { readonly metadata: boolean },
  run: (services: TesseraServices, config: Config) => Promise<number>,
): Promise<number> {
  const config = configFrom(command, io, env);
  if (config === null) return 2;
  const database = openDatabase(config);
  const metadata = options.metadata
    ? metadataSource({ dataDir: config.dataDir, metadataDir: config.metadataDir, db: database })
    : emptyMetadata;
  const services = createServices({ db: database, config, metadata });
  try {
    await migrateToLatest(database);
    return await run(services, config);
  } catch (error) {
    if (!isServiceError(error)) throw error;
    if (error instanceof PolicyInvalidError) {
      io.out(`${error.problems.join('\n')}\n`);
      return 1;
    }
    io.err(`tessera ${command}: ${error.message}${error.detail ? ` (${error.detail})` : ''}\n`);
    return BAD_INPUT.includes(error.code) ? 2 : 1;
  } finally {
    await services.close();
  }
}
