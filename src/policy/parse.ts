/**
 * `parsePolicy(text, fileName)`: a policy document (YAML 1.2, or JSON, which YAML reads as well)
 * to a normalized `PolicyDocument`, or every problem found, each with its line, column and field.
 *
 * It never throws. Input is bounded before the YAML parser sees it: at most 1 MiB, no control
 * characters, and nesting bounded by a pass over the YAML lexer's tokens (flow brackets, block
 * indicators on one line, indentation) — the parser recurses, and a document nested thousands of
 * levels deep must be a clear error, not a stack overflow. Aliases are refused (no expansion
 * bombs; a policy is short enough to write out).
 */
import {
  CST,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  parseDocument,
  type Node as YamlNode,
} from 'yaml';
import {
  type AuthenticatorList,
  type DefaultSegment,
  type PolicyDocument,
  type Requirements,
  type RolloutStep,
  SESSION_LIMITS,
  type Segment,
} from './document.js';
import type { PolicyDocumentErrorCode, PolicyError } from './errors.js';
import { crossCheck, type Issue, type LocatedEntry, type LocatedNode, validateSchema } from './schema.js';

export const MAX_POLICY_BYTES = 1024 * 1024;
/** Nesting of the located tree; a valid document uses 7. */
export const MAX_POLICY_DEPTH = 32;
const MAX_FLOW_DEPTH = 32;
const MAX_INDICATORS_PER_LINE = 16;
const MAX_INDENT = 64;
const MAX_ERRORS = 50;

export type ParseResult =
  | { readonly policy: PolicyDocument; readonly errors?: undefined }
  | { readonly policy?: undefined; readonly errors: readonly PolicyError[] };

// ---------------------------------------------------------------------------------------------
// Bounds checked before parsing
// ---------------------------------------------------------------------------------------------

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const MARKERS = new Set<string>([CST.DOCUMENT, CST.FLOW_END, CST.SCALAR]);

