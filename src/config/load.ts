/**
 * Read, validate and freeze the configuration from the environment. A bad value is a
 * `ConfigError` whose message is one line naming the variable, the rule and the value given
 * (never the value of TESSERA_DATABASE_URL, which may carry a password), so a server that refuses
 * to start says exactly what to fix.
 *
 * An empty variable counts as unset (container definitions often pass `VAR=`).
 */
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  CHALLENGE_TIMEOUT_MS,
  COUNTER_REGRESSION_POLICIES,
  type CounterRegressionPolicy,
  type CounterRegressionSetting,
  ENVIRONMENT,
  GROUP_NAME,
  PASS_LIFETIME_MS,
  RATE_LIMITS,
  type RateLimits,
  REAUTHENTICATION_WINDOW_MS,
  RP_NAME,
} from './defaults.js';

/**
 * Which peers may speak for the client through X-Forwarded-For: none (`false`), or the proxies at
 * these addresses and ranges (and `loopback`). It is Fastify's `trustProxy`.
 */
export type TrustProxy = false | readonly string[];

export interface Config {
  readonly port: number;
  /** WebAuthn RP ID (lower-case domain). */
  readonly rpId: string;
  /** PublicKeyCredentialRpEntity.name. */
  readonly rpName: string;
  /** Allowed origins, exact serialisations (scheme://host[:port]); the first is the public URL. */
  readonly origins: readonly string[];
  /** True when any origin is https: cookies get `Secure` and the `__Host-` prefix. */
  readonly https: boolean;
  /** Embedded database and metadata store folder. */
  readonly dataDir: string;
  /** PostgreSQL URL, or null for SQLite in `dataDir`. */
  readonly databaseUrl: string | null;
  /** Folder of MDS3 statements trusted for attestation, or null. */
  readonly metadataDir: string | null;
  /** Mount the FIDO conformance API. */
  readonly conformance: boolean;
  /** Default onboarding pass lifetime. */
  readonly passLifetimeMs: number;
  /** Ceremony timeout given to the browser and challenge lifetime on the server. */
  readonly challengeTimeoutMs: number;
  /** Adding a credential needs a sign-in at most this old. */
  readonly reauthenticationWindowMs: number;
  /** What a signature counter regression does, per credential class. */
  readonly counterRegression: CounterRegressionPolicy;
  /** The setting the policy came from (for display). */
  readonly counterRegressionSetting: CounterRegressionSetting;
  /** Groups whose members are administrators (the admin API, from an AAL3 session). */
  readonly adminGroups: readonly string[];
  /** The initial access token of OpenID Connect dynamic registration; null: registration is off. */
  readonly oidcRegistrationToken: string | null;
  /** How long the policy event log keeps an event. */
  readonly policyEventsRetentionDays: number;
  /** The reverse proxies whose X-Forwarded-For is believed (Fastify's `trustProxy`). */
  readonly trustProxy: TrustProxy;
  /** Request budgets per client address (RATE_LIMITS). */
  readonly rateLimits: RateLimits;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The environment variable at fault. */
  readonly variable: string;

  constructor(variable: string, rule: string) {
    super(`${variable} ${rule}`);
    this.variable = variable;
  }
}

function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** JSON quoting keeps control characters and quotes in a bad value on one readable line. */
const shown = (value: string): string =>
  JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);

function port(env: NodeJS.ProcessEnv): number {
  const name = ENVIRONMENT.port.name;
  const text = read(env, name) ?? ENVIRONMENT.port.default;
  const value = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    throw new ConfigError(name, `must be an integer from 1 to 65535 (got ${shown(text)})`);
  return value;
}

/**
 * WebAuthn L3 §4 "RP ID": a valid domain string. It is hashed as written into rpIdHash, so only
 * the canonical lower-case form is accepted; IP addresses are not domains.
 */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
export function isValidRpId(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  if (/^[0-9.]+$/.test(value)) return false;
  return value.split('.').every((label) => LABEL.test(label));
}

function rpId(env: NodeJS.ProcessEnv): string {
  const name = ENVIRONMENT.rpId.name;
  const value = read(env, name) ?? ENVIRONMENT.rpId.default;
  if (!isValidRpId(value))
    throw new ConfigError(
      name,
      `must be a lower-case domain name such as example.com, without scheme, port or path (got ${shown(value)})`,
    );
  return value;
}

