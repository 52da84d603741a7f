/**
 * Random identifiers and hashing. Every secret handed to a client (session id, onboarding pass,
 * flow id) has 256 bits from the system CSPRNG (SP 800-63B-4 §3.2.12 asks for at least 64 bits
 * for session secrets; WebAuthn L3 §13.5.3 for at least 16 bytes of challenge) and is stored only
 * as its SHA-256, so a copy of the database does not let anyone present it.
 */
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';

/** WebAuthn user handle: 64 random bytes, the maximum of §5.4.3, carrying no personal data (§14.6.1). */
export const USER_HANDLE_BYTES = 64;
const SECRET_BYTES = 32;

/** A random secret or identifier, base64url (43 characters). */
export function randomToken(bytes = SECRET_BYTES): string {
  return randomBytes(bytes).toString('base64url');
}

export function newUserHandle(): Buffer {
  return randomBytes(USER_HANDLE_BYTES);
}

/** SHA-256 of a client-held secret (its UTF-8 text), as stored. */
export function secretHash(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return false;
  return Buffer.compare(a, b) === 0;
}