/** The first place the document nests beyond the bounds, from the lexer's tokens alone. */
function nestingIssue(text: string): Issue | null {
  let offset = 0;
  let flow = 0;
  let indicators = 0;
  let afterNewline = true;
  let pendingIndent = -1;
  let pendingOffset = 0;
  const tooDeep = (at: number, message: string): Issue => ({
    code: 'policy_too_deep',
    offset: at,
    path: '(document)',
    message,
  });
  for (const token of new Lexer().lex(text)) {
    const start = offset;
    if (!MARKERS.has(token)) offset += token.length;
    const type = CST.tokenType(token);
    if (type === 'newline') {
      afterNewline = true;
      indicators = 0;
      pendingIndent = -1;
      continue;
    }
    if (type === 'space' || type === 'comment' || (type !== null && MARKERS.has(token))) {
      if (type === 'space' && afterNewline && !token.includes('\n')) {
        pendingIndent = token.length - token.trimStart().length;
        pendingOffset = start;
      }
      if (type === 'space' && token.includes('\n')) afterNewline = false;
      continue;
    }
    if (afterNewline && pendingIndent > MAX_INDENT)
      return tooDeep(
        pendingOffset,
        `indented more than ${MAX_INDENT} columns; a policy nests only a few levels`,
      );
    afterNewline = false;
    pendingIndent = -1;
    if (type === 'flow-map-start' || type === 'flow-seq-start') {
      flow++;
      if (flow > MAX_FLOW_DEPTH)
        return tooDeep(
          start,
          `more than ${MAX_FLOW_DEPTH} nested [ ] or { }; a policy nests only a few levels`,
        );
    } else if (type === 'flow-map-end' || type === 'flow-seq-end') {
      flow = Math.max(0, flow - 1);
    } else if (
      flow === 0 &&
      (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind')
    ) {
      indicators++;
      if (indicators > MAX_INDICATORS_PER_LINE)
        return tooDeep(start, `more than ${MAX_INDICATORS_PER_LINE} nested collections on one line`);
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// YAML nodes → the located tree
// ---------------------------------------------------------------------------------------------

interface Converter {
  readonly issues: Issue[];
}

function offsetOf(node: { range?: readonly number[] | null | undefined } | null | undefined): number {
  return node?.range?.[0] ?? 0;
}

function convert(node: unknown, depth: number, c: Converter, fallbackOffset: number): LocatedNode | null {
  if (node === null || node === undefined) return { kind: 'scalar', offset: fallbackOffset, value: null };
  if (depth > MAX_POLICY_DEPTH) {
    c.issues.push({
      code: 'policy_too_deep',
      offset: offsetOf(node as YamlNode),
      path: '(document)',
      message: `nested more than ${MAX_POLICY_DEPTH} levels`,
    });
    return null;
  }
  if (isAlias(node)) {
    c.issues.push({
      code: 'policy_unsupported_yaml',
      offset: offsetOf(node),
      path: '(document)',
      message: `aliases (*${node.source}) are not allowed in a policy; write the value out`,
    });
    return null;
  }
  if (isScalar(node)) {
    const offset = offsetOf(node);
    const v: unknown = node.value;
    if (v === null || typeof v === 'string' || typeof v === 'boolean')
      return { kind: 'scalar', offset, value: v };
    if (typeof v === 'number') return { kind: 'scalar', offset, value: v };
    // YAML 1.1 timestamps (with a %YAML 1.1 directive): keep what was written.
    if (v instanceof Date && typeof node.source === 'string')
      return { kind: 'scalar', offset, value: node.source };
    c.issues.push({
      code: 'policy_unsupported_yaml',
      offset,
      path: '(document)',
      message: 'this value is not a string, number, boolean or null',
    });
    return null;
  }
  if (isMap(node)) {
    const entries: LocatedEntry[] = [];
    // Repeated keys, found with a set (the YAML library's own check compares every pair of keys).
    const seen = new Set<string>();
    for (const pair of node.items) {
      const entry = convertPair(pair.key, pair.value, depth, c, offsetOf(node));
      if (!entry) continue;
      if (seen.has(entry.key)) {
        c.issues.push({
          code: 'policy_syntax',
          offset: entry.keyOffset,
          path: '(document)',
          message: `the key ${JSON.stringify(entry.key)} is repeated in this mapping`,
        });
        continue;
      }
      seen.add(entry.key);
      entries.push(entry);
    }
    return { kind: 'map', offset: offsetOf(node), entries };
  }
  if (isSeq(node)) {
    const items: LocatedNode[] = [];
    for (const item of node.items) {
      if (isPair(item)) {
        // `[a: 1]`: a single-pair mapping inside a flow sequence.
        const entry = convertPair(item.key, item.value, depth + 1, c, offsetOf(node));
        if (entry) items.push({ kind: 'map', offset: entry.keyOffset, entries: [entry] });
        continue;
      }
      const converted = convert(item, depth + 1, c, offsetOf(node));
      if (converted) items.push(converted);
    }
    return { kind: 'seq', offset: offsetOf(node), items };
  }
  c.issues.push({
    code: 'policy_unsupported_yaml',
    offset: fallbackOffset,
    path: '(document)',
    message: 'unsupported YAML node',
  });
  return null;
}

function convertPair(
  key: unknown,
  value: unknown,
  depth: number,
  c: Converter,
  fallbackOffset: number,
): LocatedEntry | null {
  if (!isScalar(key)) {
    c.issues.push({
      code: 'policy_unsupported_yaml',
      offset: isAlias(key) || isMap(key) || isSeq(key) ? offsetOf(key) : fallbackOffset,
      path: '(document)',
      message: 'mapping keys must be plain names',
    });
    return null;
  }
  const k: unknown = key.value;
  const name = typeof k === 'string' ? k : typeof k === 'number' || typeof k === 'boolean' ? String(k) : '';
  const keyOffset = offsetOf(key);
  const keyEnd = key.range?.[1] ?? keyOffset;
  const converted = convert(value, depth + 1, c, keyEnd);
  return converted ? { key: name, keyOffset, value: converted } : null;
}

// ---------------------------------------------------------------------------------------------
// Normalization (on a tree the schema and the cross-checks accepted)
// ---------------------------------------------------------------------------------------------

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

function plain(node: LocatedNode): Plain {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(plain);
  const out: { [key: string]: Plain } = {};
  for (const e of node.entries) out[e.key] = plain(e.value);
  return out;
}

/** The written shapes, as the schema guarantees them. */
interface WrittenList {
  aaguids?: string[];
  models?: string[];
}
interface WrittenRequirements {
  minAal: Requirements['minAal'];
  allowedClasses: Requirements['allowedClasses'];
  attestationRequired?: boolean;
  userVerification?: Requirements['userVerification'];
  authenticators?: { allow?: WrittenList; deny?: WrittenList };
  minCredentials?: number;
  recoveryCodes?: boolean;
  maxSessionHours?: number;
  maxIdleMinutes?: number;
}
interface WrittenDefault {
  description?: string;
  requirements: WrittenRequirements;
  rollout?: RolloutStep[];
}
interface WrittenSegment extends WrittenDefault {
  name: string;
  groups: string[];
}
interface WrittenDocument {
  version: 1;
  description?: string;
  segments: WrittenSegment[];
  default: WrittenDefault;
}

function list(written: WrittenList | undefined): AuthenticatorList {
  return {
    aaguids: [...new Set((written?.aaguids ?? []).map((a) => a.toLowerCase()))],
    models: written?.models ?? [],
  };
}

function requirementsOf(w: WrittenRequirements): Requirements {
  const limits = SESSION_LIMITS[w.minAal];
  return {
    minAal: w.minAal,
    allowedClasses: w.allowedClasses,
    attestationRequired: w.attestationRequired ?? false,
    userVerification: w.userVerification ?? 'required',
    authenticators: { allow: list(w.authenticators?.allow), deny: list(w.authenticators?.deny) },
    minCredentials: w.minCredentials ?? 1,
    recoveryCodes: w.recoveryCodes ?? false,
    maxSessionHours: w.maxSessionHours ?? limits.maxSessionHours,
    maxIdleMinutes: w.maxIdleMinutes ?? limits.maxIdleMinutes,
  };
}

function rolloutOf(steps: RolloutStep[] | undefined): readonly RolloutStep[] {
  return (steps ?? [{ phase: 'enforce' }]).map((s) =>
    s.from === undefined ? { phase: s.phase } : { phase: s.phase, from: s.from },
  );
}

function normalize(w: WrittenDocument): PolicyDocument {
  const segments: Segment[] = w.segments.map((s) => ({
    name: s.name,
    ...(s.description === undefined ? {} : { description: s.description }),
    groups: s.groups,
    requirements: requirementsOf(s.requirements),
    rollout: rolloutOf(s.rollout),
  }));
  const fallback: DefaultSegment = {
    ...(w.default.description === undefined ? {} : { description: w.default.description }),
    requirements: requirementsOf(w.default.requirements),
    rollout: rolloutOf(w.default.rollout),
  };
  return {
    version: 1,
    ...(w.description === undefined ? {} : { description: w.description }),
    segments,
    default: fallback,
  };
}

// ---------------------------------------------------------------------------------------------
// parsePolicy
// ---------------------------------------------------------------------------------------------

function locator(text: string): (offset: number) => { line: number; column: number } {
  const counter = new LineCounter();
  counter.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) counter.addNewLine(i + 1);
  return (offset) => {
    const { line, col } = counter.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line: Math.max(1, line), column: Math.max(1, col) };
  };
}

function toErrors(text: string, file: string, issues: readonly Issue[]): PolicyError[] {
  const locate = locator(text);
  const sorted = [...issues].sort((a, b) => a.offset - b.offset);
  const errors: PolicyError[] = sorted.slice(0, MAX_ERRORS).map((i) => ({
    code: i.code,
    file,
    ...locate(i.offset),
    path: i.path,
    message: i.message,
  }));
  if (sorted.length > MAX_ERRORS) {
    const last = errors[errors.length - 1];
    errors.push({
      code: last?.code ?? 'policy_syntax',
      file,
      line: last?.line ?? 1,
      column: last?.column ?? 1,
      path: '(document)',
      message: `… and ${sorted.length - MAX_ERRORS} more problems`,
    });
  }
  return errors;
}

const YAML_ERROR_CODES: Readonly<Record<string, PolicyDocumentErrorCode>> = {
  TAG_RESOLVE_FAILED: 'policy_unsupported_yaml',
  BAD_ALIAS: 'policy_unsupported_yaml',
  RESOURCE_EXHAUSTION: 'policy_too_deep',
};

function parseIssues(text: string): { issues: Issue[]; tree: LocatedNode | null } {
  const issue = (code: PolicyDocumentErrorCode, offset: number, message: string): Issue => ({
    code,
    offset,
    path: '(document)',
    message,
  });
  if (text.length > MAX_POLICY_BYTES || utf8Length(text) > MAX_POLICY_BYTES)
    return { issues: [issue('policy_too_large', 0, 'the document is larger than 1 MiB')], tree: null };
  const control = CONTROL.exec(text);
  if (control)
    return {
      issues: [
        issue(
          'policy_syntax',
          control.index,
          `control character U+${(control[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} is not allowed`,
        ),
      ],
      tree: null,
    };
  const nesting = nestingIssue(text);
  if (nesting) return { issues: [nesting], tree: null };

  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false, strict: true });
  const yamlIssues = [...doc.errors, ...doc.warnings].map((e) =>
    issue(
      YAML_ERROR_CODES[e.code] ?? (e.name === 'YAMLWarning' ? 'policy_unsupported_yaml' : 'policy_syntax'),
      e.pos[0],
      e.message.split('\n')[0] ?? e.message,
    ),
  );
  if (yamlIssues.length > 0) return { issues: yamlIssues, tree: null };
  if (doc.contents === null)
    return {
      issues: [
        issue('policy_required', 0, 'the document is empty; a policy needs version, segments and default'),
      ],
      tree: null,
    };
  const c: Converter = { issues: [] };
  const tree = convert(doc.contents, 0, c, 0);
  return { issues: c.issues, tree: c.issues.length === 0 ? tree : null };
}

