/**
 * The portal's calls to the server (docs/http-api.md): JSON in and out, cookies same-origin only.
 * Every failure becomes an `ApiError` with the server's stable `code` and a sentence a person can
 * read; a network failure or a fault on the server gets a code of its own.
 */
import type {
  CredentialView,
  EnrolmentKind,
  OnboardingPassView,
  PolicyNotice,
  PolicyStatusView,
  SessionView,
  SignInView,
} from './types';

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** What the server says about an app's sign-in request (src/oidc/routes.ts). */
export type InteractionAnswer =
  | {
      readonly status: 'done';
      readonly redirectTo: string;
      /** Warn phase of the person's segment: shown before continuing to the app. */
      readonly warnings?: readonly PolicyNotice[];
      readonly deadline?: string | null;
    }
  | { readonly status: 'sign_in_required'; readonly reason: 'no_session' | 'reauthenticate' }
  | {
      readonly status: 'sign_in_required';
      readonly reason: 'step_up';
      readonly acr: string;
      readonly reasons: readonly PolicyNotice[];
    }
  | {
      readonly status: 'unmet';
      readonly redirectTo: string;
      readonly acr: string;
      readonly reasons: readonly PolicyNotice[];
    };

/** An answer that may carry the assurance policy's warnings (warn phase). */
type Warned<T> = T & { readonly warnings?: readonly PolicyNotice[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{error: {code, message}}` from the body, when it has that shape. */
function problemOf(body: unknown): { code: string; message: string } | null {
  if (!isRecord(body)) return null;
  const error = body.error;
  if (!isRecord(error)) return null;
  const { code, message } = error;
  return typeof code === 'string' && typeof message === 'string' ? { code, message } : null;
}

async function call(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers:
      body === undefined
        ? { accept: 'application/json' }
        : { accept: 'application/json', 'content-type': 'application/json' },
    signal: signal ?? null,
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(
      'network_error',
      'Tessera could not be reached. Check your connection and try again.',
      0,
    );
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let parsed: unknown = null;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (response.ok) return parsed;
  const problem = problemOf(parsed);
  if (problem !== null && response.status < 500)
    throw new ApiError(problem.code, problem.message, response.status);
  throw new ApiError(
    'server_error',
    'Something went wrong on the server. Try again in a moment.',
    response.status,
  );
}

export const api = {
  describePass: async (pass: string): Promise<OnboardingPassView> =>
    (await call('POST', '/api/onboarding/pass', { pass })) as OnboardingPassView,

  onboardingOptions: async (
    pass: string,
    kind: EnrolmentKind,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> =>
    (await call('POST', '/api/onboarding/options', { pass, kind })) as PublicKeyCredentialCreationOptionsJSON,

  onboardingVerify: async (
    pass: string,
    response: unknown,
    name: string | undefined,
  ): Promise<{ session: SessionView; credential: CredentialView; warnings: readonly PolicyNotice[] }> => {
    const answer = (await call(
      'POST',
      '/api/onboarding/verify',
      name === undefined ? { pass, response } : { pass, response, name },
    )) as Warned<{ session: SessionView; credential: CredentialView }>;
    return { session: answer.session, credential: answer.credential, warnings: answer.warnings ?? [] };
  },

  authenticationOptions: async (
    username: string | undefined,
    signal?: AbortSignal,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> =>
    (await call(
      'POST',
      '/api/authentication/options',
      username === undefined ? {} : { username },
      signal,
    )) as PublicKeyCredentialRequestOptionsJSON,

  authenticationVerify: async (response: unknown, signal?: AbortSignal): Promise<SessionView> =>
    ((await call('POST', '/api/authentication/verify', { response }, signal)) as { session: SessionView })
      .session,

  session: async (): Promise<SessionView> =>
    ((await call('GET', '/api/session')) as { session: SessionView }).session,

  /** The session, or null when nobody is signed in. */
  sessionOrNull: async (): Promise<SessionView | null> => {
    try {
      return await api.session();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  },

  /** Finish an OpenID Connect sign-in request (`?interaction=`) with the current session. */
  finishInteraction: async (uid: string): Promise<InteractionAnswer> =>
    (await call('POST', `/oidc/interaction/${encodeURIComponent(uid)}/login`)) as InteractionAnswer,

  signOut: async (): Promise<void> => {
    await call('POST', '/api/session/sign-out', {});
  },

  credentials: async (): Promise<readonly CredentialView[]> =>
    ((await call('GET', '/api/credentials')) as { credentials: CredentialView[] }).credentials,

  renameCredential: async (id: string, name: string): Promise<CredentialView> =>
    (
      (await call('PATCH', `/api/credentials/${encodeURIComponent(id)}`, { name })) as {
        credential: CredentialView;
      }
    ).credential,

  removeCredential: async (id: string): Promise<void> => {
    await call('DELETE', `/api/credentials/${encodeURIComponent(id)}`);
  },

  registrationOptions: async (kind: EnrolmentKind): Promise<PublicKeyCredentialCreationOptionsJSON> =>
    (await call('POST', '/api/registration/options', { kind })) as PublicKeyCredentialCreationOptionsJSON,

  registrationVerify: async (
    response: unknown,
    name: string | undefined,
  ): Promise<{ credential: CredentialView; warnings: readonly PolicyNotice[] }> => {
    const answer = (await call(
      'POST',
      '/api/registration/verify',
      name === undefined ? { response } : { response, name },
    )) as Warned<{ credential: CredentialView }>;
    return { credential: answer.credential, warnings: answer.warnings ?? [] };
  },

  signIns: async (): Promise<readonly SignInView[]> =>
    ((await call('GET', '/api/sign-ins')) as { signIns: SignInView[] }).signIns,

  /** What the assurance policy asks of the signed-in person (warn-phase notices with their deadline). */
  policyStatus: async (): Promise<PolicyStatusView> =>
    (await call('GET', '/api/policy/status')) as PolicyStatusView,
};
