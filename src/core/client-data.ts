/**
 * Client data (WebAuthn L3 §5.8.1) and the other members of a PublicKeyCredential JSON that the
 * client, not the authenticator, produces: clientExtensionResults and authenticatorAttachment.
 * None of these is covered by the authenticator's signature except clientDataJSON (through its hash).
 */
import { Buffer } from 'node:buffer';
import { MAX_CREDENTIAL_ID_LENGTH } from './authenticator-data.js';
import { fromBase64url, toBase64url } from './base64url.js';
import { fail } from './errors.js';
import type { AuthenticatorTransport, CeremonyExpectations, CollectedClientData } from './types.js';

/** Real clientDataJSON is a few hundred bytes; anything above this is refused before decoding. */
export const MAX_CLIENT_DATA_BYTES = 64 * 1024;

/** The client data members whose meaning a duplicate could change; a repeated one is refused. */
const GUARDED_MEMBERS: ReadonlySet<string> = new Set([
  'type',
  'challenge',
  'origin',
  'crossOrigin',
  'topOrigin',
]);

/**
 * WHATWG "UTF-8 decode": fatal on malformed sequences and (ignoreBOM: false) strips exactly one
 * leading BOM, as §7.1 step 5 and §7.2 step 8 require. A second BOM stays and fails JSON.parse.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Decode the base64url `response.clientDataJSON` member. Over-long text is refused as
 * `client_data_invalid` before any decoding, whatever its length, so the size rule has one code.
 */
export function decodeClientDataJSON(value: unknown): Buffer {
  if (typeof value === 'string' && value.length > Math.ceil((MAX_CLIENT_DATA_BYTES * 4) / 3)) {
    fail('client_data_invalid', 'clientDataJSON is larger than 64 KiB');
  }
  return fromBase64url(value, 'clientDataJSON', MAX_CLIENT_DATA_BYTES);
}

/**
 * Parse clientDataJSON bytes (§7.1 steps 5-6, §7.2 steps 8-9) into the members the ceremony
 * checks. Unknown members are tolerated (§5.8.1: the dictionary may be extended), but a repeated
 * security-relevant member is not: JSON.parse keeps the last value, while another parser (or
 * the §5.8.1.2 limited verification algorithm) would read the first.
 */
export function parseClientData(bytes: Uint8Array): CollectedClientData {
  if (bytes.length === 0) fail('client_data_invalid', 'clientDataJSON is empty');
  if (bytes.length > MAX_CLIENT_DATA_BYTES)
    fail('client_data_invalid', 'clientDataJSON is larger than 64 KiB');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return fail('client_data_invalid', 'clientDataJSON is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('client_data_invalid', 'clientDataJSON is not valid JSON');
  }
  if (!isJsonObject(parsed)) fail('client_data_invalid', 'clientDataJSON is not a JSON object');
  rejectDuplicateMembers(text);

  const { type, challenge, origin, crossOrigin, topOrigin, tokenBinding } = parsed;
  if (typeof type !== 'string') fail('client_data_invalid', 'type is missing or not a string');
  if (typeof challenge !== 'string') fail('client_data_invalid', 'challenge is missing or not a string');
  if (typeof origin !== 'string') fail('client_data_invalid', 'origin is missing or not a string');
  if (crossOrigin !== undefined && typeof crossOrigin !== 'boolean') {
    fail('client_data_invalid', 'crossOrigin is not a boolean');
  }
  if (topOrigin !== undefined && typeof topOrigin !== 'string') {
    fail('client_data_invalid', 'topOrigin is not a string');
  }
  if (tokenBinding !== undefined) checkTokenBinding(tokenBinding);
  return { type, challenge, origin, crossOrigin: crossOrigin === true, topOrigin };
}

/**
 * tokenBinding is [RESERVED] in L3; the relying party never uses Token Binding, so the member is
 * only checked for being well formed as L2 defined it (§5.8.1: status "present" with an id, or
 * "supported"). "not-supported" was an L1-draft value that L2 removed; a client sending it is
 * not following any published level, so it is refused (py_webauthn rejects it as well).
 * A bare string (e.g. "unused", sent by some early Edge/Firefox builds before the member became a
 * dictionary) is tolerated: it claims nothing about a binding, and refusing it would lock out
 * real authenticators whose registrations are still around (py_webauthn accepts it too).
 */
function checkTokenBinding(value: unknown): void {
  if (typeof value === 'string') return;
  if (!isJsonObject(value)) fail('client_data_invalid', 'tokenBinding is neither an object nor a string');
  const { status, id } = value;
  if (status === 'supported') return;
  if (status === 'present') {
    if (typeof id !== 'string') fail('client_data_invalid', 'tokenBinding status "present" without an id');
    return;
  }
  fail('client_data_invalid', 'tokenBinding status is not "present" or "supported"');
}

