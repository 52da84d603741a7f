/**
 * A tiny DER writer (ITU-T X.690) and X.509 certificate builder for tests: Node can verify
 * certificates but cannot create them, so test chains (expired, not-yet-valid, non-CA
 * intermediates, unknown critical extensions, odd encodings) are assembled here byte by byte
 * and signed with keys from node:crypto.
 */
import { Buffer } from 'node:buffer';
import { constants, type KeyObject, sign } from 'node:crypto';

// ---------------------------------------------------------------------------------------------
// Primitive encoders
// ---------------------------------------------------------------------------------------------

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with a single-byte identifier octet. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const seq = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items));
export const octets = (content: Uint8Array): Buffer => tlv(0x04, content);
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
export const bool = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
export const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
export const printableString = (text: string): Buffer => tlv(0x13, Buffer.from(text, 'latin1'));
/** [n] EXPLICIT (constructed context-specific). */
export const explicit = (n: number, content: Uint8Array): Buffer => tlv(0xa0 | n, content);
/** [n] IMPLICIT primitive. */
export const implicitPrimitive = (n: number, content: Uint8Array): Buffer => tlv(0x80 | n, content);

/** A non-negative INTEGER from a number, bigint or raw magnitude bytes. */
export function integer(value: number | bigint | Uint8Array): Buffer {
  let bytes: Buffer;
  if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else {
    let hex = BigInt(value).toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    bytes = Buffer.from(hex, 'hex');
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && ((bytes[start + 1] as number) & 0x80) === 0)
    start++;
  bytes = bytes.subarray(start);
  if (((bytes[0] as number) & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [a0 = 0n, a1 = 0n, ...rest] = arcs;
  const out: number[] = [];
  for (const arc of [a0 * 40n + a1, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

export function bitString(content: Uint8Array, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), content]));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** UTCTime for 1950-2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5). */
export function time(date: Date): Buffer {
  const y = date.getUTCFullYear();
  const rest =
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2);
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(`${pad(y % 100, 2)}${rest}Z`, 'latin1'));
  return tlv(0x18, Buffer.from(`${pad(y, 4)}${rest}Z`, 'latin1'));
}

// ---------------------------------------------------------------------------------------------
// X.509 pieces
// ---------------------------------------------------------------------------------------------

const NAME_OIDS: Readonly<Record<string, string>> = {
  CN: '2.5.4.3',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  O: '2.5.4.10',
  OU: '2.5.4.11',
};

/** A Name from [[attribute, value], ...], one attribute per RDN, in the given order. */
export function name(attributes: readonly (readonly [string, string])[]): Buffer {
  return seq(
    ...attributes.map(([attr, value]) =>
      set(seq(oid(NAME_OIDS[attr] ?? attr), attr === 'C' ? printableString(value) : utf8String(value))),
    ),
  );
}

export interface ExtensionSpec {
  readonly oid: string;
  readonly critical?: boolean;
  /** The DER placed inside extnValue. */
  readonly value: Uint8Array;
}

export function extension(spec: ExtensionSpec): Buffer {
  return seq(oid(spec.oid), ...(spec.critical ? [bool(true)] : []), octets(spec.value));
}

export function basicConstraints(ca: boolean, pathLength?: number, critical = true): ExtensionSpec {
  const parts = [...(ca ? [bool(true)] : []), ...(pathLength === undefined ? [] : [integer(pathLength)])];
  return { oid: '2.5.29.19', critical, value: seq(...parts) };
}

const KEY_USAGE_NAMES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
] as const;

export function keyUsage(
  usages: readonly (typeof KEY_USAGE_NAMES)[number][],
  critical = true,
): ExtensionSpec {
  let byte = 0;
  for (const u of usages) byte |= 0x80 >> KEY_USAGE_NAMES.indexOf(u);
  let unused = 0;
  while (unused < 7 && (byte & (1 << unused)) === 0) unused++;
  return { oid: '2.5.29.15', critical, value: bitString(Buffer.from([byte]), byte === 0 ? 0 : unused) };
}

/** id-fido-gen-ce-aaguid: extnValue = OCTET STRING (16 bytes). */
export function aaguidExtension(aaguid: Uint8Array, critical = false): ExtensionSpec {
  return { oid: '1.3.6.1.4.1.45724.1.1.4', critical, value: octets(aaguid) };
}