/** WebAuthn needs a secure context: http works only on localhost (W3C Secure Contexts §3.1). */
function isLocalhost(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

function origins(env: NodeJS.ProcessEnv, rp: string, listen: number): string[] {
  const name = ENVIRONMENT.origins.name;
  const given = read(env, name);
  if (given === undefined) {
    if (!isLocalhost(rp))
      throw new ConfigError(
        name,
        `must be set when TESSERA_RP_ID is not localhost (e.g. TESSERA_ORIGINS=https://${rp})`,
      );
    return [`http://localhost:${listen}`];
  }
  const out: string[] = [];
  for (const raw of given.split(',')) {
    const text = raw.trim();
    if (text === '') throw new ConfigError(name, `has an empty entry (got ${shown(given)})`);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ConfigError(name, `entries must be origins like https://example.com (got ${shown(text)})`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new ConfigError(name, `entries must use https or http (got ${shown(text)})`);
    // The origin's serialisation (RFC 6454 §6.2) is what clientDataJSON.origin carries.
    if (url.origin !== text) {
      const hint = url.origin === 'null' ? '' : `; did you mean ${shown(url.origin)}?`;
      throw new ConfigError(
        name,
        `entries must be exact origins, scheme://host[:port] in lower case with no path or default port (got ${shown(text)}${hint})`,
      );
    }
    if (url.protocol === 'http:' && !isLocalhost(url.hostname))
      throw new ConfigError(
        name,
        `entries must use https unless the host is localhost, as WebAuthn needs a secure context (got ${shown(text)})`,
      );
    // WebAuthn L3 §5.1.3 step 8 / §5.1.4.1 step 7: the RP ID must be the origin's effective domain
    // or a registrable suffix of it.
    if (url.hostname !== rp && !url.hostname.endsWith(`.${rp}`))
      throw new ConfigError(
        name,
        `entries must have TESSERA_RP_ID (${shown(rp)}) as host or parent domain (got ${shown(text)})`,
      );
    if (!out.includes(text)) out.push(text);
  }
  return out;
}

function path(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = read(env, name);
  if (value?.includes('\0'))
    throw new ConfigError(name, `must be a path without NUL characters (got ${shown(value)})`);
  return value;
}

function metadataDir(env: NodeJS.ProcessEnv): string | null {
  const name = ENVIRONMENT.metadataDir.name;
  const value = path(env, name);
  if (value === undefined) return null;
  let isDirectory = false;
  try {
    isDirectory = statSync(value).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) throw new ConfigError(name, `must be an existing folder (got ${shown(value)})`);
  return value;
}

function databaseUrl(env: NodeJS.ProcessEnv): string | null {
  const name = ENVIRONMENT.databaseUrl.name;
  const value = read(env, name);
  if (value === undefined) return null;
  // The value is never repeated: it may carry a password.
  if (!/^postgres(?:ql)?:\/\//.test(value))
    throw new ConfigError(name, 'must start with postgres:// or postgresql://');
  try {
    new URL(value);
  } catch {
    throw new ConfigError(name, 'is not a valid URL (postgres://user:password@host:port/database)');
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: string): boolean {
  const value = (read(env, name) ?? fallback).toLowerCase();
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new ConfigError(name, `must be 1 or 0 (got ${shown(value)})`);
}

function counterRegression(env: NodeJS.ProcessEnv): CounterRegressionSetting {
  const name = ENVIRONMENT.counterRegression.name;
  const value = read(env, name) ?? ENVIRONMENT.counterRegression.default;
  const settings = Object.keys(COUNTER_REGRESSION_POLICIES) as CounterRegressionSetting[];
  const found = settings.find((s) => s === value);
  if (found === undefined)
    throw new ConfigError(name, `must be one of ${settings.join(', ')} (got ${shown(value)})`);
  return found;
}

/**
 * TESSERA_ADMIN_GROUPS: group names as `tessera groups` accepts them. A misspelt name would make
 * nobody an administrator without a word, so a name the groups could never have stops the server.
 */
function adminGroups(env: NodeJS.ProcessEnv): string[] {
  const name = ENVIRONMENT.adminGroups.name;
  const given = read(env, name) ?? ENVIRONMENT.adminGroups.default;
  const out: string[] = [];
  for (const raw of given.split(',')) {
    const group = raw.trim();
    if (group === '') throw new ConfigError(name, `has an empty entry (got ${shown(given)})`);
    if (!GROUP_NAME.test(group))
      throw new ConfigError(
        name,
        `entries must be group names: 1 to 128 letters, digits, ".", "_", "-", "@" or ":" (got ${shown(group)})`,
      );
    if (!out.includes(group)) out.push(group);
  }
  return out;
}

/**
 * TESSERA_OIDC_REGISTRATION_TOKEN: a bearer secret, so long enough not to be guessed (32 visible
 * ASCII characters, e.g. `openssl rand -base64 32`) and never echoed in an error.
 */
function registrationToken(env: NodeJS.ProcessEnv): string | null {
  const name = ENVIRONMENT.oidcRegistrationToken.name;
  const value = read(env, name);
  if (value === undefined) return null;
  if (!/^[\x21-\x7e]{32,512}$/.test(value))
    throw new ConfigError(
      name,
      `must be 32 to 512 visible ASCII characters, without spaces (got ${value.length} characters)`,
    );
  return value;
}

function retentionDays(env: NodeJS.ProcessEnv): number {
  const name = ENVIRONMENT.policyEventsRetentionDays.name;
  const text = read(env, name) ?? ENVIRONMENT.policyEventsRetentionDays.default;
  const days = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(days >= 1 && days <= 3650))
    throw new ConfigError(name, `must be a whole number of days from 1 to 3650 (got ${shown(text)})`);
  return days;
}

/** `a.b.c.d/n` or `x:y::z/n`: an address of either family and a prefix length that fits it. */
function isCidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0) return false;
  const family = isIP(value.slice(0, slash));
  const length = value.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(length)) return false;
  const bits = Number(length);
  // A /0 would trust every address: any client could then name itself in X-Forwarded-For.
  return bits >= 1 && bits <= (family === 4 ? 32 : 128);
}

