/**
 * What the OpenID Provider (src/oidc) keeps in Tessera's database, reached through here so the
 * provider never touches the store: oidc-provider's models (its adapter), the signing keys, the
 * cookie-signing keys, and the registered apps (oidc-provider `Client` rows).
 *
 * Signing keys are RSA-2048 (RS256, the algorithm every relying party supports), generated at
 * first start and stored as private JWKs. `rotateKeys` adds a new signing key and retires the
 * others: a retired key stays in the JWKS for `overlapMs` so tokens it signed still verify.
 *
 * Client secrets are stored only as digests (src/store/oidc.ts): an app's secret is shown once, by
 * `apps.add` (or in the dynamic registration response), and never kept.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import {
  clientSecretDigest,
  consumeOidcModel,
  countSigningOidcKeys,
  deleteOidcGrant,
  deleteOidcModel,
  findOidcModel,
  insertOidcKey,
  listOidcKeys,
  listOidcModels,
  purgeExpiredOidcModels,
  upsertOidcModel,
  withSecretDigest,
} from '../store/oidc.js';
import type { Schema } from '../store/schema.js';
import { ensureSetting } from '../store/settings.js';

export { CLIENT_SECRET_DIGEST_PREFIX, clientSecretMatches } from '../store/oidc.js';

/** A JSON object as oidc-provider stores it. */
export type OidcPayload = Readonly<Record<string, unknown>>;

export interface OidcSigningKey {
  readonly kid: string;
  /** The private JWK (RSA, RS256, use sig). */
  readonly jwk: Readonly<Record<string, unknown>>;
  /** True for the key that signs; retired keys are only published. */
  readonly signing: boolean;
  readonly createdAt: string;
  readonly retiredAt: string | null;
  readonly removedAt: string | null;
}

export interface OidcAppInput {
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly public: boolean;
  readonly postLogoutRedirectUris?: readonly string[];
  /** 'phr' | 'phrh': the app accepts no sign-in weaker than this. */
  readonly minAcr?: string;
}

export interface OidcAppView {
  readonly clientId: string;
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly public: boolean;
  readonly minAcr: string | null;
}

/** The client metadata member where an app's minimum acr is kept. */
export const MIN_ACR_METADATA = 'tessera_min_acr';
/** Retired keys stay published this long by default (longer than any token they signed lives). */
export const KEY_OVERLAP_MS = 7 * 24 * 60 * 60_000;

const COOKIE_KEY = 'oidc_cookie_key';

