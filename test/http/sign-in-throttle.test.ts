/**
 * Consecutive failed sign-ins over HTTP (SP 800-63B-4 §3.2.2), on both dialects: past 100 in a
 * row, an attempt from an address the person never signed in from answers exactly as an unknown
 * credential and a bad signature do (status and body), so the throttle tells nobody that an
 * account exists or is under attack; the person's usual address still signs in, and their
 * history shows the failures and the refusal. The client's address comes from X-Forwarded-For
 * written by a trusted proxy (loopback, the inject peer), as behind a real one.
 */
import { Buffer } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { SIGNALS } from '../../src/services/sign-in.js';
import { findPersonByUsername } from '../../src/store/people.js';
import { insertSignIn } from '../../src/store/sign-ins.js';
import { DIALECTS } from '../support/databases.js';
import {
  type Answer,
  answerRequest,
  arr,
  type Harness,
  newAuthenticator,
  obj,
  onboard,
  startHarness,
  str,
} from './support.js';

const NEW_PLACE = { headers: { 'x-forwarded-for': '198.51.100.23' } };

describe.each(DIALECTS)('failed sign-ins over HTTP on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect, {
      config: { trustProxy: loadConfig({ TESSERA_TRUST_PROXY: 'loopback' }).trustProxy },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers a throttled attempt exactly like an unknown credential, and lets the usual address in', async () => {
    // Onboarded from the proxy's own address (no X-Forwarded-For): 127.0.0.1 is the usual place.
    const person = await onboard(h, 'hedy');
    const found = await findPersonByUsername(h.database.database.db, 'hedy');
    if (found === null) throw new Error('hedy was not added');
    // 100 failed sign-ins from elsewhere since then, as the service records them.
    h.clock.advance(60_000);
    const last = h.clock.now.getTime();
    for (let i = 0; i < 100; i++)
      await insertSignIn(h.database.database.db, {
        id: `seed-${dialect}-${i}`,
        personId: found.id,
        credentialId: Buffer.from(person.credential.id),
        at: last - 99 + i,
        outcome: 'failed',
        aal: null,
        userVerified: false,
        signals: [SIGNALS.verificationFailed],
        ip: '203.0.113.1',
        userAgent: 'attacker',
      });
    h.clock.advance(1000);

    const attempt = async (
      response: (options: unknown) => unknown,
      options: { headers?: Record<string, string> } = {},
    ): Promise<Answer> => {
      // A millisecond apart, so the history's order is the order of the attempts.
      h.clock.advance(1);
      const requested = await person.browser.post('/api/authentication/options', {}, options);
      expect(requested.status).toBe(200);
      return person.browser.post(
        '/api/authentication/verify',
        { response: response(requested.json) },
        options,
      );
    };
    const stranger = newAuthenticator();
    const unknownCredential = stranger.createCredential();

    const throttled = await attempt(
      (o) => answerRequest(person.authenticator, person.credential, o),
      NEW_PLACE,
    );
    const unknown = await attempt((o) => answerRequest(stranger, unknownCredential, o), NEW_PLACE);
    const badSignature = await attempt(
      (o) =>
        person.authenticator.authenticate(person.credential, {
          rpId: 'localhost',
          origin: person.browser.origin,
          challenge: str(obj(o).challenge),
          corrupt: { signature: 'flip-bit' },
        }),
      // From the usual place, so this one is verified (and fails).
    );
    expect(throttled.status).toBe(400);
    expect(throttled.json).toEqual({
      error: { code: 'authentication_failed', message: 'The sign-in could not be verified.' },
    });
    for (const other of [unknown, badSignature]) {
      expect(other.status).toBe(throttled.status);
      expect(other.text).toBe(throttled.text);
      expect(other.headers['content-type']).toBe(throttled.headers['content-type']);
      expect(other.setCookies).toEqual(throttled.setCookies);
    }

    // The person's usual address signs in at once.
    const signedIn = await attempt((o) => answerRequest(person.authenticator, person.credential, o));
    expect(signedIn.status).toBe(200);

    // The history shows the success, the failure and the refusal (newest first), with why.
    const history = await person.browser.get('/api/sign-ins');
    expect(history.status).toBe(200);
    const recent = arr(obj(history.json).signIns)
      .slice(0, 4)
      .map((s) => {
        const view = obj(s);
        return [view.outcome, view.signals, view.ip];
      });
    expect(recent).toEqual([
      ['success', [], '127.0.0.1'],
      ['failed', ['verification_failed'], '127.0.0.1'],
      ['refused', ['too_many_failures'], '198.51.100.23'],
      ['failed', ['verification_failed'], '203.0.113.1'],
    ]);
  });
});
