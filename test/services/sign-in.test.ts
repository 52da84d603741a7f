/**
 * Sign-in through the services on both dialects, with real assertions from the software
 * authenticator: identified and discoverable flows, the uniform `authentication_failed`, the
 * challenge that burns on first use (also under 20 concurrent verifications of one response),
 * the counter compare-and-set and its regression policy, metadata refusal, and plausible
 * allowCredentials for unknown usernames.
 */
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../src/services/errors.js';
import { fakeAllowCredentials } from '../../src/services/sign-in.js';
import { findCredential } from '../../src/store/credentials.js';
import { DIALECTS } from '../support/databases.js';
import { assertion, callContext, enrol, TestVendor, token, uniqueUsername, useServices } from './harness.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof ServiceError) return error.code;
    throw error;
  }
}

describe.each(DIALECTS)('sign-in on %s', (dialect) => {
  const h = useServices(dialect);

  it('signs in with a username: allowCredentials lists the person’s credentials, UV required', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const ctx = callContext(later(1000));
    const options = await services.signIn.options({ username: person.username }, ctx);
    expect(options.userVerification).toBe('required');
    expect(options.rpId).toBe('localhost');
    expect(options.timeout).toBe(300_000);
    expect(options.allowCredentials).toEqual([
      { type: 'public-key', id: person.credentialId, transports: ['usb'] },
    ]);
    const response = person.authenticator.authenticate(person.credential, {
      rpId: 'localhost',
      origin: 'http://localhost:8080',
      challenge: options.challenge,
    });
    const issued = await services.signIn.finish({ response }, ctx);
    expect(issued.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(issued.session).toMatchObject({
      person: { username: person.username, displayName: person.username },
      aal: 'AAL2',
      amr: ['swk', 'user', 'mfa'],
      authTime: later(1000).toISOString(),
      expiresAt: later(1000 + 24 * 3600_000).toISOString(),
      idleExpiresAt: later(1000 + 3600_000).toISOString(),
      credentialId: person.credentialId,
    });
    const current = await services.sessions.current(
      callContext(later(2000), { sessionId: issued.sessionId }),
    );
    expect(current?.person.id).toBe(person.personId);
  });

  it('signs in without a username (discoverable): empty allowCredentials, the user handle names the owner', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const { ctx, response } = await assertion(services, person, { now: later(1000) });
    const issued = await services.signIn.finish({ response }, ctx);
    expect(issued.session.person.id).toBe(person.personId);
    const options = await services.signIn.options({}, callContext(NOW));
    expect(options.allowCredentials).toEqual([]);
  });

  it('requires a user handle in the discoverable flow, and one that names the owner', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const other = await enrol(services, { now: NOW });
    const none = await assertion(services, person, { now: NOW, corrupt: { userHandle: null } });
    expect(await code(services.signIn.finish({ response: none.response }, none.ctx))).toBe(
      'authentication_failed',
    );
    const wrong = await assertion(services, person, {
      now: NOW,
      corrupt: { userHandle: other.credential.userHandle },
    });
    expect(await code(services.signIn.finish({ response: wrong.response }, wrong.ctx))).toBe(
      'authentication_failed',
    );
  });

  it('answers an unknown credential and a bad signature alike, with the detail for the log', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const stranger = person.authenticator.createCredential({ userHandle: person.credential.userHandle });
    const errors: ServiceError[] = [];
    for (const attempt of [
      await assertion(services, { authenticator: person.authenticator, credential: stranger }, { now: NOW }),
      await assertion(services, person, { now: NOW, corrupt: { signature: 'flip-bit' } }),
      await assertion(services, person, { now: NOW, uv: false }),
      await assertion(services, person, { now: NOW, corrupt: { origin: 'https://evil.example' } }),
    ]) {
      try {
        await services.signIn.finish({ response: attempt.response }, attempt.ctx);
      } catch (error) {
        if (error instanceof ServiceError) errors.push(error);
        else throw error;
      }
    }
    expect(errors.map((e) => [e.code, e.message, e.status])).toEqual(
      Array(4).fill(['authentication_failed', 'The sign-in could not be verified.', 400]),
    );
    expect(errors.map((e) => e.detail?.split(':')[0])).toEqual([
      expect.stringMatching(/^unknown credential/),
      'signature_invalid',
      'user_verification_required',
      'origin_mismatch',
    ]);
  });

  it('refuses a credential of another person than the username named (allowCredentials)', async () => {
    const { services } = h();
    const alice = await enrol(services, { now: NOW });
    const bob = await enrol(services, { now: NOW });
    const { ctx, response } = await assertion(services, bob, { now: NOW, username: alice.username });
    expect(await code(services.signIn.finish({ response }, ctx))).toBe('authentication_failed');
  });

  it('burns the challenge on a failed verification, and binds it to the flow', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const ctx = callContext(NOW);
    const options = await services.signIn.options({}, ctx);
    const sign = (corrupt = {}) =>
      person.authenticator.authenticate(person.credential, {
        rpId: 'localhost',
        origin: 'http://localhost:8080',
        challenge: options.challenge,
        corrupt,
      });
    expect(await code(services.signIn.finish({ response: sign({ signature: 'flip-bit' }) }, ctx))).toBe(
      'authentication_failed',
    );
    expect(await code(services.signIn.finish({ response: sign() }, ctx))).toBe('challenge_missing');

    const other = await assertion(services, person, { now: NOW });
    expect(await code(services.signIn.finish({ response: other.response }, callContext(NOW)))).toBe(
      'challenge_missing',
    );
  });

  it('expires the challenge after the ceremony timeout', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const { ctx, response } = await assertion(services, person, { now: NOW });
    expect(await code(services.signIn.finish({ response }, { ...ctx, now: later(300_000) }))).toBe(
      'challenge_expired',
    );
    expect(await code(services.signIn.finish({ response }, { ...ctx, now: later(1000) }))).toBe(
      'challenge_missing',
    );
  });

  it('lets exactly one of 20 concurrent verifications of one response through', async () => {
    const { services, t } = h();
    const person = await enrol(services, { now: NOW });
    const { ctx, response } = await assertion(services, person, { now: later(1000) });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        code(services.signIn.finish({ response: structuredClone(response) }, ctx)),
      ),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r === 'challenge_missing' || r === 'authentication_failed')).toHaveLength(
      19,
    );
    const sessions = await t.database.db
      .selectFrom('sessions')
      .select('hash')
      .where('person_id', '=', person.personId)
      .execute();
    // The onboarding session and the one sign-in.
    expect(sessions).toHaveLength(2);
  });

  it('keeps the counter monotonic: 12 then 11 is a regression, recorded and allowed for an unverified key', async () => {
    const { services, t } = h();
    const person = await enrol(services, { now: NOW });
    const first = await assertion(services, person, { now: later(1000), corrupt: { counter: 12 } });
    const second = await assertion(services, person, { now: later(2000), corrupt: { counter: 11 } });
    await services.signIn.finish({ response: first.response }, first.ctx);
    const issued = await services.signIn.finish({ response: second.response }, second.ctx);
    const stored = await findCredential(t.database.db, person.credential.id);
    expect(stored?.counter).toBe(12);
    expect(stored?.lastUsedAt).toBe(later(2000).getTime());
    const history = await services.signIns.recent(callContext(later(3000), { sessionId: issued.sessionId }));
    expect(history.map((s) => s.signals)).toEqual([['counter_regression'], [], []]);
    expect(history[0]).toMatchObject({
      aal: 'AAL2',
      userVerified: true,
      ip: '192.0.2.10',
      userAgent: 'vitest',
    });
  });

  it('resolves two concurrent sign-ins whose counters both increased (12 and 11 against 0)', async () => {
    const { services, t } = h();
    const person = await enrol(services, { now: NOW });
    const a = await assertion(services, person, { now: later(1000), corrupt: { counter: 12 } });
    const b = await assertion(services, person, { now: later(1000), corrupt: { counter: 11 } });
    const results = await Promise.all([
      code(services.signIn.finish({ response: a.response }, a.ctx)),
      code(services.signIn.finish({ response: b.response }, b.ctx)),
    ]);
    expect(results).toEqual(['ok', 'ok']);
    expect((await findCredential(t.database.db, person.credential.id))?.counter).toBe(12);
  });

  it('signs in a synced passkey with counter 0 (no counter) any number of times', async () => {
    const { services } = h();
    const person = await enrol(services, {
      now: NOW,
      credential: { backupEligible: true, backupState: true },
    });
    for (const at of [1000, 2000]) {
      const { ctx, response } = await assertion(services, person, {
        now: later(at),
        corrupt: { counter: 0 },
      });
      const issued = await services.signIn.finish({ response }, ctx);
      expect(issued.session.aal).toBe('AAL2');
      expect(issued.session.amr).toEqual(['swk', 'user', 'mfa']);
    }
  });

  it('refuses a changed backup eligibility (BE is fixed at registration)', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const { ctx, response } = await assertion(services, person, {
      now: NOW,
      corrupt: { flags: { be: true } },
    });
    expect(await code(services.signIn.finish({ response }, ctx))).toBe('authentication_failed');
  });

  it('answers an unknown username with plausible allowCredentials, stable, in the same shape', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const known = await services.signIn.options({ username: person.username }, callContext(NOW));
    const ghost = uniqueUsername('ghost');
    const first = await services.signIn.options({ username: ghost }, callContext(NOW));
    const again = await services.signIn.options(
      { username: ghost.toUpperCase() },
      callContext(later(60_000)),
    );
    expect(first.allowCredentials.length).toBeGreaterThan(0);
    expect(again.allowCredentials).toEqual(first.allowCredentials);
    expect(first.challenge).not.toBe(again.challenge);
    expect(Object.keys(first).sort()).toEqual(Object.keys(known).sort());
    for (const d of first.allowCredentials) {
      expect(Object.keys(d).sort()).toEqual(['id', 'transports', 'type']);
      expect(d.type).toBe('public-key');
      expect(Buffer.from(d.id, 'base64url').length).toBeGreaterThanOrEqual(16);
    }
    const other = await services.signIn.options({ username: uniqueUsername('ghost') }, callContext(NOW));
    expect(other.allowCredentials).not.toEqual(first.allowCredentials);
    // A response to the made-up list cannot succeed.
    const { ctx, response } = await assertion(services, person, { now: NOW, username: ghost });
    expect(await code(services.signIn.finish({ response }, ctx))).toBe('authentication_failed');
  });

  it('derives the made-up list from the stored server key only', () => {
    const key = Buffer.alloc(32, 7);
    expect(fakeAllowCredentials(key, 'nobody')).toEqual(fakeAllowCredentials(Buffer.alloc(32, 7), 'nobody'));
    expect(fakeAllowCredentials(key, 'nobody')).not.toEqual(
      fakeAllowCredentials(Buffer.alloc(32, 8), 'nobody'),
    );
  });

  it('replaces the browser’s previous session on a new sign-in', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const { ctx, response } = await assertion(services, person, { now: later(1000) });
    await services.signIn.finish({ response }, { ...ctx, sessionId: person.sessionId });
    expect(
      await services.sessions.current(callContext(later(2000), { sessionId: person.sessionId })),
    ).toBeNull();
  });

  it('signs out', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const ctx = callContext(later(1000), { sessionId: person.sessionId });
    expect(await services.sessions.current(ctx)).not.toBeNull();
    await services.sessions.signOut(ctx);
    expect(await services.sessions.current(ctx)).toBeNull();
    await services.sessions.signOut(callContext(NOW));
  });

  it('reports the database as ready', async () => {
    expect(await h().services.health.ready()).toBe(true);
  });

  it('rejects a response without a flow’s challenge before touching the credential', async () => {
    const { services } = h();
    expect(await code(services.signIn.finish({ response: {} }, callContext(NOW, { flowId: token() })))).toBe(
      'challenge_missing',
    );
    await services.signIn.options({}, callContext(NOW, { flowId: 'f1' }));
    expect(
      await code(services.signIn.finish({ response: 'nonsense' }, callContext(NOW, { flowId: 'f1' }))),
    ).toBe('authentication_failed');
  });
});

