/**
 * Tessera as an OpenID Provider, end to end: real Chromium with CDP virtual authenticators signs in
 * on the portal, and a relying party built on `openid-client` runs the authorization code flow
 * with PKCE against /oidc, on SQLite and PostgreSQL. The relying party's redirect URI is a path on
 * the test server that nothing serves: the browser lands there and the test reads the URL.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../src/core/attestation/x509.js';
import { decodeCbor } from '../../src/core/cbor.js';
import { launchBrowser, SECURITY_KEY, SYNCED_PASSKEY, WebAuthnEnvironment } from '../e2e/browser.js';
import { removePortalBuild, startServer, type TestServer } from '../e2e/server.js';
import { basicConstraints, certificate, keyUsage } from '../helpers/der-writer.js';
import { DIALECTS } from '../support/databases.js';

/** The relying party's callback: a path of the test server (it answers 404; the URL is what counts). */
let REDIRECT = '';

let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await removePortalBuild();
});
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

interface Visit {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly webauthn: WebAuthnEnvironment;
}

async function visit(server: TestServer): Promise<Visit> {
  const context = await browser.newContext({ baseURL: server.origin });
  contexts.push(context);
  const page = await context.newPage();
  const webauthn = await WebAuthnEnvironment.attach(context, page);
  return { context, page, webauthn };
}

async function onboardWithPasskey(page: Page, link: string): Promise<void> {
  await page.goto(link);
  await page.getByText('Welcome,').waitFor();
  await page.getByRole('button', { name: 'Create a passkey' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
}

interface SessionJson {
  readonly session: {
    readonly aal: string;
    readonly amr: string[];
    readonly authTime: string;
    readonly person: { id: string };
  };
}

async function tesseraSession(context: BrowserContext): Promise<SessionJson['session']> {
  const response = await context.request.get('/api/session');
  expect(response.status()).toBe(200);
  return ((await response.json()) as SessionJson).session;
}

/** The relying party: one registered public app, discovered through openid-client. */
async function relyingParty(server: TestServer, extra: { minAcr?: string } = {}) {
  const { app } = await server.oidc.apps.add({
    name: 'Relying party',
    redirectUris: [REDIRECT],
    postLogoutRedirectUris: [`${server.origin}/rp/logged-out`],
    public: true,
    ...(extra.minAcr === undefined ? {} : { minAcr: extra.minAcr }),
  });
  const config = await client.discovery(
    new URL(`${server.origin}/oidc`),
    app.clientId,
    undefined,
    client.None(),
    { execute: [client.allowInsecureRequests] },
  );
  return { config, clientId: app.clientId };
}

/** Start a sign-in from the app in the browser; resolves with the callback URL the browser reached. */
async function authorize(page: Page, config: client.Configuration, params: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  });
  const callback = page.waitForURL((u) => u.href.startsWith(REDIRECT), { timeout: 20_000 });
  await page.goto(url.href);
  return {
    verifier,
    state,
    callback: async () => {
      await callback;
      return new URL(page.url());
    },
  };
}

/**
 * A segment for contractors that will require security keys from 2099 (warn until then), and a
 * default that allows every kind of passkey.
 */
const CONTRACTORS_POLICY = `version: 1
segments:
  - name: contractors
    groups: [contractors]
    requirements:
      minAal: AAL3
      allowedClasses: [security-key]
    rollout:
      - phase: warn
      - phase: enforce
        from: 2099-01-01
default:
  requirements:
    minAal: AAL1
    allowedClasses: [synced-passkey, device-bound-passkey, security-key, device-bound-unverified]
    userVerification: preferred
`;

/** The virtual authenticators' AAGUID with attestation (chromium-virtual-authenticator.md). */
const VIRTUAL_AAGUID = '01020304-0506-0708-0102-030405060708';

/**
 * Make the virtual security key's attestation trusted, as a vendor's metadata statement would:
 * Chromium signs every attestation with one fixed key in a self-signed "Batch Certificate"
 * re-issued per registration (CA:FALSE), so the test captures one, and writes a statement whose
 * root is a CA certificate with that subject and key (its own signature is never checked: it is
 * the anchor). The capture uses a non-discoverable credential, so later sign-ins never see it.
 */
