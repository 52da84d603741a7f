/**
 * Describe a response without verifying it: the facts a person inspecting a rejected response
 * wants to see (format, AAGUID, flags, counter). Nothing here is evidence; every field is what
 * the bytes claim, and any part that cannot be decoded is reported as null.
 */
import { formatAaguid, parseAuthenticatorData } from './authenticator-data.js';
import { fromBase64url, toBase64url } from './base64url.js';
import { decodeCbor, isBytes, isCborMap } from './cbor.js';
import type { AuthenticatorData, AuthenticatorFlags } from './types.js';

export interface ResponseDescription {
  readonly fmt: string | null;
  readonly aaguid: string | null;
  readonly credentialId: string | null;
  readonly alg: number | null;
  readonly flags: AuthenticatorFlags | null;
  readonly counter: number | null;
}

const EMPTY: ResponseDescription = {
  fmt: null,
  aaguid: null,
  credentialId: null,
  alg: null,
  flags: null,
  counter: null,
};

function attempt<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

function member(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function fromAuthData(authData: AuthenticatorData | null, fmt: string | null, fallbackId: string | null) {
  const attested = authData?.attestedCredentialData;
  const alg = attested?.credentialPublicKey.get(3);
  return {
    fmt,
    aaguid: attested ? formatAaguid(attested.aaguid) : null,
    credentialId: attested ? toBase64url(attested.credentialId) : fallbackId,
    alg: typeof alg === 'number' ? alg : null,
    flags: authData?.flags ?? null,
    counter: authData?.signCount ?? null,
  };
}

export function describeResponse(response: unknown): ResponseDescription {
  const inner = member(response, 'response');
  const id = member(response, 'id');
  const fallbackId = typeof id === 'string' && id.length <= 2048 ? id : null;
  const attestationObject = member(inner, 'attestationObject');
  if (attestationObject !== undefined) {
    const decoded = attempt(() => decodeCbor(fromBase64url(attestationObject, 'attestationObject')));
    if (!decoded || !isCborMap(decoded)) return { ...EMPTY, credentialId: fallbackId };
    const fmtValue = decoded.get('fmt');
    const fmt = typeof fmtValue === 'string' ? fmtValue : null;
    const rawAuthData = decoded.get('authData');
    const authData =
      rawAuthData !== undefined && isBytes(rawAuthData)
        ? attempt(() => parseAuthenticatorData(rawAuthData))
        : null;
    return fromAuthData(authData, fmt, fallbackId);
  }
  const authData = attempt(() =>
    parseAuthenticatorData(fromBase64url(member(inner, 'authenticatorData'), 'authenticatorData')),
  );
  return fromAuthData(authData, null, fallbackId);
}
