/** What people and operators type: usernames, display names, credential names, and option values. */
import { MAX_PASS_LIFETIME_MS } from '../config/index.js';
import type { EnrolmentKind } from './contract.js';
import { ServiceError } from './errors.js';

/**
 * Usernames are case-insensitive login names: NFKC-normalised, trimmed and lower-cased, 1-64 of
 * a-z 0-9 . _ - + @, starting and ending with a letter or digit (so an e-mail address can serve as a
 * username, but it is never the WebAuthn user handle).
 */
const USERNAME = /^[a-z0-9](?:[a-z0-9._@+-]{0,62}[a-z0-9])?$/;

/** The canonical form, or null when the text cannot be a username. */
export function normalizeUsername(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 256) return null;
  const text = value.normalize('NFKC').trim().toLowerCase();
  return USERNAME.test(text) ? text : null;
}

export function requireUsername(value: unknown): string {
  const username = normalizeUsername(value);
  if (username === null) throw new ServiceError('username_invalid');
  return username;
}

/**
 * Printable: no control characters (C0, C1), line or paragraph separators, or bidirectional
 * overrides and isolates, which can make a name display as something else (Unicode TR #36 §2.4).
 */
const UNPRINTABLE = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'gu');
export const MAX_NAME_LENGTH = 64;

/** A credential or display name: NFC, trimmed, 1..64 printable characters (code points). */
export function normalizeName(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 1024) return null;
  const text = value.normalize('NFC').trim();
  const length = [...text].length;
  if (length === 0 || length > MAX_NAME_LENGTH || UNPRINTABLE.test(text)) return null;
  return text;
}

export function requireName(value: unknown): string {
  const name = normalizeName(value);
  if (name === null) throw new ServiceError('name_invalid');
  return name;
}

/** Cut a name from metadata to the limit, on a code point boundary. */
export function fitName(value: string): string | null {
  return normalizeName([...value.replace(UNPRINTABLE_ALL, ' ')].slice(0, MAX_NAME_LENGTH).join(''));
}

export function requireKind(value: unknown): EnrolmentKind {
  if (value === 'passkey' || value === 'security-key') return value;
  throw new ServiceError('kind_invalid');
}

const MIN_PASS_LIFETIME_MS = 60_000;

export function requirePassLifetime(value: number | undefined, fallback: number): number {
  const ms = value ?? fallback;
  if (!Number.isSafeInteger(ms) || ms < MIN_PASS_LIFETIME_MS || ms > MAX_PASS_LIFETIME_MS)
    throw new ServiceError('pass_lifetime_invalid', `${ms} ms`);
  return ms;
}
