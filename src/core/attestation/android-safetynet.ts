/**
 * The `android-safetynet` attestation statement format (WebAuthn L3 §8.5; deprecated, kept for
 * devices that still produce it). `response` is a SafetyNet attestation JWS (RFC 7515 compact
 * serialization) signed by Google's "attest.android.com" key; its payload binds the ceremony
 * through `nonce` and reports the device integrity verdict.
 *
 * Parsing is strict and bounded: three base64url parts in canonical form, JSON objects of limited
 * size and nesting, a small set of signature algorithms, an x5c of DER certificates in standard
 * base64. Every failure is a typed error; hostile input never reaches JSON.parse unbounded.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { children, DER, type DerNode, isUniversal, parseDer } from '../asn1.js';
import type { CborMap } from '../cbor.js';
import { verifyWithCertificateKey } from '../cose/index.js';
import { fail } from '../errors.js';
import type { AttestationContext, AttestationResult } from '../types.js';
import {
  chainEvidence,
  MAX_CHAIN_LENGTH,
  type ParsedCertificate,
  parseCertificate,
  OID as X509_OID,
} from './x509.js';

/** The SafetyNet signing certificate's host name (§8.5, SafetyNet "compat check response" steps). */
export const SAFETYNET_HOSTNAME = 'attest.android.com';
/** Largest JWS accepted (real responses are 5-9 KB with a three-certificate x5c). */
export const MAX_SAFETYNET_JWS_BYTES = 64 * 1024;
/** How far in the future timestampMs may lie: clock skew between Google's servers and ours. */
export const SAFETYNET_FUTURE_SKEW_MS = 10_000;
/** Deepest JSON nesting accepted in the header and payload (real ones: 2). */
const MAX_JSON_DEPTH = 8;
/** Bound on ver (a Google Play services version number, e.g. "252037029"). */
const MAX_VER_LENGTH = 64;
const STATEMENT_KEYS: ReadonlySet<string> = new Set(['ver', 'response']);

/**
 * JWS "alg" (RFC 7518 §3.1) → COSE algorithm and, for ECDSA, the byte length of the fixed-size
 * R || S signature (RFC 7518 §3.4), which COSE verification takes as DER.
 */
