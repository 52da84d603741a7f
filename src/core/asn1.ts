/**
 * A small, bounded DER reader (ITU-T X.690) for the parts of certificates the attestation
 * formats inspect: extensions (AAGUID, Android key description, Apple nonce, TPM SAN), and the
 * certificate envelope itself when Node's strict parser refuses a real certificate.
 */
import { Buffer } from 'node:buffer';
import { fail } from './errors.js';

export interface DerNode {
  /** Tag class: 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly cls: number;
  readonly constructed: boolean;
  /** Tag number (high-tag-number form supported, as Android's key description uses it). */
  readonly tag: number;
  /** The whole TLV. */
  readonly raw: Buffer;
  /** The contents octets. */
  readonly content: Buffer;
}

const MAX_DER_DEPTH = 32;

/** Tag numbers of the universal class. */
export const DER = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
  PRINTABLE_STRING: 19,
  IA5_STRING: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
} as const;

/** Read one TLV at `offset`; returns the node and the offset after it. */
export function readTlv(bytes: Buffer, offset: number): { node: DerNode; end: number } {
  const start = offset;
  if (offset >= bytes.length) fail('certificate_invalid', 'DER: unexpected end');
  const first = bytes[offset++] as number;
  const cls = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let i = 0; ; i++) {
      if (i > 4 || offset >= bytes.length) fail('certificate_invalid', 'DER: bad high tag number');
      const b = bytes[offset++] as number;
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (offset >= bytes.length) fail('certificate_invalid', 'DER: missing length');
  let length = bytes[offset++] as number;
  if (length & 0x80) {
    const n = length & 0x7f;
    // DER forbids the indefinite form (0x80) and lengths beyond what fits in 4 bytes here.
    if (n === 0 || n > 4) fail('certificate_invalid', 'DER: unsupported length form');
    if (offset + n > bytes.length) fail('certificate_invalid', 'DER: length truncated');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (bytes[offset++] as number);
  }
  if (length > bytes.length - offset) fail('certificate_invalid', 'DER: content truncated');
  const end = offset + length;
  return {
    node: { cls, constructed, tag, raw: bytes.subarray(start, end), content: bytes.subarray(offset, end) },
    end,
  };
}

/** Parse exactly one TLV filling `bytes`. */
export function parseDer(bytes: Uint8Array): DerNode {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { node, end } = readTlv(buf, 0);
  if (end !== buf.length) fail('certificate_invalid', 'DER: trailing bytes');
  return node;
}

/** The children of a constructed node. */
export function children(node: DerNode, depth = 0): DerNode[] {
  if (!node.constructed) fail('certificate_invalid', 'DER: expected a constructed value');
  if (depth > MAX_DER_DEPTH) fail('certificate_invalid', 'DER: nesting too deep');
  const out: DerNode[] = [];
  let offset = 0;
  while (offset < node.content.length) {
    const { node: child, end } = readTlv(node.content, offset);
    out.push(child);
    offset = end;
  }
  return out;
}

export function isUniversal(node: DerNode, tag: number): boolean {
  return node.cls === 0 && node.tag === tag;
}

export function expectUniversal(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node || !isUniversal(node, tag)) fail('certificate_invalid', `DER: expected ${what}`);
  return node;
}

/** Decode an OBJECT IDENTIFIER's content to dotted text. */
export function decodeOid(content: Buffer): string {
  if (content.length === 0) fail('certificate_invalid', 'DER: empty OID');
  const parts: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) fail('certificate_invalid', 'DER: OID arc too large');
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else parts.push(value);
      value = 0;
    }
  }
  if ((content[content.length - 1] as number) & 0x80) fail('certificate_invalid', 'DER: OID truncated');
  return parts.join('.');
}

/** A non-negative INTEGER small enough for a JS number (enum values, versions). */
export function decodeSmallInteger(node: DerNode): number {
  if (node.content.length === 0 || node.content.length > 6) fail('certificate_invalid', 'DER: bad integer');
  let value = 0;
  for (const byte of node.content) value = value * 256 + byte;
  if ((node.content[0] as number) & 0x80) fail('certificate_invalid', 'DER: negative integer');
  return value;
}
