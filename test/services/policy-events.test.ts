import { describe, expect, it } from 'vitest';
import type { PolicyEventView, TesseraServices } from '../../src/services/contract.js';
import { DIALECTS } from '../support/databases.js';
import { assertion, callContext, enrol, startOnboarding, useServices } from './harness.js';
import { failure, onboard as fixtureOnboard, group, policyText, SECURITY_KEYS } from './policy-fixtures.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const MINUTE = 60_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);

/** One segment (`name`) for `group` needing trusted security keys at AAL3, in `rollout`; a permissive default. */
const securityKeys = (group: string, rollout: string, name = 'admins') =>
  policyText(
    group,
    `${SECURITY_KEYS}rollout:\n${rollout
      .trim()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n')}`,
    '',
    name,
  );

const MONITOR = '- phase: monitor';
const WARN_THEN_ENFORCE = '- phase: warn\n- phase: enforce\n  from: 2026-04-01';
const ENFORCE = '- phase: enforce';

/** people add, groups add, and a registration response by a software passkey, not yet sent. */
async function onboard(services: TesseraServices, now: Date, groups: readonly string[]) {
  const started = await startOnboarding(services, { now, groups });
  return { ...started, credentialId: started.response.rawId };
}

/** The same, sent: a synced passkey (AAL2) and a session. */
const onboarded = (services: TesseraServices, now: Date, groups: readonly string[]) =>
  fixtureOnboard(services, { now, groups });

/** The parts of an event a test cares about, oldest first (the log answers newest first). */
const summary = (events: readonly PolicyEventView[]) =>
  [...events].reverse().map((e) => ({ point: e.point, effect: e.effect, phase: e.phase, codes: e.codes }));

