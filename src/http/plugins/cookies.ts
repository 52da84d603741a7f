/**
 * Tessera's two cookies, read and written here (the Cookie / Set-Cookie grammar of RFC 6265 §4
 * for exactly what Tessera needs; a dependency would bring signing, encoding and options that are
 * not used):
 *
 * - `tessera_flow`: a random id binding ceremony challenges to one browser; a session cookie;
 * - `tessera_session`: the session id; expires with the session's absolute expiry.
 *
 * Both are `HttpOnly; SameSite=Lax; Path=/`. When Tessera is served over https they are `Secure`
 * and carry the `__Host-` prefix (RFC 6265bis §4.1.3.2: the browser then refuses the cookie unless
 * it is Secure, host-only and Path=/, so a sibling subdomain cannot plant or shadow it), and only
 * the prefixed name is read.
 *
 * Values are opaque tokens; anything that is not 16-256 base64url characters is treated as absent.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export type CookieKind = 'flow' | 'session';

const BASE_NAMES: Readonly<Record<CookieKind, string>> = {
  flow: 'tessera_flow',
  session: 'tessera_session',
};

const TOKEN = /^[A-Za-z0-9_-]{16,256}$/;
const MAX_COOKIE_HEADER = 8192;

export interface CookieSettings {
  /** Served over https: `Secure` and the `__Host-` prefix. */
  readonly secure: boolean;
}

export function cookieName(kind: CookieKind, settings: CookieSettings): string {
  return settings.secure ? `__Host-${BASE_NAMES[kind]}` : BASE_NAMES[kind];
}

/** The first value of each cookie in a Cookie header (RFC 6265 §5.4 order: first is most specific). */
export function parseCookieHeader(header: string | undefined): ReadonlyMap<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined || header.length > MAX_COOKIE_HEADER) return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name.length > 0 && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

export interface SetCookieOptions {
  /** Seconds; absent for a session cookie, 0 to delete. */
  readonly maxAge?: number;
  readonly expires?: Date;
}

export function serializeCookie(
  name: string,
  value: string,
  settings: CookieSettings,
  options: SetCookieOptions = {},
): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (settings.secure) parts.push('Secure');
  if (options.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAge))}`);
  if (options.expires !== undefined) parts.push(`Expires=${options.expires.toUTCString()}`);
  return parts.join('; ');
}

/** The cookie's value when present and well-formed, else null. */
export function readCookie(
  request: FastifyRequest,
  kind: CookieKind,
  settings: CookieSettings,
): string | null {
  const value = parseCookieHeader(request.headers.cookie).get(cookieName(kind, settings));
  return value !== undefined && TOKEN.test(value) ? value : null;
}

export function setCookie(
  reply: FastifyReply,
  kind: CookieKind,
  value: string,
  settings: CookieSettings,
  options: SetCookieOptions = {},
): void {
  // Fastify appends repeated set-cookie headers instead of replacing them.
  reply.header('set-cookie', serializeCookie(cookieName(kind, settings), value, settings, options));
}

export function clearCookie(reply: FastifyReply, kind: CookieKind, settings: CookieSettings): void {
  reply.header(
    'set-cookie',
    serializeCookie(cookieName(kind, settings), '', settings, { maxAge: 0, expires: new Date(0) }),
  );
}
