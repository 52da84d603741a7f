/**
 * What the routes that answer with personal data share: the services and call-context settings
 * they are registered with, and `cache-control: no-store` on every answer (sessions, credentials,
 * reports and events must never sit in a shared or browser cache).
 */
import type { FastifyInstance } from 'fastify';
import type { TesseraServices } from '../../services/contract.js';
import type { ContextSettings } from '../plugins/context.js';

export interface PrivateRoutes {
  readonly services: TesseraServices;
  readonly settings: ContextSettings;
}

/** Every answer of the routes registered in `app` (an encapsulated plugin) is `no-store`. */
export function neverCached(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });
}
