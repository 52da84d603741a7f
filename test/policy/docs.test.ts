/**
 * docs/policy.md is the contract for policy codes: every reason and document error code is in its
 * tables, the tables name no code that does not exist, codes are unique across Tessera's tables,
 * and the hybrid example in the document is examples/policy.hybrid.yaml, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_ERRORS } from '../../src/core/errors.js';
import { POLICY_DOCUMENT_ERRORS } from '../../src/policy/errors.js';
import { CHECKS } from '../../src/policy/evaluate.js';
import { POLICY_REASONS } from '../../src/policy/reasons.js';
import { SERVICE_ERRORS } from '../../src/services/errors.js';
import { METADATA_STORE_ERRORS } from '../../src/store/metadata-file-store.js';
import { METADATA_ERRORS, METADATA_WARNINGS } from '../../src/trust/metadata/errors.js';
import { TRUST_REASONS } from '../../src/trust/metadata/trust.js';
import { ASSURANCE_REASONS } from '../../src/trust/reasons.js';

const ROOT = resolve(import.meta.dirname, '../..');
const doc = readFileSync(resolve(ROOT, 'docs/policy.md'), 'utf8');

/** Code rows of the table(s) in the part of the page from `heading` to the next heading of its level. */
function codesUnder(heading: string): string[] {
  const start = doc.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const level = heading.split(' ')[0] ?? '##';
  const rest = doc.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  const section = end === -1 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\|\s*`([a-z0-9_]+)`\s*\|/gm)].map((m) => m[1] ?? '');
}

describe('docs/policy.md', () => {
  it('documents every reason code, and only those', () => {
    expect(codesUnder('### Reason codes').sort()).toEqual(Object.keys(POLICY_REASONS).sort());
  });

  it('documents every document error code, and only those', () => {
    expect(codesUnder('## Validation').sort()).toEqual(Object.keys(POLICY_DOCUMENT_ERRORS).sort());
  });

  it('has a check in the table for every check code, and a sentence for every code', () => {
    const checkCodes = CHECKS.map((c) => c.code);
    expect(new Set(checkCodes).size).toBe(checkCodes.length);
    expect(Object.keys(POLICY_REASONS).filter((c) => !checkCodes.includes(c as never))).toEqual([
      'requirements_met',
      'monitor_would_deny',
    ]);
    for (const message of [...Object.values(POLICY_REASONS), ...Object.values(POLICY_DOCUMENT_ERRORS)])
      expect(message.length).toBeGreaterThan(10);
  });

  it('uses codes no other table of Tessera uses', () => {
    const others = [
      CORE_ERRORS,
      METADATA_ERRORS,
      METADATA_WARNINGS,
      METADATA_STORE_ERRORS,
      TRUST_REASONS,
      ASSURANCE_REASONS,
      SERVICE_ERRORS,
    ].flatMap((t) => Object.keys(t));
    const mine = [...Object.keys(POLICY_REASONS), ...Object.keys(POLICY_DOCUMENT_ERRORS)];
    expect(mine.filter((c) => others.includes(c))).toEqual([]);
    expect(new Set(mine).size).toBe(mine.length);
    for (const code of mine) expect(code).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it('shows examples/policy.hybrid.yaml as it is', () => {
    const example = readFileSync(resolve(ROOT, 'examples/policy.hybrid.yaml'), 'utf8');
    expect(doc).toContain(`\`\`\`yaml\n${example}\`\`\``);
  });
});