describe.each(DIALECTS)('the policy event log on %s', (dialect) => {
  const h = useServices(dialect);

  it('monitor: an enrolment and a sign-in enforcement would deny are allowed, and logged', async () => {
    const { services } = h();
    const g = group();
    const applied = await services.policy.apply(securityKeys(g, MONITOR), { appliedBy: 'ops' }, NOW);
    const { enrolled, finished } = await onboarded(services, NOW, [g]);
    expect(finished.warnings).toBeUndefined();
    const { ctx, response } = await assertion(services, enrolled, { now: at(MINUTE) });
    expect((await services.signIn.finish({ response }, ctx)).warnings).toBeUndefined();

    const events = await services.policy.events({ username: enrolled.username });
    expect(events.map((e) => [e.point, e.at])).toEqual([
      ['sign-in', at(MINUTE).toISOString()],
      ['registration', NOW.toISOString()],
    ]);
    for (const e of events) {
      expect(e).toMatchObject({
        username: enrolled.username,
        segment: 'admins',
        phase: 'monitor',
        effect: 'allow',
        policyVersion: applied.policy.version,
        credentialId: enrolled.credentialId,
        clientId: null,
      });
      expect(e.codes[0]).toBe('monitor_would_deny');
      expect(e.codes).toEqual(expect.arrayContaining(['aal_below_minimum', 'class_not_allowed']));
      expect(e.codes).not.toContain('requirements_met');
      expect(e.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
    // What the log keeps is what the contract says, and nothing secret (no session id).
    expect(Object.keys(events[0] ?? {}).sort()).toEqual(
      [
        'at',
        'clientId',
        'codes',
        'credentialId',
        'effect',
        'id',
        'phase',
        'point',
        'policyVersion',
        'segment',
        'username',
      ].sort(),
    );
    expect(JSON.stringify(events)).not.toContain(enrolled.sessionId);
  });

  it('warn and deny are logged: an enrolment warned, then on the enforce date the session ended, a sign-in and an enrolment refused', async () => {
    const { services } = h();
    const g = group();
    await services.policy.apply(securityKeys(g, WARN_THEN_ENFORCE), { appliedBy: 'ops' }, NOW);
    const { enrolled, finished } = await onboarded(services, NOW, [g]);
    expect(finished.warnings?.length).toBeGreaterThan(0);

    // A sign-in shortly before the enforce date is warned; its session is live on the date.
    const enforced = new Date('2026-04-01T00:00:00Z');
    const before = await assertion(services, enrolled, { now: new Date(enforced.getTime() - 10 * MINUTE) });
    const issued = await services.signIn.finish({ response: before.response }, before.ctx);
    expect(issued.warnings?.length).toBeGreaterThan(0);
    expect(
      await services.sessions.current(callContext(enforced, { sessionId: issued.sessionId })),
    ).toBeNull();
    // The session is gone: a second lookup logs nothing more.
    expect(
      await services.sessions.current(callContext(enforced, { sessionId: issued.sessionId })),
    ).toBeNull();
    const next = await assertion(services, enrolled, { now: new Date(enforced.getTime() + MINUTE) });
    expect((await failure(services.signIn.finish({ response: next.response }, next.ctx))).code).toBe(
      'policy_denied',
    );
    const failed = expect.arrayContaining(['aal_below_minimum', 'class_not_allowed']);
    expect(summary(await services.policy.events({ username: enrolled.username }))).toEqual([
      { point: 'registration', effect: 'warn', phase: 'warn', codes: failed },
      { point: 'sign-in', effect: 'warn', phase: 'warn', codes: failed },
      { point: 'session', effect: 'deny', phase: 'enforce', codes: failed },
      { point: 'sign-in', effect: 'deny', phase: 'enforce', codes: failed },
    ]);

    // A refused enrolment is logged although nothing else is stored, with the refused credential.
    const refused = await onboard(services, enforced, [g]);
    expect((await failure(refused.finish())).code).toBe('policy_denied');
    const logged = await services.policy.events({ username: refused.username });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      point: 'registration',
      effect: 'deny',
      credentialId: refused.credentialId,
    });
  });

  it('a plain allow is not logged: requirements met, or no policy at all', async () => {
    const { services } = h();
    // The default segment allows every class at AAL2: a passkey meets it.
    await services.policy.apply(securityKeys(group(), ENFORCE), { appliedBy: 'ops' }, NOW);
    const { enrolled } = await onboarded(services, NOW, []);
    const { ctx, response } = await assertion(services, enrolled, { now: at(MINUTE) });
    const issued = await services.signIn.finish({ response }, ctx);
    expect(issued.warnings).toBeUndefined();
    expect(
      await services.sessions.current(callContext(at(2 * MINUTE), { sessionId: issued.sessionId })),
    ).not.toBeNull();
    // A voluntary acr the session does not reach is only a note: allowed, nothing to log.
    const voluntary = await services.policy.acr(
      callContext(at(3 * MINUTE), { sessionId: issued.sessionId }),
      {
        values: ['phrh'],
        essential: false,
        clientId: 'app-voluntary',
      },
    );
    expect(voluntary).toMatchObject({ effect: 'allow' });
    expect(await services.policy.events({ username: enrolled.username })).toEqual([]);
  });

  it('apply logs each session it ends, with point session, once', async () => {
    const { services } = h();
    const g = group();
    const person = await enrol(services, { now: NOW });
    await services.groups.add({ group: g, usernames: [person.username] }, NOW);
    const text = securityKeys(g, ENFORCE);
    const applied = await services.policy.apply(text, { appliedBy: 'ops' }, at(MINUTE));
    expect(applied.sessionsEnded).toBeGreaterThanOrEqual(1);
    // Applying it again ends nothing more and logs nothing more.
    expect((await services.policy.apply(text, { appliedBy: 'ops' }, at(2 * MINUTE))).sessionsEnded).toBe(0);
    const events = await services.policy.events({ username: person.username });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      point: 'session',
      effect: 'deny',
      phase: 'enforce',
      segment: 'admins',
      at: at(MINUTE).toISOString(),
      policyVersion: applied.policy.version,
      credentialId: person.credentialId,
    });
    expect(events[0]?.codes).toEqual(expect.arrayContaining(['aal_below_minimum', 'class_not_allowed']));
  });

  it('the OpenID Provider: an app’s unmet essential acr is logged with the app', async () => {
    const { services } = h();
    await services.policy.apply(securityKeys(group(), ENFORCE), { appliedBy: 'ops' }, NOW);
    const { enrolled } = await onboarded(services, NOW, []);
    const ctx = callContext(at(MINUTE), { sessionId: enrolled.sessionId });
    const verdict = await services.policy.acr(ctx, { values: ['phrh'], essential: true, clientId: 'app-1' });
    expect(verdict).toMatchObject({ effect: 'deny', stepUpTo: 'AAL3' });
    const events = await services.policy.events({ username: enrolled.username, point: 'acr' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      point: 'acr',
      effect: 'deny',
      segment: 'default',
      clientId: 'app-1',
      credentialId: null,
      codes: ['acr_not_satisfied'],
    });
  });

  it('filters by time, segment, point, effect and person, newest first, within the limit; refuses bad filters', async () => {
    const { services } = h();
    // Later than every other test here, and a segment name of its own, so the filters see only this.
    const T = new Date('2027-01-01T00:00:00Z');
    const later = (ms: number) => new Date(T.getTime() + ms);
    const g = group();
    await services.policy.apply(securityKeys(g, MONITOR, 'filtered'), { appliedBy: 'ops' }, T);
    const a = await onboarded(services, later(MINUTE), [g]);
    const b = await onboarded(services, later(2 * MINUTE), [g]);
    const signIn = await assertion(services, a.enrolled, { now: later(3 * MINUTE) });
    await services.signIn.finish({ response: signIn.response }, signIn.ctx);

    const who = (events: readonly PolicyEventView[]) => events.map((e) => [e.username, e.point]);
    expect(who(await services.policy.events({ since: T }))).toEqual([
      [a.enrolled.username, 'sign-in'],
      [b.enrolled.username, 'registration'],
      [a.enrolled.username, 'registration'],
    ]);
    expect(who(await services.policy.events({ since: later(2 * MINUTE) }))).toEqual([
      [a.enrolled.username, 'sign-in'],
      [b.enrolled.username, 'registration'],
    ]);
    expect(who(await services.policy.events({ segment: 'filtered', point: 'registration' }))).toEqual([
      [b.enrolled.username, 'registration'],
      [a.enrolled.username, 'registration'],
    ]);
    expect(who(await services.policy.events({ segment: 'filtered', username: a.enrolled.username }))).toEqual(
      [
        [a.enrolled.username, 'sign-in'],
        [a.enrolled.username, 'registration'],
      ],
    );
    expect(who(await services.policy.events({ since: T, limit: 1 }))).toEqual([
      [a.enrolled.username, 'sign-in'],
    ]);
    expect(await services.policy.events({ since: T, effect: 'deny' })).toEqual([]);
    expect(await services.policy.events({ segment: 'filtered', effect: 'allow' })).toHaveLength(3);
    expect(await services.policy.events({ segment: 'no-such-segment' })).toEqual([]);

    for (const filter of [
      { limit: 0 },
      { limit: 10_001 },
      { limit: 1.5 },
      { since: new Date(Number.NaN) },
      { segment: 'Not A Segment' },
    ])
      expect((await failure(services.policy.events(filter))).code).toBe('event_filter_invalid');
    expect((await failure(services.policy.events({ username: 'nobody-here' }))).code).toBe(
      'person_not_found',
    );
  });
  it('keeps events for TESSERA_POLICY_EVENTS_RETENTION_DAYS: older ones go as new ones are written', async () => {
    const { services } = h();
    const g = group();
    await services.policy.apply(securityKeys(g, MONITOR), { appliedBy: 'ops' }, NOW);
    const first = await onboarded(services, NOW, [g]);
    expect(await services.policy.events({ username: first.enrolled.username })).toHaveLength(1);
    // 400 days (the default) later the first person's event is still kept…
    const kept = new Date(NOW.getTime() + 399 * 24 * 60 * MINUTE);
    await onboarded(services, kept, [g]);
    expect(await services.policy.events({ username: first.enrolled.username })).toHaveLength(1);
    // …and past them it is deleted when the next event is written; the newer ones stay.
    const past = new Date(NOW.getTime() + 401 * 24 * 60 * MINUTE);
    const third = await onboarded(services, past, [g]);
    expect(await services.policy.events({ username: first.enrolled.username })).toEqual([]);
    expect(await services.policy.events({ username: third.enrolled.username })).toHaveLength(1);
  });
});
