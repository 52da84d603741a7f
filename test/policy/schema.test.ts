/**
 * The policy document: the published schema, and the validator's errors for malformed documents,
 * each at its exact line and column with the field it concerns. Parsing never throws, whatever
 * the input.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPolicyError, type PolicyError } from '../../src/policy/errors.js';
import { MAX_POLICY_BYTES, parsePolicy } from '../../src/policy/parse.js';
import { POLICY_SCHEMA, SCHEMA_KEYWORDS, type SchemaNode } from '../../src/policy/schema.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = readFileSync(resolve(ROOT, 'examples/policy.hybrid.yaml'), 'utf8');

/** The errors of a document that must not parse, as `LINE:COL: path: message` (the file name left out). */
function errorsOf(text: string): string[] {
  const result = parsePolicy(text, 'p.yaml');
  expect(result.policy, 'the document should have been refused').toBeUndefined();
  return (result.errors ?? []).map((e) => formatPolicyError(e).slice('p.yaml:'.length));
}

function only(text: string): string {
  const errors = errorsOf(text);
  expect(errors).toHaveLength(1);
  return errors[0] ?? '';
}

describe('the published schema', () => {
  it('is docs/policy.schema.json', () => {
    const published: unknown = JSON.parse(readFileSync(resolve(ROOT, 'docs/policy.schema.json'), 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(POLICY_SCHEMA)));
  });

  it('uses only keywords the validator implements', () => {
    const used = new Set<string>();
    const walk = (node: SchemaNode | Readonly<Record<string, SchemaNode>>, isMap: boolean) => {
      for (const [key, value] of Object.entries(node)) {
        if (!isMap) used.add(key);
        if (key === 'properties' || key === '$defs') walk(value as Record<string, SchemaNode>, true);
        else if (isMap || key === 'items') walk(value as SchemaNode, false);
      }
    };
    walk(POLICY_SCHEMA, false);
    expect([...used].filter((k) => !SCHEMA_KEYWORDS.includes(k))).toEqual([]);
  });
});

describe('valid documents', () => {
  it('accepts the hybrid example and fills in the defaults', () => {
    const { policy, errors } = parsePolicy(EXAMPLE, 'examples/policy.hybrid.yaml');
    expect(errors).toBeUndefined();
    expect(policy?.segments.map((s) => s.name)).toEqual(['admins', 'finance']);
    const finance = policy?.segments[1];
    expect(finance?.requirements).toEqual({
      minAal: 'AAL3',
      allowedClasses: ['security-key'],
      attestationRequired: true,
      userVerification: 'required',
      authenticators: {
        allow: { aaguids: [], models: [] },
        deny: { aaguids: ['34f5766d-1536-4a24-9033-0e294e510fb0'], models: [] },
      },
      minCredentials: 2,
      recoveryCodes: false,
      maxSessionHours: 12,
      maxIdleMinutes: 15,
    });
    expect(finance?.rollout).toEqual([{ phase: 'warn' }, { phase: 'enforce', from: '2026-04-01' }]);
    expect(policy?.default.rollout).toEqual([{ phase: 'enforce' }]);
  });

  it('accepts the same policy written as JSON, tabs included', () => {
    const json = JSON.stringify(
      {
        version: 1,
        segments: [
          {
            name: 'admins',
            groups: ['admins'],
            requirements: { minAal: 'AAL3', allowedClasses: ['security-key'] },
            rollout: [{ phase: 'warn' }, { phase: 'enforce', from: '2026-03-01T09:30:00+01:00' }],
          },
        ],
        default: { requirements: { minAal: 'AAL2', allowedClasses: ['synced-passkey'] } },
      },
      null,
      '\t',
    );
    const { policy, errors } = parsePolicy(json, 'p.json');
    expect(errors).toBeUndefined();
    expect(policy?.segments[0]?.requirements.maxSessionHours).toBe(12);
    expect(policy?.default.requirements.maxIdleMinutes).toBe(60);
    expect(policy?.default.requirements.userVerification).toBe('required');
  });

  it('lower-cases AAGUIDs', () => {
    const { policy } = parsePolicy(
      `version: 1
segments: []
default:
  requirements:
    minAal: AAL2
    allowedClasses: [synced-passkey]
    authenticators: {deny: {aaguids: [EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4]}}
`,
    );
    expect(policy?.default.requirements.authenticators.deny.aaguids).toEqual([
      'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4',
    ]);
  });
});

