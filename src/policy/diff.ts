/**
 * A line-based unified diff (the `diff -u` format) between two versions of a policy document, for
 * the history. Longest common subsequence over lines; policy documents are at most 1 MiB, and
 * the common prefix and suffix are trimmed first, so the quadratic table only covers what changed.
 */

const CONTEXT = 3;
/** Beyond this many changed lines on each side, the diff is a full replacement (bounded memory). */
const MAX_TABLE = 4_000_000;

type Op = { readonly kind: ' ' | '-' | '+'; readonly line: string };

function lines(text: string): string[] {
  if (text === '') return [];
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

function edits(a: readonly string[], b: readonly string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head: Op[] = a.slice(0, start).map((line) => ({ kind: ' ', line }));
  const tail: Op[] = a.slice(endA).map((line) => ({ kind: ' ', line }));
  const x = a.slice(start, endA);
  const y = b.slice(start, endB);
  const middle: Op[] = [];
  if ((x.length + 1) * (y.length + 1) > MAX_TABLE) {
    for (const line of x) middle.push({ kind: '-', line });
    for (const line of y) middle.push({ kind: '+', line });
  } else {
    const w = y.length + 1;
    const table = new Uint32Array((x.length + 1) * w);
    for (let i = x.length - 1; i >= 0; i--)
      for (let j = y.length - 1; j >= 0; j--)
        table[i * w + j] =
          x[i] === y[j]
            ? (table[(i + 1) * w + j + 1] ?? 0) + 1
            : Math.max(table[(i + 1) * w + j] ?? 0, table[i * w + j + 1] ?? 0);
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) {
        middle.push({ kind: ' ', line: x[i] ?? '' });
        i++;
        j++;
      } else if (
        i < x.length &&
        (j >= y.length || (table[(i + 1) * w + j] ?? 0) >= (table[i * w + j + 1] ?? 0))
      ) {
        middle.push({ kind: '-', line: x[i] ?? '' });
        i++;
      } else {
        middle.push({ kind: '+', line: y[j] ?? '' });
        j++;
      }
    }
  }
  return [...head, ...middle, ...tail];
}

function range(start: number, count: number): string {
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

/**
 * `--- from` / `+++ to` and hunks with three lines of context; the empty string when the
 * documents are the same line for line.
 */
export function unifiedDiff(before: string, after: string, from: string, to: string): string {
  const ops = edits(lines(before), lines(after));
  const changed = ops.map((op, i) => (op.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return '';
  const out = [`--- ${from}`, `+++ ${to}`];
  // Group changes whose context windows touch into hunks.
  const hunks: [number, number][] = [];
  for (const i of changed) {
    const last = hunks[hunks.length - 1];
    if (last !== undefined && i - last[1] <= 2 * CONTEXT) last[1] = i;
    else hunks.push([i, i]);
  }
  // Line numbers before each op, on each side.
  const posA: number[] = [];
  const posB: number[] = [];
  let na = 0;
  let nb = 0;
  for (const op of ops) {
    posA.push(na);
    posB.push(nb);
    if (op.kind !== '+') na++;
    if (op.kind !== '-') nb++;
  }
  for (const [first, last] of hunks) {
    const s = Math.max(0, first - CONTEXT);
    const e = Math.min(ops.length - 1, last + CONTEXT);
    const slice = ops.slice(s, e + 1);
    const countA = slice.filter((op) => op.kind !== '+').length;
    const countB = slice.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${range(posA[s] ?? 0, countA)} +${range(posB[s] ?? 0, countB)} @@`);
    for (const op of slice) out.push(`${op.kind}${op.line}`);
  }
  return `${out.join('\n')}\n`;
}
