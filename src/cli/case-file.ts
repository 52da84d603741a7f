/**
 * The "case" shape shared by `tessera inspect` and the conformance corpus: one WebAuthn response
 * with what the relying party expected when it arrived. This module validates that shape and
 * turns a case into the core's expectations; it never verifies anything itself.
 */
import { Buffer } from 'node:buffer';
import { fromBase64url } from '../core/base64url.js';
import type {
  AuthenticationExpectations,
  RegistrationExpectations,
  StoredCredential,
  TrustAnchorInput,
} from '../core/types.js';

export interface WebAuthnCase {
  readonly name: string;
  readonly ceremony: 'registration' | 'authentication';
  readonly rpId: string;
  readonly origins: readonly string[];
  readonly challenge: string;
  readonly response: unknown;
  readonly credential:
    | { readonly id: string; readonly publicKey: string; readonly counter: number }
    | undefined;
  readonly requireUserVerification: boolean;
}

/** Settings a case file cannot carry but a harness or operator can supply. */
export interface CaseSettings {
  readonly now: Date;
  /** Anchors per attestation format; `'*'` applies to every format without its own entry. */
  readonly trustAnchors?: Readonly<Record<string, readonly TrustAnchorInput[]>>;
  readonly allowedAlgorithms?: readonly number[];
  readonly requireUserPresence?: boolean;
  readonly topOrigins?: readonly string[];
  readonly allowCrossOrigin?: boolean;
  readonly safetyNetRequireCtsProfileMatch?: boolean;
  readonly onCounterRegression?: 'reject' | 'report';
}

export class CaseFormatError extends Error {
  override readonly name = 'CaseFormatError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new CaseFormatError(`${what} must be a non-empty string`);
  return value;
}

/** Validate one case object. `fallbackName` names cases that carry no `name`. */
export function parseCase(value: unknown, fallbackName: string): WebAuthnCase {
  if (!isRecord(value)) throw new CaseFormatError(`${fallbackName}: a case must be a JSON object`);
  const name = typeof value.name === 'string' && value.name.length > 0 ? value.name : fallbackName;
  const ceremony = value.ceremony;
  if (ceremony !== 'registration' && ceremony !== 'authentication') {
    throw new CaseFormatError(`${name}: ceremony must be "registration" or "authentication"`);
  }
  const origin = value.origin;
  const origins = Array.isArray(origin)
    ? origin.map((o, i) => text(o, `${name}: origin[${i}]`))
    : [text(origin, `${name}: origin`)];
  let credential: WebAuthnCase['credential'];
  if (ceremony === 'authentication') {
    const c = value.credential;
    if (!isRecord(c)) throw new CaseFormatError(`${name}: an authentication case needs a credential`);
    const counter = c.counter ?? 0;
    if (typeof counter !== 'number' || !Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) {
      throw new CaseFormatError(`${name}: credential.counter must be a 32-bit unsigned integer`);
    }
    credential = {
      id: text(c.id, `${name}: credential.id`),
      publicKey: text(c.publicKey, `${name}: credential.publicKey`),
      counter,
    };
  }
  if (!('response' in value)) throw new CaseFormatError(`${name}: response is missing`);
  return {
    name,
    ceremony,
    rpId: text(value.rpId, `${name}: rpId`),
    origins,
    challenge: text(value.challenge, `${name}: challenge`),
    response: value.response,
    credential,
    requireUserVerification: value.requireUserVerification === true,
  };
}

/** A file holds one case or an array of cases. */
export function parseCaseFile(json: unknown, fileLabel: string): WebAuthnCase[] {
  const items = Array.isArray(json) ? json : [json];
  return items.map((item, i) => parseCase(item, items.length > 1 ? `${fileLabel}#${i}` : fileLabel));
}

function common(c: WebAuthnCase, s: CaseSettings) {
  return {
    challenge: c.challenge,
    origins: c.origins,
    rpId: c.rpId,
    requireUserVerification: c.requireUserVerification,
    now: s.now,
    ...(s.topOrigins ? { topOrigins: s.topOrigins } : {}),
    ...(s.allowCrossOrigin !== undefined ? { allowCrossOrigin: s.allowCrossOrigin } : {}),
  };
}

export function registrationExpectations(c: WebAuthnCase, s: CaseSettings): RegistrationExpectations {
  const anchors = s.trustAnchors;
  let trustAnchors: Record<string, readonly TrustAnchorInput[]> | undefined;
  if (anchors) {
    const all = anchors['*'];
    trustAnchors = {};
    for (const fmt of ['packed', 'tpm', 'android-key', 'android-safetynet', 'fido-u2f', 'apple']) {
      const list = anchors[fmt] ?? all;
      if (list && list.length > 0) trustAnchors[fmt] = list;
    }
  }
  return {
    ...common(c, s),
    ...(trustAnchors ? { trustAnchors } : {}),
    ...(s.allowedAlgorithms ? { allowedAlgorithms: s.allowedAlgorithms } : {}),
    ...(s.requireUserPresence !== undefined ? { requireUserPresence: s.requireUserPresence } : {}),
    ...(s.safetyNetRequireCtsProfileMatch !== undefined
      ? { attestationPolicy: { safetyNetRequireCtsProfileMatch: s.safetyNetRequireCtsProfileMatch } }
      : {}),
  };
}

/**
 * Case files store the credential ID as base64url text. A few sources used placeholders that
 * are not canonical base64url; those are taken as their UTF-8 bytes so the comparison with the
 * response ID still says something meaningful.
 */
function credentialIdBytes(id: string): Buffer {
  try {
    return fromBase64url(id, 'credential.id');
  } catch {
    return Buffer.from(id, 'utf8');
  }
}

export function authenticationExpectations(c: WebAuthnCase, s: CaseSettings): AuthenticationExpectations {
  const cred = c.credential;
  if (!cred) throw new CaseFormatError(`${c.name}: an authentication case needs a credential`);
  const credential: StoredCredential = {
    id: credentialIdBytes(cred.id),
    publicKey: fromBase64url(cred.publicKey, 'credential.publicKey'),
    counter: cred.counter,
  };
  return {
    ...common(c, s),
    credential,
    ...(s.onCounterRegression ? { onCounterRegression: s.onCounterRegression } : {}),
  };
}
