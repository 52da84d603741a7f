/**
 * Cross-site request forgery defence: a state-changing request (POST, PUT, PATCH, DELETE) must
 * carry an `Origin` header equal to one of the configured origins, else 403 `origin_not_allowed`.
 * Browsers send `Origin` on every such request, same-origin ones included, so a missing header
 * means a non-browser client or a forged request, and is refused too. This is on top of
 * `SameSite=Lax` cookies, which already keep cross-site POSTs from carrying the session.
 *
 * A route opts out with `config: { originCheck: false }`. Only the conformance API does: it exists
 * only with TESSERA_CONFORMANCE=1, issues no session and grants nothing, and the FIDO conformance
 * tool is not a browser page on one of our origins (it may send no Origin, or its own).
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: this route does not require an allowed Origin (conformance API only). */
    originCheck?: boolean;
  }
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function registerOriginCheck(
  app: FastifyInstance,
  options: { readonly origins: readonly string[] },
): void {
  const allowed = new Set(options.origins);
  app.addHook('onRequest', async (request) => {
    if (!STATE_CHANGING.has(request.method)) return;
    if (request.routeOptions.config?.originCheck === false) return;
    const origin = request.headers.origin;
    if (origin === undefined || !allowed.has(origin)) {
      throw new HttpError(
        'origin_not_allowed',
        origin === undefined ? 'no Origin header' : `Origin ${JSON.stringify(origin.slice(0, 200))}`,
      );
    }
  });
}
