/**
 * Configuration from the environment: defaults, derived values, and one clear line naming the
 * variable for every bad value (never echoing a database URL, which may hold a password).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ENVIRONMENT, loadConfig, RATE_LIMITS } from '../../src/config/index.js';

function error(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const folder = mkdtempSync(join(tmpdir(), 'tessera-config-'));
const file = join(folder, 'file.json');
writeFileSync(file, '{}');
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 8080,
      rpId: 'localhost',
      rpName: 'Tessera',
      origins: ['http://localhost:8080'],
      https: false,
      dataDir: './data',
      databaseUrl: null,
      metadataDir: null,
      conformance: false,
      passLifetimeMs: 15 * 60_000,
      challengeTimeoutMs: 300_000,
      reauthenticationWindowMs: 5 * 60_000,
      counterRegression: {
        'synced-passkey': 'allow',
        'device-bound-unverified': 'allow',
        'device-bound-passkey': 'refuse',
        'security-key': 'refuse',
      },
      counterRegressionSetting: 'refuse-attested',
      adminGroups: ['tessera-admins'],
      oidcRegistrationToken: null,
      policyEventsRetentionDays: 400,
      trustProxy: false,
      rateLimits: RATE_LIMITS,
    });
  });

  it('freezes the result', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.origins)).toBe(true);
    expect(Object.isFrozen(config.counterRegression)).toBe(true);
    expect(Object.isFrozen(config.adminGroups)).toBe(true);
    expect(Object.isFrozen(config.rateLimits)).toBe(true);
    expect(Object.isFrozen(config.rateLimits.ceremony)).toBe(true);
    expect(Object.isFrozen(loadConfig({ TESSERA_TRUST_PROXY: 'loopback' }).trustProxy)).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      TESSERA_PORT: '443',
      TESSERA_RP_ID: 'example.com',
      TESSERA_ORIGINS: 'https://example.com, https://login.example.com,https://example.com:8443',
      TESSERA_DATA_DIR: '/var/lib/tessera',
      TESSERA_DATABASE_URL: 'postgresql://tessera:secret@db.internal:5432/tessera',
      TESSERA_METADATA_DIR: folder,
      TESSERA_CONFORMANCE: '1',
      TESSERA_COUNTER_REGRESSION: 'allow',
      TESSERA_ADMIN_GROUPS: 'sre@example.com, corp:security.admins,Équipe_1',
    });
    expect(config).toMatchObject({
      port: 443,
      rpId: 'example.com',
      origins: ['https://example.com', 'https://login.example.com', 'https://example.com:8443'],
      https: true,
      dataDir: '/var/lib/tessera',
      databaseUrl: 'postgresql://tessera:secret@db.internal:5432/tessera',
      metadataDir: folder,
      conformance: true,
      counterRegressionSetting: 'allow',
      adminGroups: ['sre@example.com', 'corp:security.admins', 'Équipe_1'],
    });
    expect(Object.values(config.counterRegression)).toEqual(['allow', 'allow', 'allow', 'allow']);
  });

  it('derives the default origin from the port, treats empty variables as unset and drops duplicate origins', () => {
    expect(loadConfig({ TESSERA_PORT: '3000' }).origins).toEqual(['http://localhost:3000']);
    expect(loadConfig({ TESSERA_PORT: '', TESSERA_DATABASE_URL: ' ' })).toMatchObject({
      port: 8080,
      databaseUrl: null,
    });
    expect(loadConfig({ TESSERA_ORIGINS: 'http://localhost:8080,http://localhost:8080' }).origins).toEqual([
      'http://localhost:8080',
    ]);
    expect(loadConfig({ TESSERA_ORIGINS: 'http://app.localhost:5173' }).origins).toEqual([
      'http://app.localhost:5173',
    ]);
    expect(loadConfig({ TESSERA_ADMIN_GROUPS: '  ' }).adminGroups).toEqual(['tessera-admins']);
    expect(loadConfig({ TESSERA_ADMIN_GROUPS: 'ops,sre,ops' }).adminGroups).toEqual(['ops', 'sre']);
  });

  it.each([
    [{ TESSERA_PORT: 'abc' }, 'TESSERA_PORT must be an integer from 1 to 65535 (got "abc")'],
    [{ TESSERA_PORT: '0' }, 'TESSERA_PORT must be an integer from 1 to 65535 (got "0")'],
    [{ TESSERA_PORT: '65536' }, 'TESSERA_PORT must be an integer from 1 to 65535 (got "65536")'],
    [{ TESSERA_PORT: '80.5' }, 'TESSERA_PORT must be an integer from 1 to 65535 (got "80.5")'],
    [
      { TESSERA_RP_ID: 'Example.com' },
      'TESSERA_RP_ID must be a lower-case domain name such as example.com, without scheme, port or path (got "Example.com")',
    ],
    [
      { TESSERA_RP_ID: 'https://example.com' },
      'TESSERA_RP_ID must be a lower-case domain name such as example.com, without scheme, port or path (got "https://example.com")',
    ],
    [
      { TESSERA_RP_ID: '10.0.0.1' },
      'TESSERA_RP_ID must be a lower-case domain name such as example.com, without scheme, port or path (got "10.0.0.1")',
    ],
    [
      { TESSERA_RP_ID: 'example.com' },
      'TESSERA_ORIGINS must be set when TESSERA_RP_ID is not localhost (e.g. TESSERA_ORIGINS=https://example.com)',
    ],
    [
      { TESSERA_RP_ID: 'example.com', TESSERA_ORIGINS: 'https://example.com/login' },
      'TESSERA_ORIGINS entries must be exact origins, scheme://host[:port] in lower case with no path or default port (got "https://example.com/login"; did you mean "https://example.com"?)',
    ],
    [
      { TESSERA_RP_ID: 'example.com', TESSERA_ORIGINS: 'https://example.com/' },
      'TESSERA_ORIGINS entries must be exact origins, scheme://host[:port] in lower case with no path or default port (got "https://example.com/"; did you mean "https://example.com"?)',
    ],
    [
      { TESSERA_RP_ID: 'example.com', TESSERA_ORIGINS: 'https://example.com:443' },
      'TESSERA_ORIGINS entries must be exact origins, scheme://host[:port] in lower case with no path or default port (got "https://example.com:443"; did you mean "https://example.com"?)',
    ],
    [
      { TESSERA_RP_ID: 'example.com', TESSERA_ORIGINS: 'example.com' },
      'TESSERA_ORIGINS entries must be origins like https://example.com (got "example.com")',
    ],
    [
      { TESSERA_RP_ID: 'example.com', TESSERA_ORIGINS: 'ftp://example.com' },
      'TESSERA_ORIGINS entries must use https or http (got "ftp://example.com")',
    ],
    [
      { TESSERA_RP_ID: 'example.com', TESSERA_ORIGINS: 'http://example.com' },
      'TESSERA_ORIGINS entries must use https unless the host is localhost, as WebAuthn needs a secure context (got "http://example.com")',
    ],
    [
      { TESSERA_RP_ID: 'example.com', TESSERA_ORIGINS: 'https://example.com,https://example.org' },
      'TESSERA_ORIGINS entries must have TESSERA_RP_ID ("example.com") as host or parent domain (got "https://example.org")',
    ],
    [
      { TESSERA_RP_ID: 'example.com', TESSERA_ORIGINS: 'https://notexample.com' },
      'TESSERA_ORIGINS entries must have TESSERA_RP_ID ("example.com") as host or parent domain (got "https://notexample.com")',
    ],
    [
      { TESSERA_RP_ID: 'login.example.com', TESSERA_ORIGINS: 'https://example.com' },
      'TESSERA_ORIGINS entries must have TESSERA_RP_ID ("login.example.com") as host or parent domain (got "https://example.com")',
    ],
    [
      { TESSERA_ORIGINS: 'http://localhost:8080,' },
      'TESSERA_ORIGINS has an empty entry (got "http://localhost:8080,")',
    ],
    [
      { TESSERA_DATABASE_URL: 'mysql://root:hunter2@db/tessera' },
      'TESSERA_DATABASE_URL must start with postgres:// or postgresql://',
    ],
    [
      { TESSERA_METADATA_DIR: join(folder, 'missing') },
      `TESSERA_METADATA_DIR must be an existing folder (got ${JSON.stringify(join(folder, 'missing'))})`,
    ],
    [
      { TESSERA_METADATA_DIR: file },
      `TESSERA_METADATA_DIR must be an existing folder (got ${JSON.stringify(file)})`,
    ],
    [{ TESSERA_CONFORMANCE: 'yes' }, 'TESSERA_CONFORMANCE must be 1 or 0 (got "yes")'],
    [
      { TESSERA_COUNTER_REGRESSION: 'never' },
      'TESSERA_COUNTER_REGRESSION must be one of refuse-attested, allow, refuse (got "never")',
    ],
    [{ TESSERA_ADMIN_GROUPS: 'ops,,sre' }, 'TESSERA_ADMIN_GROUPS has an empty entry (got "ops,,sre")'],
    [
      { TESSERA_ADMIN_GROUPS: 'ops, tessera admins' },
      'TESSERA_ADMIN_GROUPS entries must be group names: 1 to 128 letters, digits, ".", "_", "-", "@" or ":" (got "tessera admins")',
    ],
    [
      { TESSERA_ADMIN_GROUPS: 'x'.repeat(129) },
      `TESSERA_ADMIN_GROUPS entries must be group names: 1 to 128 letters, digits, ".", "_", "-", "@" or ":" (got "${'x'.repeat(129)}")`,
    ],
    [
      { TESSERA_ADMIN_GROUPS: 'admins/ops' },
      'TESSERA_ADMIN_GROUPS entries must be group names: 1 to 128 letters, digits, ".", "_", "-", "@" or ":" (got "admins/ops")',
    ],
  ])('refuses %j with one line naming the variable', (env, message) => {
    const e = error(env);
    expect(e.message).toBe(message);
    expect(e.message).not.toContain('\n');
    expect(message.startsWith(e.variable)).toBe(true);
  });

  it('never repeats the database URL, which may carry a password', () => {
    expect(error({ TESSERA_DATABASE_URL: 'mysql://root:hunter2@db/x' }).message).not.toContain('hunter2');
    expect(error({ TESSERA_DATABASE_URL: 'postgres://root:hunter2@[bad' }).message).toBe(
      'TESSERA_DATABASE_URL is not a valid URL (postgres://user:password@host:port/database)',
    );
  });

  it('keeps a bad value on one line, however it is written', () => {
    expect(error({ TESSERA_PORT: '80\n81' }).message).toBe(
      'TESSERA_PORT must be an integer from 1 to 65535 (got "80\\n81")',
    );
  });

  it('reads the registration token without ever echoing it', () => {
    const token = 'x'.repeat(31);
    expect(loadConfig({ TESSERA_OIDC_REGISTRATION_TOKEN: `${token}y` }).oidcRegistrationToken).toBe(
      `${token}y`,
    );
    expect(loadConfig({ TESSERA_OIDC_REGISTRATION_TOKEN: '  ' }).oidcRegistrationToken).toBeNull();
    for (const bad of [token, 'a b'.repeat(20), `${'é'.repeat(40)}`, 'z'.repeat(513)]) {
      const failure = error({ TESSERA_OIDC_REGISTRATION_TOKEN: bad });
      expect(failure.variable).toBe('TESSERA_OIDC_REGISTRATION_TOKEN');
      expect(failure.message).toContain('32 to 512 visible ASCII characters');
      expect(failure.message).not.toContain(bad);
    }
  });

  it('reads the event log retention in whole days from 1 to 3650', () => {
    expect(loadConfig({ TESSERA_POLICY_EVENTS_RETENTION_DAYS: '30' }).policyEventsRetentionDays).toBe(30);
    expect(loadConfig({ TESSERA_POLICY_EVENTS_RETENTION_DAYS: '3650' }).policyEventsRetentionDays).toBe(3650);
    for (const bad of ['0', '3651', '1.5', '-1', '1e3', 'forever', '99999'])
      expect(error({ TESSERA_POLICY_EVENTS_RETENTION_DAYS: bad }).message).toBe(
        `TESSERA_POLICY_EVENTS_RETENTION_DAYS must be a whole number of days from 1 to 3650 (got ${JSON.stringify(bad)})`,
      );
  });

  it('reads the trusted proxies: addresses and CIDR ranges of both families, and loopback', () => {
    expect(loadConfig({ TESSERA_TRUST_PROXY: '  ' }).trustProxy).toBe(false);
    expect(loadConfig({ TESSERA_TRUST_PROXY: 'loopback' }).trustProxy).toEqual(['loopback']);
    const value =
      'loopback, 10.0.0.0/8,192.0.2.10, 2001:db8::/32, ::1, fd00::/8, ::ffff:10.1.2.3, 10.0.0.0/8, 203.0.113.0/32';
    const trusted = loadConfig({ TESSERA_TRUST_PROXY: value }).trustProxy;
    expect(trusted).toEqual([
      'loopback',
      '10.0.0.0/8',
      '192.0.2.10',
      '2001:db8::/32',
      '::1',
      'fd00::/8',
      '::ffff:10.1.2.3',
      '203.0.113.0/32',
    ]);
    // Whatever is accepted, Fastify (@fastify/proxy-addr) accepts too: a server never fails at start.
    expect(() => Fastify({ trustProxy: trusted === false ? false : [...trusted] })).not.toThrow();
    expect(() => Fastify({ trustProxy: ['2001:db8::/128', '0.0.0.0/1'] })).not.toThrow();
    expect(loadConfig({ TESSERA_TRUST_PROXY: '2001:db8::/128, 0.0.0.0/1' }).trustProxy).toEqual([
      '2001:db8::/128',
      '0.0.0.0/1',
    ]);
  });

  it('refuses a hop count, and anything that is not an address, a range or loopback', () => {
    for (const hops of ['1', '2', '10', '0', '0001']) {
      const failure = error({ TESSERA_TRUST_PROXY: hops });
      expect(failure.message).toBe(
        `TESSERA_TRUST_PROXY must name the proxies, not count them: a hop count would believe X-Forwarded-For from any client that reaches Tessera directly; give the proxies' addresses or ranges, e.g. 10.0.0.0/8 or loopback (got ${JSON.stringify(hops)})`,
      );
    }
    for (const [value, entry] of [
      ['proxy.example.com', 'proxy.example.com'],
      ['10.0.0.1, *', '*'],
      ['true', 'true'],
      ['LOOPBACK', 'LOOPBACK'],
      ['linklocal', 'linklocal'],
      ['10.0.0.0/0', '10.0.0.0/0'],
      ['::/0', '::/0'],
      ['10.0.0.0/33', '10.0.0.0/33'],
      ['2001:db8::/129', '2001:db8::/129'],
      ['10.0.0.0/8/8', '10.0.0.0/8/8'],
      ['10.0.0.0/', '10.0.0.0/'],
      ['10.0.0.0/-8', '10.0.0.0/-8'],
      ['10.0.0.0/255.0.0.0', '10.0.0.0/255.0.0.0'],
      ['010.0.0.1', '010.0.0.1'],
      ['10.0.0', '10.0.0'],
      ['fe80::1%eth0', 'fe80::1%eth0'],
      ['[::1]', '[::1]'],
      ['10.0.0.1:8080', '10.0.0.1:8080'],
      ['10.0.0.1, 2', '2'],
    ] as const) {
      const failure = error({ TESSERA_TRUST_PROXY: value });
      expect(failure.message, value).toBe(
        `TESSERA_TRUST_PROXY entries must be IP addresses, CIDR ranges such as 10.0.0.0/8 or fd00::/8 (prefix length 1 or more), or loopback (got ${JSON.stringify(entry)})`,
      );
    }
    expect(error({ TESSERA_TRUST_PROXY: '10.0.0.1,,loopback' }).message).toBe(
      'TESSERA_TRUST_PROXY has an empty entry (got "10.0.0.1,,loopback")',
    );
    expect(error({ TESSERA_TRUST_PROXY: 'loopback\n10.0.0.1' }).message).not.toContain('\n');
  });

  it('documents every variable it reads', () => {
    const names = Object.values(ENVIRONMENT).map((k) => k.name);
    expect(names).toEqual([
      'TESSERA_PORT',
      'TESSERA_RP_ID',
      'TESSERA_ORIGINS',
      'TESSERA_DATA_DIR',
      'TESSERA_DATABASE_URL',
      'TESSERA_METADATA_DIR',
      'TESSERA_CONFORMANCE',
      'TESSERA_COUNTER_REGRESSION',
      'TESSERA_ADMIN_GROUPS',
      'TESSERA_OIDC_REGISTRATION_TOKEN',
      'TESSERA_POLICY_EVENTS_RETENTION_DAYS',
      'TESSERA_TRUST_PROXY',
    ]);
    for (const key of Object.values(ENVIRONMENT)) expect(key.description.length).toBeGreaterThan(20);
  });
});
