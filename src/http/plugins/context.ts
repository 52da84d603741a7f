/**
 * The services' `CallContext` for one request: the clock, the flow id and session id from the
 * cookies, the client address and user agent.
 *
 * The flow cookie is created by the calls that start a ceremony (`flow: 'start'`): a new random id
 * when the browser has none. Calls that finish a ceremony (`flow: 'use'`) never create the cookie;
 * without one they get a fresh random id that no challenge is bound to, so they fail as
 * `challenge_missing` instead of matching anything.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallContext } from '../../services/contract.js';
import { type CookieSettings, readCookie, setCookie } from './cookies.js';

/** 256 bits, base64url. */
export function newFlowId(): string {
  return randomBytes(32).toString('base64url');
}

const MAX_USER_AGENT = 512;

export interface ContextSettings extends CookieSettings {
  readonly now: () => Date;
}

export function callContext(
  request: FastifyRequest,
  reply: FastifyReply,
  settings: ContextSettings,
  options: { readonly flow: 'start' | 'use' | 'none' } = { flow: 'none' },
): CallContext {
  let flowId = readCookie(request, 'flow', settings);
  if (flowId === null) {
    flowId = newFlowId();
    if (options.flow === 'start') setCookie(reply, 'flow', flowId, settings);
  }
  const userAgent = request.headers['user-agent'];
  return {
    now: settings.now(),
    flowId,
    sessionId: readCookie(request, 'session', settings),
    ip: request.ip || null,
    userAgent:
      typeof userAgent === 'string' && userAgent.length > 0 ? userAgent.slice(0, MAX_USER_AGENT) : null,
  };
}
