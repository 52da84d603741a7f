/**
 * Error codes are a public contract: every code in a layer's table is documented in
 * docs/errors.md, and the document names no code that does not exist.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_ERRORS } from '../../src/core/errors.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
const documented = new Set([...doc.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((m) => m[1]));

describe('error codes', () => {
  it('documents every core error code', () => {
    for (const code of Object.keys(CORE_ERRORS)) expect(documented.has(code), code).toBe(true);
  });

  it('documents no code that does not exist', () => {
    const known = new Set<string>(Object.keys(CORE_ERRORS));
    for (const code of documented) expect(known.has(code ?? ''), code).toBe(true);
  });

  it('uses snake_case codes', () => {
    for (const code of Object.keys(CORE_ERRORS)) expect(code).toMatch(/^[a-z][a-z0-9_]*$/);
  });
});
