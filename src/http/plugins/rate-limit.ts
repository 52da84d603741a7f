/**
 * Request budgets per client address (RATE_LIMITS in src/config/defaults.ts, which says why each
 * figure), enforced by @fastify/rate-limit before the body is read. Over budget: 429
 * `rate_limited` (RFC 6585 §4) with `Retry-After` in seconds (RFC 9110 §10.2.3) and the
 * `x-ratelimit-*` headers.
 *
 * Which budget a route spends is decided in one place, when the route is added: the table
 * ROUTE_BUDGETS for the ceremony calls and sign-in options, then `/api/admin/*` the admin budget
 * and every other `/api/*` route the general one. Nothing else is limited here: `/healthz` and
 * `/readyz` (probes must always answer), the portal's static files, the conformance API (it exists
 * only with TESSERA_CONFORMANCE=1, and the FIDO test tool fires hundreds of requests in a run),
 * and `/oidc/*`, whose requests oidc-provider takes over raw.
 *
 * The client address is `request.ip`: the TCP peer, or the client behind a proxy named in
 * TESSERA_TRUST_PROXY (Fastify's `trustProxy`), never an X-Forwarded-For that no trusted proxy
 * wrote. IPv6 addresses count per /64 (the plugin's normalisation), IPv4-mapped ones as IPv4.
 *
 * The counters live in this process (BudgetCounters): each instance counts on its own, see
 * ARCHITECTURE.md, "Rate limits".
 */
import rateLimit, { type FastifyRateLimitStore, normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { RateBudgetName, RateLimits } from '../../config/index.js';
import { HttpError } from '../errors.js';

/** Routes with a budget of their own, as `METHOD /path`; the rest of /api goes by prefix. */
export const ROUTE_BUDGETS: ReadonlyMap<string, RateBudgetName> = new Map([
  ['POST /api/onboarding/pass', 'ceremony'],
  ['POST /api/onboarding/options', 'ceremony'],
  ['POST /api/onboarding/verify', 'ceremony'],
  ['POST /api/registration/verify', 'ceremony'],
  ['POST /api/authentication/verify', 'ceremony'],
  ['POST /api/authentication/options', 'signInOptions'],
]);

/** The budget a request to this route spends, or null for a route that is not limited. */
export function budgetFor(method: string, url: string): RateBudgetName | null {
  const listed = ROUTE_BUDGETS.get(`${method} ${url}`);
  if (listed !== undefined) return listed;
  if (url.startsWith('/api/admin/')) return 'admin';
  if (url.startsWith('/api/')) return 'api';
  return null;
}

/**
 * Addresses (with their budget) counted at once; past it the least recently seen is forgotten.
 * About 100 bytes each, so a few MiB at most, whatever a flood of addresses does.
 */
export const MAX_COUNTERS = 50_000;

interface Counter {
  count: number;
  /** When this window began, ms since the epoch. */
  start: number;
}

/**
 * Fixed-window counters keyed by address and budget, least recently used first in the Map's
 * order. Written here rather than the plugin's LocalStore for two reasons: LocalStore gives each
 * route counters of its own, so the five ceremony routes could not share one budget; and it reads
 * Date.now(), where Tessera's clock is a parameter of the app (tests move it).
 */
export class BudgetCounters {
  private readonly counters = new Map<string, Counter>();

  constructor(
    private readonly now: () => number,
    private readonly capacity = MAX_COUNTERS,
  ) {}

  /** Count one request; the count in the current window and the ms left in it. */
  increment(key: string, windowMs: number): { current: number; ttl: number } {
    const at = this.now();
    let counter = this.counters.get(key);
    // A clock that stepped back starts a fresh window rather than one longer than windowMs.
    if (counter === undefined || at >= counter.start + windowMs || at < counter.start) {
      counter = { count: 0, start: at };
    }
    counter.count += 1;
    this.counters.delete(key);
    this.counters.set(key, counter);
    if (this.counters.size > this.capacity) {
      const oldest = this.counters.keys().next();
      if (oldest.done !== true) this.counters.delete(oldest.value);
    }
    return { current: counter.count, ttl: counter.start + windowMs - at };
  }

  get size(): number {
    return this.counters.size;
  }
}

/** The plugin's store over shared counters: every route and budget use the same ones. */
function storeOver(counters: BudgetCounters) {
  return class BudgetStore implements FastifyRateLimitStore {
    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ): void {
      callback(null, counters.increment(key, timeWindow));
    }

    child(): FastifyRateLimitStore {
      return this;
    }
  };
}

/** At most the length of an IPv6 address with an embedded IPv4 address and a zone. */
const MAX_ADDRESS = 64;

/**
 * The address a request is counted under. `request.ip` is undefined once the socket is gone,
 * and behind a hop-count proxy setting it is whatever the proxy wrote: never a 500 for either.
 */
export function clientKey(request: FastifyRequest): string {
  const ip: unknown = request.ip;
  if (typeof ip !== 'string' || ip === '') return 'unknown';
  const address = ip.slice(0, MAX_ADDRESS);
  try {
    return normalizeIP(address);
  } catch {
    return address.toLowerCase();
  }
}

export interface RateLimitSettings {
  readonly budgets: RateLimits;
  /** The app's clock. */
  readonly now: () => Date;
}

/** Register before the routes: budgets are attached as each route is added. */
export function registerRateLimits(app: FastifyInstance, settings: RateLimitSettings): void {
  const counters = new BudgetCounters(() => settings.now().getTime());

  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const name = methods.map((method) => budgetFor(method, route.url)).find((b) => b !== null) ?? null;
    if (name === null) return;
    const { max, windowMs } = settings.budgets[name];
    route.config = {
      ...route.config,
      rateLimit: {
        max,
        timeWindow: windowMs,
        // The budget's counters are shared by every route that spends it: the store keys them by
        // address + groupId ("#" never occurs in an address).
        groupId: `#${name}`,
        errorResponseBuilder: (_request, context) =>
          new HttpError(
            'rate_limited',
            `${name} budget: ${max} requests per ${windowMs / 1000} s from one address; retry in ${Math.ceil(context.ttl / 1000)} s`,
          ),
      },
    };
  });

  app.register(rateLimit, {
    // Only routes given a budget above are limited.
    global: false,
    store: storeOver(counters),
    keyGenerator: clientKey,
  });
}
