/**
 * The JSON API of docs/http-api.md. Each route declares the schema of its body next to it:
 * objects with the documented members only, bounded strings; `response` (a PublicKeyCredential
 * JSON) is only required to be an object here, because the core checks every member of it and
 * answers with a precise code. Handlers turn the body into a service call with the request's
 * `CallContext` and the answer into JSON and cookies; they hold no logic of their own.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { EnrolmentKind, IssuedSession } from '../../services/contract.js';
import { ServiceError } from '../../services/errors.js';
import { callContext } from '../plugins/context.js';
import { clearCookie, setCookie } from '../plugins/cookies.js';
import { neverCached, type PrivateRoutes } from './private.js';

/** Onboarding passes are short random tokens; this only bounds abuse. */
const pass = { type: 'string', minLength: 1, maxLength: 256 } as const;
/** The services validate usernames and names with their own codes; this only bounds abuse. */
const username = { type: 'string', minLength: 1, maxLength: 256 } as const;
const name = { type: 'string', maxLength: 256 } as const;
const kind = { type: 'string', enum: ['passkey', 'security-key'] } as const;
const response = { type: 'object' } as const;
/** base64url of at most 1023 bytes (WebAuthn L3 §5.1). */
const credentialId = { type: 'string', minLength: 1, maxLength: 1364, pattern: '^[A-Za-z0-9_-]+$' } as const;

function body<P extends Record<string, unknown>>(properties: P, required: readonly (keyof P & string)[]) {
  return { type: 'object', properties, required, additionalProperties: false } as const;
}

const EMPTY_BODY = { type: 'object', maxProperties: 0 } as const;

