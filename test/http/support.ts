/**
 * The HTTP tests' harness: the real app (`buildApp`) over the real services on a test database of
 * either dialect, a browser with a cookie jar driving it through `inject`, a clock the test
 * moves, the captured log lines, and the software authenticator answering ceremonies.
 */
import { Buffer } from 'node:buffer';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Config } from '../../src/config/index.js';
import { buildApp } from '../../src/http/app.js';
import { type ConformanceServices, createConformanceServices } from '../../src/services/conformance.js';
import {
  createServices,
  emptyMetadata,
  metadataSource,
  type TesseraServices,
} from '../../src/services/index.js';
import type { DialectName } from '../../src/store/database.js';
import {
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  SoftAuthenticator,
  type SoftCredential,
} from '../helpers/soft-authenticator.js';
import {
  createTestDatabase,
  TEST_ORIGIN,
  TEST_RP_ID,
  type TestDatabase,
  testConfig,
  UNLIMITED_RATE_LIMITS,
} from '../support/databases.js';

export { TEST_ORIGIN, TEST_RP_ID };

export interface Clock {
  now: Date;
  advance(ms: number): void;
}

export interface Harness {
  readonly app: FastifyInstance;
  readonly services: TesseraServices;
  readonly conformance: ConformanceServices;
  readonly config: Config;
  readonly database: TestDatabase;
  readonly clock: Clock;
  /** Every log line written so far (JSON text). */
  readonly logs: string[];
  browser(origin?: string): Browser;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Overrides; request budgets are UNLIMITED_RATE_LIMITS unless `rateLimits` is given. */
  readonly config?: Partial<Config>;
  /** Folder of metadata statements (TESSERA_METADATA_DIR); default none. */
  readonly metadataDir?: string;
  readonly webRoot?: string;
}

/** A fresh, migrated test database of this dialect (dropped by `Harness.close`). */
export async function freshDatabase(dialect: DialectName): Promise<TestDatabase> {
  return createTestDatabase(dialect);
}

/** A fresh database of this dialect and an app over it. */
export async function startHarness(dialect: DialectName, options: HarnessOptions = {}): Promise<Harness> {
  return harnessOn(await freshDatabase(dialect), options);
}

export async function harnessOn(database: TestDatabase, options: HarnessOptions = {}): Promise<Harness> {
  const config = testConfig(database, {
    conformance: true,
    rateLimits: UNLIMITED_RATE_LIMITS,
    ...(options.metadataDir === undefined ? {} : { metadataDir: options.metadataDir }),
    ...options.config,
  });
  const clock: Clock = {
    now: new Date(),
    advance(ms) {
      this.now = new Date(this.now.getTime() + ms);
    },
  };
  const deps = {
    db: database.database,
    config,
    metadata:
      config.metadataDir === null
        ? () => emptyMetadata()
        : metadataSource({ dataDir: database.dataDir, metadataDir: config.metadataDir }),
  };
  const services = createServices(deps);
  const conformance = createConformanceServices(deps);
  const logs: string[] = [];
  const app = buildApp({
    services,
    config,
    conformance,
    logger: { level: 'trace', stream: { write: (line) => logs.push(line) } },
    now: () => clock.now,
    webRoot: options.webRoot ?? '/nonexistent/tessera-web',
  });
  await app.ready();
  return {
    app,
    services,
    conformance,
    config,
    database,
    clock,
    logs,
    browser: (origin = config.origins[0] ?? TEST_ORIGIN) => new Browser(app, origin),
    async close() {
      await app.close();
      await database.cleanup();
    },
  };
}

export interface Answer {
  readonly status: number;
  /** Parsed JSON, or undefined for an empty or non-JSON body. */
  readonly json: unknown;
  readonly text: string;
  readonly headers: LightMyRequestResponse['headers'];
  /** The Set-Cookie lines of this answer. */
  readonly setCookies: readonly string[];
}

export interface CallOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** Send these bytes as they are (with the content type of `headers`, default application/json). */
  readonly raw?: string | Buffer;
  /** Leave the Origin header out. */
  readonly noOrigin?: boolean;
  /** Leave the cookies out. */
  readonly noCookies?: boolean;
}

/** A browser: one origin, a cookie jar, JSON requests. */
export class Browser {
  readonly jar = new Map<string, string>();

  constructor(
    private readonly app: FastifyInstance,
    readonly origin: string,
  ) {}

