/**
 * The JSON API end to end, on both dialects, with the real services and the software
 * authenticator: onboarding → session → credentials → another credential within the
 * reauthentication window → rename → remove (never the last) → sign-out → sign-in with and
 * without a username → recent sign-ins. Plus: one success out of 20 concurrent verifications of one
 * response, readiness when the database goes away, and no secret in the logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import {
  answerCreation,
  answerRequest,
  arr,
  b64u,
  errorCode,
  type Harness,
  newAuthenticator,
  obj,
  onboard,
  startHarness,
  str,
} from './support.js';

describe.each(DIALECTS)('API flows on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(async () => {
    await h.close();
  });

  it('walks a person through every documented route', async () => {
    const { pass } = await h.services.people.add(
      { username: 'ada', displayName: 'Ada Lovelace' },
      h.clock.now,
    );
    const browser = h.browser();

    // The pass describes the person.
    const described = await browser.post('/api/onboarding/pass', { pass });
    expect(described.status).toBe(200);
    expect(obj(described.json)).toMatchObject({ username: 'ada', displayName: 'Ada Lovelace' });
    expect(typeof obj(described.json).expiresAt).toBe('string');

    // Onboarding: options set the flow cookie; verify signs the person in.
    const options = await browser.post('/api/onboarding/options', { pass, kind: 'passkey' });
    expect(options.status).toBe(200);
    expect(options.setCookies.some((c) => c.startsWith('tessera_flow='))).toBe(true);
    expect(obj(obj(options.json).rp).id).toBe('localhost');
    const first = newAuthenticator();
    const { credential: firstCredential, response } = answerCreation(first, options.json);
    const onboarded = await browser.post('/api/onboarding/verify', { pass, response, name: 'Laptop' });
    expect(onboarded.status).toBe(200);
    expect(onboarded.setCookies.some((c) => c.startsWith('tessera_session='))).toBe(true);
    const onboardedBody = obj(onboarded.json);
    expect(obj(obj(onboardedBody.session).person).username).toBe('ada');
    expect(obj(onboardedBody.credential)).toMatchObject({ id: b64u(firstCredential.id), name: 'Laptop' });

    // The pass is used up.
    const again = await browser.post('/api/onboarding/pass', { pass });
    expect(again.status).toBe(400);
    expect(errorCode(again)).toBe('pass_invalid');

    // The session.
    const session = await browser.get('/api/session');
    expect(session.status).toBe(200);
    expect(obj(obj(session.json).session)).toMatchObject({ credentialId: b64u(firstCredential.id) });
    expect(session.headers['cache-control']).toBe('no-store');

    // Credentials: one.
    const list = await browser.get('/api/credentials');
    expect(list.status).toBe(200);
    expect(arr(obj(list.json).credentials)).toHaveLength(1);

    // Another credential, within the reauthentication window.
    h.clock.advance(60_000);
    const regOptions = await browser.post('/api/registration/options', { kind: 'security-key' });
    expect(regOptions.status).toBe(200);
    const excluded = arr(obj(regOptions.json).excludeCredentials).map((d) => obj(d).id);
    expect(excluded).toEqual([b64u(firstCredential.id)]);
    const second = newAuthenticator();
    const added = answerCreation(second, regOptions.json);
    const registered = await browser.post('/api/registration/verify', {
      response: added.response,
      name: 'Key',
    });
    expect(registered.status).toBe(200);
    const secondId = str(obj(obj(registered.json).credential).id);
    expect(secondId).toBe(b64u(added.credential.id));
    expect(arr(obj((await browser.get('/api/credentials')).json).credentials)).toHaveLength(2);

    // Rename.
    const renamed = await browser.call('PATCH', `/api/credentials/${secondId}`, { name: 'Blue key' });
    expect(renamed.status).toBe(200);
    expect(obj(obj(renamed.json).credential).name).toBe('Blue key');
    const badName = await browser.call('PATCH', `/api/credentials/${secondId}`, { name: '' });
    expect(badName.status).toBe(400);
    expect(errorCode(badName)).toBe('name_invalid');
    const unknown = await browser.call('PATCH', `/api/credentials/${b64u(new Uint8Array(32))}`, {
      name: 'x',
    });
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toBe('credential_not_found');

    // Remove one; the last one cannot go.
    const removed = await browser.call('DELETE', `/api/credentials/${b64u(firstCredential.id)}`);
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    const last = await browser.call('DELETE', `/api/credentials/${secondId}`);
    expect(last.status).toBe(409);
    expect(errorCode(last)).toBe('last_credential');

    // Sign out: the session is gone on the server, the cookie is cleared.
    const oldSession = browser.jar.get('tessera_session');
    const out = await browser.post('/api/session/sign-out', {});
    expect(out.status).toBe(204);
    expect(out.setCookies.some((c) => /^tessera_session=;.*Max-Age=0/.test(c))).toBe(true);
    expect((await browser.get('/api/session')).status).toBe(401);
    expect(errorCode(await browser.get('/api/credentials'))).toBe('unauthenticated');
    // Replaying the old cookie does not bring the session back.
    const replay = await browser.get('/api/session', {
      headers: { cookie: `tessera_session=${oldSession}` },
    });
    expect(replay.status).toBe(401);

    // Sign in with the username: allowCredentials names the remaining credential.
    h.clock.advance(60_000);
    const signInOptions = await browser.post('/api/authentication/options', { username: 'ada' });
    expect(signInOptions.status).toBe(200);
    expect(arr(obj(signInOptions.json).allowCredentials).map((d) => obj(d).id)).toEqual([secondId]);
    const assertion = answerRequest(second, added.credential, signInOptions.json);
    const signedIn = await browser.post('/api/authentication/verify', { response: assertion });
    expect(signedIn.status).toBe(200);
    expect(obj(obj(signedIn.json).session).credentialId).toBe(secondId);
    expect((await browser.get('/api/session')).status).toBe(200);

    // Sign in without a username (discoverable credential), in another browser.
    h.clock.advance(60_000);
    const other = h.browser();
    const discoverable = await other.post('/api/authentication/options', {});
    expect(discoverable.status).toBe(200);
    expect(arr(obj(discoverable.json).allowCredentials)).toEqual([]);
    const usernameless = answerRequest(second, added.credential, discoverable.json);
    const signedIn2 = await other.post('/api/authentication/verify', { response: usernameless });
    expect(signedIn2.status).toBe(200);
    expect(obj(obj(obj(signedIn2.json).session).person).username).toBe('ada');

    // Recent sign-ins, most recent first.
    const history = await other.get('/api/sign-ins');
    expect(history.status).toBe(200);
    const signIns = arr(obj(history.json).signIns).map(obj);
    expect(signIns.length).toBeGreaterThanOrEqual(2);
    const times = signIns.map((s) => Date.parse(str(s.at)));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(signIns[0]?.credentialId).toBe(secondId);
  });

  it('asks for a recent sign-in before adding a credential (reauthentication_required)', async () => {
    const person = await onboard(h, 'grace');
    h.clock.advance(6 * 60_000);
    const late = await person.browser.post('/api/registration/options', { kind: 'passkey' });
    expect(late.status).toBe(401);
    expect(errorCode(late)).toBe('reauthentication_required');
  });

  it('refuses a response to a challenge this browser did not ask for', async () => {
    const person = await onboard(h, 'hedy');
    const options = await person.browser.post('/api/authentication/options', { username: 'hedy' });
    const assertion = answerRequest(person.authenticator, person.credential, options.json);
    // Another browser (no flow cookie) presents the response.
    const stranger = h.browser();
    const refused = await stranger.post('/api/authentication/verify', { response: assertion });
    expect(refused.status).toBe(400);
    expect(errorCode(refused)).toBe('challenge_missing');
    expect(stranger.jar.has('tessera_flow')).toBe(false);
  });

  it('accepts exactly one of 20 simultaneous verifications of one response', async () => {
    const person = await onboard(h, 'katherine');
    const options = await person.browser.post('/api/authentication/options', { username: 'katherine' });
    const assertion = answerRequest(person.authenticator, person.credential, options.json);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        person.browser.post('/api/authentication/verify', { response: assertion }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(19);
    for (const a of answers.filter((x) => x.status !== 200)) expect(errorCode(a)).toBe('challenge_missing');
    // A replay later is refused too.
    const replay = await person.browser.post('/api/authentication/verify', { response: assertion });
    expect(replay.status).toBe(400);
  });

  it('answers authentication_failed alike for an unknown credential and a bad signature', async () => {
    const person = await onboard(h, 'mary');
    const stranger = newAuthenticator();
    const unknownCredential = stranger.createCredential();
    const o1 = await person.browser.post('/api/authentication/options', {});
    const r1 = await person.browser.post('/api/authentication/verify', {
      response: answerRequest(stranger, unknownCredential, o1.json),
    });
    const o2 = await person.browser.post('/api/authentication/options', { username: 'mary' });
    const bad = person.authenticator.authenticate(person.credential, {
      rpId: 'localhost',
      origin: h.config.origins[0] ?? '',
      challenge: str(obj(o2.json).challenge),
      corrupt: { signature: 'flip-bit' },
    });
    const r2 = await person.browser.post('/api/authentication/verify', { response: bad });
    expect([r1.status, r2.status]).toEqual([400, 400]);
    expect(r1.json).toEqual(r2.json);
    expect(errorCode(r1)).toBe('authentication_failed');
  });

  it('never logs a session id, flow id, onboarding pass or challenge', async () => {
    const before = h.logs.length;
    const { pass } = await h.services.people.add({ username: 'lise' }, h.clock.now);
    const browser = h.browser();
    const options = await browser.post('/api/onboarding/options', { pass, kind: 'passkey' });
    const authenticator = newAuthenticator();
    const { credential, response } = answerCreation(authenticator, options.json);
    await browser.post('/api/onboarding/verify', { pass, response });
    const signIn = await browser.post('/api/authentication/options', { username: 'lise' });
    await browser.post('/api/authentication/verify', {
      response: answerRequest(authenticator, credential, signIn.json),
    });
    // A failure too, whose detail is logged.
    await browser.post('/api/authentication/verify', {
      response: answerRequest(authenticator, credential, signIn.json),
    });
    await browser.get('/api/session');
    const conformance = await browser.post('/attestation/options', { username: 'lise-c', displayName: 'L' });
    const secrets = [
      pass,
      str(browser.jar.get('tessera_session')),
      str(browser.jar.get('tessera_flow')),
      str(obj(options.json).challenge),
      str(obj(signIn.json).challenge),
      str(obj(conformance.json).challenge),
    ];
    const written = h.logs.slice(before).join('');
    expect(written.length).toBeGreaterThan(0);
    for (const line of h.logs.slice(before)) expect(() => JSON.parse(line) as unknown).not.toThrow();
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(15);
      expect(written).not.toContain(secret);
    }
    expect(written).toContain('request refused');
  });
});

describe.each(DIALECTS)('readiness on %s', (dialect) => {
  it('answers /readyz 200 while the database answers and 503 once it is closed; /healthz stays 200', async () => {
    const h = await startHarness(dialect);
    try {
      const browser = h.browser();
      expect((await browser.get('/readyz')).json).toEqual({ status: 'ready' });
      await h.database.database.close();
      const down = await browser.get('/readyz');
      expect(down.status).toBe(503);
      expect(down.json).toEqual({ status: 'unavailable' });
      const alive = await browser.get('/healthz');
      expect(alive.status).toBe(200);
      expect(alive.json).toEqual({ status: 'ok' });
    } finally {
      await h.close();
    }
  });
});
