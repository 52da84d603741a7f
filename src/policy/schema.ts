/**
 * The published JSON Schema of policy documents (docs/policy.schema.json is this object, written
 * out) and a small validator for exactly the keywords it uses, over a tree that remembers where
 * each value was written. The validator reads the schema object itself, so the published schema
 * and what Tessera accepts cannot drift apart. What a JSON Schema cannot say — unique segment
 * names, recovery codes never with AAL3, session limits per level, schedules in order — is
 * checked afterwards by `crossCheck`, with the same positions.
 */
import {
  ASSURANCE_LEVELS,
  CLASS_CEILING,
  CREDENTIAL_CLASSES,
  DATE_PATTERN,
  DEFAULT_SEGMENT,
  MAX_MIN_CREDENTIALS,
  PHASES,
  parseInstant,
  SESSION_LIMITS,
} from './document.js';
import type { PolicyDocumentErrorCode } from './errors.js';

// ---------------------------------------------------------------------------------------------
// The schema
// ---------------------------------------------------------------------------------------------

/** The keywords the validator implements (`SCHEMA_KEYWORDS`); anything else is rejected by a test. */
export interface SchemaNode {
  readonly $ref?: string;
  readonly title?: string;
  readonly description?: string;
  readonly default?: string | number | boolean;
  readonly examples?: readonly unknown[];
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly const?: string | number | boolean;
  readonly enum?: readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: false;
  readonly items?: SchemaNode;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: true;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
}

export interface RootSchema extends SchemaNode {
  readonly $schema: string;
  readonly $id: string;
  readonly $defs: Readonly<Record<string, SchemaNode>>;
}

export const SCHEMA_KEYWORDS: readonly string[] = [
  '$schema',
  '$id',
  '$defs',
  '$ref',
  'title',
  'description',
  'default',
  'examples',
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
];

export const AAGUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const SEGMENT_NAME_PATTERN = '^[a-z][a-z0-9_-]{0,62}$';

/** Friendly wording for each pattern the schema uses. */
const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  [AAGUID_PATTERN]: 'must be an AAGUID written as a UUID, like "cb69481e-8ff7-4039-93ec-0a2729a154a8"',
  [SEGMENT_NAME_PATTERN]:
    'must start with a lower-case letter and use only a-z, 0-9, "-" and "_" (at most 63 characters)',
  [DATE_PATTERN]: 'must be a date (2026-03-01) or a date-time with a zone (2026-03-01T09:00:00Z)',
};

const authenticatorList: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: {
    aaguids: {
      description: 'AAGUIDs (UUIDs, any case).',
      type: 'array',
      maxItems: 1000,
      uniqueItems: true,
      items: { type: 'string', pattern: AAGUID_PATTERN },
    },
    models: {
      description:
        'Model names as authenticator metadata gives them (what `tessera metadata show AAGUID` prints), matched case-insensitively.',
      type: 'array',
      maxItems: 1000,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 200 },
    },
  },
};

const requirements: SchemaNode = {
  description: 'What a person of the segment must use.',
  type: 'object',
  additionalProperties: false,
  required: ['minAal', 'allowedClasses'],
  properties: {
    minAal: {
      description: 'Minimum NIST SP 800-63B-4 assurance level of a sign-in.',
      type: 'string',
      enum: [...ASSURANCE_LEVELS],
    },
    allowedClasses: {
      description: 'Credential classes a person of the segment may enroll and use.',
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', enum: [...CREDENTIAL_CLASSES] },
    },
    attestationRequired: {
      description: "The credential's attestation must reach a root trusted for its model.",
      type: 'boolean',
      default: false,
    },
    userVerification: {
      description:
        'required: the authenticator must verify the person (PIN or biometric). AAL2 and AAL3 need it.',
      type: 'string',
      enum: ['required', 'preferred'],
      default: 'required',
    },
    authenticators: {
      description: 'Authenticator models allowed (empty: any) and denied (wins over allowed).',
      type: 'object',
      additionalProperties: false,
      properties: {
        allow: { $ref: '#/$defs/authenticatorList' },
        deny: { $ref: '#/$defs/authenticatorList' },
      },
    },
    minCredentials: {
      description:
        'Enrolled credentials meeting these requirements a person should have; 2 means one backup.',
      type: 'integer',
      minimum: 1,
      maximum: MAX_MIN_CREDENTIALS,
      default: 1,
    },
    recoveryCodes: {
      description:
        'Whether recovery codes may be used as a fallback. Never for a segment that requires AAL3.',
      type: 'boolean',
      default: false,
    },
    maxSessionHours: {
      description: 'Maximum session lifetime: at most 12 for AAL3, 24 otherwise (the default is the limit).',
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 24,
    },
    maxIdleMinutes: {
      description: 'Maximum inactivity: at most 15 for AAL3, 60 otherwise (the default is the limit).',
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 60,
    },
  },
};