describe.each(DIALECTS)('sign-in with trusted hardware on %s', (dialect) => {
  const h = useServices(dialect);
  const vendor = new TestVendor('7e57c0de-0000-4000-8000-00000000c0de');

  it('gives a security key with trusted attestation AAL3, hwk, and 12 h / 15 min limits', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const person = await enrol(services, {
      now: NOW,
      kind: 'security-key',
      authenticator: vendor.authenticator(uniqueUsername()),
      attest: vendor.attest,
    });
    const { ctx, response } = await assertion(services, person, { now: later(1000) });
    const issued = await services.signIn.finish({ response }, ctx);
    expect(issued.session).toMatchObject({
      aal: 'AAL3',
      amr: ['hwk', 'user', 'mfa'],
      expiresAt: later(1000 + 12 * 3600_000).toISOString(),
      idleExpiresAt: later(1000 + 15 * 60_000).toISOString(),
    });
    const [credential] = await services.credentials.list(
      callContext(later(2000), { sessionId: issued.sessionId }),
    );
    expect(credential).toMatchObject({
      name: 'Tessera Test Security Key',
      model: 'Tessera Test Security Key',
      class: 'security-key',
      aal: 'AAL3',
      fmt: 'packed',
      attestation: { trust: 'trusted', status: null },
    });
  });

  it('refuses a counter regression of a security key by default, and records it', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const person = await enrol(services, {
      now: NOW,
      kind: 'security-key',
      authenticator: vendor.authenticator(uniqueUsername()),
      attest: vendor.attest,
    });
    const first = await assertion(services, person, { now: later(1000), corrupt: { counter: 12 } });
    const issued = await services.signIn.finish({ response: first.response }, first.ctx);
    const second = await assertion(services, person, { now: later(2000), corrupt: { counter: 11 } });
    expect(await code(services.signIn.finish({ response: second.response }, second.ctx))).toBe(
      'authentication_failed',
    );
    const history = await services.signIns.recent(callContext(later(3000), { sessionId: issued.sessionId }));
    expect(history[0]).toMatchObject({ aal: null, signals: ['counter_regression'], userVerified: true });
    expect(history).toHaveLength(3);
  });

  it('refuses a model the metadata now reports REVOKED (credential_refused), enrolled before the report', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const person = await enrol(services, {
      now: NOW,
      kind: 'security-key',
      authenticator: vendor.authenticator(uniqueUsername()),
      attest: vendor.attest,
    });
    setMetadata(vendor.snapshotWithStatus('REVOKED', NOW));
    const { ctx, response } = await assertion(services, person, { now: later(1000) });
    expect(await code(services.signIn.finish({ response }, ctx))).toBe('credential_refused');
    const [credential] = await services.credentials.list(
      callContext(later(2000), { sessionId: person.sessionId }),
    );
    expect(credential).toMatchObject({ aal: null, attestation: { status: 'REVOKED' } });
  });
});

describe.each(DIALECTS)('counter regression policy "allow" on %s', (dialect) => {
  const h = useServices(dialect, {
    counterRegression: {
      'synced-passkey': 'allow',
      'device-bound-unverified': 'allow',
      'device-bound-passkey': 'allow',
      'security-key': 'allow',
    },
  });
  const vendor = new TestVendor('7e57c0de-0000-4000-8000-00000000a110');

  it('allows a security key’s regression and records the signal', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const person = await enrol(services, {
      now: NOW,
      kind: 'security-key',
      authenticator: vendor.authenticator(uniqueUsername()),
      attest: vendor.attest,
    });
    const first = await assertion(services, person, { now: later(1000), corrupt: { counter: 12 } });
    await services.signIn.finish({ response: first.response }, first.ctx);
    const second = await assertion(services, person, { now: later(2000), corrupt: { counter: 11 } });
    const issued = await services.signIn.finish({ response: second.response }, second.ctx);
    const history = await services.signIns.recent(callContext(later(3000), { sessionId: issued.sessionId }));
    expect(history[0]?.signals).toEqual(['counter_regression']);
  });
});
