/**
 * The OpenID Provider: panva's `oidc-provider`, configured for Tessera.
 *
 * - Storage: every model goes through `OidcStorage` (services/oidc.ts) into Tessera's database;
 *   there is no in-memory adapter. Signing keys come from the database too.
 * - Only the authorization code flow (`response_type=code`), PKCE required for every client
 *   (oidc-provider accepts only S256), redirect URIs matched exactly, `iss` in the authorization
 *   response (RFC 9207), refresh tokens rotated on every use, RP-initiated logout, userinfo.
 * - Dynamic registration only with the initial access token (TESSERA_OIDC_REGISTRATION_TOKEN).
 * - The login interaction is the portal's sign-in page (./routes.ts). An extra login check makes
 *   a session that does not meet the requested `acr_values`, an essential `acr` claim or the app's
 *   own minimum acr (`tessera_min_acr`) go through the interaction again; `max_age` and
 *   `prompt=login` are oidc-provider's own checks.
 * - Consent: apps are registered by the operator, so the grant covers what the app asked for.
 */
import Provider, {
  type Adapter,
  type AdapterPayload,
  type Client,
  type Configuration,
  errors,
  interactionPolicy,
  type JWK,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import {
  CLIENT_SECRET_DIGEST_PREFIX,
  clientSecretMatches,
  MIN_ACR_METADATA,
  type OidcPayload,
  type OidcSigningKey,
  type OidcStorage,
} from '../services/index.js';
import type { AssuranceLevel } from '../trust/assessment.js';
import {
  ACR_VALUES,
  type Acr,
  authenticationTooOld,
  isAcr,
  meets,
  remainingAuthenticationSeconds,
  requestedAcr,
  strongest,
} from './acr.js';

export const OIDC_PATH = '/oidc';
export const INTERACTION_PATH = `${OIDC_PATH}/interaction`;

export interface OidcSettings {
  /** The first origin + /oidc. */
  readonly issuer: string;
  /** TESSERA_OIDC_REGISTRATION_TOKEN: dynamic registration needs it; null disables registration. */
  readonly registrationToken: string | null;
  readonly storage: OidcStorage;
}

function adapterFor(storage: OidcStorage): (name: string) => Adapter {
  const out = (p: OidcPayload | undefined): AdapterPayload | undefined => p as AdapterPayload | undefined;
  return (name) => ({
    upsert: (id, payload, expiresIn) => storage.models.upsert(name, id, payload as OidcPayload, expiresIn),
    find: async (id) => out(await storage.models.find(name, id)),
    findByUid: async (uid) => out(await storage.models.findByUid(name, uid)),
    findByUserCode: async (code) => out(await storage.models.findByUserCode(name, code)),
    consume: (id) => storage.models.consume(name, id),
    destroy: (id) => storage.models.destroy(name, id),
    revokeByGrantId: (grantId) => storage.models.revokeByGrantId(grantId),
  });
}

/** The app's own minimum acr, if it has one. */
export function clientMinAcr(client: Client | undefined): Acr | undefined {
  if (client === undefined) return undefined;
  const value = client.metadata()[MIN_ACR_METADATA];
  return isAcr(value) ? value : undefined;
}

/** What the request and the app together require of the sign-in. */
export function requiredAcr(
  params: Readonly<Record<string, unknown>>,
  client: Client | undefined,
): Acr | undefined {
  return strongest([requestedAcr(params), clientMinAcr(client)]);
}

/**
 * Who is signed in to Tessera in this request's browser (the person id of the live session), or
 * null. The provider keeps a session of its own; this keeps it from outliving Tessera's.
 */
export type LiveAccount = (ctx: KoaContextWithOIDC) => Promise<string | null>;

function loginPolicy(liveAccount: LiveAccount | undefined): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  if (login === undefined) throw new Error('oidc-provider has no login prompt');
  if (liveAccount !== undefined) {
    login.checks.add(
      new interactionPolicy.Check(
        'tessera_session_ended',
        'the Tessera session that signed in is gone (signed out, expired, idle) or belongs to someone else',
        async (ctx: KoaContextWithOIDC) => {
          const accountId = ctx.oidc.session?.accountId;
          if (accountId === undefined) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
          return (await liveAccount(ctx)) === accountId
            ? interactionPolicy.Check.NO_NEED_TO_PROMPT
            : interactionPolicy.Check.REQUEST_PROMPT;
        },
      ),
    );
  }
  login.checks.add(
    new interactionPolicy.Check(
      'acr_not_met',
      'the sign-in does not meet the authentication context the request or the app requires',
      (ctx: KoaContextWithOIDC) => {
        const wanted = requiredAcr(ctx.oidc.params ?? {}, ctx.oidc.client);
        if (wanted === undefined) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        return meets(ctx.oidc.session?.acr, wanted)
          ? interactionPolicy.Check.NO_NEED_TO_PROMPT
          : interactionPolicy.Check.REQUEST_PROMPT;
      },
    ),
  );
  login.checks.add(
    new interactionPolicy.Check(
      'authentication_too_old',
      'the sign-in is older than its assurance level allows (SP 800-63B-4: AAL2 24 h, AAL3 12 h)',
      (ctx: KoaContextWithOIDC) => {
        const session = ctx.oidc.session;
        if (session?.accountId === undefined) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        return authenticationTooOld(session.loginTs, session.acr, Math.floor(Date.now() / 1000))
          ? interactionPolicy.Check.REQUEST_PROMPT
          : interactionPolicy.Check.NO_NEED_TO_PROMPT;
      },
    ),
  );
  return policy;
}

