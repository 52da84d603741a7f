/**
 * Codes are a public contract: every code in every table is documented in docs/errors.md, and
 * the document names no code that does not exist.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_ERRORS } from '../../src/core/errors.js';
import { HTTP_ERRORS } from '../../src/http/errors.js';
import { OIDC_ERRORS } from '../../src/oidc/errors.js';
import { SERVICE_ERRORS } from '../../src/services/errors.js';
import { METADATA_STORE_ERRORS } from '../../src/store/metadata-file-store.js';
import { METADATA_ERRORS, METADATA_WARNINGS } from '../../src/trust/metadata/errors.js';
import { TRUST_REASONS } from '../../src/trust/metadata/trust.js';
import { ASSURANCE_REASONS } from '../../src/trust/reasons.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
const documented = new Set([...doc.matchAll(/^\|\s*`([a-z0-9_]+)`\s*\|/gm)].map((m) => m[1] ?? ''));

const messages = (table: Readonly<Record<string, { readonly message: string }>>) =>
  Object.fromEntries(Object.entries(table).map(([code, entry]) => [code, entry.message]));

const TABLES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  CORE_ERRORS,
  SERVICE_ERRORS: messages(SERVICE_ERRORS),
  HTTP_ERRORS: messages(HTTP_ERRORS),
  OIDC_ERRORS: messages(OIDC_ERRORS),
  METADATA_ERRORS,
  METADATA_WARNINGS,
  METADATA_STORE_ERRORS,
  TRUST_REASONS,
  ASSURANCE_REASONS,
};
const known = new Set(Object.values(TABLES).flatMap((table) => Object.keys(table)));

describe('codes', () => {
  for (const [name, table] of Object.entries(TABLES)) {
    it(`documents every code of ${name}`, () => {
      const missing = Object.keys(table).filter((code) => !documented.has(code));
      expect(missing).toEqual([]);
    });
  }

  it('documents no code that does not exist', () => {
    expect([...documented].filter((code) => !known.has(code))).toEqual([]);
  });

  it('uses snake_case codes with a non-empty message, each code in one table only', () => {
    const seen = new Set<string>();
    for (const table of Object.values(TABLES)) {
      for (const [code, message] of Object.entries(table)) {
        expect(code).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(message.length).toBeGreaterThan(10);
        expect(seen.has(code), code).toBe(false);
        seen.add(code);
      }
    }
  });
});
