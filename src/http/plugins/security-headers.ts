/**
 * Security headers on every answer (API, portal, errors). The Content-Security-Policy allows the
 * portal's own bundle only: no inline script or style, no framing, no foreign form targets.
 * HSTS is sent only when Tessera is served over https (sending it over http is ignored by
 * browsers and would be wrong for a local setup).
 */
import type { FastifyInstance } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** WebAuthn stays allowed for this origin; powerful features nobody here uses are switched off. */
export const PERMISSIONS_POLICY = [
  'publickey-credentials-create=(self)',
  'publickey-credentials-get=(self)',
  'camera=()',
  'microphone=()',
  'geolocation=()',
  'payment=()',
  'usb=()',
].join(', ');

/** Two years, as the HSTS preload list asks; subdomains are not Tessera's to decide. */
export const HSTS = 'max-age=63072000';

export function securityHeaders(https: boolean): Readonly<Record<string, string>> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': PERMISSIONS_POLICY,
    'x-frame-options': 'DENY',
    ...(https ? { 'strict-transport-security': HSTS } : {}),
  };
}

export function registerSecurityHeaders(app: FastifyInstance, options: { readonly https: boolean }): void {
  const headers = securityHeaders(options.https);
  // onSend runs for every answer, including errors and 404s.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(headers);
    return payload;
  });
}
