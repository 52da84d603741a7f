/**
 * Liveness and readiness for a process manager or load balancer (PRODUCT C14):
 * `/healthz` answers while the process runs; `/readyz` answers 200 only when the database does,
 * so an instance that lost its database is taken out of rotation instead of failing requests.
 */
import type { FastifyInstance } from 'fastify';
import type { TesseraServices } from '../../services/contract.js';

export async function healthRoutes(
  app: FastifyInstance,
  { services }: { readonly services: TesseraServices },
) {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    let ready = false;
    try {
      ready = await services.health.ready();
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
    }
    if (ready) return { status: 'ready' };
    return reply.code(503).send({ status: 'unavailable' });
  });
}
