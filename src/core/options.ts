/**
 * Ceremony options: the JSON a server hands to `PublicKeyCredential.parseCreationOptionsFromJSON()`
 * / `parseRequestOptionsFromJSON()` (WebAuthn L3 §5.1.9-§5.1.10), built to the exact shape of the
 * L3 *JSON dictionaries (§5.4 PublicKeyCredentialCreationOptions, §5.5 ...RequestOptions).
 *
 * Every input is validated at run time (callers may be plain JavaScript): a bad value is an
 * `options_invalid` error, never a silently different ceremony. No output member is ever
 * present with the value undefined.
 */
import { randomBytes } from 'node:crypto';
import { MAX_CREDENTIAL_ID_LENGTH } from './authenticator-data.js';
import { toBase64url } from './base64url.js';
import { isAuthenticatorTransport, isJsonObject } from './client-data.js';
import { DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS } from './cose/index.js';
import { fail } from './errors.js';
import type { AuthenticatorTransport } from './types.js';

// ---------------------------------------------------------------------------------------------
// The L3 JSON dictionaries (§5.1.9, §5.1.10, §5.4, §5.5)
// ---------------------------------------------------------------------------------------------

export type Base64URLString = string;
export type AuthenticatorAttachment = 'platform' | 'cross-platform';
export type ResidentKeyRequirement = 'discouraged' | 'preferred' | 'required';
export type UserVerificationRequirement = 'required' | 'preferred' | 'discouraged';
export type AttestationConveyancePreference = 'none' | 'indirect' | 'direct' | 'enterprise';
export type PublicKeyCredentialHint = 'security-key' | 'client-device' | 'hybrid';

export interface PublicKeyCredentialRpEntity {
  readonly id: string;
  readonly name: string;
}

export interface PublicKeyCredentialUserEntityJSON {
  readonly id: Base64URLString;
  readonly name: string;
  readonly displayName: string;
}

export interface PublicKeyCredentialParameters {
  readonly type: 'public-key';
  readonly alg: number;
}

export interface PublicKeyCredentialDescriptorJSON {
  readonly type: 'public-key';
  readonly id: Base64URLString;
  readonly transports?: readonly AuthenticatorTransport[];
}

export interface AuthenticatorSelectionCriteria {
  readonly authenticatorAttachment?: AuthenticatorAttachment;
  readonly residentKey: ResidentKeyRequirement;
  readonly requireResidentKey: boolean;
  readonly userVerification: UserVerificationRequirement;
}

export interface AuthenticationExtensionsPRFValuesJSON {
  readonly first: Base64URLString;
  readonly second?: Base64URLString;
}

export interface AuthenticationExtensionsClientInputsJSON {
  readonly appid?: string;
  readonly appidExclude?: string;
  readonly credProps?: boolean;
  readonly credentialProtectionPolicy?: CredentialProtectionPolicy;
  readonly enforceCredentialProtectionPolicy?: boolean;
  readonly largeBlob?: {
    readonly support?: 'required' | 'preferred';
    readonly read?: boolean;
    readonly write?: Base64URLString;
  };
  readonly minPinLength?: boolean;
  readonly prf?: {
    readonly eval?: AuthenticationExtensionsPRFValuesJSON;
    readonly evalByCredential?: Readonly<Record<Base64URLString, AuthenticationExtensionsPRFValuesJSON>>;
  };
}

export interface PublicKeyCredentialCreationOptionsJSON {
  readonly rp: PublicKeyCredentialRpEntity;
  readonly user: PublicKeyCredentialUserEntityJSON;
  readonly challenge: Base64URLString;
  readonly pubKeyCredParams: readonly PublicKeyCredentialParameters[];
  readonly timeout: number;
  readonly excludeCredentials: readonly PublicKeyCredentialDescriptorJSON[];
  readonly authenticatorSelection: AuthenticatorSelectionCriteria;
  readonly hints?: readonly PublicKeyCredentialHint[];
  readonly attestation: AttestationConveyancePreference;
  readonly attestationFormats?: readonly string[];
  readonly extensions: AuthenticationExtensionsClientInputsJSON;
}