/** Parse and validate a policy document. Never throws. */
export function parsePolicy(text: string, fileName = 'policy'): ParseResult {
  const file = typeof fileName === 'string' && fileName !== '' ? fileName : 'policy';
  if (typeof text !== 'string')
    return {
      errors: [
        {
          code: 'policy_type',
          file,
          line: 1,
          column: 1,
          path: '(document)',
          message: 'the document is not text',
        },
      ],
    };
  try {
    const { issues, tree } = parseIssues(text);
    if (issues.length > 0 || tree === null) return { errors: toErrors(text, file, issues) };
    // Both passes report, so one run shows every problem; a field the schema already faulted is
    // not faulted again by a cross-check.
    const schemaIssues = validateSchema(tree);
    const faulted = schemaIssues.map((i) => i.path);
    const crossIssues = crossCheck(tree).filter(
      (c) => !faulted.some((p) => c.path === p || c.path.startsWith(`${p}.`) || c.path.startsWith(`${p}[`)),
    );
    if (schemaIssues.length + crossIssues.length > 0)
      return { errors: toErrors(text, file, [...schemaIssues, ...crossIssues]) };
    // The schema has checked every field's shape.
    return { policy: normalize(plain(tree) as unknown as WrittenDocument) };
  } catch (error) {
    // A backstop: nothing above should throw, but a parser bug must not crash a server or the CLI.
    const reason = error instanceof Error ? error.message : String(error);
    return {
      errors: [
        {
          code: 'policy_syntax',
          file,
          line: 1,
          column: 1,
          path: '(document)',
          message: `the document could not be read (${reason})`,
        },
      ],
    };
  }
}
