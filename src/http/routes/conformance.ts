/**
 * The FIDO Alliance "FIDO2: Server Requirements and Transport Binding Profile" endpoints, mounted
 * only with TESSERA_CONFORMANCE=1 (PRODUCT C13). Every answer is a `ServerResponse`:
 * `{status: "ok", errorMessage: "", …}` on success, `{status: "failed", errorMessage}` with a 4xx
 * status on any failure, whatever the body was (this plugin's own error handler replaces the
 * `{error: {code, message}}` envelope of the rest of the API); a real fault is still a 500 with the
 * same envelope and no detail.
 *
 * The calls of one ceremony are linked by the flow cookie, like the portal's. The routes opt out
 * of the Origin check (see ../plugins/origin-check.ts): the conformance tool is not a page on one
 * of our origins, and nothing here issues a session.
 */
import type { FastifyInstance } from 'fastify';
import type {
  ConformanceAssertionOptionsInput,
  ConformanceAttestationOptionsInput,
  ConformanceServices,
} from '../../services/conformance.js';
import { type ContextSettings, callContext } from '../plugins/context.js';
import { describeError, logError } from '../plugins/errors.js';

const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;
const userVerification = { type: 'string', enum: ['required', 'preferred', 'discouraged'] } as const;
const extensions = { type: 'object', maxProperties: 32 } as const;

const attestationOptionsBody = {
  type: 'object',
  required: ['username', 'displayName'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 256 },
    displayName: text(256),
    authenticatorSelection: {
      type: 'object',
      properties: {
        authenticatorAttachment: { type: 'string', enum: ['platform', 'cross-platform'] },
        requireResidentKey: { type: 'boolean' },
        residentKey: { type: 'string', enum: ['discouraged', 'preferred', 'required'] },
        userVerification,
      },
    },
    attestation: { type: 'string', enum: ['none', 'indirect', 'direct', 'enterprise'] },
    extensions,
  },
} as const;

const assertionOptionsBody = {
  type: 'object',
  properties: { username: text(256), userVerification, extensions },
} as const;

/**
 * A ServerPublicKeyCredential: only the envelope is checked here, so each of the FIDO structure
 * tests (a member missing, of the wrong type, empty, not base64url) gets the core's precise error.
 */
const credentialBody = {
  type: 'object',
  required: ['id', 'type', 'response'],
  properties: {
    id: text(1400),
    rawId: text(1400),
    type: text(64),
    response: { type: 'object', maxProperties: 16 },
    getClientExtensionResults: { type: 'object' },
    clientExtensionResults: { type: 'object' },
  },
} as const;

export async function conformanceRoutes(
  app: FastifyInstance,
  {
    conformance,
    settings,
  }: { readonly conformance: ConformanceServices; readonly settings: ContextSettings },
): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    const described = describeError(error);
    logError(request, error, described);
    const errorMessage = described.fault ? described.message : `${described.code}: ${described.message}`;
    return reply
      .code(described.status)
      .header('cache-control', 'no-store')
      .send({ status: 'failed', errorMessage });
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });

  const config = { originCheck: false } as const;

  app.post<{ Body: ConformanceAttestationOptionsInput }>(
    '/attestation/options',
    { config, schema: { body: attestationOptionsBody } },
    async (request, reply) => {
      const options = await conformance.attestationOptions(
        request.body,
        callContext(request, reply, settings, { flow: 'start' }),
      );
      return { status: 'ok', errorMessage: '', ...options };
    },
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/attestation/result',
    { config, schema: { body: credentialBody } },
    async (request, reply) => {
      await conformance.attestationResult(
        request.body,
        callContext(request, reply, settings, { flow: 'use' }),
      );
      return { status: 'ok', errorMessage: '' };
    },
  );

  app.post<{ Body: ConformanceAssertionOptionsInput }>(
    '/assertion/options',
    { config, schema: { body: assertionOptionsBody } },
    async (request, reply) => {
      const options = await conformance.assertionOptions(
        request.body,
        callContext(request, reply, settings, { flow: 'start' }),
      );
      return { status: 'ok', errorMessage: '', ...options };
    },
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/assertion/result',
    { config, schema: { body: credentialBody } },
    async (request, reply) => {
      await conformance.assertionResult(request.body, callContext(request, reply, settings, { flow: 'use' }));
      return { status: 'ok', errorMessage: '' };
    },
  );
}