const rolloutStep: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  required: ['phase'],
  properties: {
    phase: { type: 'string', enum: [...PHASES] },
    from: {
      description:
        'When the step starts: a date (00:00 UTC) or an RFC 3339 date-time with a zone. Not on the first step.',
      type: 'string',
      pattern: DATE_PATTERN,
    },
  },
};

const rollout: SchemaNode = {
  description:
    'Phases in order (monitor, warn, enforce; any may be skipped) with increasing dates. Omitted: enforce.',
  type: 'array',
  minItems: 1,
  maxItems: 3,
  items: { $ref: '#/$defs/rolloutStep' },
};

const segment: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'groups', 'requirements'],
  properties: {
    name: { type: 'string', pattern: SEGMENT_NAME_PATTERN },
    description: { type: 'string', maxLength: 1000 },
    groups: {
      description:
        'A person belongs to the segment when one of their groups is listed (and no earlier segment matched).',
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 256 },
    },
    requirements: { $ref: '#/$defs/requirements' },
    rollout: { $ref: '#/$defs/rollout' },
  },
};

const defaultSegment: SchemaNode = {
  description: 'Applies to everyone no segment selects.',
  type: 'object',
  additionalProperties: false,
  required: ['requirements'],
  properties: {
    description: { type: 'string', maxLength: 1000 },
    requirements: { $ref: '#/$defs/requirements' },
    rollout: { $ref: '#/$defs/rollout' },
  },
};

export const POLICY_SCHEMA: RootSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:tessera:policy:1',
  title: 'Tessera policy document, version 1',
  description:
    'Segments of people (by group) with authenticator requirements and a rollout schedule. See docs/policy.md.',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'segments', 'default'],
  properties: {
    $schema: { type: 'string' },
    version: { const: 1 },
    description: { type: 'string', maxLength: 1000 },
    segments: {
      description: 'Ordered: the first segment naming one of a person’s groups applies.',
      type: 'array',
      maxItems: 200,
      items: { $ref: '#/$defs/segment' },
    },
    default: { $ref: '#/$defs/defaultSegment' },
  },
  $defs: { segment, defaultSegment, requirements, authenticatorList, rollout, rolloutStep },
};

// ---------------------------------------------------------------------------------------------
// The located tree the validator reads
// ---------------------------------------------------------------------------------------------

export type LocatedNode =
  | { readonly kind: 'map'; readonly offset: number; readonly entries: readonly LocatedEntry[] }
  | { readonly kind: 'seq'; readonly offset: number; readonly items: readonly LocatedNode[] }
  | {
      readonly kind: 'scalar';
      readonly offset: number;
      readonly value: string | number | boolean | null;
    };

export interface LocatedEntry {
  readonly key: string;
  readonly keyOffset: number;
  readonly value: LocatedNode;
}

export type PathPart = string | number;