export interface OidcStorage {
  readonly models: {
    upsert(
      model: string,
      id: string,
      payload: OidcPayload,
      expiresInSeconds: number | undefined,
    ): Promise<void>;
    find(model: string, id: string): Promise<OidcPayload | undefined>;
    findByUid(model: string, uid: string): Promise<OidcPayload | undefined>;
    findByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined>;
    consume(model: string, id: string): Promise<void>;
    destroy(model: string, id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
    /** Delete expired rows (an indexed delete). */
    purgeExpired(): Promise<void>;
  };
  readonly keys: {
    /** The published keys (generating the first one when there is none), the signing key first. */
    current(): Promise<readonly OidcSigningKey[]>;
    rotate(overlapMs?: number): Promise<OidcSigningKey>;
  };
  /** The key(s) oidc-provider signs its cookies with. */
  cookieKeys(): Promise<readonly string[]>;
  readonly apps: {
    add(input: OidcAppInput): Promise<{ readonly app: OidcAppView; readonly secret: string | null }>;
    list(): Promise<readonly OidcAppView[]>;
    /** False when there is no such app. */
    remove(clientId: string): Promise<boolean>;
  };
}

function parse(text: string): OidcPayload | undefined {
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as OidcPayload)
    : undefined;
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function newKey(): { kid: string; jwk: Record<string, unknown> } {
  const kid = randomBytes(16).toString('base64url');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { kid, jwk };
}

function appView(payload: OidcPayload): OidcAppView {
  const uris = Array.isArray(payload.redirect_uris) ? payload.redirect_uris : [];
  return {
    clientId: str(payload.client_id) ?? '',
    name: str(payload.client_name) ?? '',
    redirectUris: uris.filter((u): u is string => typeof u === 'string'),
    public: payload.token_endpoint_auth_method === 'none',
    minAcr: str(payload[MIN_ACR_METADATA]),
  };
}

export function oidcStorage(
  database: Database | Kysely<Schema>,
  clock: () => Date = () => new Date(),
): OidcStorage {
  const db = database instanceof Kysely ? database : database.db;
  const now = () => clock().getTime();
  const found = (row: { payload: string; consumedAt: number | null } | null): OidcPayload | undefined => {
    if (row === null) return undefined;
    const payload = parse(row.payload);
    if (payload === undefined) return undefined;
    return row.consumedAt === null ? payload : { ...payload, consumed: Math.floor(row.consumedAt / 1000) };
  };

  const keysNow = async (): Promise<readonly OidcSigningKey[]> => {
    const rows = await listOidcKeys(db, now());
    const signingKid = rows.find((r) => r.retiredAt === null)?.kid;
    const keys = rows.flatMap((r): OidcSigningKey[] => {
      const jwk = parse(r.jwk);
      if (jwk === undefined) return [];
      const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
      return [
        {
          kid: r.kid,
          jwk,
          signing: r.kid === signingKid,
          createdAt: new Date(r.createdAt).toISOString(),
          retiredAt: iso(r.retiredAt),
          removedAt: iso(r.removedAt),
        },
      ];
    });
    return [...keys.filter((k) => k.signing), ...keys.filter((k) => !k.signing)];
  };

  return {
    models: {
      async upsert(model, id, payload, expiresIn) {
        await upsertOidcModel(db, {
          model,
          id,
          // A client registered dynamically arrives with its secret as issued.
          payload: JSON.stringify(model === 'Client' ? withSecretDigest(payload) : payload),
          grantId: str(payload.grantId),
          uid: str(payload.uid),
          userCode: str(payload.userCode),
          expiresAt: expiresIn === undefined ? null : now() + expiresIn * 1000,
        });
      },
      find: async (model, id) => found(await findOidcModel(db, model, 'id', id, now())),
      findByUid: async (model, uid) => found(await findOidcModel(db, model, 'uid', uid, now())),
      findByUserCode: async (model, code) => found(await findOidcModel(db, model, 'user_code', code, now())),
      consume: (model, id) => consumeOidcModel(db, model, id, now()),
      destroy: (model, id) => deleteOidcModel(db, model, id),
      revokeByGrantId: (grantId) => deleteOidcGrant(db, grantId),
      purgeExpired: () => purgeExpiredOidcModels(db, now()),
    },
    keys: {
      async current() {
        if ((await countSigningOidcKeys(db)) === 0) {
          const { kid, jwk } = newKey();
          await insertOidcKey(db, { kid, jwk: JSON.stringify(jwk), now: now(), overlapMs: 0 }, false);
        }
        return keysNow();
      },
      async rotate(overlapMs = KEY_OVERLAP_MS) {
        const { kid, jwk } = newKey();
        await insertOidcKey(db, { kid, jwk: JSON.stringify(jwk), now: now(), overlapMs }, true);
        const key = (await keysNow()).find((k) => k.kid === kid);
        if (key === undefined) throw new Error('the new signing key was not stored');
        return key;
      },
    },
    async cookieKeys() {
      const key = await ensureSetting(db, COOKIE_KEY, () => randomBytes(32), now());
      return [key.toString('base64url')];
    },
    apps: {
      async add(input) {
        // Hex, so a client id never starts with '-' (it is typed on command lines).
        const clientId = randomBytes(16).toString('hex');
        const secret = input.public ? null : randomBytes(32).toString('base64url');
        const metadata: Record<string, unknown> = {
          client_id: clientId,
          client_name: input.name,
          redirect_uris: [...input.redirectUris],
          post_logout_redirect_uris: [...(input.postLogoutRedirectUris ?? [])],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: input.public ? 'none' : 'client_secret_basic',
          ...(secret === null ? {} : { client_secret: clientSecretDigest(secret) }),
          ...(input.minAcr === undefined ? {} : { [MIN_ACR_METADATA]: input.minAcr }),
        };
        await upsertOidcModel(db, {
          model: 'Client',
          id: clientId,
          payload: JSON.stringify(metadata),
          grantId: null,
          uid: null,
          userCode: null,
          expiresAt: null,
        });
        return { app: appView(metadata), secret };
      },
      async list() {
        return (await listOidcModels(db, 'Client')).flatMap((text) => {
          const payload = parse(text);
          return payload === undefined ? [] : [appView(payload)];
        });
      },
      async remove(clientId) {
        const held = await findOidcModel(db, 'Client', 'id', clientId, now());
        if (held === null) return false;
        await deleteOidcModel(db, 'Client', clientId);
        return true;
      },
    },
  };
}
