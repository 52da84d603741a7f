/**
 * Simulation: the per-segment report on a small population, and a property test that the
 * simulation's per-person outcome is what calling the evaluate functions one by one decides.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AssuranceLevel,
  CREDENTIAL_CLASSES,
  type PolicyDocument,
  type Requirements,
  type RolloutStep,
} from '../../src/policy/document.js';
import {
  decideBackup,
  decideSignIn,
  expectedSignIn,
  type PolicyDecision,
  segmentFor,
} from '../../src/policy/evaluate.js';
import { parsePolicy } from '../../src/policy/parse.js';
import {
  type Population,
  type PopulationCredential,
  type PopulationPerson,
  parsePopulation,
  simulate,
} from '../../src/policy/simulate.js';

const EXAMPLE = parsePolicy(
  readFileSync(resolve(import.meta.dirname, '../../examples/policy.hybrid.yaml'), 'utf8'),
  'examples/policy.hybrid.yaml',
);
if (!EXAMPLE.policy) throw new Error('the example does not parse');
const hybrid = EXAMPLE.policy;

const YUBIKEY = {
  class: 'security-key',
  aal: 'AAL3',
  aaguid: 'fa2b99dc-9e39-4257-8f92-4a30d23c4118',
  model: 'YubiKey 5 Series with NFC',
  attestationTrust: 'trusted',
  uvCapable: true,
  refused: false,
} as const;
const SYNCED = {
  class: 'synced-passkey',
  aal: 'AAL2',
  aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4',
  model: 'Google Password Manager',
  attestationTrust: 'unverifiable',
  uvCapable: true,
  refused: false,
} as const;

const population: Population = {
  people: [
    { id: 'p1', username: 'ada', groups: ['sre'] }, // two keys: fine
    { id: 'p2', username: 'bob', groups: ['tessera-admins'] }, // one key: lacks a backup
    { id: 'p3', username: 'cy', groups: ['directory-admins'] }, // synced only: would be blocked
    { id: 'p4', username: 'dee', groups: ['finance'] }, // synced only, finance in warn phase
    { id: 'p5', username: 'eve', groups: ['staff'] }, // synced: fine
    { id: 'p6', username: 'fay', groups: [] }, // nothing enrolled
    { id: 'p7', username: 'gus', groups: ['staff'] }, // a revoked model
  ],
  credentials: [
    { personId: 'p1', ...YUBIKEY },
    {
      personId: 'p1',
      ...YUBIKEY,
      aaguid: 'c1f9a0bc-1dd2-404a-b27f-8e29047a43fd',
      model: 'YubiKey 5 FIPS Series with NFC',
    },
    { personId: 'p2', ...YUBIKEY },
    { personId: 'p2', ...SYNCED },
    { personId: 'p3', ...SYNCED },
    { personId: 'p4', ...SYNCED },
    { personId: 'p5', ...SYNCED },
    { personId: 'p7', ...YUBIKEY, aal: null, refused: true },
    { personId: 'nobody', ...SYNCED },
  ],
};

describe('simulate', () => {
  it('reports per segment who would be blocked, warned, lacking a backup, and why', () => {
    const during = simulate(hybrid, population, new Date('2026-02-15T00:00:00Z'));
    const admins = during.segments[0];
    expect(admins).toMatchObject({
      name: 'admins',
      phase: 'warn',
      enforceFrom: '2026-03-01T00:00:00.000Z',
      people: 3,
      blocked: 0,
      warned: 2,
      allowed: 1,
      wouldBlock: 1,
      lackingBackup: 2,
      noCredentials: 0,
      credentials: { total: 5, allowed: 3, warned: 2, denied: 0 },
    });
    expect(admins?.reasons).toEqual([
      { code: 'aal_below_minimum', people: 2, credentials: 2 },
      { code: 'class_not_allowed', people: 2, credentials: 2 },
      { code: 'attestation_required', people: 2, credentials: 2 },
      { code: 'authenticator_not_allowed', people: 2, credentials: 2 },
      { code: 'backup_missing', people: 2, credentials: 0 },
    ]);
    expect(during.segments[1]).toMatchObject({
      name: 'finance',
      phase: 'warn',
      people: 1,
      warned: 1,
      wouldBlock: 1,
    });
    expect(during.segments[2]).toMatchObject({
      name: 'default',
      phase: 'enforce',
      enforceFrom: null,
      people: 3,
      allowed: 1,
      blocked: 1,
      noCredentials: 1,
      lackingBackup: 2,
      reasons: [
        { code: 'backup_missing', people: 2, credentials: 0 },
        { code: 'model_refused', people: 1, credentials: 1 },
      ],
    });
    expect(during.unmatchedCredentials).toBe(1);
    expect(during.totals).toMatchObject({
      people: 7,
      blocked: 1,
      warned: 3,
      wouldBlock: 3,
      noCredentials: 1,
    });

    const after = simulate(hybrid, population, new Date('2026-03-01T00:00:00Z'), { people: 'affected' });
    expect(after.segments[0]).toMatchObject({ phase: 'enforce', blocked: 1, warned: 1, wouldBlock: 1 });
    expect(after.people?.map((p) => [p.username, p.status, p.lacksBackup])).toEqual([
      ['bob', 'warned', true],
      ['cy', 'blocked', true],
      ['dee', 'warned', true],
      ['fay', 'no-credentials', true],
      ['gus', 'blocked', true],
    ]);
    const cy = after.people?.find((p) => p.id === 'p3');
    expect(cy?.credentials).toEqual([
      {
        index: 4,
        effect: 'deny',
        codes: [
          'aal_below_minimum',
          'class_not_allowed',
          'attestation_required',
          'authenticator_not_allowed',
        ],
      },
    ]);
  });

  it('checks the population file and names the field at fault', () => {
    expect(parsePopulation({ people: [], credentials: [] })).toEqual({
      population: { people: [], credentials: [] },
    });
    expect(parsePopulation([]).errors).toEqual([
      '(file): expected an object with "people" and "credentials"',
    ]);
    const bad = parsePopulation({
      people: [
        { id: 'p1', groups: ['a'] },
        { id: 'p1', groups: [] },
        { id: 'p3', groups: 'a' },
      ],
      credentials: [
        { personId: 'p1', ...SYNCED, class: 'passkey' },
        { personId: 'p9', ...SYNCED },
        { personId: 'p1', ...SYNCED, aaguid: 'EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4', uvCapable: 'yes' },
      ],
    });
    expect(bad.errors).toEqual([
      'people[1].id: "p1" appears twice',
      'people[2].groups: expected a list of strings',
      'credentials[0].class: expected one of synced-passkey, device-bound-passkey, security-key, device-bound-unverified',
      'credentials[1].personId: "p9" is not in people',
      'credentials[2].uvCapable: expected true or false',
    ]);
    const ok = parsePopulation({
      people: [{ id: 'p1', groups: [] }],
      credentials: [{ personId: 'p1', ...SYNCED, aaguid: 'EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4' }],
    });
    expect(ok.population?.credentials[0]?.aaguid).toBe('ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4');
  });
});

// ---------------------------------------------------------------------------------------------
// Simulation agrees with enforcement
// ---------------------------------------------------------------------------------------------

const AAGUIDS = [
  'fa2b99dc-9e39-4257-8f92-4a30d23c4118',
  'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4',
  '11111111-1111-4111-8111-111111111111',
  '00000000-0000-0000-0000-000000000000',
];
const MODELS = ['YubiKey 5 Series with NFC', 'Google Password Manager', 'Old Key'];
const GROUPS = ['a', 'b', 'c', 'd'];
const LEVELS: readonly AssuranceLevel[] = ['AAL1', 'AAL2', 'AAL3'];

const list = fc.record({
  aaguids: fc.subarray(AAGUIDS, { maxLength: 2 }),
  models: fc.subarray(MODELS, { maxLength: 2 }).map((ms) => ms.map((m) => m.toLowerCase())),
});
const requirements: fc.Arbitrary<Requirements> = fc.record({
  minAal: fc.constantFrom(...LEVELS),
  allowedClasses: fc.subarray([...CREDENTIAL_CLASSES], { minLength: 1 }),
  attestationRequired: fc.boolean(),
  userVerification: fc.constantFrom('required' as const, 'preferred' as const),
  authenticators: fc.record({
    allow: fc.oneof(list, fc.constant({ aaguids: [], models: [] })),
    deny: list,
  }),
  minCredentials: fc.integer({ min: 1, max: 3 }),
  recoveryCodes: fc.boolean(),
  maxSessionHours: fc.constant(12),
  maxIdleMinutes: fc.constant(15),
});
const rollout: fc.Arbitrary<readonly RolloutStep[]> = fc.constantFrom(
  [{ phase: 'enforce' }],
  [{ phase: 'monitor' }],
  [{ phase: 'warn' }],
  [{ phase: 'monitor' }, { phase: 'warn', from: '2026-02-01' }, { phase: 'enforce', from: '2026-03-01' }],
  [{ phase: 'warn' }, { phase: 'enforce', from: '2026-03-01T12:00:00+02:00' }],
  [{ phase: 'monitor' }, { phase: 'enforce', from: '2026-02-15' }],
);
const policyArb: fc.Arbitrary<PolicyDocument> = fc
  .record({
    segments: fc.array(fc.record({ groups: fc.subarray(GROUPS, { minLength: 1 }), requirements, rollout }), {
      maxLength: 3,
    }),
    fallback: fc.record({ requirements, rollout }),
  })
  .map(({ segments, fallback }) => ({
    version: 1,
    segments: segments.map((s, i) => ({ name: `s${i}`, ...s })),
    default: fallback,
  }));
const credentialArb = fc.record({
  owner: fc.nat(12),
  class: fc.constantFrom(...CREDENTIAL_CLASSES),
  aal: fc.option(fc.constantFrom(...LEVELS), { freq: 8 }),
  aaguid: fc.constantFrom(...AAGUIDS, ...AAGUIDS.map((a) => a.toUpperCase())),
  model: fc.option(fc.constantFrom(...MODELS), { freq: 3 }),
  attestationTrust: fc.constantFrom('trusted' as const, 'untrusted' as const, 'unverifiable' as const),
  uvCapable: fc.boolean(),
  refused: fc.integer({ min: 0, max: 6 }).map((x) => x === 0),
});
const populationArb: fc.Arbitrary<Population> = fc
  .record({
    people: fc.array(fc.subarray(GROUPS), { maxLength: 10 }),
    credentials: fc.array(credentialArb, { maxLength: 30 }),
  })
  .map(({ people, credentials }) => {
    const persons: PopulationPerson[] = people.map((groups, i) => ({
      id: `p${i}`,
      username: `u${i}`,
      groups,
    }));
    const creds: PopulationCredential[] = credentials.map(({ owner, ...c }) => ({
      ...c,
      personId: owner < persons.length ? `p${owner}` : 'ghost',
    }));
    return { people: persons, credentials: creds };
  });
const nowArb = fc
  .integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 3, 1) })
  .chain((t) => fc.constantFrom(t, Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 1), Date.UTC(2026, 2, 1, 10)))
  .map((t) => new Date(t));

/** The checks a decision reports as failed (the outcome codes left out). */
function failedCodes(d: PolicyDecision): string[] {
  return d.reasons
    .filter((r) => r.code !== 'requirements_met' && r.code !== 'monitor_would_deny')
    .map((r) => r.code);
}