/**
 * TESSERA_TRUST_PROXY. Believing X-Forwarded-For from anyone but the proxy that wrote it lets a
 * client choose its own address (and with it a fresh rate-limit budget and a false entry in the
 * sign-in history), so only exact addresses, ranges and `loopback` are accepted: RFC 7239 §8.3, a
 * forwarded list is only as trustworthy as the proxy that added each element. A hop count is
 * refused: it trusts whatever peer connects, so a client that reaches Tessera directly could
 * write its own X-Forwarded-For, and Fastify 5 ignores it for that reason (its `trustProxy`
 * documentation). Zone indexes (`fe80::1%eth0`) and netmask notation are refused too: they would
 * not mean the same to every reader.
 */
function trustProxy(env: NodeJS.ProcessEnv): TrustProxy {
  const name = ENVIRONMENT.trustProxy.name;
  const given = read(env, name);
  if (given === undefined) return false;
  if (/^\d+$/.test(given))
    throw new ConfigError(
      name,
      `must name the proxies, not count them: a hop count would believe X-Forwarded-For from any client that reaches Tessera directly; give the proxies' addresses or ranges, e.g. 10.0.0.0/8 or loopback (got ${shown(given)})`,
    );
  const out: string[] = [];
  for (const raw of given.split(',')) {
    const entry = raw.trim();
    if (entry === '') throw new ConfigError(name, `has an empty entry (got ${shown(given)})`);
    const valid = entry === 'loopback' || (!entry.includes('%') && (isIP(entry) !== 0 || isCidr(entry)));
    if (!valid)
      throw new ConfigError(
        name,
        `entries must be IP addresses, CIDR ranges such as 10.0.0.0/8 or fd00::/8 (prefix length 1 or more), or loopback (got ${shown(entry)})`,
      );
    if (!out.includes(entry)) out.push(entry);
  }
  return Object.freeze(out);
}

/** Validate the environment and return the frozen configuration; throws `ConfigError`. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const listen = port(env);
  const rp = rpId(env);
  const allowed = origins(env, rp, listen);
  const setting = counterRegression(env);
  const config: Config = {
    port: listen,
    rpId: rp,
    rpName: RP_NAME,
    origins: Object.freeze(allowed),
    https: allowed.some((o) => o.startsWith('https:')),
    dataDir: path(env, ENVIRONMENT.dataDir.name) ?? ENVIRONMENT.dataDir.default,
    databaseUrl: databaseUrl(env),
    metadataDir: metadataDir(env),
    conformance: flag(env, ENVIRONMENT.conformance.name, ENVIRONMENT.conformance.default),
    passLifetimeMs: PASS_LIFETIME_MS,
    challengeTimeoutMs: CHALLENGE_TIMEOUT_MS,
    reauthenticationWindowMs: REAUTHENTICATION_WINDOW_MS,
    counterRegression: Object.freeze({ ...COUNTER_REGRESSION_POLICIES[setting] }),
    counterRegressionSetting: setting,
    adminGroups: Object.freeze(adminGroups(env)),
    oidcRegistrationToken: registrationToken(env),
    policyEventsRetentionDays: retentionDays(env),
    trustProxy: trustProxy(env),
    rateLimits: RATE_LIMITS,
  };
  return Object.freeze(config);
}