export interface PublicKeyCredentialRequestOptionsJSON {
  readonly challenge: Base64URLString;
  readonly timeout: number;
  readonly rpId?: string;
  readonly allowCredentials: readonly PublicKeyCredentialDescriptorJSON[];
  readonly userVerification: UserVerificationRequirement;
  readonly hints?: readonly PublicKeyCredentialHint[];
  readonly extensions?: AuthenticationExtensionsClientInputsJSON;
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/** CTAP 2.1 credProtect, as the client extension inputs name it. */
export type CredentialProtectionPolicy =
  | 'userVerificationOptional'
  | 'userVerificationOptionalWithCredentialIDList'
  | 'userVerificationRequired';

export interface CredentialDescriptorInput {
  /** Credential ID bytes (1..1023). */
  readonly id: Uint8Array;
  readonly transports?: readonly AuthenticatorTransport[];
}

export interface PrfValuesInput {
  readonly first: Uint8Array;
  readonly second?: Uint8Array;
}

export interface RegistrationExtensionsInput {
  /** prf (§10.1.4) at creation: eval only (evalByCredential is not allowed in create()). */
  readonly prf?: { readonly eval?: PrfValuesInput };
  /** largeBlob (§10.1.5) at creation: support only. */
  readonly largeBlob?: { readonly support?: 'required' | 'preferred' };
  /** credProtect (CTAP 2.1 §12.1). */
  readonly credentialProtectionPolicy?: CredentialProtectionPolicy;
  readonly enforceCredentialProtectionPolicy?: boolean;
  /** minPinLength (CTAP 2.1 §12.4). */
  readonly minPinLength?: boolean;
  /** appidExclude (§10.1.2): the legacy U2F AppID whose credentials are excluded. */
  readonly appidExclude?: string;
}

export interface AuthenticationExtensionsInput {
  /** appid (§10.1.1): the legacy U2F AppID. */
  readonly appid?: string;
  /** prf (§10.1.4): eval, or evalByCredential keyed by credential ID bytes via `id`. */
  readonly prf?: {
    readonly eval?: PrfValuesInput;
    readonly evalByCredential?: readonly { readonly id: Uint8Array; readonly values: PrfValuesInput }[];
  };
  /** largeBlob (§10.1.5) at assertion: read, or write (not both). */
  readonly largeBlob?: { readonly read?: boolean; readonly write?: Uint8Array };
}

export interface RegistrationOptionsInput {
  readonly rp: { readonly id: string; readonly name: string };
  readonly user: { readonly id: Uint8Array; readonly name: string; readonly displayName: string };
  /** COSE algorithms to offer, in preference order. Default DEFAULT_ALGORITHMS (-7, -8, -257). */
  readonly algorithms?: readonly number[];
  /** Milliseconds, within the §15.1 recommended range 300000..600000. Default 300000. */
  readonly timeout?: number;
  readonly excludeCredentials?: readonly CredentialDescriptorInput[];
  readonly authenticatorSelection?: {
    readonly authenticatorAttachment?: AuthenticatorAttachment;
    /** Default 'preferred'. */
    readonly residentKey?: ResidentKeyRequirement;
    /** Default 'preferred'. */
    readonly userVerification?: UserVerificationRequirement;
  };
  /** Default 'none'. */
  readonly attestation?: AttestationConveyancePreference;
  readonly attestationFormats?: readonly string[];
  readonly hints?: readonly PublicKeyCredentialHint[];
  /** credProps is always requested; these are added to it. */
  readonly extensions?: RegistrationExtensionsInput;
}

export interface AuthenticationOptionsInput {
  /** The RP ID; omitted from the JSON when absent (the client then uses the caller's origin). */
  readonly rpId?: string;
  readonly allowCredentials?: readonly CredentialDescriptorInput[];
  /** Default 'preferred'. */
  readonly userVerification?: UserVerificationRequirement;
  /** Milliseconds, within the §15.1 recommended range 300000..600000. Default 300000. */
  readonly timeout?: number;
  readonly hints?: readonly PublicKeyCredentialHint[];
  readonly extensions?: AuthenticationExtensionsInput;
}

export interface RegistrationOptions {
  readonly options: PublicKeyCredentialCreationOptionsJSON;
  /** The raw challenge bytes, to store server-side until the ceremony completes (§13.5.3). */
  readonly challenge: Uint8Array;
}

export interface AuthenticationOptions {
  readonly options: PublicKeyCredentialRequestOptionsJSON;
  /** The raw challenge bytes, to store server-side until the ceremony completes (§13.5.3). */
  readonly challenge: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Limits and defaults
// ---------------------------------------------------------------------------------------------

/** §13.5.3 asks for at least 16 random bytes; 32 leaves a wide margin. */
export const CHALLENGE_LENGTH = 32;
/** §15.1 recommended range and default. */
export const DEFAULT_TIMEOUT_MS = 300_000;
export const MIN_TIMEOUT_MS = 300_000;
export const MAX_TIMEOUT_MS = 600_000;
/** More descriptors than this make option payloads large and reveal too much (§14.6.3). */
export const MAX_CREDENTIAL_DESCRIPTORS = 64;
/** Display strings: clients may truncate at 64 bytes (§6.4.1); this only bounds abuse. */
export const MAX_DISPLAY_STRING_LENGTH = 256;
export const MAX_USER_ID_LENGTH = 64;
const MAX_PRF_INPUT_BYTES = 1024;
const MAX_LARGE_BLOB_BYTES = 4096;
const MAX_URL_LENGTH = 2048;

const ATTACHMENTS = ['platform', 'cross-platform'] as const;
const RESIDENT_KEY = ['discouraged', 'preferred', 'required'] as const;
const USER_VERIFICATION = ['required', 'preferred', 'discouraged'] as const;
const ATTESTATION = ['none', 'indirect', 'direct', 'enterprise'] as const;
const HINTS = ['security-key', 'client-device', 'hybrid'] as const;
const CRED_PROTECT = [
  'userVerificationOptional',
  'userVerificationOptionalWithCredentialIDList',
  'userVerificationRequired',
] as const;
const LARGE_BLOB_SUPPORT = ['required', 'preferred'] as const;

// ---------------------------------------------------------------------------------------------
// Validation helpers
// ---------------------------------------------------------------------------------------------

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  for (const item of allowed) if (value === item) return item;
  return fail('options_invalid', `${field} must be one of ${allowed.join(', ')}`);
}

function displayString(value: unknown, field: string, allowEmpty: boolean): string {
  if (typeof value !== 'string') fail('options_invalid', `${field} is not a string`);
  if (!allowEmpty && value.length === 0) fail('options_invalid', `${field} is empty`);
  if (value.length > MAX_DISPLAY_STRING_LENGTH) fail('options_invalid', `${field} is too long`);
  return value;
}

function bytes(value: unknown, field: string, min: number, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) fail('options_invalid', `${field} is not a Uint8Array`);
  if (value.length < min || value.length > max) {
    fail('options_invalid', `${field} must be ${min}..${max} bytes, got ${value.length}`);
  }
  return value;
}