async function trustVirtualSecurityKey(page: Page, metadataDir: string): Promise<void> {
  const attestation = (await page.evaluate(`(async () => {
    const credential = await navigator.credentials.create({ publicKey: {
      rp: { id: 'localhost', name: 'capture' },
      user: { id: new Uint8Array(16), name: 'capture', displayName: 'capture' },
      challenge: new Uint8Array(32),
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      attestation: 'direct',
      authenticatorSelection: { residentKey: 'discouraged', authenticatorAttachment: 'cross-platform' },
    } });
    return btoa(String.fromCharCode(...new Uint8Array(credential.response.attestationObject)));
  })()`)) as string;
  const object = decodeCbor(Buffer.from(attestation, 'base64'));
  const attStmt = object instanceof Map ? object.get('attStmt') : undefined;
  const x5c = attStmt instanceof Map ? attStmt.get('x5c') : undefined;
  const leafDer = Array.isArray(x5c) ? x5c[0] : undefined;
  if (!(leafDer instanceof Uint8Array)) throw new Error('no attestation certificate captured');
  const leaf = parseCertificate(leafDer);
  const subject: [string, string][] = [
    ['C', 'US'],
    ['O', 'Chromium'],
    ['OU', 'Authenticator Attestation'],
    ['CN', 'Batch Certificate'],
  ];
  const root = certificate({
    issuer: subject,
    subject,
    notBefore: new Date('2017-01-01T00:00:00Z'),
    notAfter: new Date('2060-01-01T00:00:00Z'),
    publicKey: leaf.publicKey,
    signingKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    extensions: [basicConstraints(true), keyUsage(['keyCertSign', 'cRLSign'])],
  });
  const statement = {
    legalHeader: 'Test statement: the Chromium virtual security key.',
    aaguid: VIRTUAL_AAGUID,
    description: 'Chromium virtual security key (tests only)',
    authenticatorVersion: 1,
    protocolFamily: 'fido2',
    schema: 3,
    upv: [{ major: 1, minor: 1 }],
    authenticationAlgorithms: ['secp256r1_ecdsa_sha256_raw'],
    publicKeyAlgAndEncodings: ['cose'],
    attestationTypes: ['basic_full'],
    userVerificationDetails: [[{ userVerificationMethod: 'passcode_internal' }]],
    keyProtection: ['hardware', 'secure_element'],
    matcherProtection: ['on_chip'],
    attachmentHint: ['external', 'wired'],
    tcDisplay: [],
    attestationRootCertificates: [root.toString('base64')],
  };
  await writeFile(join(metadataDir, 'chromium-virtual-key.json'), JSON.stringify(statement));
  // The server re-reads the statements folder at most once a second.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
}

