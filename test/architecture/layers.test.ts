/**
 * Imports point one way: core ← trust ← policy ← services ← http | oidc | cli (ARCHITECTURE.md).
 * This test reads every import in src/ and fails on one that points outward, and on any I/O or
 * clock module imported by the pure core.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Layer rank: a module may import only from layers of lower or equal rank. */
const RANK: Readonly<Record<string, number>> = {
  core: 0,
  trust: 1,
  policy: 2,
  config: 2,
  store: 3,
  services: 4,
  http: 5,
  oidc: 5,
  cli: 6,
};

/** Node modules the pure core may use: crypto and buffers, nothing that touches the world. */
const CORE_ALLOWED_BUILTINS = new Set(['node:crypto', 'node:buffer']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of source.matchAll(pattern)) found.push(match[1] ?? match[2] ?? '');
  return found;
}

function layerOf(path: string): string {
  const [top] = relative(SRC, path).split('/');
  return top ?? '';
}

describe('layering', () => {
  const all = files(SRC);

  it('knows every top-level folder of src/', () => {
    for (const file of all) expect(Object.keys(RANK), relative(SRC, file)).toContain(layerOf(file));
  });

  it('never imports outward', () => {
    const violations: string[] = [];
    for (const file of all) {
      const from = layerOf(file);
      for (const spec of imports(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const to = layerOf(resolve(file, '..', spec));
        if ((RANK[to] ?? 99) > (RANK[from] ?? -1)) violations.push(`${relative(SRC, file)} → ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps the core free of I/O', () => {
    const violations: string[] = [];
    for (const file of all.filter((f) => layerOf(f) === 'core')) {
      const source = readFileSync(file, 'utf8');
      for (const spec of imports(source)) {
        if (spec.startsWith('.')) continue;
        if (spec.startsWith('node:') && !CORE_ALLOWED_BUILTINS.has(spec))
          violations.push(`${relative(SRC, file)} → ${spec}`);
      }
      // No clock reads and no logging in the core: time is a parameter.
      if (/\bDate\.now\(|new Date\(\)|console\./.test(source))
        violations.push(`${relative(SRC, file)} reads the clock or logs`);
    }
    expect(violations).toEqual([]);
  });
});
