/**
 * Applying a policy narrows the limits of the sessions it lets live, on both dialects: a session
 * issued under a 60-minute idle limit ends after 16 idle minutes once a 15-minute one is applied,
 * one whose segment's lifetime shrinks ends at the new end, and a policy with longer limits
 * extends nothing. Time moves through the CallContext's clock.
 */
import { describe, expect, it } from 'vitest';
import type { TesseraServices } from '../../src/services/contract.js';
import { DIALECTS } from '../support/databases.js';
import { assertion, callContext, enrol, uniqueUsername, useServices } from './harness.js';
import { EVERY_CLASS, policyText } from './policy-fixtures.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (ms: number) => new Date(NOW.getTime() + ms);

/** One enforced segment (`staff`) for `group` allowing every class at AAL2 with these limits (YAML lines); a permissive default. */
const withLimits = (group: string, limits: readonly string[]) =>
  policyText(
    group,
    [
      'requirements:',
      '  minAal: AAL2',
      `  allowedClasses: ${EVERY_CLASS}`,
      ...limits.map((l) => `  ${l}`),
    ].join('\n'),
    '',
    'staff',
  );

describe.each(DIALECTS)('apply narrows live sessions on %s', (dialect) => {
  const h = useServices(dialect);

  /** A person in a new group whose segment has `limits`, signed in at NOW (enrolled a minute before). */
  async function signedIn(services: TesseraServices, limits: readonly string[]) {
    const g = `g-${uniqueUsername('grp')}`;
    await services.policy.apply(withLimits(g, limits), { appliedBy: 'ops' }, at(-2 * MINUTE));
    const person = await enrol(services, { now: at(-MINUTE) });
    await services.groups.add({ group: g, usernames: [person.username] }, at(-MINUTE));
    const { ctx, response } = await assertion(services, person, { now: NOW });
    const { sessionId } = await services.signIn.finish({ response }, ctx);
    const current = (ms: number) => services.sessions.current(callContext(at(ms), { sessionId }));
    return { g, current };
  }

  it('a shorter idle limit: the session issued with 60 minutes ends after 16 idle minutes', async () => {
    const { services } = h();
    const { g, current } = await signedIn(services, []);
    expect((await current(MINUTE))?.idleExpiresAt).toBe(at(MINUTE + HOUR).toISOString());

    const applied = await services.policy.apply(
      withLimits(g, ['maxIdleMinutes: 15']),
      { appliedBy: 'ops' },
      at(2 * MINUTE),
    );
    expect(applied.sessionsEnded).toBe(0);
    const alive = await current(10 * MINUTE);
    expect(alive?.idleExpiresAt).toBe(at(25 * MINUTE).toISOString());
    // The absolute end was not shorter under the new policy: unchanged.
    expect(alive?.expiresAt).toBe(at(24 * HOUR).toISOString());
    expect(await current(26 * MINUTE)).toBeNull();
  });

  it('a shorter lifetime: the session ends at its sign-in time plus the new limit', async () => {
    const { services } = h();
    const { g, current } = await signedIn(services, []);
    await services.policy.apply(withLimits(g, ['maxSessionHours: 2']), { appliedBy: 'ops' }, at(MINUTE));
    const alive = await current(30 * MINUTE);
    expect(alive?.expiresAt).toBe(at(2 * HOUR).toISOString());
    // The idle limit was not longer than the new policy's (60 minutes): unchanged.
    expect(alive?.idleExpiresAt).toBe(at(90 * MINUTE).toISOString());
    expect(await current(80 * MINUTE)).not.toBeNull();
    expect(await current(110 * MINUTE)).not.toBeNull();
    // At exactly two hours the segment's own lifetime check does not fail yet (it is "more than"):
    // the narrowed end does.
    expect(await current(2 * HOUR)).toBeNull();
  });

  it('longer limits extend nothing: 15 idle minutes and 2 hours stay', async () => {
    const { services } = h();
    const { g, current } = await signedIn(services, ['maxSessionHours: 2', 'maxIdleMinutes: 15']);
    expect(await current(MINUTE)).toMatchObject({
      expiresAt: at(2 * HOUR).toISOString(),
      idleExpiresAt: at(16 * MINUTE).toISOString(),
    });
    await services.policy.apply(
      withLimits(g, ['maxSessionHours: 24', 'maxIdleMinutes: 60']),
      { appliedBy: 'ops' },
      at(2 * MINUTE),
    );
    expect(await current(10 * MINUTE)).toMatchObject({
      expiresAt: at(2 * HOUR).toISOString(),
      idleExpiresAt: at(25 * MINUTE).toISOString(),
    });
    expect(await current(26 * MINUTE)).toBeNull();
  });

  it('narrows only the sessions of the segment whose limits shrank', async () => {
    const { services } = h();
    const { g, current } = await signedIn(services, []);
    const outsider = await enrol(services, { now: NOW });
    await services.policy.apply(
      withLimits(g, ['maxSessionHours: 2', 'maxIdleMinutes: 15']),
      { appliedBy: 'ops' },
      at(MINUTE),
    );
    expect((await current(5 * MINUTE))?.expiresAt).toBe(at(2 * HOUR).toISOString());
    expect(
      await services.sessions.current(callContext(at(5 * MINUTE), { sessionId: outsider.sessionId })),
    ).toMatchObject({ expiresAt: at(24 * HOUR).toISOString(), idleExpiresAt: at(65 * MINUTE).toISOString() });
  });
});