function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') fail('options_invalid', `${field} is not a boolean`);
  return value;
}

function list(value: unknown, field: string, max: number): readonly unknown[] {
  if (!Array.isArray(value)) fail('options_invalid', `${field} is not an array`);
  if (value.length > max) fail('options_invalid', `${field} has more than ${max} entries`);
  return value;
}

function object(value: unknown, field: string, known: readonly string[]): Record<string, unknown> {
  if (!isJsonObject(value)) fail('options_invalid', `${field} is not an object`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail('options_invalid', `${field}.${key} is not supported`);
  }
  return value;
}

/**
 * An RP ID is a domain (§5.1.x "RP ID"): lower-case LDH labels, no scheme, port, path or trailing
 * dot. Lower case is required because rpIdHash is SHA-256 of these exact characters.
 */
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
function rpId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253) {
    fail('options_invalid', `${field} is not a domain`);
  }
  const labels = value.split('.');
  if (!labels.every((label) => DOMAIN_LABEL.test(label)) || /^[0-9.]+$/.test(value)) {
    fail('options_invalid', `${field} "${value}" is not a lower-case domain name`);
  }
  return value;
}

function timeout(value: unknown): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < MIN_TIMEOUT_MS ||
    value > MAX_TIMEOUT_MS
  ) {
    return fail('options_invalid', `timeout must be an integer in ${MIN_TIMEOUT_MS}..${MAX_TIMEOUT_MS} ms`);
  }
  return value;
}

