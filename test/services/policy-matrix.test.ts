/**
 * Every requirement of a segment, in every rollout phase, at each enforcement point that judges
 * it, on both dialects — through the real ceremonies (software authenticators, a trusted test
 * vendor), never the decision functions alone:
 *
 * - registration (onboarding): monitor enrols silently and logs `monitor_would_deny`; warn enrols
 *   with warnings naming the requirement; enforce refuses with `policy_denied` and the reason;
 * - sign-in (a credential enrolled before the policy): the same three outcomes;
 * - the event log records each decision that was not a plain allow.
 *
 * `userVerification` is not here: Tessera's ceremonies always ask for user verification
 * (`userVerification: "required"` in the options, WebAuthn L3 §7.1 step 16 / §7.2 step 17 refuse a
 * response without it), so no enrolment or sign-in can fall short of it; the decision itself is
 * covered in test/policy/evaluate.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { TesseraServices } from '../../src/services/contract.js';
import { PolicyDeniedError } from '../../src/services/errors.js';
import { DIALECTS } from '../support/databases.js';
import { assertion, type EnrolOptions, enrol, TestVendor, useServices } from './harness.js';
import { EVERY_CLASS, group, policyText } from './policy-fixtures.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const LATER = new Date(NOW.getTime() + 60_000);

const PHASES = {
  monitor: 'rollout:\n  - phase: monitor',
  warn: 'rollout:\n  - phase: warn\n  - phase: enforce\n    from: 2026-06-01',
  enforce: 'rollout:\n  - phase: enforce',
} as const;
type Phase = keyof typeof PHASES;

const vendor = new TestVendor('7e57c0de-0000-4000-8000-0000000a7e1c', 'Matrix Test Key');

interface Requirement {
  readonly name: string;
  /** The segment's requirements (YAML lines under `requirements:`). */
  readonly requirements: string;
  /** How the person enrols a credential that falls short of it. */
  readonly credential: (seed: string) => Omit<EnrolOptions, 'now'>;
  readonly code: string;
}

const SYNCED = () => ({ credential: { backupEligible: true, backupState: true } });
const TRUSTED_KEY = (seed: string) => ({
  kind: 'security-key' as const,
  authenticator: vendor.authenticator(seed),
  attest: vendor.attest,
});

const REQUIREMENTS: readonly Requirement[] = [
  {
    name: 'minimum level',
    // The schema refuses classes that can never reach AAL3, so a synced passkey also fails the class.
    requirements: 'minAal: AAL3\nallowedClasses: [device-bound-passkey, security-key]',
    credential: SYNCED,
    code: 'aal_below_minimum',
  },
  {
    name: 'allowed classes',
    requirements: 'minAal: AAL2\nallowedClasses: [security-key, device-bound-passkey]',
    credential: SYNCED,
    code: 'class_not_allowed',
  },
  {
    name: 'attestation required',
    requirements: `minAal: AAL2\nallowedClasses: ${EVERY_CLASS}\nattestationRequired: true`,
    // The vendor's key without its attestation: the model is known, the key is not proven.
    credential: (seed) => ({ kind: 'security-key', authenticator: vendor.authenticator(seed) }),
    code: 'attestation_required',
  },
  {
    name: 'AAGUID deny list',
    requirements: `minAal: AAL2\nallowedClasses: ${EVERY_CLASS}\nauthenticators:\n  deny:\n    aaguids: [${vendor.aaguid}]`,
    credential: TRUSTED_KEY,
    code: 'authenticator_denied',
  },
  {
    name: 'model allow list',
    requirements: `minAal: AAL2\nallowedClasses: ${EVERY_CLASS}\nauthenticators:\n  allow:\n    models: [Some Other Key]`,
    credential: TRUSTED_KEY,
    code: 'authenticator_not_allowed',
  },
  {
    name: 'model deny list (by name)',
    requirements: `minAal: AAL2\nallowedClasses: ${EVERY_CLASS}\nauthenticators:\n  deny:\n    models: [matrix test key]`,
    credential: TRUSTED_KEY,
    code: 'authenticator_denied',
  },
];

function segment(requirement: Requirement, phase: Phase): string {
  const lines = requirement.requirements.split('\n').map((l) => `  ${l}`);
  return ['requirements:', ...lines, PHASES[phase]].join('\n');
}

async function apply(services: TesseraServices, g: string, requirement: Requirement, phase: Phase) {
  await services.policy.apply(policyText(g, segment(requirement, phase)), { appliedBy: 'matrix' }, NOW);
}

async function denial(promise: Promise<unknown>): Promise<PolicyDeniedError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PolicyDeniedError) return error;
    throw error;
  }
  throw new Error('expected policy_denied');
}

describe.each(DIALECTS)('each requirement in each phase on %s', (dialect) => {
  const h = useServices(dialect);
  let n = 0;
  const seed = () => `matrix-${dialect}-${++n}`;

  describe.each(REQUIREMENTS)('$name ($code)', (requirement) => {
    it.each(['monitor', 'warn', 'enforce'] as const)('at registration, %s', async (phase) => {
      const { services, setMetadata } = h();
      setMetadata(vendor.snapshot());
      const g = group();
      await apply(services, g, requirement, phase);
      const attempt = enrol(services, { now: NOW, groups: [g], ...requirement.credential(seed()) });
      if (phase === 'enforce') {
        const refused = await denial(attempt);
        expect(refused.reasons.map((r) => r.code)).toContain(requirement.code);
        expect(refused.reasons.find((r) => r.code === requirement.code)?.message).toMatch(
          /^denied: segment admins /,
        );
        return;
      }
      const { finished, username } = await attempt;
      if (phase === 'monitor') expect(finished.warnings).toBeUndefined();
      else {
        const warning = finished.warnings?.find((w) => w.code === requirement.code);
        expect(warning?.message).toMatch(/^warning: from 1 June 2026, segment admins will /);
      }
      const [event] = await services.policy.events({ username, point: 'registration' });
      expect(event?.effect).toBe(phase === 'monitor' ? 'allow' : 'warn');
      expect(event?.codes).toContain(requirement.code);
      if (phase === 'monitor') expect(event?.codes).toContain('monitor_would_deny');
    });

    it.each(['monitor', 'warn', 'enforce'] as const)('at sign-in, %s', async (phase) => {
      const { services, setMetadata } = h();
      setMetadata(vendor.snapshot());
      const g = group();
      // Enrolled while the segment asked nothing of them; the policy comes later.
      const person = await enrol(services, { now: NOW, ...requirement.credential(seed()) });
      await services.groups.add({ group: g, usernames: [person.username] }, NOW);
      await apply(services, g, requirement, phase);
      const { ctx, response } = await assertion(services, person, { now: LATER });
      const attempt = services.signIn.finish({ response }, ctx);
      if (phase === 'enforce') {
        const refused = await denial(attempt);
        expect(refused.reasons.map((r) => r.code)).toContain(requirement.code);
      } else {
        const issued = await attempt;
        if (phase === 'monitor') expect(issued.warnings).toBeUndefined();
        else expect(issued.warnings?.map((w) => w.code)).toContain(requirement.code);
      }
      const [event] = await services.policy.events({ username: person.username, point: 'sign-in' });
      expect(event?.effect).toBe({ monitor: 'allow', warn: 'warn', enforce: 'deny' }[phase]);
      expect(event?.codes).toContain(requirement.code);
    });
  });
});
