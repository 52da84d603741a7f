/**
 * Small tools for tests that change one thing in a real statement and expect a typed rejection.
 */
import { Buffer } from 'node:buffer';
import { expect } from 'vitest';
import { type CborMap, type CborValue, decodeCbor, encodeCbor, isCborMap } from '../../src/core/cbor.js';
import { isWebAuthnError } from '../../src/core/errors.js';

/** Run `fn`, which must throw a WebAuthnError with `code` (and a detail matching `detail`). */
export function expectRejected(fn: () => unknown, code: string, detail?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  if (!isWebAuthnError(caught)) throw new Error(`expected a WebAuthnError ${code}, got ${String(caught)}`);
  expect(caught.code).toBe(code);
  if (detail) expect(caught.detail ?? '').toMatch(detail);
}

/** A copy of `attStmt` with some members replaced (undefined deletes), re-encoded and decoded again. */
export function restate(attStmt: CborMap, changes: Record<string, CborValue>): CborMap {
  const m = new Map(attStmt);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) m.delete(k);
    else m.set(k, v);
  }
  const decoded = decodeCbor(encodeCbor(m));
  if (!isCborMap(decoded)) throw new Error('not a map');
  return decoded;
}

/** A copy of `bytes` with the bits of `mask` flipped at `at` (negative counts from the end). */
export function flipped(bytes: Uint8Array, at: number, mask = 0x01): Buffer {
  const out = Buffer.from(bytes);
  const i = at < 0 ? out.length + at : at;
  out[i] = (out[i] as number) ^ mask;
  return out;
}
