import { Buffer } from 'node:buffer';
import { fail } from './errors.js';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decode unpadded base64url strictly (RFC 4648 §5). Node's decoder silently skips invalid
 * characters, so the alphabet, the length and the unused trailing bits are checked first:
 * one string has exactly one meaning.
 */
export function fromBase64url(value: unknown, field: string, maxBytes = 1 << 20): Buffer {
  if (typeof value !== 'string') fail('malformed_input', `${field} is not a string`);
  if (value.length > Math.ceil((maxBytes * 4) / 3)) fail('malformed_input', `${field} is too long`);
  if (!BASE64URL.test(value) || value.length % 4 === 1) fail('malformed_input', `${field} is not base64url`);
  const bytes = Buffer.from(value, 'base64url');
  // Canonical form: re-encoding must give the same text (non-zero trailing bits are rejected).
  if (bytes.toString('base64url') !== value) fail('malformed_input', `${field} is not canonical base64url`);
  return bytes;
}

/** Lenient variant for fields that some clients pad or send as standard base64. */
export function fromBase64Lenient(value: unknown, field: string, maxBytes = 1 << 20): Buffer {
  if (typeof value !== 'string') fail('malformed_input', `${field} is not a string`);
  if (value.length > Math.ceil((maxBytes * 4) / 3) + 3) fail('malformed_input', `${field} is too long`);
  const normalized = value.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return fromBase64url(normalized, field, maxBytes);
}

export function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