function descriptors(value: unknown, field: string): PublicKeyCredentialDescriptorJSON[] {
  if (value === undefined) return [];
  const out: PublicKeyCredentialDescriptorJSON[] = [];
  for (const [i, entry] of list(value, field, MAX_CREDENTIAL_DESCRIPTORS).entries()) {
    const d = object(entry, `${field}[${i}]`, ['id', 'transports']);
    const id = toBase64url(bytes(d.id, `${field}[${i}].id`, 1, MAX_CREDENTIAL_ID_LENGTH));
    if (d.transports === undefined) {
      out.push({ type: 'public-key', id });
      continue;
    }
    const transports: AuthenticatorTransport[] = [];
    for (const t of list(d.transports, `${field}[${i}].transports`, 6)) {
      if (!isAuthenticatorTransport(t))
        fail('options_invalid', `${field}[${i}].transports has an unknown value`);
      if (!transports.includes(t)) transports.push(t);
    }
    out.push(transports.length > 0 ? { type: 'public-key', id, transports } : { type: 'public-key', id });
  }
  return out;
}

function hints(value: unknown): PublicKeyCredentialHint[] {
  if (value === undefined) return [];
  const out: PublicKeyCredentialHint[] = [];
  for (const h of list(value, 'hints', HINTS.length)) {
    const hint = oneOf(h, HINTS, 'hints[]');
    if (out.includes(hint)) fail('options_invalid', `hints repeats "${hint}"`);
    out.push(hint);
  }
  return out;
}

/** §6.5.1 attestation statement format identifiers: ≤ 32 printable US-ASCII, no `"` or `\`. */
const FORMAT_IDENTIFIER = /^[\x21\x23-\x5b\x5d-\x7e]{1,32}$/;
function attestationFormats(value: unknown): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const f of list(value, 'attestationFormats', 16)) {
    if (typeof f !== 'string' || !FORMAT_IDENTIFIER.test(f)) {
      fail('options_invalid', 'attestationFormats has an invalid format identifier');
    }
    if (out.includes(f)) fail('options_invalid', `attestationFormats repeats "${f}"`);
    out.push(f);
  }
  return out;
}

function algorithms(value: unknown): PublicKeyCredentialParameters[] {
  const algs = value === undefined ? DEFAULT_ALGORITHMS : list(value, 'algorithms', 16);
  if (algs.length === 0) fail('options_invalid', 'algorithms is empty');
  const seen: number[] = [];
  for (const alg of algs) {
    if (typeof alg !== 'number' || !Number.isInteger(alg))
      fail('options_invalid', 'an algorithm is not an integer');
    // Offering an algorithm the verifier cannot check would fail every such registration later.
    if (!SUPPORTED_ALGORITHMS.includes(alg)) fail('options_invalid', `algorithm ${alg} is not supported`);
    if (seen.includes(alg)) fail('options_invalid', `algorithm ${alg} is repeated`);
    seen.push(alg);
  }
  return seen.map((alg) => ({ type: 'public-key', alg }));
}

function prfValues(value: unknown, field: string): AuthenticationExtensionsPRFValuesJSON {
  const v = object(value, field, ['first', 'second']);
  const first = toBase64url(bytes(v.first, `${field}.first`, 0, MAX_PRF_INPUT_BYTES));
  if (v.second === undefined) return { first };
  return { first, second: toBase64url(bytes(v.second, `${field}.second`, 0, MAX_PRF_INPUT_BYTES)) };
}

function url(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH || !URL.canParse(value)) {
    fail('options_invalid', `${field} is not a URL`);
  }
  return value;
}

type MutableExtensions = {
  -readonly [K in keyof AuthenticationExtensionsClientInputsJSON]: AuthenticationExtensionsClientInputsJSON[K];
};

