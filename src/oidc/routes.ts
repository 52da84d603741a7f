/**
 * The OpenID Provider in Tessera's Fastify server, under /oidc (issuer = first origin + /oidc).
 *
 * - `/oidc/*` is handed to oidc-provider as it is (the request body unread, the /oidc prefix
 *   stripped and kept as `originalUrl` so the provider builds its URLs under the mount). These
 *   routes skip Tessera's Origin check: relying parties call the token endpoint server to server,
 *   and the provider protects its own forms.
 * - `GET /oidc/interaction/:uid` (where the provider sends the browser to sign in) redirects to the
 *   portal's sign-in page with `?interaction=<uid>`: the portal is the one sign-in UI.
 * - `POST /oidc/interaction/:uid/login` (called by the portal, Origin-checked) finishes the
 *   interaction with the caller's Tessera session: its person, the acr from its AAL, its amr and
 *   auth_time. The assurance policy is consulted for the person's segment and the acr required
 *   (`decideAcr`, docs/policy.md). It answers what the portal must do next:
 *   `{status: "done", redirectTo, warnings?, deadline?}` — continue to the app; in the warn phase
 *     of the person's segment, after showing what to do and by when;
 *   `{status: "sign_in_required", reason}` — sign in (again): no session, a sign-in older than
 *     `max_age` or than a `prompt=login` request, or `step_up` (with `acr` and `reasons`: the
 *     request or the app requires phrh and the person has a credential that can meet it);
 *   `{status: "unmet", redirectTo, acr, reasons}` — the person has no credential that can meet the
 *     required acr: the page explains why (the policy's sentences), and the app gets
 *     `unmet_authentication_requirements` (OpenID Connect Core §3.1.2.6, OpenID EAP), never a
 *     token with a weaker acr.
 *
 * RP-initiated logout (`/oidc/session/end`) confirmed by the person also ends their Tessera session.
 *
 * The provider is rebuilt when the signing keys change (`tessera keys rotate`), checked at most
 * every KEY_CHECK_MS, so every instance picks up a rotation without a restart; expired provider
 * rows are deleted at most every PURGE_EVERY_MS.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { type ContextSettings, callContext } from '../http/plugins/context.js';
import { cookieName } from '../http/plugins/cookies.js';
import { ACR_LEVELS } from '../policy/index.js';
import type { PolicyNotice, TesseraServices } from '../services/index.js';
import type { AssuranceLevel } from '../trust/assessment.js';
import { type Acr, acrFor, meets } from './acr.js';
import { OIDC_ERRORS } from './errors.js';
import {
  type Accounts,
  createProvider,
  INTERACTION_PATH,
  type LiveAccount,
  OIDC_PATH,
  type OidcSettings,
  requiredAcr,
} from './provider.js';

export const KEY_CHECK_MS = 10_000;
/** Expired provider rows are deleted at most this often. */
export const PURGE_EVERY_MS = 60_000;

export interface OidcRouteOptions {
  readonly oidc: OidcSettings;
  readonly services: TesseraServices;
  readonly context: ContextSettings;
  /** The portal's sign-in page. */
  readonly signInPath?: string;
  /** How often the signing keys are re-read (default KEY_CHECK_MS). */
  readonly keyCheckMs?: number;
}

export type InteractionAnswer =
  | {
      readonly status: 'done';
      readonly redirectTo: string;
      /** Warn phase of the person's segment: what to do, and by when (`deadline`, ISO 8601 or null). */
      readonly warnings?: readonly PolicyNotice[];
      readonly deadline?: string | null;
    }
  | { readonly status: 'sign_in_required'; readonly reason: 'no_session' | 'reauthenticate' }
  | {
      readonly status: 'sign_in_required';
      readonly reason: 'step_up';
      /** The acr the fresh sign-in must give, and why (the policy's sentences, or the app's request). */
      readonly acr: Acr;
      readonly reasons: readonly PolicyNotice[];
    }
  | {
      readonly status: 'unmet';
      readonly redirectTo: string;
      readonly acr: Acr;
      readonly reasons: readonly PolicyNotice[];
    };

