/**
 * Session lifetimes per SP 800-63B-4 (AAL2: 24 h absolute, 1 h idle; AAL3: 12 h, 15 min),
 * enforced by `sessions.current` with the clock of the call, and the idle clock restarted by use.
 */
import { describe, expect, it } from 'vitest';
import { secretHash } from '../../src/services/secrets.js';
import { findSession } from '../../src/store/sessions.js';
import { DIALECTS } from '../support/databases.js';
import { assertion, callContext, enrol, TestVendor, uniqueUsername, useServices } from './harness.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (ms: number) => new Date(NOW.getTime() + ms);

describe.each(DIALECTS)('sessions on %s', (dialect) => {
  const h = useServices(dialect);
  const vendor = new TestVendor('7e57c0de-0000-4000-8000-0000005e5510');

  it('has no session without a cookie, or with an unknown one', async () => {
    const { services } = h();
    expect(await services.sessions.current(callContext(NOW))).toBeNull();
    expect(await services.sessions.current(callContext(NOW, { sessionId: 'unknown' }))).toBeNull();
  });

  it('ends an AAL2 session after 61 minutes without use, and deletes it', async () => {
    const { services, t } = h();
    const person = await enrol(services, { now: NOW });
    expect(
      await services.sessions.current(callContext(at(61 * MINUTE), { sessionId: person.sessionId })),
    ).toBeNull();
    expect(await findSession(t.database.db, secretHash(person.sessionId))).toBeNull();
    // Gone for good, even at a time when it would have been live.
    expect(
      await services.sessions.current(callContext(at(MINUTE), { sessionId: person.sessionId })),
    ).toBeNull();
  });

  it('restarts the idle clock on use, with one update', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const first = await services.sessions.current(
      callContext(at(59 * MINUTE), { sessionId: person.sessionId }),
    );
    expect(first?.idleExpiresAt).toBe(at(119 * MINUTE).toISOString());
    const second = await services.sessions.current(
      callContext(at(118 * MINUTE), { sessionId: person.sessionId }),
    );
    expect(second).toMatchObject({
      aal: 'AAL2',
      authTime: NOW.toISOString(),
      expiresAt: at(24 * HOUR).toISOString(),
    });
  });

  it('ends an AAL2 session 24 hours after sign-in however active it is', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    for (let t = 50 * MINUTE; t < 24 * HOUR; t += 50 * MINUTE)
      expect(
        await services.sessions.current(callContext(at(t), { sessionId: person.sessionId })),
      ).not.toBeNull();
    expect(
      await services.sessions.current(callContext(at(24 * HOUR), { sessionId: person.sessionId })),
    ).toBeNull();
  });

  it('ends an AAL3 session after 16 minutes idle and at 12 hours', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const person = await enrol(services, {
      now: NOW,
      kind: 'security-key',
      authenticator: vendor.authenticator(uniqueUsername()),
      attest: vendor.attest,
    });
    const idle = await assertion(services, person, { now: NOW });
    const idleSession = await services.signIn.finish({ response: idle.response }, idle.ctx);
    expect(idleSession.session.aal).toBe('AAL3');
    expect(
      await services.sessions.current(callContext(at(14 * MINUTE), { sessionId: idleSession.sessionId })),
    ).not.toBeNull();
    expect(
      await services.sessions.current(callContext(at(30 * MINUTE), { sessionId: idleSession.sessionId })),
    ).toBeNull();

    const active = await assertion(services, person, { now: NOW });
    const activeSession = await services.signIn.finish({ response: active.response }, active.ctx);
    expect(
      await services.sessions.current(callContext(at(16 * MINUTE), { sessionId: activeSession.sessionId })),
    ).toBeNull();

    const long = await assertion(services, person, { now: NOW });
    const longSession = await services.signIn.finish({ response: long.response }, long.ctx);
    for (let t = 14 * MINUTE; t < 12 * HOUR; t += 14 * MINUTE)
      expect(
        await services.sessions.current(callContext(at(t), { sessionId: longSession.sessionId })),
      ).not.toBeNull();
    expect(
      await services.sessions.current(callContext(at(12 * HOUR), { sessionId: longSession.sessionId })),
    ).toBeNull();
  });
});
