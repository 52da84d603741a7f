/**
 * What surrounds every route: cookie attributes (http and https), the Origin check on
 * state-changing requests, security headers, the portal (built or not), and the error envelope.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/http/plugins/security-headers.js';
import { DIALECTS } from '../support/databases.js';
import {
  answerCreation,
  answerRequest,
  errorCode,
  freshDatabase,
  type Harness,
  harnessOn,
  newAuthenticator,
  obj,
  onboard,
  startHarness,
  str,
} from './support.js';

const HTTPS_ORIGIN = 'https://localhost:8443';

describe.each(DIALECTS)('cookies, origin check and headers on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(async () => {
    await h.close();
  });

  it('sets HttpOnly, SameSite=Lax, Path=/ cookies without Secure or prefix over http', async () => {
    const { pass } = await h.services.people.add({ username: 'plain' }, h.clock.now);
    const browser = h.browser();
    const options = await browser.post('/api/onboarding/options', { pass, kind: 'passkey' });
    const flow = options.setCookies.find((c) => c.startsWith('tessera_flow='));
    expect(flow).toMatch(/^tessera_flow=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    // Session cookie: no Max-Age or Expires on the flow cookie, an expiry on the session cookie.
    const authenticator = newAuthenticator();
    const { response } = answerCreation(authenticator, options.json);
    const verified = await browser.post('/api/onboarding/verify', { pass, response });
    const session = verified.setCookies.find((c) => c.startsWith('tessera_session=')) ?? '';
    expect(session).toMatch(
      /^tessera_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Expires=/,
    );
    const maxAge = Number(/Max-Age=(\d+)/.exec(session)?.[1]);
    const expiresAt = Date.parse(str(obj(obj(verified.json).session).expiresAt));
    expect(Math.abs(h.clock.now.getTime() + maxAge * 1000 - expiresAt)).toBeLessThan(2000);
    expect(verified.setCookies.join('\n')).not.toContain('Secure');
    expect(verified.headers['strict-transport-security']).toBeUndefined();
    // A second options call keeps the flow cookie: it is only set when missing.
    const again = await browser.post('/api/authentication/options', {});
    expect(again.setCookies).toEqual([]);
  });

  it('refuses state-changing requests without an allowed Origin (403 origin_not_allowed)', async () => {
    const person = await onboard(h, 'origin');
    const cases: [string, Record<string, string>, boolean][] = [
      ['no Origin', {}, true],
      ['another site', { origin: 'https://evil.example' }, false],
      ['a look-alike', { origin: 'http://localhost:8080.evil.example' }, false],
      ['another port', { origin: 'http://localhost:9999' }, false],
      ['null', { origin: 'null' }, false],
    ];
    for (const [, headers, noOrigin] of cases) {
      for (const [method, url, body] of [
        ['POST', '/api/authentication/options', {}],
        ['POST', '/api/session/sign-out', {}],
        ['PATCH', `/api/credentials/${person.credentialId}`, { name: 'Pwned' }],
        ['DELETE', `/api/credentials/${person.credentialId}`, undefined],
        ['POST', '/api/registration/options', { kind: 'passkey' }],
      ] as const) {
        const answer = await person.browser.call(method, url, body, { headers, noOrigin });
        expect(answer.status, `${method} ${url}`).toBe(403);
        expect(errorCode(answer)).toBe('origin_not_allowed');
      }
    }
    // Nothing happened: still signed in, the credential keeps its name.
    const session = await person.browser.get('/api/session', { noOrigin: true });
    expect(session.status).toBe(200);
    const list = await person.browser.get('/api/credentials', { noOrigin: true });
    expect(JSON.stringify(list.json)).toContain('First key');
  });

  it('exempts the conformance API from the Origin check (it issues no session)', async () => {
    const browser = h.browser();
    const answer = await browser.post(
      '/attestation/options',
      { username: 'tool', displayName: 'Tool' },
      { noOrigin: true },
    );
    expect(answer.status).toBe(200);
    expect(answer.setCookies.some((c) => c.startsWith('tessera_session'))).toBe(false);
  });

  it('sends the security headers on API answers, errors and 404s', async () => {
    const browser = h.browser();
    for (const answer of [
      await browser.get('/healthz'),
      await browser.get('/api/session'),
      await browser.get('/nowhere'),
      await browser.post('/api/onboarding/pass', { pass: 5 }),
      await browser.get('/'),
    ]) {
      expect(answer.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      expect(answer.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(answer.headers['permissions-policy']).toContain('publickey-credentials-get=(self)');
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['strict-transport-security']).toBeUndefined();
    }
    const csp = String((await browser.get('/')).headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe');
  });

  it('answers errors as {error: {code, message}} and nothing else', async () => {
    const answer = await h.browser().post('/api/onboarding/pass', { pass: 'nope' });
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    const body = obj(answer.json);
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(obj(body.error)).sort()).toEqual(['code', 'message']);
  });
});

describe.each(DIALECTS)('over https on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harnessOn(await freshDatabase(dialect), {
      config: { https: true, origins: [HTTPS_ORIGIN] },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('uses __Host- cookies with Secure, reads only those, and sends HSTS', async () => {
    const { pass } = await h.services.people.add({ username: 'secure' }, h.clock.now);
    const browser = h.browser(HTTPS_ORIGIN);
    const options = await browser.post('/api/onboarding/options', { pass, kind: 'passkey' });
    expect(options.status).toBe(200);
    expect(options.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    const flow = options.setCookies.find((c) => c.startsWith('__Host-tessera_flow=')) ?? '';
    expect(flow).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
    expect(flow).not.toMatch(/Domain=/i);
    const authenticator = newAuthenticator();
    const { credential, response } = answerCreation(authenticator, options.json, { origin: HTTPS_ORIGIN });
    const verified = await browser.post('/api/onboarding/verify', { pass, response });
    expect(verified.status).toBe(200);
    const session = verified.setCookies.find((c) => c.startsWith('__Host-tessera_session=')) ?? '';
    expect(session).toContain('; Secure');
    expect(session).toContain('; HttpOnly');
    expect(session).toContain('; SameSite=Lax');
    expect(session).toContain('; Path=/');
    expect((await browser.get('/api/session')).status).toBe(200);

    // The unprefixed name is not read over https (a sibling subdomain could have planted it).
    const value = str(browser.jar.get('__Host-tessera_session'));
    const planted = await browser.get('/api/session', {
      noCookies: true,
      headers: { cookie: `tessera_session=${value}` },
    });
    expect(planted.status).toBe(401);

    // Sign out clears the prefixed cookie with the same attributes.
    const out = await browser.post('/api/session/sign-out', {});
    const cleared = out.setCookies.find((c) => c.startsWith('__Host-tessera_session=;')) ?? '';
    expect(cleared).toContain('; Max-Age=0');
    expect(cleared).toContain('; Secure');

    // And the flow cookie still binds a sign-in.
    const signIn = await browser.post('/api/authentication/options', { username: 'secure' });
    const signedIn = await browser.post('/api/authentication/verify', {
      response: answerRequest(authenticator, credential, signIn.json, { origin: HTTPS_ORIGIN }),
    });
    expect(signedIn.status).toBe(200);
  });

  it('checks the https origin', async () => {
    const answer = await h.browser('http://localhost:8443').post('/api/authentication/options', {});
    expect(answer.status).toBe(403);
  });
});

describe.each(DIALECTS)('the portal on %s', (dialect) => {
  let webRoot: string;
  let built: Harness;
  let missing: Harness;
  beforeAll(async () => {
    webRoot = await mkdtemp(join(tmpdir(), 'tessera-web-'));
    await mkdir(join(webRoot, 'assets'));
    await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>Portal</title><div id="root"></div>');
    await writeFile(join(webRoot, 'assets', 'index-abc123.js'), 'console.log(1);');
    built = await startHarness(dialect, { webRoot });
    missing = await startHarness(dialect, { webRoot: join(webRoot, 'absent') });
  });
  afterAll(async () => {
    await built.close();
    await missing.close();
    await rm(webRoot, { recursive: true, force: true });
  });

  it('serves the build at / and its assets, with caching for hashed assets', async () => {
    const browser = built.browser();
    const index = await browser.get('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.text).toContain('Portal');
    expect(index.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    const asset = await browser.get('/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('answers the SPA paths with index.html and unknown paths with a JSON 404', async () => {
    const browser = built.browser();
    for (const path of ['/onboard', '/account', '/account/credentials']) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(200);
      expect(page.text).toContain('Portal');
    }
    const unknown = await browser.get('/assets/nothing.js');
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toBe('not_found');
    expect((await browser.get('/../package.json')).status).toBe(404);
  });

  it('says the portal was not built when dist/web is missing, and the API still works', async () => {
    const browser = missing.browser();
    for (const path of ['/', '/onboard', '/account']) {
      const page = await browser.get(path);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('The portal was not built');
    }
    expect((await browser.get('/healthz')).status).toBe(200);
  });
});
