/**
 * The use cases (./contract.ts), over the store, the core and the trust layer.
 *
 *   const database = openDatabase(config);
 *   await migrateToLatest(database);
 *   const services = createServices({
 *     db: database,
 *     config,
 *     // db: the BLOB is kept in the database, shared by every instance (see ./snapshot-source.ts).
 *     metadata: metadataSource({ dataDir: config.dataDir, metadataDir: config.metadataDir, db: database }),
 *   });
 *
 * Nothing another instance needs is kept in memory: challenges, sessions, passes, counters and the
 * server's keys are in the database; what is cached here (the metadata snapshot, the
 * allowCredentials key once read) is derived from shared state and identical on every instance.
 */
import { randomBytes } from 'node:crypto';
import { Kysely } from 'kysely';
import type { Config } from '../config/index.js';
import { type Database, dialectOf, ping } from '../store/database.js';
import type { Schema } from '../store/schema.js';
import { ensureSetting } from '../store/settings.js';
import type { MetadataSnapshot } from '../trust/metadata/index.js';
import type { ServiceContext } from './context.js';
import type { TesseraServices } from './contract.js';
import { credentialsService } from './credentials.js';
import { onboardingService } from './onboarding.js';
import { peopleService } from './people.js';
import { groupsService, policyReader, policyService, sessionQualifies } from './policy.js';
import { registrationService } from './registration.js';
import { sessionsService } from './sessions.js';
import { signInService } from './sign-in.js';
import { signInsService } from './sign-ins.js';

// The outer layers open and migrate the database through here (store is used by services only).
export { type Database, type DialectName, openDatabase } from '../store/database.js';
export { MigrationError, migrateToLatest } from '../store/migrations/index.js';
export { POLICY_EVENT_EFFECTS, POLICY_EVENT_POINTS } from '../store/policy-events.js';
export type * from './contract.js';
export {
  isServiceError,
  PolicyDeniedError,
  PolicyInvalidError,
  type PolicyProblemView,
  SERVICE_ERRORS,
  ServiceError,
  type ServiceErrorCode,
} from './errors.js';
export * from './oidc.js';
export { DEFAULT_EVENT_LIMIT, MAX_EVENT_LIMIT } from './policy.js';
export { emptyMetadata, metadataSource, type SnapshotSourceOptions } from './snapshot-source.js';

export interface ServiceDeps {
  /** The opened database (`openDatabase`), or a Kysely instance over the same schema. */
  readonly db: Database | Kysely<Schema>;
  readonly config: Config;
  /** The metadata snapshot to judge credentials with; called once per operation that needs it. */
  readonly metadata: () => Promise<MetadataSnapshot> | MetadataSnapshot;
}

const ALLOW_CREDENTIALS_KEY = 'allow_credentials_hmac_key';

export function createServices(deps: ServiceDeps): TesseraServices {
  const db = deps.db instanceof Kysely ? deps.db : deps.db.db;
  const close = deps.db instanceof Kysely ? () => db.destroy() : deps.db.close;
  let allowKey: Promise<Buffer> | null = null;

  const readPolicy = policyReader(db);
  const sc: ServiceContext = {
    db,
    dialect: dialectOf(db),
    config: deps.config,
    snapshot: async () => deps.metadata(),
    allowCredentialsKey: () => {
      // Generated at first use and stored, so every instance derives the same fake lists.
      if (allowKey === null) {
        const loading = ensureSetting(db, ALLOW_CREDENTIALS_KEY, () => randomBytes(32), Date.now());
        allowKey = loading;
        loading.catch(() => {
          if (allowKey === loading) allowKey = null;
        });
      }
      return allowKey;
    },
    policy: readPolicy,
    sessionQualifies: (session, now) => sessionQualifies(sc, session, now),
  };

  return {
    people: peopleService(sc),
    onboarding: onboardingService(sc),
    registration: registrationService(sc),
    signIn: signInService(sc),
    sessions: sessionsService(sc),
    credentials: credentialsService(sc),
    signIns: signInsService(sc),
    policy: policyService(sc),
    groups: groupsService(sc),
    health: { ready: () => ping(db) },
    close,
  };
}
