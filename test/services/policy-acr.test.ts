/**
 * The assurance policy at the OpenID Provider (`services.policy.acr`, decideAcr), on both
 * dialects: the person's segment judges the session behind an app's sign-in request, in each
 * rollout phase, and an app's essential acr the session falls short of is denied with the level a
 * step-up must reach and a sentence the person's page shows, whatever the phase.
 */
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../src/services/errors.js';
import { DIALECTS } from '../support/databases.js';
import { callContext, TestVendor, useServices } from './harness.js';
import { group, onboard, policyText, SECURITY_KEYS } from './policy-fixtures.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const LATER = new Date(NOW.getTime() + 60_000);
const NONE = { values: [], essential: false } as const;
const PHRH = { values: ['phrh'], essential: true } as const;

describe.each(DIALECTS)('the assurance policy at the OpenID Provider on %s', (dialect) => {
  const h = useServices(dialect);
  const vendor = new TestVendor('7e57c0de-0000-4000-8000-0000000ac12e');

  it('has nothing to say without a policy, and needs a live session', async () => {
    const { services } = h();
    const { enrolled } = await onboard(services, { now: NOW, groups: [] });
    const ctx = callContext(LATER, { sessionId: enrolled.sessionId });
    // No policy is applied in this database yet (each describe has its own).
    expect(await services.policy.current()).toBeNull();
    expect(await services.policy.acr(ctx, PHRH)).toBeNull();
    await expect(services.policy.acr(callContext(LATER), NONE)).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(
      services.policy.acr(callContext(LATER, { sessionId: 'not-a-session' }), NONE),
    ).rejects.toBeInstanceOf(ServiceError);
  });

  it('warn: the session is allowed with what the segment will require and the date', async () => {
    const { services } = h();
    const g = group();
    await services.policy.apply(
      policyText(g, `${SECURITY_KEYS}rollout:\n  - phase: warn\n  - phase: enforce\n    from: 2026-04-01\n`),
      { appliedBy: 'ops' },
      NOW,
    );
    const { enrolled } = await onboard(services, { now: NOW, groups: [g] });
    const verdict = await services.policy.acr(callContext(LATER, { sessionId: enrolled.sessionId }), NONE);
    expect(verdict).toMatchObject({
      point: 'acr',
      effect: 'warn',
      segment: 'admins',
      phase: 'warn',
      deadline: '2026-04-01T00:00:00.000Z',
      stepUpTo: null,
    });
    expect(verdict?.reasons.map((r) => r.code)).toEqual(['aal_below_minimum']);
    expect(verdict?.summary).toBe(
      'warning: from 1 April 2026, segment admins will require AAL3; this session is at AAL2. Sign in again with a security key before 1 April 2026.',
    );

    // An app's essential phrh is not softened by the warn phase: denied, with the step-up level.
    const essential = await services.policy.acr(callContext(LATER, { sessionId: enrolled.sessionId }), PHRH);
    expect(essential).toMatchObject({ effect: 'deny', stepUpTo: 'AAL3' });
    expect(essential?.reasons.map((r) => r.code)).toEqual(['aal_below_minimum', 'acr_not_satisfied']);
    expect(essential?.summary).toBe(
      'denied: the application asked for acr "phrh" (AAL3) and this session is at AAL2',
    );
  });

  it('monitor: allowed with nothing to tell the person', async () => {
    const { services } = h();
    const g = group();
    await services.policy.apply(
      policyText(g, `${SECURITY_KEYS}rollout:\n  - phase: monitor\n`),
      { appliedBy: 'ops' },
      NOW,
    );
    const { enrolled } = await onboard(services, { now: NOW, groups: [g] });
    const verdict = await services.policy.acr(callContext(LATER, { sessionId: enrolled.sessionId }), NONE);
    expect(verdict).toMatchObject({ effect: 'allow', phase: 'monitor', reasons: [], deadline: null });
  });

  it('enforce: an AAL3 session with a trusted security key meets the segment and phrh', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const g = group();
    await services.policy.apply(policyText(g, SECURITY_KEYS), { appliedBy: 'ops' }, NOW);
    const { enrolled } = await onboard(services, {
      now: NOW,
      groups: [g],
      kind: 'security-key',
      authenticator: vendor.authenticator('acr-key'),
      attest: vendor.attest,
    });
    const ctx = callContext(LATER, { sessionId: enrolled.sessionId });
    expect((await services.sessions.current(ctx))?.aal).toBe('AAL3');
    expect(await services.policy.acr(ctx, PHRH)).toMatchObject({
      effect: 'allow',
      stepUpTo: null,
      reasons: [],
    });
    // Someone in the permissive default segment with a synced passkey: phr is met, phrh is not.
    const other = await onboard(services, { now: NOW, groups: [] });
    const otherCtx = callContext(LATER, { sessionId: other.enrolled.sessionId });
    expect(await services.policy.acr(otherCtx, { values: ['phr'], essential: true })).toMatchObject({
      effect: 'allow',
      segment: 'default',
    });
    expect(await services.policy.acr(otherCtx, PHRH)).toMatchObject({
      effect: 'deny',
      segment: 'default',
      stepUpTo: 'AAL3',
    });
  });
});

