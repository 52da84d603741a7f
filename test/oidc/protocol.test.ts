/**
 * The OpenID Provider's protocol rules, over HTTP against the real server on both dialects:
 * discovery, only the code flow, PKCE required and S256 only, exact redirect URIs, `iss` in the
 * authorization response (RFC 9207), dynamic registration only with the initial access token, and
 * signing-key rotation with an overlap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../e2e/server.js';
import { DIALECTS } from '../support/databases.js';

const REDIRECT = 'https://app.example/callback';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe.each(DIALECTS)('OpenID Provider protocol on %s', (dialect) => {
  let server: TestServer;
  let clientId: string;
  let issuer: string;

  beforeAll(async () => {
    server = await startServer(dialect, {
      oidc: true,
      registrationToken: 'initial-access-token-for-the-tests',
    });
    issuer = `${server.origin}/oidc`;
    const added = await server.oidc.apps.add({ name: 'Example', redirectUris: [REDIRECT], public: true });
    clientId = added.app.clientId;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  const authorize = async (params: Record<string, string>) => {
    const query = new URLSearchParams({
      client_id: clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid',
      state: 'st',
      ...params,
    });
    for (const [k, v] of Object.entries(params)) if (v === '') query.delete(k);
    return fetch(`${issuer}/auth?${query}`, { redirect: 'manual' });
  };
  const redirectError = (response: Response) => {
    const location = response.headers.get('location');
    expect(location, `status ${response.status}`).not.toBeNull();
    const url = new URL(location ?? '');
    // Errors for implicit/hybrid types come in the fragment (their default response mode).
    const params = url.searchParams.has('error') ? url.searchParams : new URLSearchParams(url.hash.slice(1));
    return { url, error: params.get('error'), iss: params.get('iss') };
  };

  it('publishes discovery and a JWKS', async () => {
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery.issuer).toBe(issuer);
    expect(discovery.response_types_supported).toEqual(['code']);
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect(discovery.authorization_response_iss_parameter_supported).toBe(true);
    expect(discovery.acr_values_supported).toEqual(['phr', 'phrh']);
    expect(discovery.registration_endpoint).toBe(`${issuer}/reg`);
    const jwks = (await (await fetch(String(discovery.jwks_uri))).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('sends the browser to the portal sign-in with an interaction id', async () => {
    const response = await authorize({ code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    expect(response.status).toBe(303);
    const interaction = new URL(response.headers.get('location') ?? '', server.origin);
    expect(interaction.pathname).toMatch(/^\/oidc\/interaction\/[\w-]+$/);
    const portal = await fetch(interaction, { redirect: 'manual' });
    expect(portal.status).toBe(303);
    const signIn = new URL(portal.headers.get('location') ?? '', server.origin);
    expect(signIn.pathname).toBe('/');
    expect(signIn.searchParams.get('interaction')).toBe(interaction.pathname.split('/').pop());
  });

  it('refuses a request without PKCE, or with plain PKCE, with iss in the error response', async () => {
    const missing = redirectError(await authorize({}));
    expect(missing.error).toBe('invalid_request');
    expect(missing.iss).toBe(issuer);
    expect(missing.url.origin + missing.url.pathname).toBe(REDIRECT);
    const plain = redirectError(
      await authorize({ code_challenge: CHALLENGE, code_challenge_method: 'plain' }),
    );
    expect(plain.error).toBe('invalid_request');
  });

  it('refuses implicit and hybrid response types', async () => {
    for (const type of ['id_token', 'token', 'code id_token', 'code token']) {
      const refused = redirectError(
        await authorize({
          response_type: type,
          code_challenge: CHALLENGE,
          code_challenge_method: 'S256',
          nonce: 'n',
        }),
      );
      expect(refused.error, type).toBe('unsupported_response_type');
    }
  });

  it('refuses a redirect URI that differs by one character, without redirecting', async () => {
    for (const uri of [`${REDIRECT}x`, REDIRECT.replace('callback', 'callbacc'), `${REDIRECT}/`]) {
      const response = await authorize({
        redirect_uri: uri,
        code_challenge: CHALLENGE,
        code_challenge_method: 'S256',
      });
      expect(response.status, uri).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    }
  });

  it('authenticates confidential apps with their secret', async () => {
    const { app, secret } = await server.oidc.apps.add({
      name: 'Backend',
      redirectUris: [REDIRECT],
      public: false,
    });
    expect(secret).toMatch(/^[\w-]{43}$/);
    // Only a digest is stored: a copy of the database does not hold the secret.
    const stored = await server.oidc.models.find('Client', app.clientId);
    expect(stored?.client_secret).toMatch(/^sha256\$[\w-]{43}$/);
    expect(JSON.stringify(stored)).not.toContain(secret ?? '');
    const token = (credentials: string) =>
      fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: 'unknown',
          redirect_uri: REDIRECT,
          code_verifier: 'v'.repeat(43),
        }),
      });
    const wrong = await token(`${app.clientId}:not-the-secret`);
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_client');
    // The right secret gets as far as the code, which is unknown.
    const right = await token(`${app.clientId}:${secret ?? ''}`);
    expect(((await right.json()) as { error: string }).error).toBe('invalid_grant');
    // The digest itself is not a secret that works.
    const digest = await token(`${app.clientId}:${String(stored?.client_secret)}`);
    expect(digest.status).toBe(401);
  });

  it('stores a dynamically registered secret as a digest, and never shows it again', async () => {
    const registered = await fetch(`${issuer}/reg`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer initial-access-token-for-the-tests',
      },
      body: JSON.stringify({ redirect_uris: ['https://dyn.example/cb'] }),
    });
    expect(registered.status).toBe(201);
    const body = (await registered.json()) as {
      client_id: string;
      client_secret: string;
      registration_access_token: string;
      registration_client_uri: string;
    };
    expect(body.client_secret.length).toBeGreaterThanOrEqual(43);
    const stored = await server.oidc.models.find('Client', body.client_id);
    expect(stored?.client_secret).toMatch(/^sha256\$/);
    expect(JSON.stringify(stored)).not.toContain(body.client_secret);
    const token = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${body.client_id}:${body.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'unknown',
        redirect_uri: 'https://dyn.example/cb',
        code_verifier: 'v'.repeat(43),
      }),
    });
    expect(((await token.json()) as { error: string }).error).toBe('invalid_grant');
    const read = await fetch(body.registration_client_uri, {
      headers: { authorization: `Bearer ${body.registration_access_token}` },
    });
    expect(read.status).toBe(200);
    const readBody = (await read.json()) as Record<string, unknown>;
    expect(readBody.client_id).toBe(body.client_id);
    expect(readBody).not.toHaveProperty('client_secret');
  });

  it('offers no client authentication that would use a secret as an HMAC key', async () => {
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      string[]
    >;
    expect(discovery.token_endpoint_auth_methods_supported).not.toContain('client_secret_jwt');
    expect(discovery.token_endpoint_auth_signing_alg_values_supported ?? []).not.toContain('HS256');
  });

  it('registers apps dynamically only with the initial access token', async () => {
    const metadata = JSON.stringify({
      redirect_uris: ['https://dyn.example/cb'],
      token_endpoint_auth_method: 'none',
    });
    const anonymous = await fetch(`${issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: metadata,
    });
    expect([400, 401]).toContain(anonymous.status);
    const wrong = await fetch(`${issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
      body: metadata,
    });
    expect([400, 401]).toContain(wrong.status);
    const allowed = await fetch(`${issuer}/reg`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer initial-access-token-for-the-tests',
      },
      body: metadata,
    });
    expect(allowed.status).toBe(201);
    const body = (await allowed.json()) as { client_id: string };
    expect((await server.oidc.apps.list()).map((a) => a.clientId)).toContain(body.client_id);
  });

  it('rotates signing keys, keeping the previous one published', async () => {
    const before = await server.oidc.keys.current();
    const signing = before.find((k) => k.signing);
    const rotated = await server.oidc.keys.rotate();
    const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([rotated.kid, signing?.kid]);
  });
});

describe.each(DIALECTS)('OpenID Provider behind a TLS-terminating proxy on %s', (dialect) => {
  // The tests' own requests come from 127.0.0.1: with TESSERA_TRUST_PROXY=loopback they are the proxy.
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  const cookiesOf = async (server: TestServer, forwardedProto: string | null) => {
    const { app } = await server.oidc.apps.add({ name: 'Proxied', redirectUris: [REDIRECT], public: true });
    const query = new URLSearchParams({
      client_id: app.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    });
    const response = await fetch(`${server.origin}/oidc/auth?${query}`, {
      redirect: 'manual',
      headers: forwardedProto === null ? {} : { 'x-forwarded-proto': forwardedProto },
    });
    expect(response.status).toBe(303);
    const cookies = response.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    return cookies;
  };
  const secure = (cookie: string) => /;\s*secure/i.test(cookie);

  it('marks the provider’s cookies Secure when a trusted proxy says the browser used https', async () => {
    const server = await startServer(dialect, { oidc: true, trustProxy: 'loopback' });
    servers.push(server);
    expect((await cookiesOf(server, 'https')).every(secure)).toBe(true);
    expect((await cookiesOf(server, null)).some(secure)).toBe(false);
  });

  it('ignores X-Forwarded-Proto from a client that is not a trusted proxy', async () => {
    const server = await startServer(dialect, { oidc: true });
    servers.push(server);
    expect((await cookiesOf(server, 'https')).some(secure)).toBe(false);
  });
});