/**
 * Walk the top level of an already-validated JSON text and refuse a repeated guarded member.
 * Keys are decoded (so `"\u0074ype"` counts as `type`). Runs in one pass over the text.
 */
function rejectDuplicateMembers(text: string): void {
  const seen = new Set<string>();
  let depth = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      const start = i;
      i++;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 0x5c /* \ */) i += 2;
        else if (c === 0x22) break;
        else i++;
      }
      i++; // past the closing quote
      if (depth !== 1) continue;
      let j = i;
      while (j < n && isJsonWhitespace(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) !== 0x3a /* : */) continue; // a value, not a key
      const key = JSON.parse(text.slice(start, i)) as string;
      if (GUARDED_MEMBERS.has(key)) {
        if (seen.has(key)) fail('client_data_invalid', `clientDataJSON repeats the member "${key}"`);
        seen.add(key);
      }
      continue;
    }
    if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) depth++;
    else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) depth--;
    i++;
  }
}

function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * The client data checks common to both ceremonies, in spec order:
 * §7.1 steps 7-11 (registration) and §7.2 steps 10-14 (authentication).
 * Every comparison is an exact string comparison: no case folding, no URL normalisation.
 */
export function checkClientData(
  c: CollectedClientData,
  expected: CeremonyExpectations,
  type: 'webauthn.create' | 'webauthn.get',
): void {
  // §7.1 step 7 / §7.2 step 10: the ceremony type.
  if (c.type !== type) fail('ceremony_type_mismatch', `type is "${c.type}", expected "${type}"`);

  // §7.1 step 8 / §7.2 step 11: the challenge is the base64url encoding of the issued bytes.
  const challenge =
    typeof expected.challenge === 'string' ? expected.challenge : toBase64url(expected.challenge);
  // An empty expected challenge is a server bug; failing closed keeps "" from matching "".
  if (challenge.length === 0) fail('challenge_mismatch', 'the expected challenge is empty');
  if (c.challenge !== challenge) fail('challenge_mismatch', 'challenge differs from the one issued');

  // §7.1 step 9 / §7.2 step 12: the origin is one the relying party expects (exact match, §13.5.9).
  if (!expected.origins.includes(c.origin)) fail('origin_mismatch', `origin "${c.origin}" is not allowed`);

  const topOrigins = expected.topOrigins ?? [];
  const allowCrossOrigin = expected.allowCrossOrigin === true;
  // §7.1 step 10 / §7.2 step 13: crossOrigin true means the call came from a cross-origin iframe.
  // Without a topOrigin the embedding page is unknown, so only an explicit opt-in accepts it;
  // with a topOrigin, step 11 / 14 decides.
  if (c.crossOrigin && c.topOrigin === undefined && !allowCrossOrigin) {
    fail('cross_origin_not_allowed', 'crossOrigin is true and cross-origin use is not allowed');
  }

  // §7.1 step 11 / §7.2 step 14: a topOrigin needs both an expectation of embedding and a match.
  if (c.topOrigin !== undefined) {
    if (topOrigins.length === 0 && !allowCrossOrigin) {
      fail('cross_origin_not_allowed', 'topOrigin is present and cross-origin use is not allowed');
    }
    if (!topOrigins.includes(c.topOrigin)) {
      fail('top_origin_mismatch', `topOrigin "${c.topOrigin}" is not an allowed embedding page`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Other client-produced members of the PublicKeyCredential JSON (WebAuthn L3 §5.1)
// ---------------------------------------------------------------------------------------------

/** Bounds on clientExtensionResults: it is unsigned and kept as evidence, so it stays small. */
export const MAX_CLIENT_EXTENSION_KEYS = 16;
export const MAX_CLIENT_EXTENSION_JSON_BYTES = 4096;

export interface ClientExtensionResults {
  /** A clean JSON copy of what the client sent. */
  readonly client: Readonly<Record<string, unknown>>;
  /** credProps.rk when the client reported it well formed (§10.1.3), else null. */
  readonly credProps: { readonly rk: boolean } | null;
}

/**
 * clientExtensionResults (§5.1 getClientExtensionResults()). Required by the L3 JSON
 * dictionaries; an absent member is read as {} because it carries no signed claim.
 */
export function readClientExtensionResults(value: unknown): ClientExtensionResults {
  if (value === undefined) return { client: {}, credProps: null };
  if (!isJsonObject(value)) fail('malformed_input', 'clientExtensionResults is not an object');
  if (Object.keys(value).length > MAX_CLIENT_EXTENSION_KEYS) {
    fail('extension_invalid', `clientExtensionResults has more than ${MAX_CLIENT_EXTENSION_KEYS} members`);
  }
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    return fail('extension_invalid', 'clientExtensionResults is not JSON-serialisable');
  }
  if (Buffer.byteLength(json, 'utf8') > MAX_CLIENT_EXTENSION_JSON_BYTES) {
    fail(
      'extension_invalid',
      `clientExtensionResults is larger than ${MAX_CLIENT_EXTENSION_JSON_BYTES} bytes`,
    );
  }
  // A fresh copy: no shared references with the caller's object, only JSON values.
  const client = JSON.parse(json) as Record<string, unknown>;
  const credProps = client.credProps;
  const rk = isJsonObject(credProps) ? credProps.rk : undefined;
  return { client, credProps: typeof rk === 'boolean' ? { rk } : null };
}

/**
 * authenticatorAttachment (§5.1): optional; null is what PublicKeyCredential reports when unknown.
 * Values outside AuthenticatorAttachment are read as null (§2.1.1: unknown enum strings are ignored).
 */
export function readAuthenticatorAttachment(value: unknown): 'platform' | 'cross-platform' | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') fail('malformed_input', 'authenticatorAttachment is not a string');
  return value === 'platform' || value === 'cross-platform' ? value : null;
}

const TRANSPORTS: ReadonlySet<string> = new Set<AuthenticatorTransport>([
  'usb',
  'nfc',
  'ble',
  'smart-card',
  'hybrid',
  'internal',
]);
export const MAX_TRANSPORTS = 16;

/**
 * response.transports (§5.2.1 getTransports()): known values kept once each, in order; unknown
 * strings dropped (future transports must not break registration). Absent or null (as the FIDO
 * conformance tool sends, py-reg-fido-u2f-fido-conformance) is read as [].
 */
export function readTransports(value: unknown): AuthenticatorTransport[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail('malformed_input', 'transports is not an array');
  if (value.length > MAX_TRANSPORTS) fail('malformed_input', `more than ${MAX_TRANSPORTS} transports`);
  const out: AuthenticatorTransport[] = [];
  for (const item of value) {
    if (typeof item !== 'string') fail('malformed_input', 'a transport is not a string');
    if (isAuthenticatorTransport(item) && !out.includes(item)) out.push(item);
  }
  return out;
}

export function isAuthenticatorTransport(value: unknown): value is AuthenticatorTransport {
  return typeof value === 'string' && TRANSPORTS.has(value);
}

/** The members every PublicKeyCredential JSON carries (§5.1.3 / §5.1.4 toJSON()). */
export interface CredentialEnvelope {
  /** The credential ID (decoded `rawId`, equal to `id`). */
  readonly rawId: Buffer;
  /** `response`: the AuthenticatorResponse JSON, checked to be an object. */
  readonly response: Readonly<Record<string, unknown>>;
  readonly clientExtensionResults: unknown;
  readonly authenticatorAttachment: 'platform' | 'cross-platform' | null;
}

/**
 * Check the envelope of a RegistrationResponseJSON / AuthenticationResponseJSON: an object with
 * type "public-key", `id` and `rawId` both canonical base64url of the same credential ID
 * (≤ 1023 bytes, §5.1), and a `response` object.
 */
export function readCredentialEnvelope(json: unknown): CredentialEnvelope {
  if (!isJsonObject(json)) fail('malformed_input', 'the credential is not a JSON object');
  if (json.type !== 'public-key') fail('malformed_input', 'type is not "public-key"');
  if (typeof json.id !== 'string' || typeof json.rawId !== 'string') {
    fail('malformed_input', 'id and rawId must be strings');
  }
  // Decoding bound: a little over the limit so a 1024-byte ID gets its own error code.
  const rawId = fromBase64url(json.rawId, 'rawId', MAX_CREDENTIAL_ID_LENGTH + 3);
  if (rawId.length === 0) fail('malformed_input', 'rawId is empty');
  if (rawId.length > MAX_CREDENTIAL_ID_LENGTH)
    fail('credential_id_too_long', `rawId is ${rawId.length} bytes`);
  // Both are base64url text of the same bytes and canonical, so text equality is byte equality.
  if (json.id !== json.rawId) fail('credential_id_mismatch', 'id and rawId differ');
  if (!isJsonObject(json.response)) fail('malformed_input', 'response is not an object');
  return {
    rawId,
    response: json.response,
    clientExtensionResults: json.clientExtensionResults,
    authenticatorAttachment: readAuthenticatorAttachment(json.authenticatorAttachment),
  };
}