/** The grant: apps are registered by the operator, so it covers the scopes asked for. */
async function loadGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const client = oidc.client;
  const accountId = oidc.session?.accountId;
  if (client === undefined || accountId === undefined || oidc.session === undefined) return undefined;
  const grantId = oidc.session.grantIdFor(client.clientId);
  const held = grantId === undefined ? undefined : await oidc.provider.Grant.find(grantId);
  const grant = held ?? new oidc.provider.Grant({ clientId: client.clientId, accountId });
  const scope = oidc.params?.scope;
  grant.addOIDCScope(typeof scope === 'string' ? scope : 'openid');
  await grant.save();
  return grant;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · Tessera</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

/** The page a browser sees when a request cannot go back to the app (e.g. an unknown redirect URI). */
function errorPage(error: string, description: string | undefined): string {
  return page(
    'This sign-in request was refused',
    `<p>The app that sent you here made a request Tessera cannot accept, so you cannot be sent back to it.
Go back to the app and try again; if it keeps happening, tell the app's administrator.</p>
<p>Error: <code>${escapeHtml(error)}</code>${description === undefined ? '' : ` — ${escapeHtml(description)}`}</p>`,
  );
}

/** What the provider asks Tessera about the people behind its tokens. */
export interface Accounts {
  /** The person a `sub` names (their profile claims), or null when they no longer exist. */
  find(
    id: string,
  ): Promise<{ readonly id: string; readonly username: string; readonly displayName: string } | null>;
  /**
   * May an app still refresh tokens from this sign-in? The assurance policy judges it as a session
   * (the person's segment: its level, its lifetime); false ends the app's access.
   */
  refreshAllowed(
    id: string,
    signIn: { readonly aal: AssuranceLevel; readonly authTime: Date; readonly clientId: string },
  ): Promise<boolean>;
}

/**
 * The level of the sign-in a token came from, from its acr and amr: `phrh` is AAL3; otherwise a
 * verified person (`mfa`) is AAL2, else AAL1 (the same evidence acrFor and amrFor were made from).
 */
export function levelOfToken(acr: unknown, amr: unknown): AssuranceLevel {
  if (acr === 'phrh') return 'AAL3';
  return Array.isArray(amr) && amr.includes('mfa') ? 'AAL2' : 'AAL1';
}

