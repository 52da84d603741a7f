/**
 * Managing credentials on both dialects: adding one needs a recent sign-in (re-authentication
 * window), listing judges each against current metadata, renaming validates, and removal never
 * takes the last one, even when two removals race.
 */
import { describe, expect, it } from 'vitest';
import type { TesseraServices } from '../../src/services/contract.js';
import { ServiceError } from '../../src/services/errors.js';
import { SoftAuthenticator } from '../helpers/soft-authenticator.js';
import { DIALECTS } from '../support/databases.js';
import { assertion, callContext, enrol, TEST_ORIGIN, TEST_RP_ID, useServices } from './harness.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const MINUTE = 60_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof ServiceError) return error.code;
    throw error;
  }
}

/** Add a second credential in the session, at `now`. */
async function addCredential(
  services: TesseraServices,
  sessionId: string,
  now: Date,
  options: { name?: string; seed?: string } = {},
): Promise<{ id: string; authenticator: SoftAuthenticator }> {
  const ctx = callContext(now, { sessionId });
  const creation = await services.registration.options({ kind: 'security-key' }, ctx);
  const authenticator = new SoftAuthenticator(options.seed ?? `second-${sessionId}`);
  const credential = authenticator.createCredential({
    userHandle: Buffer.from(creation.user.id, 'base64url'),
  });
  const response = authenticator.register(credential, {
    rpId: TEST_RP_ID,
    origin: TEST_ORIGIN,
    challenge: creation.challenge,
  });
  const view = await services.registration.finish(
    { response, ...(options.name === undefined ? {} : { name: options.name }) },
    ctx,
  );
  return { id: view.id, authenticator };
}

