/**
 * Request budgets per client address (src/http/plugins/rate-limit.ts, RATE_LIMITS): over budget a
 * 429 `rate_limited` with Retry-After (RFC 6585 §4, RFC 9110 §10.2.3); the ceremony budget shared
 * by its five routes; counted per address, an X-Forwarded-For believed only from a proxy named in
 * TESSERA_TRUST_PROXY; health, the portal and the conformance API never limited; a window that
 * ends when the app's clock says so. Time is the harness's clock: nothing here sleeps.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig, RATE_LIMITS, type RateLimits } from '../../src/config/index.js';
import { BudgetCounters, budgetFor, clientKey, ROUTE_BUDGETS } from '../../src/http/plugins/rate-limit.js';
import { DIALECTS } from '../support/databases.js';
import {
  answerCreation,
  arr,
  type Harness,
  newAuthenticator,
  obj,
  startHarness,
  str,
  TEST_ORIGIN,
} from './support.js';

const PASS = 'A'.repeat(43);

/** One request as a client at `from` (the TCP peer) would send it. */
interface Request {
  readonly method?: 'GET' | 'POST';
  readonly url: string;
  readonly body?: unknown;
  readonly from?: string;
  readonly forwardedFor?: string;
}

async function send(h: Harness, request: Request): Promise<LightMyRequestResponse> {
  const method = request.method ?? (request.body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = {};
  if (method === 'POST') {
    headers.origin = TEST_ORIGIN;
    headers['content-type'] = 'application/json';
  }
  if (request.forwardedFor !== undefined) headers['x-forwarded-for'] = request.forwardedFor;
  return h.app.inject({
    method,
    url: request.url,
    headers,
    remoteAddress: request.from ?? '127.0.0.1',
    ...(request.body === undefined ? {} : { payload: JSON.stringify(request.body) }),
  });
}

/** `count` requests, each answered (whatever the answer) without a 429. */
async function spend(h: Harness, request: Request, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await send(h, request);
    expect(res.statusCode, `request ${i + 1} of ${count}: ${res.body}`).not.toBe(429);
    expect(res.statusCode, res.body).toBeLessThan(500);
  }
}

function expectLimited(res: LightMyRequestResponse, retryAfter?: number): void {
  expect(res.statusCode, res.body).toBe(429);
  expect(res.json()).toEqual({
    error: {
      code: 'rate_limited',
      message: 'Too many requests from this address; try again after the number of seconds in Retry-After.',
    },
  });
  const seconds = Number(res.headers['retry-after']);
  expect(Number.isInteger(seconds) && seconds >= 1, String(res.headers['retry-after'])).toBe(true);
  if (retryAfter !== undefined) expect(seconds).toBe(retryAfter);
  expect(res.headers['x-ratelimit-remaining']).toBe('0');
  // The same envelope and headers as every other answer.
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
}

const SMALL: RateLimits = {
  ceremony: { max: 5, windowMs: 60_000 },
  signInOptions: { max: 3, windowMs: 60_000 },
  admin: { max: 2, windowMs: 60_000 },
  api: { max: 4, windowMs: 60_000 },
};

/** One call to each route of the ceremony budget (each fails on its own terms, never a 500). */
const CEREMONY: readonly Request[] = [
  { url: '/api/onboarding/pass', body: { pass: PASS } },
  { url: '/api/onboarding/options', body: { pass: PASS, kind: 'passkey' } },
  { url: '/api/onboarding/verify', body: { pass: PASS, response: {} } },
  { url: '/api/registration/verify', body: { response: {} } },
  { url: '/api/authentication/verify', body: { response: {} } },
];

describe('which budget each route spends', () => {
  it('lists the ceremony calls and sign-in options, and the rest of /api by prefix', () => {
    expect([...ROUTE_BUDGETS]).toEqual([
      ['POST /api/onboarding/pass', 'ceremony'],
      ['POST /api/onboarding/options', 'ceremony'],
      ['POST /api/onboarding/verify', 'ceremony'],
      ['POST /api/registration/verify', 'ceremony'],
      ['POST /api/authentication/verify', 'ceremony'],
      ['POST /api/authentication/options', 'signInOptions'],
    ]);
    expect(budgetFor('POST', '/api/admin/policy/simulate')).toBe('admin');
    expect(budgetFor('GET', '/api/admin/policy/events')).toBe('admin');
    expect(budgetFor('POST', '/api/registration/options')).toBe('api');
    expect(budgetFor('GET', '/api/session')).toBe('api');
    expect(budgetFor('HEAD', '/api/credentials')).toBe('api');
    for (const [method, url] of [
      ['GET', '/healthz'],
      ['GET', '/readyz'],
      ['GET', '/'],
      ['GET', '/onboard'],
      ['GET', '/assets/index.js'],
      ['POST', '/attestation/options'],
      ['POST', '/assertion/result'],
      ['GET', '/oidc/*'],
      ['POST', '/oidc/interaction/:uid/login'],
      ['GET', '/api'],
    ] as const)
      expect(budgetFor(method, url), `${method} ${url}`).toBeNull();
  });

  it('defaults to the documented budgets', () => {
    expect(loadConfig({}).rateLimits).toEqual({
      ceremony: { max: 600, windowMs: 60_000 },
      signInOptions: { max: 1200, windowMs: 60_000 },
      admin: { max: 60, windowMs: 60_000 },
      api: { max: 6000, windowMs: 60_000 },
    });
  });
});