describe('malformed documents: each error at its line and column, naming the field', () => {
  it('YAML that does not parse', () => {
    expect(
      only(`version: 1
segments: [
default: {}
`),
    ).toMatch(/^3:1: \(document\): /);
  });

  it('a repeated key', () => {
    expect(
      only(`version: 1
segments: []
version: 1
default: {requirements: {minAal: AAL2, allowedClasses: [synced-passkey]}}
`),
    ).toBe('3:1: (document): the key "version" is repeated in this mapping');
  });

  it('an unsupported version', () => {
    expect(
      only(`version: 2
segments: []
default: {requirements: {minAal: AAL2, allowedClasses: [synced-passkey]}}
`),
    ).toBe('1:10: version: must be 1; found 2');
  });

  it('a misspelt field, with a suggestion, reported once', () => {
    expect(
      only(`version: 1
segments:
  - name: admins
    groups: [admins]
    requirements:
      minAAL: AAL3
      allowedClasses: [security-key]
default: {requirements: {minAal: AAL2, allowedClasses: [synced-passkey]}}
`),
    ).toBe('6:7: segments[0].requirements.minAAL: unknown field "minAAL" (did you mean "minAal"?)');
  });

  it('a level that does not exist', () => {
    expect(
      only(`version: 1
segments: []
default:
  requirements:
    minAal: AAL4
    allowedClasses: [synced-passkey]
`),
    ).toBe('5:13: default.requirements.minAal: must be one of "AAL1", "AAL2", "AAL3"; found "AAL4"');
  });

  it('an unknown credential class, in a flow list', () => {
    expect(
      only(`version: 1
segments: []
default:
  requirements:
    minAal: AAL2
    allowedClasses: [synced-passkey, hardware-key]
`),
    ).toBe(
      '6:38: default.requirements.allowedClasses[1]: must be one of "synced-passkey", "device-bound-passkey", "security-key", "device-bound-unverified"; found "hardware-key"',
    );
  });

  it('a string where a list belongs', () => {
    expect(
      only(`version: 1
segments:
  - name: admins
    groups: admins
    requirements: {minAal: AAL3, allowedClasses: [security-key]}
default: {requirements: {minAal: AAL2, allowedClasses: [synced-passkey]}}
`),
    ).toBe('4:13: segments[0].groups: expected a list, found a string ("admins")');
  });

  it('a fraction where a whole number belongs', () => {
    expect(
      only(`version: 1
segments: []
default:
  requirements:
    minAal: AAL2
    allowedClasses: [synced-passkey]
    minCredentials: 1.5
`),
    ).toBe('7:21: default.requirements.minCredentials: expected a whole number, found 1.5');
  });

  it('a missing requirements block, at the segment', () => {
    expect(
      only(`version: 1
segments:
  - name: admins
    groups: [admins]
default: {requirements: {minAal: AAL2, allowedClasses: [synced-passkey]}}
`),
    ).toBe('3:5: segments[0].requirements: missing required field "requirements"');
  });

  it('recovery codes in a segment that requires AAL3', () => {
    expect(
      only(`version: 1
segments:
  - name: admins
    groups: [admins]
    requirements:
      minAal: AAL3
      allowedClasses: [security-key]
      recoveryCodes: true
default: {requirements: {minAal: AAL2, allowedClasses: [synced-passkey], recoveryCodes: true}}
`),
    ).toBe(
      '8:22: segments[0].requirements.recoveryCodes: recovery codes are never allowed in a segment that requires AAL3: a code is not a hardware authenticator, so recovery must go through the help desk',
    );
  });

  it("a session longer than the level allows, with the schema's and the level's limits reported together", () => {
    expect(
      errorsOf(`version: 1
segments:
  - name: admins
    groups: [admins]
    requirements:
      minAal: AAL3
      allowedClasses: [security-key]
      maxSessionHours: 16
      maxIdleMinutes: 30
default: {requirements: {minAal: AAL2, allowedClasses: [synced-passkey], maxSessionHours: 25}}
`),
    ).toEqual([
      '8:24: segments[0].requirements.maxSessionHours: AAL3 sessions may last at most 12 hours (NIST SP 800-63B-4 §2.3); found 16',
      '9:23: segments[0].requirements.maxIdleMinutes: AAL3 sessions may be idle at most 15 minutes (NIST SP 800-63B-4 §2.3); found 30',
      '10:91: default.requirements.maxSessionHours: must be at most 24; found 25',
    ]);
  });

  it('a field the schema faults is not faulted again by a cross-check', () => {
    expect(
      only(`version: 1
segments: []
default:
  requirements: {minAal: AAL2, allowedClasses: [synced-passkey]}
  rollout: [{phase: warn}, {phase: enforce, from: 2026-13-01}]
`),
    ).toBe('5:51: default.rollout[1].from: "2026-13-01" is not a real date or time');
    expect(
      only(`version: 1
segments: []
default:
  requirements: {minAal: AAL2, allowedClasses: [synced-passkey]}
  rollout: [{phase: warn}, {phase: enforce, from: March}]
`),
    ).toBe(
      '5:51: default.rollout[1].from: must be a date (2026-03-01) or a date-time with a zone (2026-03-01T09:00:00Z); found "March"',
    );
  });

  it('two segments with the same name', () => {
    expect(
      only(`version: 1
segments:
  - name: admins
    groups: [admins]
    requirements: {minAal: AAL3, allowedClasses: [security-key]}
  - name: admins
    groups: [finance]
    requirements: {minAal: AAL3, allowedClasses: [security-key]}
default: {requirements: {minAal: AAL2, allowedClasses: [synced-passkey]}}
`),
    ).toBe('6:11: segments[1].name: segment name "admins" is already used by segments[0]');
  });

  it('a segment earlier segments make unreachable', () => {
    expect(
      only(`version: 1
segments:
  - name: admins
    groups: [admins, finance]
    requirements: {minAal: AAL3, allowedClasses: [security-key]}
  - name: finance
    groups: [finance]
    requirements: {minAal: AAL3, allowedClasses: [security-key]}
default: {requirements: {minAal: AAL2, allowedClasses: [synced-passkey]}}
`),
    ).toBe(
      '7:13: segments[1].groups: segment "finance" can never apply: every group it names is taken by an earlier segment (admins)',
    );
  });

  it('an AAGUID that is not a UUID', () => {
    expect(
      only(`version: 1
segments: []
default:
  requirements:
    minAal: AAL2
    allowedClasses: [synced-passkey]
    authenticators:
      deny:
        aaguids:
          - ea9b8d66-4d01-1d21-3ce4
`),
    ).toBe(
      '10:13: default.requirements.authenticators.deny.aaguids[0]: must be an AAGUID written as a UUID, like "cb69481e-8ff7-4039-93ec-0a2729a154a8"; found "ea9b8d66-4d01-1d21-3ce4"',
    );
  });

  it('an AAGUID both allowed and denied', () => {
    expect(
      only(`version: 1
segments: []
default:
  requirements:
    minAal: AAL2
    allowedClasses: [synced-passkey]
    authenticators:
      allow: {aaguids: [ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4]}
      deny: {aaguids: [EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4]}
`),
    ).toBe(
      '9:24: default.requirements.authenticators.deny.aaguids[0]: "EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4" is in both the allow and the deny list',
    );
  });

  it('a class that can never reach the level, and user verification an AAL2 segment needs', () => {
    expect(
      errorsOf(`version: 1
segments:
  - name: admins
    groups: [admins]
    requirements:
      minAal: AAL3
      allowedClasses: [security-key, synced-passkey]
default:
  requirements:
    minAal: AAL2
    allowedClasses: [synced-passkey]
    userVerification: preferred
`),
    ).toEqual([
      '7:38: segments[0].requirements.allowedClasses[1]: synced-passkey can never reach AAL3 (at most AAL2); remove it or lower minAal',
      '12:23: default.requirements.userVerification: AAL2 needs user verification (without it a sign-in is single-factor, AAL1); use "required" or leave it out',
    ]);
  });

  it('rollout schedules out of order, without a date, or with a date that does not exist', () => {
    expect(
      errorsOf(`version: 1
segments:
  - name: admins
    groups: [admins]
    requirements: {minAal: AAL3, allowedClasses: [security-key]}
    rollout:
      - phase: enforce
      - phase: warn
        from: 2026-02-01
  - name: finance
    groups: [finance]
    requirements: {minAal: AAL3, allowedClasses: [security-key]}
    rollout:
      - phase: monitor
        from: 2026-01-01
      - phase: warn
      - phase: enforce
        from: 2026-02-30
default:
  requirements: {minAal: AAL2, allowedClasses: [synced-passkey]}
  rollout:
    - phase: warn
    - phase: enforce
      from: 2026-03-01
    - phase: enforce
      from: 2026-02-01
`),
    ).toEqual([
      '8:16: segments[0].rollout[1].phase: warn cannot follow enforce: phases go monitor → warn → enforce, each once',
      '15:9: segments[1].rollout[0].from: the first step applies from the start and has no "from"; to begin later, put a monitor step first',
      '16:9: segments[1].rollout[1].from: missing "from": when does the warn phase start?',
      '18:15: segments[1].rollout[2].from: "2026-02-30" is not a real date or time',
      '25:14: default.rollout[2].phase: enforce cannot follow enforce: phases go monitor → warn → enforce, each once',
      "26:13: default.rollout[2].from: 2026-02-01 must be later than the previous step's 2026-03-01",
    ]);
  });

  it('a malformed date, in JSON', () => {
    const json = `{
  "version": 1,
  "segments": [],
  "default": {
    "requirements": {"minAal": "AAL2", "allowedClasses": ["synced-passkey"]},
    "rollout": [{"phase": "warn"}, {"phase": "enforce", "from": "1 March 2026"}]
  }
}
`;
    const result = parsePolicy(json, 'policy.json');
    expect(result.errors?.map(formatPolicyError)).toEqual([
      'policy.json:6:65: default.rollout[1].from: must be a date (2026-03-01) or a date-time with a zone (2026-03-01T09:00:00Z); found "1 March 2026"',
    ]);
  });

  it('an alias, an empty document, a control character', () => {
    expect(
      only(`version: 1
segments: &none []
default:
  requirements: {minAal: AAL2, allowedClasses: [synced-passkey]}
  description: *none
`),
    ).toBe('5:16: (document): aliases (*none) are not allowed in a policy; write the value out');
    expect(only('# nothing but a comment\n')).toBe(
      '1:1: (document): the document is empty; a policy needs version, segments and default',
    );
    expect(only('version: 1\nsegments: []\x07\n')).toBe(
      '2:13: (document): control character U+0007 is not allowed',
    );
  });

  it('several problems at once, in document order', () => {
    const errors = errorsOf(`version: 1
segments:
  - name: Admins
    groups: []
    requirements: {minAal: AAL3, allowedClasses: []}
    rollout: [{phase: later}]
`);
    expect(errors).toEqual([
      '1:1: default: missing required field "default"',
      '3:11: segments[0].name: must start with a lower-case letter and use only a-z, 0-9, "-" and "_" (at most 63 characters); found "Admins"',
      '4:13: segments[0].groups: must not be empty',
      '5:50: segments[0].requirements.allowedClasses: must not be empty',
      '6:23: segments[0].rollout[0].phase: must be one of "monitor", "warn", "enforce"; found "later"',
    ]);
  });
});