const JWS_ALGORITHMS: ReadonlyMap<string, { readonly cose: number; readonly ecdsaSize?: number }> = new Map([
  ['RS256', { cose: -257 }],
  ['RS384', { cose: -258 }],
  ['RS512', { cose: -259 }],
  ['PS256', { cose: -37 }],
  ['PS384', { cose: -38 }],
  ['PS512', { cose: -39 }],
  ['ES256', { cose: -7, ecdsaSize: 32 }],
  ['ES384', { cose: -35, ecdsaSize: 48 }],
  ['ES512', { cose: -36, ecdsaSize: 66 }],
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function bad(detail: string): never {
  return fail('attestation_invalid', `android-safetynet: ${detail}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict unpadded base64url (RFC 7515 §2): alphabet, length and canonical trailing bits. */
function base64url(part: string, what: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(part) || part.length % 4 === 1) bad(`${what} is not base64url`);
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) bad(`${what} is not canonical base64url`);
  return bytes;
}

/** Strict padded standard base64 (RFC 7515 §4.1.6: x5c entries are base64, not base64url). */
function base64(text: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) bad(`${what} is not base64`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) bad(`${what} is not canonical base64`);
  return bytes;
}

/** Nesting depth of a JSON text, counted outside strings; stops early past the limit. */
function jsonDepthWithin(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return false;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return true;
}

/** Decode one JWS part as a JSON object: UTF-8, bounded depth, JSON.parse wrapped. */
function jsonObject(bytes: Buffer, what: string): JsonObject {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return bad(`${what} is not valid UTF-8`);
  }
  if (!jsonDepthWithin(text, MAX_JSON_DEPTH)) bad(`${what} JSON is nested too deeply`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad(`${what} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    bad(`${what} is not a JSON object`);
  return value as JsonObject;
}

/** An own member (never one inherited from Object.prototype). */
function member(obj: JsonObject, key: string): Json | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function optionalBoolean(obj: JsonObject, key: string): boolean | null {
  const v = member(obj, key);
  if (v === undefined) return null;
  if (typeof v !== 'boolean') bad(`payload ${key} is not a boolean`);
  return v;
}

/** Convert a JWS ECDSA signature (R || S, RFC 7518 §3.4) to the DER ECDSA-Sig-Value COSE verification takes. */
function ecdsaRawToDer(raw: Buffer, size: number): Buffer {
  if (raw.length !== size * 2) bad(`ECDSA signature is ${raw.length} bytes, not ${size * 2}`);
  const integerTlv = (v: Buffer): Buffer => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    let body = v.subarray(i);
    if ((body[0] as number) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const seq = Buffer.concat([integerTlv(raw.subarray(0, size)), integerTlv(raw.subarray(size))]);
  const len = seq.length < 0x80 ? Buffer.from([seq.length]) : Buffer.from([0x81, seq.length]);
  return Buffer.concat([Buffer.from([0x30]), len, seq]);
}

/** The dNSName entries of a subjectAltName extension. */
function dnsNames(cert: ParsedCertificate): string[] {
  const ext = cert.extensions.get(X509_OID.subjectAltName);
  if (!ext) return [];
  const names: DerNode = parseDer(ext.value);
  if (!isUniversal(names, DER.SEQUENCE)) bad('attestation certificate subjectAltName is not a SEQUENCE');
  // GeneralName dNSName [2] IMPLICIT IA5String (RFC 5280 §4.2.1.6).
  return children(names)
    .filter((gn) => gn.cls === 2 && gn.tag === 2 && !gn.constructed)
    .map((gn) => gn.content.toString('latin1'));
}

export interface SafetyNetJws {
  readonly header: JsonObject;
  readonly payload: JsonObject;
  readonly alg: string;
  readonly chain: ParsedCertificate[];
  /** The JWS Signing Input: ASCII(BASE64URL(header) || "." || BASE64URL(payload)). */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

/** Parse a compact JWS as SafetyNet produces it (RFC 7515 §7.1) without verifying it. */
export function parseSafetyNetJws(response: Uint8Array): SafetyNetJws {
  if (response.length === 0 || response.length > MAX_SAFETYNET_JWS_BYTES)
    bad(`response is ${response.length} bytes (1..${MAX_SAFETYNET_JWS_BYTES})`);
  const bytes = Buffer.from(response.buffer, response.byteOffset, response.byteLength);
  // Compact serialization is ASCII only (base64url parts and two dots).
  for (const b of bytes) if (b > 0x7e || b < 0x21) bad('response is not a compact JWS');
  const text = bytes.toString('latin1');
  const parts = text.split('.');
  if (parts.length !== 3) bad(`response has ${parts.length} parts, not 3 (compact JWS)`);
  const [h, p, s] = parts as [string, string, string];
  const header = jsonObject(base64url(h, 'JWS header'), 'JWS header');
  const payload = jsonObject(base64url(p, 'JWS payload'), 'JWS payload');
  const signature = base64url(s, 'JWS signature');
  if (signature.length === 0) bad('JWS signature is empty');

  // RFC 7515 §4.1.1: alg; "none" and anything else unknown is refused.
  const alg = member(header, 'alg');
  if (typeof alg !== 'string' || !JWS_ALGORITHMS.has(alg))
    bad(`JWS alg ${JSON.stringify(alg ?? null)} is not supported`);
  // RFC 7515 §4.1.11: crit names extensions that MUST be understood; none are.
  if (member(header, 'crit') !== undefined) bad('JWS header has crit extensions');
  // RFC 7515 §4.1.6: x5c, the signing certificate first, each a base64 DER certificate.
  const x5c = member(header, 'x5c');
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > MAX_CHAIN_LENGTH)
    bad('JWS header x5c must be a non-empty array of certificates');
  const chain = x5c.map((entry, i) => {
    if (typeof entry !== 'string') bad(`JWS x5c[${i}] is not a string`);
    return parseCertificate(base64(entry, `JWS x5c[${i}]`));
  });
  return { header, payload, alg, chain, signingInput: Buffer.from(`${h}.${p}`, 'latin1'), signature };
}

/** WebAuthn L3 §8.5 verification procedure. Attestation type Basic, trust path = the JWS x5c. */
export function verifyAndroidSafetyNet(attStmt: CborMap, ctx: AttestationContext): AttestationResult {
  // §8.5: "Verify that attStmt is valid CBOR conforming to the syntax defined above and perform CBOR
  // decoding on it to extract the contained fields." safetynetStmtFormat = { ver: text, response: bytes }.
  for (const key of attStmt.keys()) {
    if (typeof key !== 'string' || !STATEMENT_KEYS.has(key)) bad(`unexpected attStmt member ${String(key)}`);
  }
  const ver = attStmt.get('ver');
  if (typeof ver !== 'string' || ver.length === 0 || ver.length > MAX_VER_LENGTH)
    bad('ver must be a non-empty text string');
  const response = attStmt.get('response');
  if (!(response instanceof Uint8Array)) bad('response must be a byte string');

  // §8.5: "Verify that response is a valid SafetyNet response of version ver by following the steps
  // indicated by the SafetyNet online documentation" - a JWS whose signature verifies with the
  // leaf certificate of its x5c header.
  const jws = parseSafetyNetJws(response);
  const leaf = jws.chain[0] as ParsedCertificate;
  const algorithm = JWS_ALGORITHMS.get(jws.alg);
  if (!algorithm) return bad(`JWS alg ${jws.alg} is not supported`);
  const signature =
    algorithm.ecdsaSize === undefined ? jws.signature : ecdsaRawToDer(jws.signature, algorithm.ecdsaSize);
  if (!verifyWithCertificateKey(algorithm.cose, leaf.publicKey, jws.signingInput, signature))
    bad('JWS signature does not verify with the x5c leaf certificate');

  // §8.5: "Verify that the SafetyNet response actually came from the SafetyNet service": the
  // signing certificate is issued to the host name attest.android.com (SafetyNet documentation,
  // "Verify the compatibility check response") and chains to a trusted root (below).
  const hostnames = [...(leaf.subjectAttributes.get('CN') ?? []), ...dnsNames(leaf)].map((n) =>
    n.toLowerCase(),
  );
  if (!hostnames.includes(SAFETYNET_HOSTNAME))
    bad(`the JWS signing certificate is not issued to ${SAFETYNET_HOSTNAME}`);

  // A payload that reports an error carries no verdict (SafetyNet documentation).
  if (member(jws.payload, 'error') !== undefined) bad('payload reports an error');

  // §8.5: "Verify that the nonce attribute in the payload of response is identical to the Base64
  // encoding of the SHA-256 hash of the concatenation of authenticatorData and clientDataHash."
  const expectedNonce = createHash('sha256')
    .update(ctx.authData.raw)
    .update(ctx.clientDataHash)
    .digest()
    .toString('base64');
  const nonce = member(jws.payload, 'nonce');
  if (typeof nonce !== 'string') bad('payload has no nonce');
  if (nonce !== expectedNonce)
    bad('payload nonce is not base64(SHA-256(authenticatorData || clientDataHash))');

  // Freshness (FIDO conformance and SafetyNet documentation): timestampMs is when Google's servers
  // produced the response; it must not lie in the future (beyond clock skew) nor be older than the
  // policy allows, so an old response cannot be replayed into a new ceremony.
  const timestampMs = member(jws.payload, 'timestampMs');
  if (typeof timestampMs !== 'number' || !Number.isSafeInteger(timestampMs) || timestampMs < 0)
    bad('payload timestampMs is not a non-negative integer');
  const now = ctx.now.getTime();
  if (Number.isNaN(now)) bad('invalid verification time');
  if (timestampMs > now + SAFETYNET_FUTURE_SKEW_MS)
    bad(`payload timestampMs ${new Date(timestampMs).toISOString()} is in the future`);
  if (now - timestampMs > ctx.policy.safetyNetMaxAgeMs)
    bad(
      `payload timestampMs ${new Date(timestampMs).toISOString()} is older than ${ctx.policy.safetyNetMaxAgeMs} ms`,
    );

  // Device integrity verdict: ctsProfileMatch must be true unless the policy opts out.
  const ctsProfileMatch = optionalBoolean(jws.payload, 'ctsProfileMatch');
  const basicIntegrity = optionalBoolean(jws.payload, 'basicIntegrity');
  if (ctx.policy.safetyNetRequireCtsProfileMatch && ctsProfileMatch !== true)
    bad('payload ctsProfileMatch is not true (the device failed the compatibility check)');

  const apkPackageName = member(jws.payload, 'apkPackageName');
  const evaluationType = member(jws.payload, 'evaluationType');

  // The signing certificate chain (trust path x5c of the JWS header), validated at ctx.now.
  const evidence = chainEvidence(jws.chain, ctx);
  return {
    type: 'basic',
    ...evidence,
    details: {
      ver,
      ctsProfileMatch,
      basicIntegrity,
      timestampMs,
      apkPackageName: typeof apkPackageName === 'string' ? apkPackageName : null,
      evaluationType: typeof evaluationType === 'string' ? evaluationType : null,
    },
  };
}