describe('simulation agrees with enforcement', () => {
  it('each person’s outcome is what decideSignIn and decideBackup decide one by one', () => {
    fc.assert(
      fc.property(policyArb, populationArb, nowArb, (policy, pop, now) => {
        const report = simulate(policy, pop, now, { people: 'all' });
        const outcomes = report.people ?? [];
        expect(outcomes).toHaveLength(pop.people.length);
        const tally = new Map<string, { people: number; blocked: number; warned: number; lacking: number }>();
        pop.people.forEach((person, i) => {
          const outcome = outcomes[i];
          expect(outcome?.id).toBe(person.id);
          const segment = segmentFor(policy, person.groups);
          expect(outcome?.segment).toBe(segment.name);
          const mine = pop.credentials.flatMap((c, j) => (c.personId === person.id ? [{ c, j }] : []));
          expect(outcome?.credentials.map((c) => c.index)).toEqual(mine.map((m) => m.j));
          const decisions = mine.map(({ c }) => decideSignIn(policy, person, c, expectedSignIn(c), now));
          decisions.forEach((d, k) => {
            const simulated = outcome?.credentials[k];
            expect(simulated?.effect).toBe(d.effect);
            expect(simulated?.codes).toEqual(failedCodes(d));
          });
          const backup = decideBackup(
            policy,
            person,
            mine.map((m) => m.c),
            now,
          );
          expect(outcome?.backup).toBe(backup.effect);
          expect(outcome?.lacksBackup).toBe(failedCodes(backup).includes('backup_missing'));
          const status =
            decisions.length === 0
              ? 'no-credentials'
              : decisions.every((d) => d.effect === 'deny')
                ? 'blocked'
                : decisions.some((d) => d.effect === 'warn') || backup.effect === 'warn'
                  ? 'warned'
                  : 'allowed';
          expect(outcome?.status).toBe(status);
          const t = tally.get(segment.name) ?? { people: 0, blocked: 0, warned: 0, lacking: 0 };
          t.people++;
          if (status === 'blocked') t.blocked++;
          if (status === 'warned') t.warned++;
          if (outcome?.lacksBackup) t.lacking++;
          tally.set(segment.name, t);
        });
        for (const s of report.segments) {
          const t = tally.get(s.name) ?? { people: 0, blocked: 0, warned: 0, lacking: 0 };
          expect([s.people, s.blocked, s.warned, s.lackingBackup]).toEqual([
            t.people,
            t.blocked,
            t.warned,
            t.lacking,
          ]);
        }
        expect(report.totals.people).toBe(pop.people.length);
        expect(report.unmatchedCredentials).toBe(
          pop.credentials.filter((c) => c.personId === 'ghost').length,
        );
        expect(report.totals.credentials.total + report.unmatchedCredentials).toBe(pop.credentials.length);
      }),
      { numRuns: 300 },
    );
  });
});
