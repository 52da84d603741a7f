/**
 * Assurance in tokens: the `acr` and `amr` an ID token carries come from the evidence of the
 * sign-in behind the session (its AAL and RFC 8176 `amr`), never from configuration alone.
 *
 * acr values are the OpenID Enhanced Authentication Profile (EAP) ACR values 1.0:
 * - `phrh`: phishing-resistant and hardware-protected — a sign-in at AAL3 (a trusted,
 *   attested hardware authenticator with user verification);
 * - `phr`: phishing-resistant — every other WebAuthn sign-in (the signature is bound to the origin).
 */
import type { AssuranceLevel } from '../trust/assessment.js';

export type Acr = 'phr' | 'phrh';
export const ACR_VALUES: readonly Acr[] = ['phr', 'phrh'];

const RANK: Readonly<Record<Acr, number>> = { phr: 1, phrh: 2 };

export function isAcr(value: unknown): value is Acr {
  return value === 'phr' || value === 'phrh';
}

export function acrFor(aal: AssuranceLevel): Acr {
  return aal === 'AAL3' ? 'phrh' : 'phr';
}

/** True when a sign-in with `held` meets `wanted` (phrh meets phr). */
export function meets(held: string | undefined, wanted: Acr): boolean {
  return isAcr(held) && RANK[held] >= RANK[wanted];
}

/** The strongest of several requirements (undefined when none). */
export function strongest(values: readonly (Acr | undefined)[]): Acr | undefined {
  let best: Acr | undefined;
  for (const v of values) if (v !== undefined && (best === undefined || RANK[v] > RANK[best])) best = v;
  return best;
}

/**
 * What an authorization request asks for, as the weakest value it accepts: `acr_values` is a
 * preference list (any listed value is acceptable), so the requirement is its weakest known value;
 * an essential `acr` claim (`claims` parameter) likewise. Unknown values are ignored.
 */
export function requestedAcr(params: Readonly<Record<string, unknown>>): Acr | undefined {
  const wanted: Acr[] = [];
  const acrValues = params.acr_values;
  if (typeof acrValues === 'string') {
    const listed = acrValues.split(' ').filter(isAcr);
    const weakest = listed.sort((a, b) => RANK[a] - RANK[b])[0];
    if (weakest !== undefined) wanted.push(weakest);
  }
  const claims = params.claims;
  if (typeof claims === 'string') {
    const essential = essentialAcr(claims);
    if (essential !== undefined) wanted.push(essential);
  }
  return strongest(wanted);
}

function essentialAcr(claimsParameter: string): Acr | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(claimsParameter);
  } catch {
    return undefined;
  }
  const idToken = member(parsed, 'id_token');
  const acr = member(idToken, 'acr');
  if (member(acr, 'essential') !== true) return undefined;
  const value = member(acr, 'value');
  if (isAcr(value)) return value;
  const values = member(acr, 'values');
  if (!Array.isArray(values)) return undefined;
  const known = values.filter(isAcr).sort((a, b) => RANK[a] - RANK[b]);
  return known[0];
}

function member(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/**
 * SP 800-63B-4 §2.2.3 / §2.3.3: a session may last 24 hours at AAL2 and 12 hours at AAL3, however
 * active. The provider keeps its own session beside Tessera's; a sign-in older than the limit of
 * the level it proved must not be reused for new tokens.
 */
export const MAX_AUTHENTICATION_AGE_SECONDS: Readonly<Record<Acr, number>> = {
  phr: 24 * 3600,
  phrh: 12 * 3600,
};

/** True when a provider session's sign-in (epoch seconds) is too old for the acr it proved. */
export function authenticationTooOld(
  authTime: number | undefined,
  acr: unknown,
  nowSeconds: number,
): boolean {
  if (authTime === undefined) return true;
  const limit = MAX_AUTHENTICATION_AGE_SECONDS[isAcr(acr) ? acr : 'phr'];
  return nowSeconds - authTime >= limit;
}

/**
 * Seconds a refresh token from this sign-in may live: until the sign-in reaches the limit of the
 * level it proved (at least one second, so the provider can store it). An app's access never
 * outlasts the reauthentication SP 800-63B-4 asks of the session it came from.
 */
export function remainingAuthenticationSeconds(
  authTime: number | undefined,
  acr: unknown,
  nowSeconds: number,
): number {
  if (authTime === undefined) return 1;
  const limit = MAX_AUTHENTICATION_AGE_SECONDS[isAcr(acr) ? acr : 'phr'];
  return Math.max(1, authTime + limit - nowSeconds);
}