describe('bounds: never a crash, a hang or a stack overflow', () => {
  it('refuses a document over 1 MiB', () => {
    const big = `# ${'x'.repeat(MAX_POLICY_BYTES)}\n`;
    expect(only(big)).toBe('1:1: (document): the document is larger than 1 MiB');
    // Counted in UTF-8 bytes: 600 000 two-byte characters are 1.2 MB.
    expect(only(`# ${'é'.repeat(600_000)}\n`)).toBe('1:1: (document): the document is larger than 1 MiB');
  });

  it('refuses deep nesting before the YAML parser recurses', () => {
    expect(only('['.repeat(500_000))).toBe(
      '1:33: (document): more than 32 nested [ ] or { }; a policy nests only a few levels',
    );
    expect(only(`${'- '.repeat(400_000)}x`)).toBe(
      '1:33: (document): more than 16 nested collections on one line',
    );
    expect(only('{"a":'.repeat(200_000))).toMatch(/^1:161: \(document\): more than 32 nested/);
    const indented = Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}a:`).join('\n');
    expect(only(indented)).toBe(
      '66:1: (document): indented more than 64 columns; a policy nests only a few levels',
    );
    // Brackets inside quoted strings, comments and block scalars are not nesting.
    const quoted = `version: 1\ndescription: "${'['.repeat(100)}" # ${'{'.repeat(100)}\nsegments: []\ndefault: {requirements: {minAal: AAL2, allowedClasses: [synced-passkey]}}\n`;
    expect(parsePolicy(quoted).errors).toBeUndefined();
  });

  it('nesting within the bounds is parsed and then refused by depth or schema, quickly', () => {
    const flow = `${'['.repeat(32)}${']'.repeat(32)}`;
    expect(errorsOf(flow)[0]).toMatch(
      /^1:\d+: \(document\): nested more than 32 levels|^1:1: \(document\): expected a mapping/,
    );
    const lines = Array.from({ length: 30 }, (_, i) => `${'  '.repeat(i)}- ${'- '.repeat(15)}x`).join('\n');
    const started = performance.now();
    expect(errorsOf(lines).length).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('stays linear on wide documents: 30 000 keys in one mapping', () => {
    const wide = `version: 1\n${Array.from({ length: 30_000 }, (_, i) => `key${i}: 1`).join('\n')}\nkey7: 2\n`;
    const started = performance.now();
    const errors = errorsOf(wide);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(errors).toContain('30002:1: (document): the key "key7" is repeated in this mapping');
  });

  it('never throws, on any text or on mutations of the example', () => {
    const check = (text: string) => {
      const result = parsePolicy(text, 'f.yaml');
      if (result.errors) {
        expect(result.errors.length).toBeGreaterThan(0);
        for (const e of result.errors as PolicyError[]) {
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.column).toBeGreaterThanOrEqual(1);
          expect(e.message.length).toBeGreaterThan(0);
        }
      } else expect(result.policy?.version).toBe(1);
    };
    fc.assert(fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 300 }), check), { numRuns: 200 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: EXAMPLE.length }),
        fc.integer({ min: 0, max: 20 }),
        fc.string({ unit: 'grapheme-ascii', maxLength: 8 }),
        (at, cut, insert) => check(EXAMPLE.slice(0, at) + insert + EXAMPLE.slice(at + cut)),
      ),
      { numRuns: 250 },
    );
    // Not a string at all (a JavaScript caller).
    expect(parsePolicy(42 as unknown as string).errors?.[0]?.message).toBe('the document is not text');
  });
});