/** `segments[0].requirements.minAal`; keys that are not identifiers are quoted. */
export function formatPath(path: readonly PathPart[]): string {
  if (path.length === 0) return '(document)';
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

export interface Issue {
  readonly code: PolicyDocumentErrorCode;
  readonly offset: number;
  readonly path: string;
  readonly message: string;
}

// ---------------------------------------------------------------------------------------------
// The schema validator
// ---------------------------------------------------------------------------------------------

function resolve(schema: SchemaNode, root: RootSchema): SchemaNode {
  let s = schema;
  for (let hops = 0; s.$ref !== undefined && hops < 8; hops++) {
    const name = s.$ref.startsWith('#/$defs/') ? s.$ref.slice('#/$defs/'.length) : '';
    const target = root.$defs[name];
    if (!target) throw new Error(`policy schema: unresolvable $ref ${s.$ref}`);
    s = target;
  }
  return s;
}

function show(value: string | number | boolean | null): string {
  return typeof value === 'string'
    ? JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}…` : value)
    : String(value);
}

function describeNode(node: LocatedNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  const v = node.value;
  if (v === null) return 'nothing (null)';
  if (typeof v === 'string') return `a string (${show(v)})`;
  if (typeof v === 'number') return `a number (${show(v)})`;
  return `a boolean (${v})`;
}

const TYPE_WORDS: Readonly<Record<NonNullable<SchemaNode['type']>, string>> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
};

function hasType(node: LocatedNode, type: NonNullable<SchemaNode['type']>): boolean {
  switch (type) {
    case 'object':
      return node.kind === 'map';
    case 'array':
      return node.kind === 'seq';
    case 'string':
      return node.kind === 'scalar' && typeof node.value === 'string';
    case 'boolean':
      return node.kind === 'scalar' && typeof node.value === 'boolean';
    case 'number':
      return node.kind === 'scalar' && typeof node.value === 'number' && Number.isFinite(node.value);
    case 'integer':
      return node.kind === 'scalar' && typeof node.value === 'number' && Number.isSafeInteger(node.value);
  }
}

/** Edit distance, for "did you mean". Inputs are short field and enum names. */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 99;
}

/** The candidate `found` is most likely a misspelling of, if one stands out. */
function closest(found: string, candidates: readonly string[]): string | null {
  const lower = found.toLowerCase();
  const exact = candidates.find((c) => c.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | null = null;
  let bestDistance = 3;
  let tied = false;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
      tied = false;
    } else if (d === bestDistance) tied = true;
  }
  // Two equally close candidates: guessing one would mislead.
  return tied ? null : best;
}

function suggestion(found: string, candidates: readonly string[]): string {
  const best = closest(found, candidates);
  return best === null ? '' : ` (did you mean ${JSON.stringify(best)}?)`;
}

const patterns = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (re === undefined) {
    re = new RegExp(pattern, 'u');
    patterns.set(pattern, re);
  }
  return re;
}

function scalarKey(node: LocatedNode): string | null {
  return node.kind === 'scalar' ? JSON.stringify(node.value) : null;
}

function validateNode(
  node: LocatedNode,
  schemaRef: SchemaNode,
  root: RootSchema,
  path: PathPart[],
  issues: Issue[],
): void {
  const schema = resolve(schemaRef, root);
  const where = formatPath(path);
  const issue = (code: PolicyDocumentErrorCode, message: string, offset = node.offset) =>
    issues.push({ code, offset, path: where, message });

  if (schema.type !== undefined && !hasType(node, schema.type)) {
    const fractional = schema.type === 'integer' && node.kind === 'scalar' && typeof node.value === 'number';
    issue(
      'policy_type',
      `expected ${TYPE_WORDS[schema.type]}, found ${fractional ? show(node.value) : describeNode(node)}`,
    );
    return;
  }
  if (schema.const !== undefined) {
    if (node.kind !== 'scalar' || node.value !== schema.const) {
      const found = node.kind === 'scalar' ? show(node.value) : describeNode(node);
      issue('policy_value', `must be ${show(schema.const)}; found ${found}`);
      return;
    }
  }
  if (node.kind === 'scalar') {
    const v = node.value;
    if (schema.enum !== undefined && !schema.enum.some((e) => e === v)) {
      const hint = typeof v === 'string' ? suggestion(v, schema.enum) : '';
      issue(
        'policy_value',
        `must be one of ${schema.enum.map((e) => show(e)).join(', ')}; found ${show(v)}${hint}`,
      );
      return;
    }
    if (typeof v === 'string') {
      if (schema.minLength !== undefined && v.length < schema.minLength)
        issue(
          'policy_value',
          schema.minLength === 1 ? 'must not be empty' : `must have at least ${schema.minLength} characters`,
        );
      if (schema.maxLength !== undefined && v.length > schema.maxLength)
        issue('policy_value', `must have at most ${schema.maxLength} characters; found ${v.length}`);
      if (schema.pattern !== undefined && !compiled(schema.pattern).test(v))
        issue(
          'policy_value',
          `${PATTERN_MESSAGES[schema.pattern] ?? `must match ${schema.pattern}`}; found ${show(v)}`,
        );
    }
    if (typeof v === 'number') {
      if (schema.minimum !== undefined && v < schema.minimum)
        issue('policy_value', `must be at least ${schema.minimum}; found ${v}`);
      if (schema.exclusiveMinimum !== undefined && v <= schema.exclusiveMinimum)
        issue('policy_value', `must be more than ${schema.exclusiveMinimum}; found ${v}`);
      if (schema.maximum !== undefined && v > schema.maximum)
        issue('policy_value', `must be at most ${schema.maximum}; found ${v}`);
    }
    return;
  }
  if (node.kind === 'seq') {
    const n = node.items.length;
    if (schema.minItems !== undefined && n < schema.minItems)
      issue(
        'policy_value',
        schema.minItems === 1 ? 'must not be empty' : `needs at least ${schema.minItems} items`,
      );
    if (schema.maxItems !== undefined && n > schema.maxItems)
      issue('policy_value', `may have at most ${schema.maxItems} items; found ${n}`);
    if (schema.uniqueItems) {
      const seen = new Map<string, number>();
      node.items.forEach((item, i) => {
        const key = scalarKey(item);
        if (key === null) return;
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else
          issues.push({
            code: 'policy_duplicate',
            offset: item.offset,
            path: formatPath([...path, i]),
            message: `${key} is listed twice (first at ${formatPath([...path, first])})`,
          });
      });
    }
    if (schema.items !== undefined) {
      const items = schema.items;
      node.items.forEach((item, i) => {
        validateNode(item, items, root, [...path, i], issues);
      });
    }
    return;
  }
  // A mapping.
  const properties = schema.properties ?? {};
  const names = Object.keys(properties);
  // A misspelt required field is reported once, as the unknown field with its suggestion.
  const misspelt = new Set(
    node.entries.filter((e) => properties[e.key] === undefined).map((e) => closest(e.key, names)),
  );
  for (const required of schema.required ?? []) {
    if (!node.entries.some((e) => e.key === required) && !misspelt.has(required))
      issues.push({
        code: 'policy_required',
        offset: node.offset,
        path: formatPath([...path, required]),
        message: `missing required field ${JSON.stringify(required)}`,
      });
  }
  for (const entry of node.entries) {
    const property = properties[entry.key];
    if (property !== undefined) {
      validateNode(entry.value, property, root, [...path, entry.key], issues);
    } else if (schema.additionalProperties === false) {
      issues.push({
        code: 'policy_unknown_field',
        offset: entry.keyOffset,
        path: formatPath([...path, entry.key]),
        message: `unknown field ${JSON.stringify(entry.key)}${suggestion(entry.key, names)}`,
      });
    }
  }
}

/** Validate a located tree against `POLICY_SCHEMA`. */
export function validateSchema(node: LocatedNode, root: RootSchema = POLICY_SCHEMA): Issue[] {
  const issues: Issue[] = [];
  validateNode(node, root, root, [], issues);
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Cross-field checks (run on a tree the schema accepted)
// ---------------------------------------------------------------------------------------------

function entryOf(node: LocatedNode | undefined, key: string): LocatedEntry | undefined {
  return node?.kind === 'map' ? node.entries.find((e) => e.key === key) : undefined;
}
function fieldOf(node: LocatedNode | undefined, key: string): LocatedNode | undefined {
  return entryOf(node, key)?.value;
}
function itemsOf(node: LocatedNode | undefined): readonly LocatedNode[] {
  return node?.kind === 'seq' ? node.items : [];
}
function stringOf(node: LocatedNode | undefined): string | undefined {
  return node?.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
}
function numberOf(node: LocatedNode | undefined): number | undefined {
  return node?.kind === 'scalar' && typeof node.value === 'number' ? node.value : undefined;
}

const RANK: Readonly<Record<string, number>> = { AAL1: 1, AAL2: 2, AAL3: 3 };
const PHASE_RANK: Readonly<Record<string, number>> = { monitor: 0, warn: 1, enforce: 2 };

function checkRequirements(node: LocatedNode, path: PathPart[], issues: Issue[]): void {
  const at = (...rest: PathPart[]) => formatPath([...path, ...rest]);
  const minAal = stringOf(fieldOf(node, 'minAal')) ?? 'AAL2';
  const limits = SESSION_LIMITS[minAal === 'AAL1' || minAal === 'AAL3' ? minAal : 'AAL2'];

  const recovery = fieldOf(node, 'recoveryCodes');
  if (minAal === 'AAL3' && recovery?.kind === 'scalar' && recovery.value === true)
    issues.push({
      code: 'policy_conflict',
      offset: recovery.offset,
      path: at('recoveryCodes'),
      message:
        'recovery codes are never allowed in a segment that requires AAL3: a code is not a hardware authenticator, so recovery must go through the help desk',
    });

  const hours = fieldOf(node, 'maxSessionHours');
  const h = numberOf(hours);
  if (hours && h !== undefined && h > limits.maxSessionHours)
    issues.push({
      code: 'policy_conflict',
      offset: hours.offset,
      path: at('maxSessionHours'),
      message: `${minAal} sessions may last at most ${limits.maxSessionHours} hours (NIST SP 800-63B-4 §${minAal === 'AAL3' ? '2.3' : '2.2'}); found ${h}`,
    });
  const idle = fieldOf(node, 'maxIdleMinutes');
  const m = numberOf(idle);
  if (idle && m !== undefined && m > limits.maxIdleMinutes)
    issues.push({
      code: 'policy_conflict',
      offset: idle.offset,
      path: at('maxIdleMinutes'),
      message: `${minAal} sessions may be idle at most ${limits.maxIdleMinutes} minutes (NIST SP 800-63B-4 §${minAal === 'AAL3' ? '2.3' : '2.2'}); found ${m}`,
    });

  const uv = fieldOf(node, 'userVerification');
  if (uv && stringOf(uv) === 'preferred' && (RANK[minAal] ?? 0) >= 2)
    issues.push({
      code: 'policy_conflict',
      offset: uv.offset,
      path: at('userVerification'),
      message: `${minAal} needs user verification (without it a sign-in is single-factor, AAL1); use "required" or leave it out`,
    });

  itemsOf(fieldOf(node, 'allowedClasses')).forEach((item, i) => {
    const cls = stringOf(item);
    const ceiling = cls === undefined ? undefined : CLASS_CEILING[cls as keyof typeof CLASS_CEILING];
    if (ceiling !== undefined && (RANK[ceiling] ?? 0) < (RANK[minAal] ?? 0))
      issues.push({
        code: 'policy_conflict',
        offset: item.offset,
        path: at('allowedClasses', i),
        message: `${cls} can never reach ${minAal} (at most ${ceiling}); remove it or lower minAal`,
      });
  });

  const authenticators = fieldOf(node, 'authenticators');
  const allow = fieldOf(authenticators, 'allow');
  const deny = fieldOf(authenticators, 'deny');
  for (const list of ['aaguids', 'models'] as const) {
    const allowed = new Set(itemsOf(fieldOf(allow, list)).map((n) => stringOf(n)?.toLowerCase()));
    const seen = new Map<string, number>();
    itemsOf(fieldOf(deny, list)).forEach((item, i) => {
      const v = stringOf(item)?.toLowerCase();
      if (v === undefined) return;
      if (allowed.has(v))
        issues.push({
          code: 'policy_conflict',
          offset: item.offset,
          path: at('authenticators', 'deny', list, i),
          message: `${show(stringOf(item) ?? '')} is in both the allow and the deny list`,
        });
      const first = seen.get(v);
      if (first !== undefined)
        issues.push({
          code: 'policy_duplicate',
          offset: item.offset,
          path: at('authenticators', 'deny', list, i),
          message: `${show(stringOf(item) ?? '')} is listed twice (first at ${at('authenticators', 'deny', list, first)})`,
        });
      else seen.set(v, i);
    });
    // Case-insensitive duplicates the schema's uniqueItems (exact) does not catch.
    const allowSeen = new Map<string, number>();
    itemsOf(fieldOf(allow, list)).forEach((item, i) => {
      const raw = stringOf(item);
      const v = raw?.toLowerCase();
      if (v === undefined || raw === undefined) return;
      const first = allowSeen.get(v);
      if (first !== undefined && stringOf(itemsOf(fieldOf(allow, list))[first]) !== raw)
        issues.push({
          code: 'policy_duplicate',
          offset: item.offset,
          path: at('authenticators', 'allow', list, i),
          message: `${show(raw)} is listed twice (first at ${at('authenticators', 'allow', list, first)})`,
        });
      else if (first === undefined) allowSeen.set(v, i);
    });
  }
}

function checkRollout(node: LocatedNode | undefined, path: PathPart[], issues: Issue[]): void {
  let previousRank = -1;
  let previousAt = Number.NEGATIVE_INFINITY;
  let previousFrom = '';
  itemsOf(node).forEach((step, i) => {
    const phase = stringOf(fieldOf(step, 'phase')) ?? '';
    const fromEntry = entryOf(step, 'from');
    const rank = PHASE_RANK[phase] ?? 0;
    if (i === 0 && fromEntry) {
      issues.push({
        code: 'policy_schedule',
        offset: fromEntry.keyOffset,
        path: formatPath([...path, 0, 'from']),
        message:
          'the first step applies from the start and has no "from"; to begin later, put a monitor step first',
      });
    }
    if (i > 0 && !fromEntry) {
      issues.push({
        code: 'policy_schedule',
        offset: step.offset,
        path: formatPath([...path, i, 'from']),
        message: `missing "from": when does the ${phase} phase start?`,
      });
    }
    if (i > 0 && rank <= previousRank) {
      const before = PHASES[previousRank] ?? '';
      issues.push({
        code: 'policy_schedule',
        offset: fieldOf(step, 'phase')?.offset ?? step.offset,
        path: formatPath([...path, i, 'phase']),
        message: `${phase} cannot follow ${before}: phases go monitor → warn → enforce, each once`,
      });
    }
    previousRank = Math.max(previousRank, rank);
    if (fromEntry) {
      const from = stringOf(fromEntry.value) ?? '';
      const at = parseInstant(from);
      if (at === null) {
        issues.push({
          code: 'policy_schedule',
          offset: fromEntry.value.offset,
          path: formatPath([...path, i, 'from']),
          message: `${show(from)} is not a real date or time`,
        });
      } else if (i > 0) {
        if (at <= previousAt)
          issues.push({
            code: 'policy_schedule',
            offset: fromEntry.value.offset,
            path: formatPath([...path, i, 'from']),
            message: `${from} must be later than the previous step's ${previousFrom}`,
          });
        previousAt = at;
        previousFrom = from;
      }
    }
  });
}

