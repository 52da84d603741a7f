/**
 * The real Tessera server for the portal's end-to-end tests: the Fastify app, the use cases and a
 * fresh database of the given dialect, in this process, on an ephemeral port of 127.0.0.1 reached
 * as http://localhost:PORT (WebAuthn refuses 127.0.0.1 as an origin; localhost is a secure
 * context and a valid RP ID).
 *
 * The portal served is built from web/ with its Vite configuration (see `buildPortal`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { buildApp } from '../../src/http/app.js';
import { issuerFor, oidcRoutes } from '../../src/oidc/index.js';
import {
  createServices,
  metadataSource,
  type OidcStorage,
  oidcStorage,
  type TesseraServices,
} from '../../src/services/index.js';
import type { DialectName } from '../../src/store/database.js';
import { createTestDatabase, UNLIMITED_RATE_LIMITS } from '../support/databases.js';

const WEB_SOURCE = resolve(import.meta.dirname, '../../web');

export interface TestServer {
  /** http://localhost:PORT */
  readonly origin: string;
  readonly dialect: DialectName;
  readonly services: TesseraServices;
  /** The OpenID Provider's storage (apps, keys), when started with `oidc`. */
  readonly oidc: OidcStorage;
  /** The server's clock runs this much ahead from now on (session ages, reauthentication). */
  advanceClock(ms: number): void;
  /** A person and the onboarding link a browser opens. */
  addPerson(username: string, displayName: string): Promise<{ readonly link: string }>;
  close(): Promise<void>;
}

let portalBuild: Promise<string> | null = null;

/**
 * The portal, built from web/ into a folder of this test run's own: the tests always exercise the
 * current source, and a concurrent `npm run build` (which empties dist/web) cannot pull files from
 * under the running server.
 */
export function buildPortal(): Promise<string> {
  portalBuild ??= (async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'tessera-e2e-web-'));
    const { build } = await import('vite');
    await build({
      configFile: join(WEB_SOURCE, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true, sourcemap: false },
    });
    return outDir;
  })();
  return portalBuild;
}

export async function removePortalBuild(): Promise<void> {
  if (portalBuild === null) return;
  const outDir = await portalBuild.catch(() => null);
  portalBuild = null;
  if (outDir !== null) await rm(outDir, { recursive: true, force: true });
}

/** A port nobody listens on right now (the config needs the origin before the app is built). */
async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

export interface ServerOptions {
  /** Mount the OpenID Provider under /oidc. */
  readonly oidc?: boolean;
  /** TESSERA_METADATA_DIR: a folder of metadata statements whose roots are trusted. */
  readonly metadataDir?: string;
  /** TESSERA_OIDC_REGISTRATION_TOKEN. */
  readonly registrationToken?: string;
  /** TESSERA_TRUST_PROXY (e.g. `loopback`: the tests' own requests come through a "proxy"). */
  readonly trustProxy?: string;
}

export async function startServer(dialect: DialectName, options: ServerOptions = {}): Promise<TestServer> {
  const webRoot = await buildPortal();
  const db = await createTestDatabase(dialect);
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const loaded = loadConfig({
    TESSERA_PORT: String(port),
    TESSERA_RP_ID: 'localhost',
    TESSERA_ORIGINS: origin,
    TESSERA_DATA_DIR: db.dataDir,
    ...(options.metadataDir === undefined ? {} : { TESSERA_METADATA_DIR: options.metadataDir }),
    ...(options.trustProxy === undefined ? {} : { TESSERA_TRUST_PROXY: options.trustProxy }),
    ...(db.settings.databaseUrl === null ? {} : { TESSERA_DATABASE_URL: db.settings.databaseUrl }),
  });
  // One browser runs every test of a suite against this server, far faster than a person signs in.
  const config = Object.freeze({ ...loaded, rateLimits: UNLIMITED_RATE_LIMITS });
  const services = createServices({
    db: db.database,
    config,
    metadata: metadataSource({ dataDir: config.dataDir, metadataDir: config.metadataDir }),
  });
  let offsetMs = 0;
  const now = (): Date => new Date(Date.now() + offsetMs);
  const storage = oidcStorage(db.database, now);
  const mounts = options.oidc
    ? [
        oidcRoutes({
          oidc: {
            issuer: issuerFor(origin),
            registrationToken: options.registrationToken ?? null,
            storage,
          },
          services,
          context: { secure: false, now },
          keyCheckMs: 0,
        }),
      ]
    : [];
  const app = buildApp({ services, config, webRoot, logger: false, now, mounts });
  try {
    await app.listen({ port, host: '127.0.0.1' });
  } catch (error) {
    await db.cleanup();
    throw error;
  }
  return {
    origin,
    dialect,
    services,
    oidc: storage,
    advanceClock(ms) {
      offsetMs += ms;
    },
    async addPerson(username, displayName) {
      const { pass } = await services.people.add({ username, displayName }, now());
      return { link: `${origin}/onboard#pass=${pass}` };
    },
    async close() {
      await app.close();
      // The test database owns the connection: cleanup closes it and drops the schema.
      await db.cleanup();
    },
  };
}