describe.each(DIALECTS)('credentials on %s', (dialect) => {
  const h = useServices(dialect);

  it('needs a session for everything', async () => {
    const { services } = h();
    const ctx = callContext(NOW);
    expect(await code(services.credentials.list(ctx))).toBe('unauthenticated');
    expect(await code(services.credentials.rename({ id: 'AAAA', name: 'x' }, ctx))).toBe('unauthenticated');
    expect(await code(services.credentials.remove({ id: 'AAAA' }, ctx))).toBe('unauthenticated');
    expect(await code(services.registration.options({ kind: 'passkey' }, ctx))).toBe('unauthenticated');
    expect(await code(services.signIns.recent(ctx))).toBe('unauthenticated');
  });

  it('adds a credential within 5 minutes of signing in, excluding the ones held', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const ctx = callContext(at(4 * MINUTE), { sessionId: person.sessionId });
    const creation = await services.registration.options({ kind: 'passkey' }, ctx);
    expect(creation.excludeCredentials.map((d) => d.id)).toEqual([person.credentialId]);
    const added = await addCredential(services, person.sessionId, at(4 * MINUTE), { name: 'Backup key' });
    const list = await services.credentials.list(
      callContext(at(5 * MINUTE), { sessionId: person.sessionId }),
    );
    expect(list.map((c) => [c.id, c.name])).toEqual([
      [person.credentialId, 'Passkey'],
      [added.id, 'Backup key'],
    ]);
  });

  it('asks to sign in again after the re-authentication window, and not after a fresh sign-in', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const stale = callContext(at(6 * MINUTE), { sessionId: person.sessionId });
    expect(await code(services.registration.options({ kind: 'passkey' }, stale))).toBe(
      'reauthentication_required',
    );
    const { ctx, response } = await assertion(services, person, { now: at(7 * MINUTE) });
    const fresh = await services.signIn.finish({ response }, ctx);
    await addCredential(services, fresh.sessionId, at(8 * MINUTE));
  });

  it('binds the registration ceremony to the session that started it', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const other = await enrol(services, { now: NOW });
    const flowId = 'shared-flow';
    const creation = await services.registration.options(
      { kind: 'passkey' },
      callContext(NOW, { sessionId: person.sessionId, flowId }),
    );
    const authenticator = new SoftAuthenticator('bound');
    const credential = authenticator.createCredential({
      userHandle: Buffer.from(creation.user.id, 'base64url'),
    });
    const response = authenticator.register(credential, {
      rpId: TEST_RP_ID,
      origin: TEST_ORIGIN,
      challenge: creation.challenge,
    });
    expect(
      await code(
        services.registration.finish({ response }, callContext(NOW, { sessionId: other.sessionId, flowId })),
      ),
    ).toBe('challenge_missing');
  });

  it('refuses to register a credential held by someone else', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const other = await enrol(services, { now: NOW });
    const ctx = callContext(NOW, { sessionId: person.sessionId });
    const creation = await services.registration.options({ kind: 'passkey' }, ctx);
    const response = other.authenticator.register(other.credential, {
      rpId: TEST_RP_ID,
      origin: TEST_ORIGIN,
      challenge: creation.challenge,
    });
    expect(await code(services.registration.finish({ response }, ctx))).toBe('credential_already_registered');
  });

  it('renames a credential with a valid name only, and only the person’s own', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const other = await enrol(services, { now: NOW });
    const ctx = callContext(at(MINUTE), { sessionId: person.sessionId });
    const renamed = await services.credentials.rename(
      { id: person.credentialId, name: ' Blue key 🔑 ' },
      ctx,
    );
    expect(renamed.name).toBe('Blue key 🔑');
    for (const name of ['', '   ', 'a'.repeat(65), 'tab\there', 'rtl\u202Eoverride'])
      expect(await code(services.credentials.rename({ id: person.credentialId, name }, ctx))).toBe(
        'name_invalid',
      );
    expect(await code(services.credentials.rename({ id: other.credentialId, name: 'mine' }, ctx))).toBe(
      'credential_not_found',
    );
    expect(await code(services.credentials.rename({ id: '!!', name: 'x' }, ctx))).toBe(
      'credential_not_found',
    );
  });

  it('never removes the last credential', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const ctx = callContext(at(MINUTE), { sessionId: person.sessionId });
    expect(await code(services.credentials.remove({ id: person.credentialId }, ctx))).toBe('last_credential');
    const added = await addCredential(services, person.sessionId, at(MINUTE));
    await services.credentials.remove({ id: person.credentialId }, ctx);
    expect((await services.credentials.list(ctx)).map((c) => c.id)).toEqual([added.id]);
    expect(await code(services.credentials.remove({ id: person.credentialId }, ctx))).toBe(
      'credential_not_found',
    );
    expect(await code(services.credentials.remove({ id: added.id }, ctx))).toBe('last_credential');
  });

  it('keeps one credential when two removals race for the last two', async () => {
    const { services } = h();
    for (let round = 0; round < 5; round++) {
      const person = await enrol(services, { now: NOW });
      const added = await addCredential(services, person.sessionId, at(MINUTE), {
        seed: `race-${round}-${person.personId}`,
      });
      const ctx = callContext(at(2 * MINUTE), { sessionId: person.sessionId });
      const results = await Promise.all([
        code(services.credentials.remove({ id: person.credentialId }, ctx)),
        code(services.credentials.remove({ id: added.id }, ctx)),
      ]);
      expect(results.sort()).toEqual(['last_credential', 'ok']);
      expect(await services.credentials.list(ctx)).toHaveLength(1);
    }
  });

  it('does not remove another person’s credential', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const other = await enrol(services, { now: NOW });
    await addCredential(services, other.sessionId, at(MINUTE));
    const ctx = callContext(at(MINUTE), { sessionId: person.sessionId });
    expect(await code(services.credentials.remove({ id: other.credentialId }, ctx))).toBe(
      'credential_not_found',
    );
  });

  it('lists recent sign-ins, most recent first, with the credential name', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    let sessionId = person.sessionId;
    for (const minute of [1, 2, 3]) {
      const { ctx, response } = await assertion(services, person, { now: at(minute * MINUTE) });
      sessionId = (await services.signIn.finish({ response }, ctx)).sessionId;
    }
    const ctx = callContext(at(4 * MINUTE), { sessionId });
    const recent = await services.signIns.recent(ctx);
    expect(recent.map((s) => s.at)).toEqual([3, 2, 1, 0].map((m) => at(m * MINUTE).toISOString()));
    expect(recent[0]).toMatchObject({
      credentialId: person.credentialId,
      credentialName: 'Passkey',
      aal: 'AAL2',
    });
    expect(await services.signIns.recent(ctx, 2)).toHaveLength(2);
  });
});