describe.each(DIALECTS)('the assurance policy at a refresh of app tokens on %s', (dialect) => {
  const h = useServices(dialect);
  const HOUR = 3_600_000;

  it('accepts while the segment accepts the sign-in, and refuses (logged, with the app) once it does not', async () => {
    const { services } = h();
    const { enrolled } = await onboard(services, { now: NOW, groups: [] });
    const signIn = (aal: 'AAL1' | 'AAL2' | 'AAL3', hoursAgo: number) => ({
      aal,
      authTime: new Date(LATER.getTime() - hoursAgo * HOUR),
      clientId: 'app-1',
    });
    // Without a policy, everything that verified is accepted.
    expect(await services.policy.refreshAllowed(enrolled.personId, signIn('AAL1', 1), LATER)).toBe(true);

    const g = group();
    await services.groups.add({ group: g, usernames: [enrolled.username] }, NOW);
    await services.policy.apply(
      policyText(
        g,
        `${SECURITY_KEYS}  maxSessionHours: 2\nrollout:\n  - phase: warn\n  - phase: enforce\n    from: 2026-04-01\n`,
      ),
      { appliedBy: 'ops' },
      NOW,
    );
    // Warn phase: still accepted, and nothing is logged for it.
    expect(await services.policy.refreshAllowed(enrolled.personId, signIn('AAL2', 1), LATER)).toBe(true);
    expect(await services.policy.events({ username: enrolled.username, point: 'session' })).toEqual([]);

    const enforced = new Date('2026-04-01T10:00:00Z');
    const at = (aal: 'AAL2' | 'AAL3', hoursAgo: number) => ({
      aal,
      authTime: new Date(enforced.getTime() - hoursAgo * HOUR),
      clientId: 'app-1',
    });
    expect(await services.policy.refreshAllowed(enrolled.personId, at('AAL3', 1), enforced)).toBe(true);
    expect(await services.policy.refreshAllowed(enrolled.personId, at('AAL2', 1), enforced)).toBe(false);
    // The segment's own lifetime (2 h) holds for apps too.
    expect(await services.policy.refreshAllowed(enrolled.personId, at('AAL3', 3), enforced)).toBe(false);
    const logged = await services.policy.events({ username: enrolled.username, point: 'session' });
    // Both at the same instant: compared in a fixed order.
    expect(logged.map((e) => [e.effect, e.clientId, e.codes]).sort()).toEqual([
      ['deny', 'app-1', ['aal_below_minimum']],
      ['deny', 'app-1', ['session_lifetime_exceeded']],
    ]);
    // Someone in the default segment is unaffected.
    const other = await onboard(services, { now: NOW, groups: [] });
    expect(await services.policy.refreshAllowed(other.enrolled.personId, at('AAL2', 1), enforced)).toBe(true);
  });
});
