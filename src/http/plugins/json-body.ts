/**
 * The only request body Tessera reads: strict UTF-8 JSON, at most 64 KiB (the app's bodyLimit),
 * nested at most MAX_JSON_DEPTH deep, with no `__proto__` member anywhere. Every other content
 * type is refused by Fastify with 415 (mapped to `unsupported_media_type` by ./errors.ts).
 *
 * The depth is measured on the bytes before parsing, so a deeply nested body costs one linear scan
 * and never reaches the JSON parser, the schema validator or the core.
 */
import type { Buffer } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';

/** Deeper than any WebAuthn response or options document (those reach 4). */
export const MAX_JSON_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Maximum nesting of `{` / `[` outside strings; stops counting once past `limit`. */
export function jsonDepth(bytes: Uint8Array, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c)
        i++; // backslash: skip the escaped character
      else if (b === 0x22) inString = false;
      continue;
    }
    if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
  return max;
}

/** True when an object anywhere in the value has an own `__proto__` member (prototype poisoning). */
function hasProtoKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasProtoKey);
  if (value !== null && typeof value === 'object') {
    if (Object.hasOwn(value, '__proto__')) return true;
    return Object.values(value).some(hasProtoKey);
  }
  return false;
}

/** Decode and parse a JSON body; throws `invalid_json` for anything that is not one JSON text. */
export function parseJsonBody(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    // A leading byte order mark is dropped (fatal decoding still refuses any invalid sequence).
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError('invalid_json', 'the body is not valid UTF-8');
  }
  if (jsonDepth(bytes, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new HttpError('invalid_json', `the body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new HttpError('invalid_json', 'the body is not valid JSON');
  }
  if (hasProtoKey(value)) throw new HttpError('invalid_json', 'the body has a __proto__ member');
  return value;
}

/** Replace Fastify's body parsers with the JSON parser above. */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser<Buffer>('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body));
    } catch (error) {
      done(error instanceof Error ? error : new HttpError('invalid_json'));
    }
  });
}
