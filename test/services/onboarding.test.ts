/**
 * People and onboarding on both dialects: `people.add` with a random user handle and a one-time
 * pass, the options per kind, enrolment of the first credential with the session it opens, and
 * the pass used up exactly once even when two browsers race.
 */
import { describe, expect, it } from 'vitest';
import type { EnrolmentKind } from '../../src/services/contract.js';
import { ServiceError } from '../../src/services/errors.js';
import { findPersonByUsername } from '../../src/store/people.js';
import { SoftAuthenticator } from '../helpers/soft-authenticator.js';
import { DIALECTS } from '../support/databases.js';
import { callContext, enrol, TEST_ORIGIN, TEST_RP_ID, uniqueUsername, useServices } from './harness.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof ServiceError) return error.code;
    if (error instanceof Error && 'code' in error) return String(error.code);
    throw error;
  }
}

describe.each(DIALECTS)('people and onboarding on %s', (dialect) => {
  const h = useServices(dialect);

  it('adds a person with a random 64-byte user handle and a 15-minute pass', async () => {
    const { services, t } = h();
    const username = uniqueUsername();
    const added = await services.people.add(
      { username: `  ${username.toUpperCase()} `, displayName: 'Ada Lovelace' },
      NOW,
    );
    expect(added.person).toEqual({ id: expect.any(String), username, displayName: 'Ada Lovelace' });
    expect(added.pass).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(added.expiresAt).toBe(later(15 * 60_000).toISOString());
    const stored = await findPersonByUsername(t.database.db, username);
    expect(stored?.userHandle.length).toBe(64);
    expect(stored?.userHandle.toString('utf8')).not.toContain(username);
    // The pass is stored only as its hash.
    const passes = await t.database.db
      .selectFrom('passes')
      .select('hash')
      .where('person_id', '=', added.person.id)
      .execute();
    expect(passes.map((p) => p.hash.toString('base64url'))).not.toContain(added.pass);
    expect(await services.onboarding.describe(added.pass, NOW)).toEqual({
      username,
      displayName: 'Ada Lovelace',
      expiresAt: added.expiresAt,
    });
  });

  it('refuses a taken or invalid username, a bad display name and a bad lifetime', async () => {
    const { services } = h();
    const username = uniqueUsername();
    await services.people.add({ username }, NOW);
    expect(await code(services.people.add({ username: username.toUpperCase() }, NOW))).toBe('username_taken');
    expect(await code(services.people.add({ username: 'no spaces' }, NOW))).toBe('username_invalid');
    expect(await code(services.people.add({ username: '' }, NOW))).toBe('username_invalid');
    expect(await code(services.people.add({ username: 'a'.repeat(65) }, NOW))).toBe('username_invalid');
    expect(await code(services.people.add({ username: uniqueUsername(), displayName: 'a\nb' }, NOW))).toBe(
      'name_invalid',
    );
    expect(await code(services.people.add({ username: uniqueUsername(), passLifetimeMs: 1000 }, NOW))).toBe(
      'pass_lifetime_invalid',
    );
  });

  it('gives passkey options: discoverable, UV required, no attestation, platform hints', async () => {
    const { services } = h();
    const added = await services.people.add({ username: uniqueUsername(), displayName: 'Grace' }, NOW);
    const options = await services.onboarding.options(
      { pass: added.pass, kind: 'passkey' },
      callContext(NOW),
    );
    expect(options.rp).toEqual({ id: TEST_RP_ID, name: 'Tessera' });
    expect(options.user.name).toBe(added.person.username);
    expect(options.user.displayName).toBe('Grace');
    expect(Buffer.from(options.user.id, 'base64url').length).toBe(64);
    expect(options.authenticatorSelection).toEqual({
      residentKey: 'required',
      requireResidentKey: true,
      userVerification: 'required',
    });
    expect(options.attestation).toBe('none');
    expect(options.hints).toEqual(['client-device', 'hybrid']);
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-7, -8, -257]);
    expect(options.excludeCredentials).toEqual([]);
    expect(options.timeout).toBe(300_000);
  });

  it('gives security-key options: cross-platform, direct attestation, security-key hint', async () => {
    const { services } = h();
    const added = await services.people.add({ username: uniqueUsername() }, NOW);
    const options = await services.onboarding.options(
      { pass: added.pass, kind: 'security-key' },
      callContext(NOW),
    );
    expect(options.authenticatorSelection).toEqual({
      authenticatorAttachment: 'cross-platform',
      residentKey: 'preferred',
      requireResidentKey: false,
      userVerification: 'required',
    });
    expect(options.attestation).toBe('direct');
    expect(options.hints).toEqual(['security-key']);
    expect(
      await code(
        services.onboarding.options({ pass: added.pass, kind: 'usb' as EnrolmentKind }, callContext(NOW)),
      ),
    ).toBe('kind_invalid');
  });

  it('enrols the first credential, signs the person in and uses the pass up', async () => {
    const { services } = h();
    const username = uniqueUsername();
    const added = await services.people.add({ username }, NOW);
    const ctx = callContext(later(1000));
    const options = await services.onboarding.options({ pass: added.pass, kind: 'security-key' }, ctx);
    const authenticator = new SoftAuthenticator(username);
    const credential = authenticator.createCredential({
      userHandle: Buffer.from(options.user.id, 'base64url'),
    });
    const response = authenticator.register(credential, {
      rpId: TEST_RP_ID,
      origin: TEST_ORIGIN,
      challenge: options.challenge,
    });
    const result = await services.onboarding.finish({ pass: added.pass, response }, ctx);
    expect(result.credential).toMatchObject({
      id: Buffer.from(credential.id).toString('base64url'),
      name: 'Security key',
      model: null,
      class: 'device-bound-unverified',
      aal: 'AAL2',
      fmt: 'none',
      aaguid: '00000000-0000-0000-0000-000000000000',
      transports: ['usb'],
      backupEligible: false,
      backupState: false,
      attestation: { trust: 'unverifiable', status: null },
      createdAt: later(1000).toISOString(),
      // Onboarding signs the person in with it: its first use.
      lastUsedAt: later(1000).toISOString(),
    });
    expect(result.credential.reasons.map((r) => r.code)).toContain('attestation_none');
    expect(result.issued.session).toMatchObject({
      aal: 'AAL2',
      amr: ['swk', 'user', 'mfa'],
      person: { username },
    });
    expect(
      await services.sessions.current(callContext(later(2000), { sessionId: result.issued.sessionId })),
    ).not.toBeNull();
    expect(await code(services.onboarding.describe(added.pass, later(2000)))).toBe('pass_invalid');
    expect(
      await code(
        services.onboarding.options({ pass: added.pass, kind: 'passkey' }, callContext(later(2000))),
      ),
    ).toBe('pass_invalid');
  });

  it('names credentials: "Passkey" by default for passkeys, or the name given; refuses a bad name', async () => {
    const { services } = h();
    const passkey = await enrol(services, {
      now: NOW,
      credential: { backupEligible: true, backupState: true },
    });
    const named = await enrol(services, { now: NOW, name: '  Work laptop  ' });
    const list = async (sessionId: string) =>
      services.credentials.list(callContext(later(1000), { sessionId }));
    expect((await list(passkey.sessionId)).map((c) => [c.name, c.class])).toEqual([
      ['Passkey', 'synced-passkey'],
    ]);
    expect((await list(named.sessionId)).map((c) => c.name)).toEqual(['Work laptop']);
    await expect(enrol(services, { now: NOW, name: 'x'.repeat(65) })).rejects.toMatchObject({
      code: 'name_invalid',
    });
  });

  it('refuses an expired pass, and a response for another pass’s ceremony', async () => {
    const { services } = h();
    const added = await services.people.add({ username: uniqueUsername(), passLifetimeMs: 60_000 }, NOW);
    expect(await code(services.onboarding.describe(added.pass, later(60_000)))).toBe('pass_invalid');
    expect(await code(services.onboarding.describe('not-a-pass', NOW))).toBe('pass_invalid');

    const one = await services.people.add({ username: uniqueUsername() }, NOW);
    const two = await services.people.add({ username: uniqueUsername() }, NOW);
    const ctx = callContext(NOW);
    const options = await services.onboarding.options({ pass: one.pass, kind: 'passkey' }, ctx);
    const authenticator = new SoftAuthenticator('cross');
    const credential = authenticator.createCredential({
      userHandle: Buffer.from(options.user.id, 'base64url'),
    });
    const response = authenticator.register(credential, {
      rpId: TEST_RP_ID,
      origin: TEST_ORIGIN,
      challenge: options.challenge,
    });
    expect(await code(services.onboarding.finish({ pass: two.pass, response }, ctx))).toBe('pass_invalid');
    // The challenge was burnt by that attempt.
    expect(await code(services.onboarding.finish({ pass: one.pass, response }, ctx))).toBe(
      'challenge_missing',
    );
  });

  it('passes a failed verification on as the core’s typed error, and the challenge is gone', async () => {
    const { services } = h();
    const added = await services.people.add({ username: uniqueUsername() }, NOW);
    const ctx = callContext(NOW);
    const options = await services.onboarding.options({ pass: added.pass, kind: 'passkey' }, ctx);
    const authenticator = new SoftAuthenticator('uv');
    const credential = authenticator.createCredential({
      userHandle: Buffer.from(options.user.id, 'base64url'),
    });
    const noUv = authenticator.register(credential, {
      rpId: TEST_RP_ID,
      origin: TEST_ORIGIN,
      challenge: options.challenge,
      uv: false,
    });
    expect(await code(services.onboarding.finish({ pass: added.pass, response: noUv }, ctx))).toBe(
      'user_verification_required',
    );
    const good = authenticator.register(credential, {
      rpId: TEST_RP_ID,
      origin: TEST_ORIGIN,
      challenge: options.challenge,
    });
    expect(await code(services.onboarding.finish({ pass: added.pass, response: good }, ctx))).toBe(
      'challenge_missing',
    );
    // The pass is still good for a new ceremony.
    expect((await services.onboarding.describe(added.pass, NOW)).username).toBe(added.person.username);
  });

  it('uses a pass exactly once when two browsers finish at the same time', async () => {
    const { services } = h();
    const added = await services.people.add({ username: uniqueUsername() }, NOW);
    const attempts = await Promise.all(
      [1, 2, 3, 4].map(async (i) => {
        const ctx = callContext(NOW);
        const options = await services.onboarding.options({ pass: added.pass, kind: 'passkey' }, ctx);
        const authenticator = new SoftAuthenticator(`race-${i}-${added.person.id}`);
        const credential = authenticator.createCredential({
          userHandle: Buffer.from(options.user.id, 'base64url'),
        });
        const response = authenticator.register(credential, {
          rpId: TEST_RP_ID,
          origin: TEST_ORIGIN,
          challenge: options.challenge,
        });
        return { ctx, response };
      }),
    );
    const results = await Promise.all(
      attempts.map(({ ctx, response }) =>
        code(services.onboarding.finish({ pass: added.pass, response }, ctx)),
      ),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r === 'pass_invalid')).toHaveLength(3);
  });

  it('refuses to enrol a credential ID that is already registered', async () => {
    const { services } = h();
    const first = await enrol(services, { now: NOW });
    const added = await services.people.add({ username: uniqueUsername() }, NOW);
    const ctx = callContext(NOW);
    const options = await services.onboarding.options({ pass: added.pass, kind: 'passkey' }, ctx);
    const response = first.authenticator.register(first.credential, {
      rpId: TEST_RP_ID,
      origin: TEST_ORIGIN,
      challenge: options.challenge,
    });
    expect(await code(services.onboarding.finish({ pass: added.pass, response }, ctx))).toBe(
      'credential_already_registered',
    );
    // The transaction rolled back: the pass is still usable.
    expect((await services.onboarding.describe(added.pass, NOW)).username).toBe(added.person.username);
  });

  it('issues a new pass for an existing person and withdraws the unused one', async () => {
    const { services } = h();
    const username = uniqueUsername();
    const added = await services.people.add({ username }, NOW);
    const again = await services.people.issuePass({ username, passLifetimeMs: 30 * 60_000 }, later(1000));
    expect(again.expiresAt).toBe(later(1000 + 30 * 60_000).toISOString());
    expect(await code(services.onboarding.describe(added.pass, later(2000)))).toBe('pass_invalid');
    expect((await services.onboarding.describe(again.pass, later(2000))).username).toBe(username);
    expect(await code(services.people.issuePass({ username: uniqueUsername() }, NOW))).toBe(
      'person_not_found',
    );
  });

  it('excludes the person’s credentials when a new pass enrols another one', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const pass = await services.people.issuePass({ username: person.username }, NOW);
    const options = await services.onboarding.options(
      { pass: pass.pass, kind: 'security-key' },
      callContext(NOW),
    );
    expect(options.excludeCredentials).toEqual([
      { type: 'public-key', id: person.credentialId, transports: ['usb'] },
    ]);
  });
});