export async function createProvider(
  settings: OidcSettings,
  keys: readonly OidcSigningKey[],
  liveAccount?: LiveAccount,
  accounts?: Accounts,
): Promise<Provider> {
  const cookieKeys = await settings.storage.cookieKeys();
  const configuration: Configuration = {
    adapter: adapterFor(settings.storage),
    jwks: { keys: keys.map((k) => k.jwk as JWK) },
    cookies: { keys: [...cookieKeys] },
    acrValues: [...ACR_VALUES],
    // acr and amr ride with the openid scope, so every ID token tells the app how the person signed in.
    // `profile` (OpenID Connect Core §5.4) gives the person's name and username, from userinfo.
    claims: {
      auth_time: null,
      sid: null,
      iss: null,
      openid: ['sub', 'acr', 'amr'],
      profile: ['name', 'preferred_username'],
    },
    responseTypes: ['code'],
    // Secrets are stored as digests (src/store/oidc.ts), so nothing may use one as an HMAC key:
    // no client_secret_jwt, no HS* request objects or client assertions (the defaults allow both).
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    },
    pkce: { methods: ['S256'], required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      require_auth_time: true,
    },
    extraClientMetadata: {
      properties: [MIN_ACR_METADATA],
      validator(_ctx, key, value) {
        if (key === MIN_ACR_METADATA && value !== undefined && !isAcr(value))
          throw new errors.InvalidClientMetadata(
            `${MIN_ACR_METADATA} must be one of ${ACR_VALUES.join(', ')}`,
          );
      },
    },
    features: {
      devInteractions: { enabled: false },
      registration: {
        enabled: settings.registrationToken !== null,
        ...(settings.registrationToken === null ? {} : { initialAccessToken: settings.registrationToken }),
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.body = page(
            'Sign out of Tessera?',
            `<p>The app asks to sign you out. Signing out also ends your Tessera session in this browser.</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
          );
        },
      },
      userinfo: { enabled: true },
      revocation: { enabled: true },
    },
    // Refresh tokens for every app allowed the grant, rotated on every use (RFC 9700 §4.14.2).
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    // Lifetimes in seconds. A provider session never outlives a Tessera AAL2 session (24 h).
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 24 * 3600,
      Grant: 14 * 24 * 3600,
      // Never past the SP 800-63B-4 limit of the sign-in behind it (AAL2 24 h, AAL3 12 h): a
      // rotated token keeps the sign-in's authTime and acr, so rotation cannot extend it.
      RefreshToken: (_ctx, token) =>
        remainingAuthenticationSeconds(token.authTime, token.acr, Math.floor(Date.now() / 1000)),
    },
    interactions: {
      url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
      policy: loginPolicy(liveAccount),
    },
    loadExistingGrant: loadGrant,
    // Every authorization request names its redirect URI, matched exactly.
    allowOmittingSingleRegisteredRedirectUri: false,
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.set('cache-control', 'no-store');
      ctx.body = errorPage(out.error, out.error_description);
    },
    findAccount: async (ctx, sub, token) => {
      const held = token as
        | {
            readonly kind?: string;
            readonly authTime?: number;
            readonly acr?: string;
            readonly amr?: readonly string[];
          }
        | undefined;
      const refreshing = held?.kind === 'RefreshToken';
      // A refresh token whose sign-in is older than its level allows is refused, whatever its
      // stored expiry (tokens issued before this rule, or a clock that moved).
      if (refreshing && authenticationTooOld(held.authTime, held.acr, Math.floor(Date.now() / 1000)))
        throw new errors.InvalidGrant(
          'the sign-in behind this refresh token is older than its level allows; sign in again',
        );
      if (accounts === undefined) return { accountId: sub, claims: () => ({ sub }) };
      const person = await accounts.find(sub);
      // A person who no longer exists has no account: their codes and refresh tokens stop working.
      if (person === null) return undefined;
      if (refreshing && held.authTime !== undefined) {
        const signIn = {
          aal: levelOfToken(held.acr, held.amr),
          authTime: new Date(held.authTime * 1000),
          clientId: ctx.oidc.client?.clientId ?? '',
        };
        if (!(await accounts.refreshAllowed(person.id, signIn)))
          throw new errors.InvalidGrant('the assurance policy no longer accepts this sign-in; sign in again');
      }
      return {
        accountId: person.id,
        claims: () => ({ sub: person.id, name: person.displayName, preferred_username: person.username }),
      };
    },
  };
  const provider = new Provider(settings.issuer, configuration);
  // A client's `clientSecret` is the stored digest: compare the presented secret's digest with it
  // (this provider's own Client class; oidc-provider compares the two strings as they are).
  provider.Client.prototype.compareClientSecret = function compareDigest(this: Client, actual: string) {
    return clientSecretMatches(this.clientSecret, actual);
  };
  // Reading a registration (GET /reg/:id, OpenID Connect Dynamic Client Registration §4) would
  // return the digest as `client_secret`: the secret is shown once, at registration, and never again.
  provider.use(async (ctx, next) => {
    await next();
    const body: unknown = ctx.body;
    if (ctx.method === 'GET' && typeof body === 'object' && body !== null && 'client_secret' in body) {
      const secret = (body as { client_secret?: unknown }).client_secret;
      if (typeof secret === 'string' && secret.startsWith(CLIENT_SECRET_DIGEST_PREFIX))
        delete (body as { client_secret?: unknown }).client_secret;
    }
  });
  return provider;
}
