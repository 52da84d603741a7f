/**
 * The self-service portal (a Vite build in dist/web) served from `/`. The portal is a single-page
 * application: `/onboard` and `/account` (and anything below them) answer its index.html, and the
 * client-side router takes over. Hashed assets under `/assets/` are cached for a year; everything
 * else is revalidated. When the portal was not built, `/` and the SPA paths answer a short page
 * saying so, and the API works as usual.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

const SPA_PATHS = ['/onboard', '/onboard/*', '/account', '/account/*'];

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Tessera</title></head>
<body>
<h1>Tessera</h1>
<p>The portal was not built. Run <code>npm run build</code> to build it; the API under
<code>/api</code> works without it.</p>
</body>
</html>
`;

export async function portalRoutes(app: FastifyInstance, { webRoot }: { readonly webRoot: string }) {
  if (!existsSync(join(webRoot, 'index.html'))) {
    const notBuilt = async (_request: unknown, reply: FastifyReply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    app.get('/', notBuilt);
    for (const path of SPA_PATHS) app.get(path, notBuilt);
    return;
  }

  await app.register(fastifyStatic, {
    root: webRoot,
    prefix: '/',
    // One route per file found at start-up: unknown paths reach the JSON 404 handler.
    wildcard: false,
    index: 'index.html',
    dotfiles: 'deny',
    cacheControl: false,
    setHeaders(res, path) {
      const immutable = path.includes(`${join(webRoot, 'assets')}/`);
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  const index = async (_request: unknown, reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html');
  for (const path of SPA_PATHS) app.get(path, index);
}