/** Apple anonymous attestation nonce: SEQUENCE { [1] EXPLICIT OCTET STRING }. */
export function appleNonceExtension(nonce: Uint8Array): ExtensionSpec {
  return { oid: '1.2.840.113635.100.8.2', value: seq(explicit(1, octets(nonce))) };
}

export type SignatureKind = 'ecdsa-sha256' | 'ecdsa-sha384' | 'rsa-sha256' | 'rsa-pss-sha256' | 'ed25519';

const HASH_OIDS: Readonly<Record<string, string>> = { sha256: '2.16.840.1.101.3.4.2.1' };

export function signatureAlgorithm(kind: SignatureKind): Buffer {
  switch (kind) {
    case 'ecdsa-sha256':
      return seq(oid('1.2.840.10045.4.3.2'));
    case 'ecdsa-sha384':
      return seq(oid('1.2.840.10045.4.3.3'));
    case 'rsa-sha256':
      return seq(oid('1.2.840.113549.1.1.11'), nullValue());
    case 'rsa-pss-sha256': {
      const sha256 = seq(oid(HASH_OIDS.sha256 ?? ''), nullValue());
      return seq(
        oid('1.2.840.113549.1.1.10'),
        seq(
          explicit(0, sha256),
          explicit(1, seq(oid('1.2.840.113549.1.1.8'), sha256)),
          explicit(2, integer(32)),
        ),
      );
    }
    case 'ed25519':
      return seq(oid('1.3.101.112'));
  }
}

export function signWith(kind: SignatureKind, key: KeyObject, data: Uint8Array): Buffer {
  switch (kind) {
    case 'ecdsa-sha256':
    case 'rsa-sha256':
      return sign('sha256', data, key);
    case 'ecdsa-sha384':
      return sign('sha384', data, key);
    case 'rsa-pss-sha256':
      return sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'ed25519':
      return sign(null, data, key);
  }
}

export interface CertificateSpec {
  /** X.509 version number (1, 2 or 3). Default 3. */
  readonly version?: number;
  readonly serial?: number | bigint | Uint8Array;
  readonly issuer: readonly (readonly [string, string])[];
  readonly subject: readonly (readonly [string, string])[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The subject public key. */
  readonly publicKey: KeyObject;
  /** The issuer's private key. */
  readonly signingKey: KeyObject;
  readonly signature?: SignatureKind;
  readonly extensions?: readonly ExtensionSpec[];
  /** Override the TBSCertificate.signature AlgorithmIdentifier (default: same as the outer one). */
  readonly tbsSignatureAlgorithm?: Uint8Array;
  /** Unused-bits octet written in the signatureValue BIT STRING (default 0). */
  readonly signatureUnusedBits?: number;
  /** Replace the signature after signing (for broken-signature tests). */
  readonly mutateSignature?: (signature: Buffer) => Buffer;
}

export function tbsCertificate(spec: CertificateSpec): Buffer {
  const version = spec.version ?? 3;
  const alg = signatureAlgorithm(spec.signature ?? 'ecdsa-sha256');
  const exts = spec.extensions ?? [];
  return seq(
    ...(version === 1 ? [] : [explicit(0, integer(version - 1))]),
    integer(spec.serial ?? 1),
    spec.tbsSignatureAlgorithm ?? alg,
    name(spec.issuer),
    seq(time(spec.notBefore), time(spec.notAfter)),
    name(spec.subject),
    spec.publicKey.export({ format: 'der', type: 'spki' }),
    ...(exts.length > 0 ? [explicit(3, seq(...exts.map(extension)))] : []),
  );
}

/** Build and sign a certificate. */
export function certificate(spec: CertificateSpec): Buffer {
  const kind = spec.signature ?? 'ecdsa-sha256';
  const tbs = tbsCertificate(spec);
  let sig = signWith(kind, spec.signingKey, tbs);
  if (spec.mutateSignature) sig = spec.mutateSignature(sig);
  return seq(tbs, signatureAlgorithm(kind), bitString(sig, spec.signatureUnusedBits ?? 0));
}

/** PEM text for a DER certificate. */
export function pem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