  async call(method: string, url: string, body?: unknown, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (!options.noOrigin) headers.origin = this.origin;
    if (!options.noCookies && this.jar.size > 0)
      headers.cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    let payload: string | Buffer | undefined;
    if (options.raw !== undefined) {
      payload = options.raw;
      headers['content-type'] = 'application/json';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    Object.assign(headers, options.headers);
    const res = await this.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload === undefined ? {} : { payload }),
    });
    const raw = res.headers['set-cookie'];
    const setCookies = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (attributes.some((a) => /^max-age=0$/i.test(a))) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    let json: unknown;
    try {
      json = res.body.length > 0 ? (JSON.parse(res.body) as unknown) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, json, text: res.body, headers: res.headers, setCookies };
  }

  post(url: string, body?: unknown, options?: CallOptions): Promise<Answer> {
    return this.call('POST', url, body, options);
  }

  get(url: string, options?: CallOptions): Promise<Answer> {
    return this.call('GET', url, undefined, options);
  }
}

// ---------------------------------------------------------------------------------------------
// JSON access without `any`
// ---------------------------------------------------------------------------------------------

export type Json = Record<string, unknown>;

export function obj(value: unknown): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
  return value as Json;
}

export function str(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected a string, got ${JSON.stringify(value)}`);
  return value;
}

export function arr(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`expected an array, got ${JSON.stringify(value)}`);
  return value;
}

export function errorCode(answer: Answer): string {
  return str(obj(obj(answer.json).error).code);
}

// ---------------------------------------------------------------------------------------------
// Ceremonies
// ---------------------------------------------------------------------------------------------

export const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
export const fromB64u = (text: string): Buffer => Buffer.from(text, 'base64url');

let seedCounter = 0;
/** A software authenticator with a seed of its own, so credentials never collide across tests. */
export function newAuthenticator(aaguid?: Uint8Array): SoftAuthenticator {
  seedCounter += 1;
  return new SoftAuthenticator(`http-${process.pid}-${Date.now()}-${seedCounter}`, aaguid);
}

/** Answer creation options the way a browser and authenticator would. */
export function answerCreation(
  authenticator: SoftAuthenticator,
  options: unknown,
  input: {
    readonly origin?: string;
    readonly rpId?: string;
    readonly fmt?: 'none' | 'packed';
    readonly backupEligible?: boolean;
  } = {},
): { credential: SoftCredential; response: RegistrationResponseJSON } {
  const o = obj(options);
  const user = obj(o.user);
  const credential = authenticator.createCredential({
    userHandle: fromB64u(str(user.id)),
    ...(input.backupEligible === undefined
      ? {}
      : { backupEligible: input.backupEligible, backupState: input.backupEligible }),
  });
  const response = authenticator.register(credential, {
    rpId: input.rpId ?? TEST_RP_ID,
    origin: input.origin ?? TEST_ORIGIN,
    challenge: str(o.challenge),
    fmt: input.fmt ?? 'none',
  });
  return { credential, response };
}

export function answerRequest(
  authenticator: SoftAuthenticator,
  credential: SoftCredential,
  options: unknown,
  input: { readonly origin?: string; readonly uv?: boolean; readonly userHandle?: Uint8Array | null } = {},
): AuthenticationResponseJSON {
  return authenticator.authenticate(credential, {
    rpId: TEST_RP_ID,
    origin: input.origin ?? TEST_ORIGIN,
    challenge: str(obj(options).challenge),
    ...(input.uv === undefined ? {} : { uv: input.uv }),
    ...(input.userHandle === undefined ? {} : { corrupt: { userHandle: input.userHandle } }),
  });
}

export interface Enrolled {
  readonly browser: Browser;
  readonly authenticator: SoftAuthenticator;
  readonly credential: SoftCredential;
  readonly credentialId: string;
  readonly username: string;
}

/** A person added by an operator who onboards their first passkey in a browser. */
export async function onboard(h: Harness, username: string): Promise<Enrolled> {
  const { pass } = await h.services.people.add({ username, displayName: `${username} Example` }, h.clock.now);
  const browser = h.browser();
  const options = await browser.post('/api/onboarding/options', { pass, kind: 'passkey' });
  if (options.status !== 200) throw new Error(`onboarding options: ${options.status} ${options.text}`);
  const authenticator = newAuthenticator();
  const { credential, response } = answerCreation(authenticator, options.json);
  const verified = await browser.post('/api/onboarding/verify', { pass, response, name: 'First key' });
  if (verified.status !== 200) throw new Error(`onboarding verify: ${verified.status} ${verified.text}`);
  return { browser, authenticator, credential, credentialId: b64u(credential.id), username };
}