describe('BudgetCounters', () => {
  it('counts in fixed windows of the clock it is given', () => {
    let now = 1_000_000;
    const counters = new BudgetCounters(() => now);
    expect(counters.increment('a', 60_000)).toEqual({ current: 1, ttl: 60_000 });
    now += 59_999;
    expect(counters.increment('a', 60_000)).toEqual({ current: 2, ttl: 1 });
    expect(counters.increment('b', 60_000)).toEqual({ current: 1, ttl: 60_000 });
    now += 1;
    expect(counters.increment('a', 60_000)).toEqual({ current: 1, ttl: 60_000 });
    // A clock that steps back starts a fresh window rather than one longer than the budget's.
    now -= 10_000;
    expect(counters.increment('a', 60_000)).toEqual({ current: 1, ttl: 60_000 });
  });

  it('forgets the least recently seen address past its capacity', () => {
    const counters = new BudgetCounters(() => 0, 2);
    counters.increment('a', 60_000);
    counters.increment('b', 60_000);
    counters.increment('a', 60_000);
    counters.increment('c', 60_000);
    expect(counters.size).toBe(2);
    expect(counters.increment('a', 60_000).current).toBe(3);
    expect(counters.increment('b', 60_000).current).toBe(1);
  });
});

describe('clientKey', () => {
  const key = (ip: unknown) => clientKey({ ip } as Parameters<typeof clientKey>[0]);

  it('counts IPv6 per /64 and IPv4-mapped addresses as IPv4', () => {
    expect(key('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe(key('2001:db8:1:2::1'));
    expect(key('2001:db8:1:3::1')).not.toBe(key('2001:db8:1:2::1'));
    expect(key('::ffff:192.0.2.1')).toBe('192.0.2.1');
  });

  it('never throws, whatever the address', () => {
    for (const ip of [undefined, '', 'garbage', 'fe80::1%eth0', '::1%', 'x'.repeat(10_000), '1.2.3.4.5'])
      expect(typeof key(ip)).toBe('string');
    expect(key(undefined)).toBe('unknown');
    expect(key('x'.repeat(10_000)).length).toBeLessThanOrEqual(64);
  });
});

describe.each(DIALECTS)('rate limits on %s', (dialect) => {
  describe('the default app', () => {
    let h: Harness;
    beforeAll(async () => {
      // Exactly what loadConfig gives a server: the budgets are on unless someone turns them off.
      h = await startHarness(dialect, { config: { rateLimits: loadConfig({}).rateLimits } });
    });
    afterAll(async () => h.close());

    it('has every route the budget table names (a renamed route cannot lose its budget)', () => {
      for (const route of ROUTE_BUDGETS.keys()) {
        const [method = '', url = ''] = route.split(' ');
        expect(h.app.hasRoute({ method, url }), route).toBe(true);
      }
    });

    const { ceremony, signInOptions, admin, api } = RATE_LIMITS;

    it('answers 429 rate_limited with Retry-After past the ceremony budget', async () => {
      const first = await send(h, { url: '/api/onboarding/pass', body: { pass: PASS } });
      expect(first.statusCode).toBe(400);
      expect(first.headers['x-ratelimit-limit']).toBe(String(ceremony.max));
      expect(first.headers['x-ratelimit-remaining']).toBe(String(ceremony.max - 1));
      await spend(h, { url: '/api/onboarding/pass', body: { pass: PASS } }, ceremony.max - 1);
      expectLimited(await send(h, { url: '/api/onboarding/pass', body: { pass: PASS } }), 60);
      // The other ceremony routes share the budget.
      expectLimited(await send(h, { url: '/api/authentication/verify', body: { response: {} } }));
    });

    it('allows the sign-in options budget, then 429', async () => {
      await spend(h, { url: '/api/authentication/options', body: {} }, signInOptions.max);
      expectLimited(await send(h, { url: '/api/authentication/options', body: {} }), 60);
    });

    it('allows the admin budget, then 429', async () => {
      const events = { url: '/api/admin/policy/events' };
      const first = await send(h, events);
      expect(first.statusCode).toBe(401);
      await spend(h, events, admin.max - 1);
      expectLimited(await send(h, events), 60);
    });

    it('allows the budget of every other /api call, all routes together, then 429', async () => {
      await spend(h, { url: '/api/session' }, api.max / 2);
      await spend(h, { url: '/api/credentials' }, api.max / 2);
      expectLimited(await send(h, { url: '/api/sign-ins' }), 60);
      expectLimited(await send(h, { url: '/api/session' }), 60);
    });
  });

  describe('with small budgets', () => {
    let h: Harness;
    let webRoot: string;
    beforeAll(async () => {
      webRoot = await mkdtemp(join(tmpdir(), 'tessera-rate-web-'));
      await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>Tessera</title>');
      h = await startHarness(dialect, { config: { rateLimits: SMALL }, webRoot });
    });
    afterAll(async () => {
      await h.close();
      await rm(webRoot, { recursive: true, force: true });
    });

    it('gives every route of the ceremony budget to one counter, and the other budgets their own', async () => {
      const from = '192.0.2.1';
      for (const request of CEREMONY) await spend(h, { ...request, from }, 1);
      for (const request of CEREMONY) expectLimited(await send(h, { ...request, from }));
      await spend(h, { url: '/api/authentication/options', body: {}, from }, 3);
      expectLimited(await send(h, { url: '/api/authentication/options', body: {}, from }));
      await spend(h, { url: '/api/session', from }, 4);
      await spend(h, { url: '/api/admin/policy/events', from }, 2);
      expectLimited(await send(h, { url: '/api/admin/policy/events', from }));
    });

    it('refuses before reading the body: an over-budget request is 429 whatever it carries', async () => {
      const from = '192.0.2.2';
      await spend(h, { url: '/api/onboarding/pass', body: { pass: PASS }, from }, 5);
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/onboarding/pass',
        headers: { origin: TEST_ORIGIN, 'content-type': 'application/json' },
        remoteAddress: from,
        payload: '{"pass": [[[[',
      });
      expectLimited(res);
    });

    it('never limits health, readiness, the portal or the conformance API', async () => {
      const from = '192.0.2.3';
      await spend(h, { url: '/api/session', from }, 4);
      expectLimited(await send(h, { url: '/api/session', from }));
      for (let i = 0; i < 20; i++) {
        for (const url of ['/healthz', '/readyz', '/', '/index.html', '/onboard']) {
          const res = await send(h, { url, from });
          expect(res.statusCode, url).toBe(200);
          expect(res.headers['x-ratelimit-limit'], url).toBeUndefined();
        }
        // The FIDO conformance tool fires many requests (TESSERA_CONFORMANCE=1).
        const options = await send(h, {
          url: '/attestation/options',
          body: { username: `conf-${i}`, displayName: 'Conformance', attestation: 'none' },
          from,
        });
        expect(options.statusCode, options.body).toBe(200);
        expect(options.headers['x-ratelimit-limit']).toBeUndefined();
        const result = await send(h, { url: '/assertion/result', body: {}, from });
        expect(result.statusCode).not.toBe(429);
      }
    });

    it('ends the window when the clock says so, with Retry-After counting down', async () => {
      const from = '192.0.2.4';
      const request = { url: '/api/authentication/options', body: {}, from };
      await spend(h, request, 3);
      expectLimited(await send(h, request), 60);
      h.clock.advance(20_000);
      expectLimited(await send(h, request), 40);
      h.clock.advance(39_999);
      expectLimited(await send(h, request), 1);
      h.clock.advance(1);
      const fresh = await send(h, request);
      expect(fresh.statusCode).toBe(200);
      expect(fresh.headers['x-ratelimit-remaining']).toBe('2');
      expect(fresh.headers['x-ratelimit-reset']).toBe('60');
    });

    it('counts each address on its own, IPv6 per /64', async () => {
      const request = { url: '/api/authentication/options', body: {} };
      await spend(h, { ...request, from: '198.51.100.1' }, 3);
      expectLimited(await send(h, { ...request, from: '198.51.100.1' }));
      await spend(h, { ...request, from: '198.51.100.2' }, 3);
      await spend(h, { ...request, from: '2001:db8:1:2::1' }, 3);
      expectLimited(await send(h, { ...request, from: '2001:db8:1:2::ffff' }));
      await spend(h, { ...request, from: '2001:db8:1:3::1' }, 1);
    });

    it('does not believe X-Forwarded-For without a trusted proxy', async () => {
      const request = { url: '/api/authentication/options', body: {}, from: '198.51.100.9' };
      await spend(h, { ...request, forwardedFor: '203.0.113.1' }, 3);
      expectLimited(await send(h, { ...request, forwardedFor: '203.0.113.2' }));
      expectLimited(await send(h, request));
    });
  });

  describe('behind a trusted proxy (TESSERA_TRUST_PROXY)', () => {
    let h: Harness;
    const proxy = '10.1.2.3';
    beforeAll(async () => {
      const trustProxy = loadConfig({ TESSERA_TRUST_PROXY: '10.0.0.0/8' }).trustProxy;
      const config: Partial<Config> = { rateLimits: SMALL, trustProxy };
      h = await startHarness(dialect, { config });
    });
    afterAll(async () => h.close());

    it('counts the client each trusted proxy names, not the proxy', async () => {
      const request = { url: '/api/authentication/options', body: {}, from: proxy };
      await spend(h, { ...request, forwardedFor: '203.0.113.1' }, 3);
      expectLimited(await send(h, { ...request, forwardedFor: '203.0.113.1' }));
      await spend(h, { ...request, forwardedFor: '203.0.113.2' }, 3);
      // Two proxies of the trusted range in a row: the client is the first untrusted address.
      expectLimited(await send(h, { ...request, forwardedFor: '203.0.113.2, 10.9.9.9' }));
      // A client cannot escape by writing its own X-Forwarded-For in front of the proxy's entry.
      expectLimited(await send(h, { ...request, forwardedFor: '198.51.100.77, 203.0.113.1' }));
      // The proxy itself, and a request with no header, count as the proxy's address.
      await spend(h, request, 3);
      expectLimited(await send(h, request));
    });

    it('does not believe X-Forwarded-For from a peer outside the trusted ranges', async () => {
      const request = { url: '/api/authentication/options', body: {}, from: '192.0.2.50' };
      await spend(h, { ...request, forwardedFor: '203.0.113.3' }, 3);
      expectLimited(await send(h, { ...request, forwardedFor: '203.0.113.4' }));
    });

    it('gives the services the client address: the sign-in history shows it', async () => {
      const { pass } = await h.services.people.add(
        { username: 'behind-proxy', displayName: 'Behind Proxy' },
        h.clock.now,
      );
      const browser = h.browser();
      const headers = { 'x-forwarded-for': '203.0.113.200' };
      const options = await h.app.inject({
        method: 'POST',
        url: '/api/onboarding/options',
        headers: { origin: TEST_ORIGIN, 'content-type': 'application/json', ...headers },
        remoteAddress: proxy,
        payload: JSON.stringify({ pass, kind: 'passkey' }),
      });
      expect(options.statusCode, options.body).toBe(200);
      const flow = String(options.headers['set-cookie']).split(';')[0] ?? '';
      const { response } = answerCreation(newAuthenticator(), options.json());
      const verified = await h.app.inject({
        method: 'POST',
        url: '/api/onboarding/verify',
        headers: { origin: TEST_ORIGIN, 'content-type': 'application/json', cookie: flow, ...headers },
        remoteAddress: proxy,
        payload: JSON.stringify({ pass, response }),
      });
      expect(verified.statusCode, verified.body).toBe(200);
      const session = String(verified.headers['set-cookie']).split(';')[0] ?? '';
      browser.jar.set(session.slice(0, session.indexOf('=')), session.slice(session.indexOf('=') + 1));
      const history = await browser.get('/api/sign-ins');
      expect(history.status, history.text).toBe(200);
      const [latest] = arr(obj(history.json).signIns);
      expect(str(obj(latest).ip)).toBe('203.0.113.200');
    });
  });

  describe('without a trusted proxy', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(dialect, {});
    });
    afterAll(async () => h.close());

    it('records the TCP peer in the sign-in history, whatever X-Forwarded-For says', async () => {
      const { pass } = await h.services.people.add(
        { username: 'direct', displayName: 'Direct' },
        h.clock.now,
      );
      const browser = h.browser();
      const spoof = { headers: { 'x-forwarded-for': '203.0.113.201' } };
      const options = await browser.post('/api/onboarding/options', { pass, kind: 'passkey' }, spoof);
      expect(options.status, options.text).toBe(200);
      const { response } = answerCreation(newAuthenticator(), options.json);
      const verified = await browser.post('/api/onboarding/verify', { pass, response }, spoof);
      expect(verified.status, verified.text).toBe(200);
      const history = await browser.get('/api/sign-ins', spoof);
      const [latest] = arr(obj(history.json).signIns);
      expect(str(obj(latest).ip)).toBe('127.0.0.1');
    });
  });
});

it('RATE_LIMITS is the frozen default of every configuration', () => {
  expect(loadConfig({}).rateLimits).toBe(RATE_LIMITS);
  expect(Object.isFrozen(RATE_LIMITS)).toBe(true);
  for (const budget of Object.values(RATE_LIMITS)) expect(Object.isFrozen(budget)).toBe(true);
});