function registrationExtensions(value: unknown): AuthenticationExtensionsClientInputsJSON {
  // credProps is always asked for: it is how the server learns whether a passkey is discoverable.
  const out: MutableExtensions = { credProps: true };
  if (value === undefined) return out;
  const e = object(value, 'extensions', [
    'prf',
    'largeBlob',
    'credentialProtectionPolicy',
    'enforceCredentialProtectionPolicy',
    'minPinLength',
    'appidExclude',
  ]);
  if (e.prf !== undefined) {
    const prf = object(e.prf, 'extensions.prf', ['eval']);
    out.prf = prf.eval === undefined ? {} : { eval: prfValues(prf.eval, 'extensions.prf.eval') };
  }
  if (e.largeBlob !== undefined) {
    const lb = object(e.largeBlob, 'extensions.largeBlob', ['support']);
    out.largeBlob =
      lb.support === undefined ? {} : { support: oneOf(lb.support, LARGE_BLOB_SUPPORT, 'largeBlob.support') };
  }
  if (e.credentialProtectionPolicy !== undefined) {
    out.credentialProtectionPolicy = oneOf(
      e.credentialProtectionPolicy,
      CRED_PROTECT,
      'credentialProtectionPolicy',
    );
  }
  const enforce = optionalBoolean(e.enforceCredentialProtectionPolicy, 'enforceCredentialProtectionPolicy');
  if (enforce !== undefined) {
    if (out.credentialProtectionPolicy === undefined) {
      fail('options_invalid', 'enforceCredentialProtectionPolicy needs credentialProtectionPolicy');
    }
    out.enforceCredentialProtectionPolicy = enforce;
  }
  const minPinLength = optionalBoolean(e.minPinLength, 'minPinLength');
  if (minPinLength !== undefined) out.minPinLength = minPinLength;
  if (e.appidExclude !== undefined) out.appidExclude = url(e.appidExclude, 'appidExclude');
  return out;
}

function authenticationExtensions(value: unknown): AuthenticationExtensionsClientInputsJSON | undefined {
  if (value === undefined) return undefined;
  const e = object(value, 'extensions', ['appid', 'prf', 'largeBlob']);
  const out: MutableExtensions = {};
  if (e.appid !== undefined) out.appid = url(e.appid, 'appid');
  if (e.prf !== undefined) {
    const prf = object(e.prf, 'extensions.prf', ['eval', 'evalByCredential']);
    const built: {
      eval?: AuthenticationExtensionsPRFValuesJSON;
      evalByCredential?: Record<string, AuthenticationExtensionsPRFValuesJSON>;
    } = {};
    if (prf.eval !== undefined) built.eval = prfValues(prf.eval, 'extensions.prf.eval');
    if (prf.evalByCredential !== undefined) {
      const byCred: Record<string, AuthenticationExtensionsPRFValuesJSON> = {};
      for (const [i, entry] of list(
        prf.evalByCredential,
        'prf.evalByCredential',
        MAX_CREDENTIAL_DESCRIPTORS,
      ).entries()) {
        const item = object(entry, `prf.evalByCredential[${i}]`, ['id', 'values']);
        const id = toBase64url(bytes(item.id, `prf.evalByCredential[${i}].id`, 1, MAX_CREDENTIAL_ID_LENGTH));
        byCred[id] = prfValues(item.values, `prf.evalByCredential[${i}].values`);
      }
      built.evalByCredential = byCred;
    }
    out.prf = built;
  }
  if (e.largeBlob !== undefined) {
    const lb = object(e.largeBlob, 'extensions.largeBlob', ['read', 'write']);
    const read = optionalBoolean(lb.read, 'largeBlob.read');
    if (read !== undefined && lb.write !== undefined)
      fail('options_invalid', 'largeBlob cannot both read and write');
    if (read !== undefined) out.largeBlob = { read };
    else if (lb.write !== undefined) {
      out.largeBlob = { write: toBase64url(bytes(lb.write, 'largeBlob.write', 0, MAX_LARGE_BLOB_BYTES)) };
    } else out.largeBlob = {};
  }
  return out;
}

function newChallenge(): Uint8Array {
  return new Uint8Array(randomBytes(CHALLENGE_LENGTH));
}

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