export async function apiRoutes(app: FastifyInstance, { services, settings }: PrivateRoutes): Promise<void> {
  neverCached(app);

  const issue = (reply: FastifyReply, issued: IssuedSession, now: Date): void => {
    const expires = new Date(issued.session.expiresAt);
    setCookie(reply, 'session', issued.sessionId, settings, {
      maxAge: (expires.getTime() - now.getTime()) / 1000,
      expires,
    });
  };

  // --- Onboarding --------------------------------------------------------------------------

  app.post<{ Body: { pass: string } }>(
    '/onboarding/pass',
    { schema: { body: body({ pass }, ['pass']) } },
    async (request) => services.onboarding.describe(request.body.pass, settings.now()),
  );

  app.post<{ Body: { pass: string; kind: EnrolmentKind } }>(
    '/onboarding/options',
    { schema: { body: body({ pass, kind }, ['pass', 'kind']) } },
    async (request, reply) =>
      services.onboarding.options(
        { pass: request.body.pass, kind: request.body.kind },
        callContext(request, reply, settings, { flow: 'start' }),
      ),
  );

  app.post<{ Body: { pass: string; response: Record<string, unknown>; name?: string } }>(
    '/onboarding/verify',
    { schema: { body: body({ pass, response, name }, ['pass', 'response']) } },
    async (request, reply) => {
      const ctx = callContext(request, reply, settings, { flow: 'use' });
      const { pass: p, response: r, name: n } = request.body;
      const { issued, credential, warnings } = await services.onboarding.finish(
        n === undefined ? { pass: p, response: r } : { pass: p, response: r, name: n },
        ctx,
      );
      issue(reply, issued, ctx.now);
      return { session: issued.session, credential, ...(warnings === undefined ? {} : { warnings }) };
    },
  );

  // --- Sign-in -----------------------------------------------------------------------------

  app.post<{ Body: { username?: string } }>(
    '/authentication/options',
    { schema: { body: body({ username }, []) } },
    async (request, reply) => {
      const ctx = callContext(request, reply, settings, { flow: 'start' });
      const u = request.body.username;
      return services.signIn.options(u === undefined ? {} : { username: u }, ctx);
    },
  );

  app.post<{ Body: { response: Record<string, unknown> } }>(
    '/authentication/verify',
    { schema: { body: body({ response }, ['response']) } },
    async (request, reply) => {
      const ctx = callContext(request, reply, settings, { flow: 'use' });
      const issued = await services.signIn.finish({ response: request.body.response }, ctx);
      issue(reply, issued, ctx.now);
      return {
        session: issued.session,
        ...(issued.warnings === undefined ? {} : { warnings: issued.warnings }),
      };
    },
  );

  app.get('/session', async (request, reply) => {
    const session = await services.sessions.current(callContext(request, reply, settings));
    if (session === null) throw new ServiceError('unauthenticated');
    return { session };
  });

  app.post(
    '/session/sign-out',
    {
      schema: { body: EMPTY_BODY },
      // `{}` is documented; a POST with no body at all means the same.
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
    },
    async (request, reply) => {
      await services.sessions.signOut(callContext(request, reply, settings));
      clearCookie(reply, 'session', settings);
      return reply.code(204).send();
    },
  );

  // --- The person's credentials ------------------------------------------------------------

  app.get('/credentials', async (request, reply) => ({
    credentials: await services.credentials.list(callContext(request, reply, settings)),
  }));

  app.patch<{ Params: { id: string }; Body: { name: string } }>(
    '/credentials/:id',
    {
      schema: {
        params: body({ id: credentialId }, ['id']),
        body: body({ name }, ['name']),
      },
    },
    async (request, reply) => ({
      credential: await services.credentials.rename(
        { id: request.params.id, name: request.body.name },
        callContext(request, reply, settings),
      ),
    }),
  );

  app.delete<{ Params: { id: string } }>(
    '/credentials/:id',
    { schema: { params: body({ id: credentialId }, ['id']) } },
    async (request, reply) => {
      await services.credentials.remove({ id: request.params.id }, callContext(request, reply, settings));
      return reply.code(204).send();
    },
  );

  app.post<{ Body: { kind: EnrolmentKind } }>(
    '/registration/options',
    { schema: { body: body({ kind }, ['kind']) } },
    async (request, reply) =>
      services.registration.options(
        { kind: request.body.kind },
        callContext(request, reply, settings, { flow: 'start' }),
      ),
  );

  app.post<{ Body: { response: Record<string, unknown>; name?: string } }>(
    '/registration/verify',
    { schema: { body: body({ response, name }, ['response']) } },
    async (request, reply) => {
      const ctx = callContext(request, reply, settings, { flow: 'use' });
      const { response: r, name: n } = request.body;
      const { warnings, ...credential } = await services.registration.finish(
        n === undefined ? { response: r } : { response: r, name: n },
        ctx,
      );
      return { credential, ...(warnings === undefined ? {} : { warnings }) };
    },
  );

  app.get('/sign-ins', async (request, reply) => ({
    signIns: await services.signIns.recent(callContext(request, reply, settings)),
  }));

  // --- The assurance policy ----------------------------------------------------------------

  app.get('/policy/status', { schema: { response: { 200: POLICY_STATUS } } }, async (request, reply) =>
    services.policy.status(callContext(request, reply, settings)),
  );
}

const notice = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' } },
  required: ['code', 'message'],
  additionalProperties: false,
} as const;

/** GET /api/policy/status: the signed-in person's segment, phase and what the policy says. */
const POLICY_STATUS = {
  type: 'object',
  properties: {
    segment: { type: 'string' },
    phase: { type: 'string', enum: ['monitor', 'warn', 'enforce'] },
    decisions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          point: { type: 'string' },
          effect: { type: 'string', enum: ['allow', 'warn', 'deny'] },
          reasons: { type: 'array', items: notice },
          deadline: { type: ['string', 'null'] },
        },
        required: ['point', 'effect', 'reasons', 'deadline'],
        additionalProperties: false,
      },
    },
  },
  required: ['segment', 'phase', 'decisions'],
  additionalProperties: false,
} as const;