describe.each(DIALECTS)('OpenID Provider end to end on %s', (dialect) => {
  let server: TestServer;
  let metadataDir: string;

  beforeAll(async () => {
    metadataDir = await mkdtemp(join(tmpdir(), 'tessera-oidc-metadata-'));
    server = await startServer(dialect, { oidc: true, metadataDir });
    REDIRECT = `${server.origin}/rp/callback`;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (metadataDir !== undefined) await rm(metadataDir, { recursive: true, force: true });
  });

  it('signs in with a synced passkey: tokens carry acr phr, the amr and auth_time of that sign-in', async () => {
    const { link } = await server.addPerson('grace', 'Grace Hopper');
    const { context, page, webauthn } = await visit(server);
    await webauthn.add(SYNCED_PASSKEY);
    await onboardWithPasskey(page, link);
    const session = await tesseraSession(context);
    const { config } = await relyingParty(server);

    const flow = await authorize(page, config, { scope: 'openid profile' });
    const callback = await flow.callback();
    expect(callback.searchParams.get('iss')).toBe(`${server.origin}/oidc`);
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    });
    const claims = tokens.claims();
    expect(claims?.sub).toBe(session.person.id);
    expect(claims?.acr).toBe('phr');
    expect(claims?.amr).toEqual(session.amr);
    expect(claims?.amr).toContain('swk');
    expect(claims?.auth_time).toBe(Math.floor(Date.parse(session.authTime) / 1000));

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, session.person.id);
    expect(userinfo.sub).toBe(session.person.id);
    // The profile scope: the person's name and username, from userinfo (not in the ID token).
    expect(userinfo.name).toBe('Grace Hopper');
    expect(userinfo.preferred_username).toBe('grace');
    expect(claims?.name).toBeUndefined();

    // Refresh tokens rotate: the new one works, the old one is refused.
    const refreshToken = tokens.refresh_token ?? '';
    expect(refreshToken).not.toBe('');
    const refreshed = await client.refreshTokenGrant(config, refreshToken);
    const current = refreshed.refresh_token ?? '';
    expect(current).not.toBe('');
    expect(current).not.toBe(refreshToken);

    // A refresh token lives no longer than the sign-in behind it may (AAL2: 24 h from auth_time),
    // and one whose sign-in has grown older than that is refused, whatever its stored expiry.
    const stored = await server.oidc.models.find('RefreshToken', current);
    const authTime = Number(stored?.authTime);
    expect(authTime).toBe(claims?.auth_time);
    expect(Number(stored?.exp)).toBeLessThanOrEqual(authTime + 24 * 3600);
    expect(Number(stored?.exp)).toBeGreaterThan(authTime + 24 * 3600 - 120);
    await server.oidc.models.upsert(
      'RefreshToken',
      current,
      { ...stored, authTime: authTime - 24 * 3600 },
      3600,
    );
    await expect(client.refreshTokenGrant(config, current)).rejects.toMatchObject({ error: 'invalid_grant' });

    await expect(client.refreshTokenGrant(config, refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('does not reuse the provider session once the person signs out of the portal', async () => {
    const { link } = await server.addPerson('frances', 'Frances Allen');
    const { context, page, webauthn } = await visit(server);
    await webauthn.add(SYNCED_PASSKEY);
    await onboardWithPasskey(page, link);
    const { config } = await relyingParty(server);
    const first = await authorize(page, config);
    const firstTokens = await client.authorizationCodeGrant(config, await first.callback(), {
      pkceCodeVerifier: first.verifier,
      expectedState: first.state,
    });
    const signOut = await context.request.post('/api/session/sign-out', {
      headers: { origin: server.origin },
      data: {},
    });
    expect(signOut.status()).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await page.goto('about:blank'); // leave the first callback page

    // The provider still has its session, but Tessera's is gone: the app's next request must go
    // through a sign-in (here the passkey answers the portal's autofill at once), not reuse the old one.
    const second = await authorize(page, config);
    const secondTokens = await client.authorizationCodeGrant(config, await second.callback(), {
      pkceCodeVerifier: second.verifier,
      expectedState: second.state,
    });
    const session = await tesseraSession(context);
    expect(secondTokens.claims()?.auth_time).toBe(Math.floor(Date.parse(session.authTime) / 1000));
    expect(secondTokens.claims()?.auth_time).toBeGreaterThan(firstTokens.claims()?.auth_time ?? Infinity);
  });

  it('logs out from the app (RP-initiated logout), which ends the Tessera session too', async () => {
    const { link } = await server.addPerson('ken', 'Ken Thompson');
    const { context, page, webauthn } = await visit(server);
    await webauthn.add(SYNCED_PASSKEY);
    await onboardWithPasskey(page, link);
    const { config } = await relyingParty(server);
    const flow = await authorize(page, config);
    const tokens = await client.authorizationCodeGrant(config, await flow.callback(), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    });
    const logout = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: `${server.origin}/rp/logged-out`,
      state: 'bye',
    });
    await page.goto(logout.href);
    await page.getByRole('button', { name: /yes, sign me out/i }).click();
    await page.waitForURL((u) => u.pathname === '/rp/logged-out');
    expect(new URL(page.url()).searchParams.get('state')).toBe('bye');
    await expect.poll(async () => (await context.request.get('/api/session')).status()).toBe(401);
  });

  it('refuses a reused code and revokes the tokens it gave', async () => {
    const { link } = await server.addPerson('edsger', 'Edsger Dijkstra');
    const { page, webauthn } = await visit(server);
    await webauthn.add(SYNCED_PASSKEY);
    await onboardWithPasskey(page, link);
    const { config, clientId } = await relyingParty(server);
    const flow = await authorize(page, config);
    const callback = await flow.callback();
    const code = callback.searchParams.get('code') ?? '';
    const redeem = () =>
      fetch(`${server.origin}/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT,
          client_id: clientId,
          code_verifier: flow.verifier,
        }),
      });
    const first = await redeem();
    expect(first.status).toBe(200);
    const { access_token: accessToken } = (await first.json()) as { access_token: string };
    const userinfo = () =>
      fetch(`${server.origin}/oidc/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect((await userinfo()).status).toBe(200);

    const second = await redeem();
    expect(second.status).toBe(400);
    expect(((await second.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await userinfo()).status).toBe(401);
  });

  it('asks for a fresh sign-in when the sign-in is older than max_age', async () => {
    const { link } = await server.addPerson('barbara', 'Barbara Liskov');
    const { context, page, webauthn } = await visit(server);
    await webauthn.add(SYNCED_PASSKEY);
    await onboardWithPasskey(page, link);
    const before = await tesseraSession(context);
    const { config } = await relyingParty(server);
    await new Promise((resolve) => setTimeout(resolve, 2_100));

    const flow = await authorize(page, config, { max_age: '1' });
    await page.getByText('The app asks you to sign in again to continue.').waitFor();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const callback = await flow.callback();
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      maxAge: 1,
    });
    const after = await tesseraSession(context);
    expect(Date.parse(after.authTime)).toBeGreaterThan(Date.parse(before.authTime));
    expect(tokens.claims()?.auth_time).toBe(Math.floor(Date.parse(after.authTime) / 1000));
  });

  it('refuses phrh to a person with only a synced passkey: a clear page, and unmet_authentication_requirements', async () => {
    const { link } = await server.addPerson('alan', 'Alan Turing');
    const { page, webauthn } = await visit(server);
    await webauthn.add(SYNCED_PASSKEY);
    await onboardWithPasskey(page, link);
    const { config } = await relyingParty(server);

    const flow = await authorize(page, config, { acr_values: 'phrh' });
    await page.getByRole('heading', { level: 1, name: 'A security key is needed' }).waitFor();
    await page.getByRole('link', { name: 'Return to the app' }).click();
    const callback = await flow.callback();
    expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(callback.searchParams.get('iss')).toBe(`${server.origin}/oidc`);
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('applies an app’s own minimum acr', async () => {
    const { link } = await server.addPerson('john', 'John Backus');
    const { page, webauthn } = await visit(server);
    await webauthn.add(SYNCED_PASSKEY);
    await onboardWithPasskey(page, link);
    const { config } = await relyingParty(server, { minAcr: 'phrh' });
    const flow = await authorize(page, config);
    await page.getByRole('link', { name: 'Return to the app' }).click();
    expect((await flow.callback()).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('steps up to phrh with a security key whose attestation is trusted', async () => {
    const { link } = await server.addPerson('rosalind', 'Rosalind Franklin');
    const { context, page, webauthn } = await visit(server);
    await webauthn.add(SYNCED_PASSKEY);
    await onboardWithPasskey(page, link);
    await webauthn.add(SECURITY_KEY);
    await trustVirtualSecurityKey(page, metadataDir);
    await page.getByRole('button', { name: 'Add a security key' }).click();
    await page.getByText(/^Added “/).waitFor();
    const listed = await context.request.get('/api/credentials');
    const { credentials } = (await listed.json()) as { credentials: { class: string; aal: string | null }[] };
    expect(credentials.map((c) => c.aal).sort()).toEqual(['AAL2', 'AAL3']);
    expect((await tesseraSession(context)).aal).toBe('AAL2');

    const { config } = await relyingParty(server);
    const flow = await authorize(page, config, { acr_values: 'phrh' });
    await page.getByText('The app asks for a stronger sign-in: use your security key.').waitFor();
    // With an internal and a usb authenticator attached, the usb one answers discoverable requests.
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const callback = await flow.callback();
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    });
    const session = await tesseraSession(context);
    expect(session.aal).toBe('AAL3');
    const claims = tokens.claims();
    expect(claims?.acr).toBe('phrh');
    expect(claims?.amr).toEqual(session.amr);
    expect(claims?.amr).toContain('hwk');
    expect(claims?.auth_time).toBe(Math.floor(Date.parse(session.authTime) / 1000));
  });
  // The assurance policy at the provider (docs/policy.md, decideAcr). These run last: the policy
  // they apply selects only the group "contractors"; everyone else is in a permissive default.
  it('warn phase: tells the person what their role will require, then continues to the app', async () => {
    await server.services.policy.apply(CONTRACTORS_POLICY, { appliedBy: 'e2e' }, new Date());
    const { link } = await server.addPerson('margaret', 'Margaret Hamilton');
    await server.services.groups.add({ group: 'contractors', usernames: ['margaret'] }, new Date());
    const { context, page, webauthn } = await visit(server);
    await webauthn.add(SYNCED_PASSKEY);
    await onboardWithPasskey(page, link);
    // Enrolled in the warn phase: the notice says what the segment will require and by when.
    await page
      .getByText(/Warning: from 1 January 2099, segment contractors will require AAL3/)
      .first()
      .waitFor();
    const { config } = await relyingParty(server);

    const flow = await authorize(page, config);
    await page.getByRole('heading', { level: 1, name: 'Before you continue' }).waitFor();
    // The date in the person's locale, the policy's sentence as written.
    await page.getByText(/^From .*2099, your role requires more than you have now\.$/).waitFor();
    await page
      .getByText(
        'warning: from 1 January 2099, segment contractors will require AAL3; this session is at AAL2. Sign in again with a security key before 1 January 2099.',
      )
      .waitFor();
    await page.getByRole('link', { name: 'Continue to the app' }).click();
    const tokens = await client.authorizationCodeGrant(config, await flow.callback(), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    });
    expect(tokens.claims()?.sub).toBe((await tesseraSession(context)).person.id);
    expect(tokens.claims()?.acr).toBe('phr');
  });

  it('explains with the policy’s sentences why an essential phrh cannot be met', async () => {
    await server.services.policy.apply(CONTRACTORS_POLICY, { appliedBy: 'e2e' }, new Date());
    const { link } = await server.addPerson('katherine', 'Katherine Johnson');
    await server.services.groups.add({ group: 'contractors', usernames: ['katherine'] }, new Date());
    const { page, webauthn } = await visit(server);
    await webauthn.add(SYNCED_PASSKEY);
    await onboardWithPasskey(page, link);
    const { config } = await relyingParty(server, { minAcr: 'phrh' });

    const flow = await authorize(page, config);
    await page.getByRole('heading', { level: 1, name: 'A security key is needed' }).waitFor();
    await page
      .getByText('denied: the application asked for acr "phrh" (AAL3) and this session is at AAL2')
      .waitFor();
    // The segment's own requirement, from the policy, is on the page too.
    await page.getByText(/^warning: from 1 January 2099, segment contractors will require AAL3/).waitFor();
    await page.getByRole('link', { name: 'Return to the app' }).click();
    const callback = await flow.callback();
    expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
    // The app learns what was required, not the organisation's segment names.
    const description = callback.searchParams.get('error_description') ?? '';
    expect(description).toContain('acr phrh required');
    expect(description).not.toContain('contractors');
    expect(callback.searchParams.get('code')).toBeNull();
  });
  it('ends an app’s refreshes once the person’s segment no longer accepts their sign-in', async () => {
    const { link } = await server.addPerson('dorothy', 'Dorothy Vaughan');
    const { page, webauthn } = await visit(server);
    await webauthn.add(SYNCED_PASSKEY);
    await onboardWithPasskey(page, link);
    const { config } = await relyingParty(server);
    const flow = await authorize(page, config);
    const tokens = await client.authorizationCodeGrant(config, await flow.callback(), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    });
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');

    // Her group now needs security keys, enforced: the app's next refresh is refused.
    await server.services.groups.add({ group: 'operators', usernames: ['dorothy'] }, new Date());
    await server.services.policy.apply(
      CONTRACTORS_POLICY.replace(
        'default:',
        `  - name: operators
    groups: [operators]
    requirements:
      minAal: AAL3
      allowedClasses: [security-key]
default:`,
      ),
      { appliedBy: 'e2e' },
      new Date(),
    );
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // Logged with the app (apply also logged the end of her portal session, without one).
    const events = await server.services.policy.events({ username: 'dorothy', point: 'session' });
    const byApp = events.filter((e) => e.clientId === config.clientMetadata().client_id);
    expect(byApp.map((e) => [e.effect, e.codes])).toEqual([['deny', ['aal_below_minimum']]]);
  });
});