/** Options for navigator.credentials.create(): PublicKeyCredentialCreationOptionsJSON (§5.4). */
export function generateRegistrationOptions(input: RegistrationOptionsInput): RegistrationOptions {
  const i = object(input, 'input', [
    'rp',
    'user',
    'algorithms',
    'timeout',
    'excludeCredentials',
    'authenticatorSelection',
    'attestation',
    'attestationFormats',
    'hints',
    'extensions',
  ]);
  const rpIn = object(i.rp, 'rp', ['id', 'name']);
  const userIn = object(i.user, 'user', ['id', 'name', 'displayName']);
  const rp = { id: rpId(rpIn.id, 'rp.id'), name: displayString(rpIn.name, 'rp.name', false) };
  const user = {
    // §5.4.3: the user handle is 1..64 opaque bytes.
    id: toBase64url(bytes(userIn.id, 'user.id', 1, MAX_USER_ID_LENGTH)),
    name: displayString(userIn.name, 'user.name', false),
    // §5.4.3: an empty displayName is what an RP without a display name sends.
    displayName: displayString(userIn.displayName, 'user.displayName', true),
  };
  const pubKeyCredParams = algorithms(i.algorithms);
  const selIn =
    i.authenticatorSelection === undefined
      ? {}
      : object(i.authenticatorSelection, 'authenticatorSelection', [
          'authenticatorAttachment',
          'residentKey',
          'userVerification',
        ]);
  const residentKey =
    selIn.residentKey === undefined ? 'preferred' : oneOf(selIn.residentKey, RESIDENT_KEY, 'residentKey');
  const userVerification =
    selIn.userVerification === undefined
      ? 'preferred'
      : oneOf(selIn.userVerification, USER_VERIFICATION, 'userVerification');
  const authenticatorSelection: AuthenticatorSelectionCriteria =
    selIn.authenticatorAttachment === undefined
      ? // §5.4.4: requireResidentKey is true if, and only if, residentKey is "required".
        { residentKey, requireResidentKey: residentKey === 'required', userVerification }
      : {
          authenticatorAttachment: oneOf(
            selIn.authenticatorAttachment,
            ATTACHMENTS,
            'authenticatorAttachment',
          ),
          residentKey,
          requireResidentKey: residentKey === 'required',
          userVerification,
        };
  const attestation = i.attestation === undefined ? 'none' : oneOf(i.attestation, ATTESTATION, 'attestation');
  const formats = attestationFormats(i.attestationFormats);
  const hintList = hints(i.hints);
  const challenge = newChallenge();
  const options: PublicKeyCredentialCreationOptionsJSON = {
    rp,
    user,
    challenge: toBase64url(challenge),
    pubKeyCredParams,
    timeout: timeout(i.timeout),
    excludeCredentials: descriptors(i.excludeCredentials, 'excludeCredentials'),
    authenticatorSelection,
    ...(hintList.length > 0 ? { hints: hintList } : {}),
    attestation,
    ...(formats.length > 0 ? { attestationFormats: formats } : {}),
    extensions: registrationExtensions(i.extensions),
  };
  return { options, challenge };
}

/** Options for navigator.credentials.get(): PublicKeyCredentialRequestOptionsJSON (§5.5). */
export function generateAuthenticationOptions(input: AuthenticationOptionsInput = {}): AuthenticationOptions {
  const i = object(input, 'input', [
    'rpId',
    'allowCredentials',
    'userVerification',
    'timeout',
    'hints',
    'extensions',
  ]);
  const userVerification =
    i.userVerification === undefined
      ? 'preferred'
      : oneOf(i.userVerification, USER_VERIFICATION, 'userVerification');
  const hintList = hints(i.hints);
  const extensions = authenticationExtensions(i.extensions);
  const challenge = newChallenge();
  const options: PublicKeyCredentialRequestOptionsJSON = {
    challenge: toBase64url(challenge),
    timeout: timeout(i.timeout),
    ...(i.rpId === undefined ? {} : { rpId: rpId(i.rpId, 'rpId') }),
    allowCredentials: descriptors(i.allowCredentials, 'allowCredentials'),
    userVerification,
    ...(hintList.length > 0 ? { hints: hintList } : {}),
    ...(extensions === undefined ? {} : { extensions }),
  };
  return { options, challenge };
}