/**
 * Why the session falls short: the policy's deny reasons, else one sentence of the app's request
 * (the same code and wording as the policy's `acr_not_satisfied`).
 */
function shortfall(
  reasons: readonly PolicyNotice[],
  needed: Acr,
  aal: AssuranceLevel,
): readonly PolicyNotice[] {
  if (reasons.length > 0) return reasons;
  return [
    {
      code: 'acr_not_satisfied',
      message: `denied: the application asked for acr "${needed}" (${ACR_LEVELS[needed] ?? needed}) and this session is at ${aal}`,
    },
  ];
}

/** The provider for the current signing keys. */
export function providerSource(
  oidc: OidcSettings,
  checkMs = KEY_CHECK_MS,
  prepare: (provider: Provider) => void = () => {},
  liveAccount?: LiveAccount,
  accounts?: Accounts,
): () => Promise<Provider> {
  let current: { readonly provider: Provider; readonly keys: string } | null = null;
  let checkedAt = 0;
  let loading: Promise<Provider> | null = null;
  let purgedAt = 0;
  return () => {
    if (current !== null && Date.now() - checkedAt < checkMs) return Promise.resolve(current.provider);
    loading ??= (async () => {
      try {
        const keys = await oidc.storage.keys.current();
        const fingerprint = keys.map((k) => `${k.kid}${k.signing ? '*' : ''}`).join(',');
        if (current === null || current.keys !== fingerprint) {
          const created = await createProvider(oidc, keys, liveAccount, accounts);
          prepare(created);
          current = { provider: created, keys: fingerprint };
        }
        checkedAt = Date.now();
        if (checkedAt - purgedAt >= PURGE_EVERY_MS) {
          purgedAt = checkedAt;
          await oidc.storage.models.purgeExpired();
        }
        return current.provider;
      } finally {
        loading = null;
      }
    })();
    return loading;
  };
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function maxAgeOf(params: Readonly<Record<string, unknown>>): number | undefined {
  const raw = params.max_age;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : Number.NaN;
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export function oidcRoutes(options: OidcRouteOptions) {
  const { services, context } = options;
  const signInPath = options.signInPath ?? '/';
  // RP-initiated logout that the person confirms ("sign me out") also ends their Tessera session:
  // the portal's session is the provider's sign-in.
  const prepare = (target: Provider) => {
    // Koa trusts X-Forwarded-Proto with `proxy` on; handOver sets that header from Fastify's view.
    target.proxy = true;
    target.on('end_session.success', (ctx) => {
      if (!ctx.oidc.params?.logout) return;
      const sessionId = ctx.cookies.get(cookieName('session', context)) ?? null;
      const call = { now: context.now(), flowId: '', sessionId, ip: null, userAgent: null };
      void services.sessions.signOut(call).catch((error: unknown) => {
        target.emit('server_error', ctx, error);
      });
    });
  };
  // A provider session is only reused while the Tessera session that made it lives: signing out of
  // the portal, or its SP 800-63B-4 expiry, ends single sign-on to the apps too.
  const liveAccount: LiveAccount = async (ctx) => {
    const sessionId = ctx.cookies.get(cookieName('session', context)) ?? null;
    if (sessionId === null) return null;
    const call = { now: context.now(), flowId: '', sessionId, ip: null, userAgent: null };
    return (await services.sessions.current(call))?.person.id ?? null;
  };
  const accounts: Accounts = {
    find: (id) => services.people.find(id),
    refreshAllowed: (id, signIn) => services.policy.refreshAllowed(id, signIn, context.now()),
  };
  const provider = providerSource(options.oidc, options.keyCheckMs, prepare, liveAccount, accounts);

  return async (app: FastifyInstance): Promise<void> => {
    // Keys are generated at first start, not at the first request.
    await provider();

    // The provider reads its own bodies (forms and JSON).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

    const handOver = async (request: FastifyRequest, reply: FastifyReply) => {
      const target = await provider();
      reply.hijack();
      const raw: IncomingMessage & { originalUrl?: string } = request.raw;
      // The provider (Koa, `proxy` on) takes the scheme from X-Forwarded-Proto: give it Fastify's
      // answer, which believes the header only from a proxy named in TESSERA_TRUST_PROXY, so its
      // cookies are Secure behind a TLS-terminating proxy and a client cannot claim https itself.
      raw.headers['x-forwarded-proto'] = request.protocol;
      delete raw.headers['x-forwarded-host'];
      const url = raw.url ?? OIDC_PATH;
      raw.originalUrl = url;
      raw.url = url.slice(OIDC_PATH.length) || '/';
      await target.callback()(raw, reply.raw);
    };
    app.route({
      method: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      url: `${OIDC_PATH}/*`,
      config: { originCheck: false },
      handler: handOver,
    });

    app.get<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid`, async (request, reply) => {
      const query = new URLSearchParams({ interaction: request.params.uid });
      return reply.header('cache-control', 'no-store').redirect(`${signInPath}?${query}`, 303);
    });

    app.post<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid/login`, async (request, reply) => {
      const target = await provider();
      reply.header('cache-control', 'no-store');
      const details = await target.interactionDetails(request.raw, reply.raw).catch(() => null);
      if (details === null || details.uid !== request.params.uid) {
        const { status, message } = OIDC_ERRORS.interaction_not_found;
        return reply.code(status).send({ error: { code: 'interaction_not_found', message } });
      }
      const answer = async (): Promise<InteractionAnswer> => {
        const ctx = callContext(request, reply, context);
        const session = await services.sessions.current(ctx);
        if (session === null) return { status: 'sign_in_required', reason: 'no_session' };

        const authTime = seconds(session.authTime);
        const nowSeconds = Math.floor(ctx.now.getTime() / 1000);
        const maxAge = maxAgeOf(details.params);
        const stale =
          (maxAge !== undefined && nowSeconds - authTime > maxAge) ||
          (details.prompt.reasons.includes('login_prompt') && authTime < details.iat);
        if (stale) return { status: 'sign_in_required', reason: 'reauthenticate' };

        const clientId = details.params.client_id;
        const client = typeof clientId === 'string' ? await target.Client.find(clientId) : undefined;
        const wanted = requiredAcr(details.params, client);
        const acr = acrFor(session.aal);
        // The assurance policy (docs/policy.md, decideAcr): the person's segment judges this session,
        // and explains an acr the session falls short of; null without a policy.
        const verdict = await services.policy.acr(ctx, {
          values: wanted === undefined ? [] : [wanted],
          essential: wanted !== undefined,
          ...(client === undefined ? {} : { clientId: client.clientId }),
        });
        const reasons = verdict === null ? [] : verdict.reasons;
        if (wanted !== undefined && !meets(acr, wanted)) {
          const explained = shortfall(reasons, wanted, session.aal);
          const credentials = await services.credentials.list(ctx);
          if (credentials.some((c) => c.aal !== null && meets(acrFor(c.aal), wanted)))
            return { status: 'sign_in_required', reason: 'step_up', acr: wanted, reasons: explained };
          const redirectTo = await target.interactionResult(request.raw, reply.raw, {
            error: 'unmet_authentication_requirements',
            // RFC 6749 §4.1.2.1: ASCII without quotes; the policy's sentences (segment names are
            // the organization's own) stay on the person's page.
            error_description: `acr ${wanted} required; the session is at ${session.aal} and the person has no credential that can meet it`,
          });
          return { status: 'unmet', redirectTo, acr: wanted, reasons: explained };
        }
        // The segment no longer accepts this session (its phase began between the lookup above and
        // now): a fresh sign-in, which decideSignIn judges and explains.
        if (verdict?.effect === 'deny') return { status: 'sign_in_required', reason: 'reauthenticate' };
        const redirectTo = await target.interactionResult(request.raw, reply.raw, {
          login: { accountId: session.person.id, acr, amr: [...session.amr], ts: authTime, remember: true },
        });
        // Warn phase: the app is reached, and the person is told first what to do and by when.
        return verdict !== null && verdict.effect === 'warn'
          ? { status: 'done', redirectTo, warnings: verdict.reasons, deadline: verdict.deadline }
          : { status: 'done', redirectTo };
      };
      return reply.send(await answer());
    });
  };
}
