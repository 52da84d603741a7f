/** The unified diff kept in the policy history (src/policy/diff.ts). */
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/policy/index.js';

const lines = (n: number, change?: [number, string]) =>
  `${Array.from({ length: n }, (_, i) => (change !== undefined && change[0] === i ? change[1] : `line ${i + 1}`)).join('\n')}\n`;

describe('unifiedDiff', () => {
  it('is empty for the same document', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', 'x', 'y')).toBe('');
  });

  it('shows a first version as all added', () => {
    expect(unifiedDiff('', 'a\nb\n', '/dev/null', 'policy version 1')).toBe(
      '--- /dev/null\n+++ policy version 1\n@@ -0,0 +1,2 @@\n+a\n+b\n',
    );
  });

  it('gives a change three lines of context, the removed line before the added one', () => {
    expect(unifiedDiff(lines(10), lines(10, [4, 'five']), 'a', 'b')).toBe(
      '--- a\n+++ b\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+five\n line 6\n line 7\n line 8\n',
    );
  });

  it('makes separate hunks of distant changes and one of near ones', () => {
    const before = lines(30);
    const after = before.replace('line 2\n', 'two\n').replace('line 28\n', 'twenty-eight\n');
    expect(unifiedDiff(before, after, 'a', 'b').match(/^@@/gm)).toHaveLength(2);
    const near = before.replace('line 2\n', 'two\n').replace('line 6\n', 'six\n');
    expect(unifiedDiff(before, near, 'a', 'b').match(/^@@/gm)).toHaveLength(1);
  });

  it('handles insertions and deletions', () => {
    expect(unifiedDiff('a\nb\nc\n', 'a\nc\nd\n', 'x', 'y')).toBe(
      '--- x\n+++ y\n@@ -1,3 +1,3 @@\n a\n-b\n c\n+d\n',
    );
  });
});