/** Checks the schema cannot express; safe on any tree (fields of the wrong shape are skipped). */
export function crossCheck(root: LocatedNode): Issue[] {
  const issues: Issue[] = [];
  const segments = itemsOf(fieldOf(root, 'segments'));
  const names = new Map<string, number>();
  const taken = new Map<string, string>();
  segments.forEach((segment, i) => {
    const nameNode = fieldOf(segment, 'name');
    const name = stringOf(nameNode) ?? '';
    if (name === DEFAULT_SEGMENT)
      issues.push({
        code: 'policy_value',
        offset: nameNode?.offset ?? segment.offset,
        path: formatPath(['segments', i, 'name']),
        message: `"${DEFAULT_SEGMENT}" is the name of the default segment; choose another name`,
      });
    const first = names.get(name);
    if (first !== undefined)
      issues.push({
        code: 'policy_duplicate',
        offset: nameNode?.offset ?? segment.offset,
        path: formatPath(['segments', i, 'name']),
        message: `segment name ${show(name)} is already used by segments[${first}]`,
      });
    else names.set(name, i);

    const groups = itemsOf(fieldOf(segment, 'groups'))
      .map((g) => stringOf(g))
      .filter((g): g is string => g !== undefined);
    if (groups.length > 0 && groups.every((g) => taken.has(g))) {
      const owners = [...new Set(groups.map((g) => taken.get(g)))].join(', ');
      issues.push({
        code: 'policy_unreachable_segment',
        offset: fieldOf(segment, 'groups')?.offset ?? segment.offset,
        path: formatPath(['segments', i, 'groups']),
        message: `segment ${show(name)} can never apply: every group it names is taken by an earlier segment (${owners})`,
      });
    }
    for (const g of groups) if (!taken.has(g)) taken.set(g, name);

    const req = fieldOf(segment, 'requirements');
    if (req) checkRequirements(req, ['segments', i, 'requirements'], issues);
    checkRollout(fieldOf(segment, 'rollout'), ['segments', i, 'rollout'], issues);
  });
  const fallback = fieldOf(root, 'default');
  const req = fieldOf(fallback, 'requirements');
  if (req) checkRequirements(req, ['default', 'requirements'], issues);
  checkRollout(fieldOf(fallback, 'rollout'), ['default', 'rollout'], issues);
  return issues;
}
