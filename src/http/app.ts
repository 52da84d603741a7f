/**
 * The Fastify application: the JSON API under /api (the admin API under /api/admin), health
 * endpoints, the conformance API when configured, and the portal. Built without listening, so tests drive it with `inject` and
 * `tessera serve` decides where it listens.
 *
 * Request handling, in order: Origin check on state-changing requests (./plugins/origin-check.ts)
 * → the route's request budget per client address, under /api only (./plugins/rate-limit.ts) →
 * body parsing (./plugins/json-body.ts: UTF-8 JSON only, 64 KiB, bounded depth) → schema
 * validation (strict: no type coercion, no silently dropped members) → the route, which calls a
 * use case with the request's CallContext (./plugins/context.ts) → security headers on every
 * answer (./plugins/security-headers.ts); any error becomes `{error: {code, message}}`
 * (./plugins/errors.ts).
 *
 * The client address (`request.ip`, the services' `ctx.ip`) is the TCP peer's, or with
 * TESSERA_TRUST_PROXY the client's as the trusted proxies report it in X-Forwarded-For.
 *
 * Logs are pino JSON lines. Request logs carry method, URL, status and timing, never headers or
 * bodies; cookie and authorization headers are redacted should anything log them.
 */
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import type { ConformanceServices } from '../services/conformance.js';
import type { TesseraServices } from '../services/contract.js';
import { BODY_LIMIT } from './limits.js';
import type { ContextSettings } from './plugins/context.js';
import { handleError, registerErrorHandling } from './plugins/errors.js';
import { registerJsonBody } from './plugins/json-body.js';
import { registerOriginCheck } from './plugins/origin-check.js';
import { registerRateLimits } from './plugins/rate-limit.js';
import { registerSecurityHeaders, securityHeaders } from './plugins/security-headers.js';
import { adminRoutes } from './routes/admin.js';
import { apiRoutes } from './routes/api.js';
import { conformanceRoutes } from './routes/conformance.js';
import { healthRoutes } from './routes/health.js';
import { portalRoutes } from './routes/portal.js';

export { BODY_LIMIT };

export interface LoggerSettings {
  /** pino level; default 'info'. */
  readonly level?: string;
  /** Where the JSON lines go; default stdout. */
  readonly stream?: { write(line: string): void };
}

export interface BuildAppOptions {
  readonly services: TesseraServices;
  readonly config: Config;
  /** Required when `config.conformance` is set. */
  readonly conformance?: ConformanceServices;
  /** false: no logs. Default: JSON lines at info on stdout. */
  readonly logger?: LoggerSettings | false;
  /** The portal build; default `<dist>/web` next to the compiled `http/` folder. */
  readonly webRoot?: string;
  /** The clock given to the services and the rate limiter; default the system clock. */
  readonly now?: () => Date;
  /** More routes mounted beside the API (the OpenID Provider, src/oidc), before the portal. */
  readonly mounts?: readonly ((app: FastifyInstance) => Promise<void>)[];
}

/** Header paths pino replaces with "[Redacted]" wherever a request or response is logged. */
export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  'headers["set-cookie"]',
];

export function buildApp(options: BuildAppOptions): FastifyInstance {
  const { services, config } = options;
  if (config.conformance && options.conformance === undefined) {
    throw new Error('buildApp: config.conformance is set but no conformance services were given');
  }
  const logger = options.logger ?? {};
  const app = Fastify({
    logger:
      logger === false
        ? false
        : {
            level: logger.level ?? 'info',
            redact: { paths: REDACTED_PATHS },
            ...(logger.stream ? { stream: logger.stream } : {}),
          },
    bodyLimit: BODY_LIMIT,
    // request.ip is the socket's peer unless it is a proxy the operator named: only then is
    // X-Forwarded-For believed, and only the part the trusted proxies wrote (RFC 7239 §8.3).
    trustProxy: config.trustProxy === false ? false : [...config.trustProxy],
    // A base64url credential ID of 1023 bytes is 1364 characters (PATCH/DELETE /api/credentials/:id).
    routerOptions: { maxParamLength: 1400 },
    // Slow clients cannot hold a request open forever.
    requestTimeout: 30_000,
    // During shutdown, new requests get 503 while in-flight ones finish.
    return503OnClosing: true,
    // Errors raised before routing (a path that does not decode, an overlong parameter) get the
    // same envelope and headers as every other answer (no hook runs for them).
    frameworkErrors: (error, request, reply) => {
      reply.headers(securityHeaders(config.https));
      handleError(error, request, reply);
    },
    ajv: {
      customOptions: {
        // A number where a string is expected is an error, not "123"; unknown members are refused,
        // not silently dropped; nothing is filled in.
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allErrors: false,
      },
    },
  });

  const settings: ContextSettings = { secure: config.https, now: options.now ?? (() => new Date()) };

  registerJsonBody(app);
  registerErrorHandling(app);
  registerSecurityHeaders(app, { https: config.https });
  registerOriginCheck(app, { origins: config.origins });
  // Before the routes: each /api route is given its budget as it is added.
  registerRateLimits(app, { budgets: config.rateLimits, now: settings.now });

  // Plugins load on ready()/inject()/listen(); a failure to load surfaces there.
  app.register(healthRoutes, { services });
  app.register(apiRoutes, { prefix: '/api', services, settings });
  app.register(adminRoutes, { prefix: '/api/admin', services, settings });
  if (config.conformance && options.conformance !== undefined) {
    app.register(conformanceRoutes, { conformance: options.conformance, settings });
  }
  for (const mount of options.mounts ?? []) app.register(mount);
  app.register(portalRoutes, { webRoot: options.webRoot ?? resolve(import.meta.dirname, '../web') });
  return app;
}
