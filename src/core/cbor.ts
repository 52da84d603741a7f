/**
 * A strict, bounded CBOR (RFC 8949) reader for the structures WebAuthn carries: attestation
 * objects, authenticator data extensions and COSE keys, and a small encoder for the same subset.
 *
 * Strictness follows CTAP2's canonical encoding rules (CTAP 2.1 §8 "Message Encoding"): no
 * indefinite lengths, no tags, no duplicate map keys, map keys only integers or text, text valid
 * UTF-8, and no bytes left over. Bounds: nesting depth, total item count and the input length, so
 * hostile input costs at most linear time and never allocates more than it supplies.
 */
import { Buffer } from 'node:buffer';
import { fail } from './errors.js';

export type CborKey = number | string;
export type CborValue =
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | null
  | undefined
  | readonly CborValue[]
  | CborMap;
export type CborMap = ReadonlyMap<CborKey, CborValue>;

export interface CborLimits {
  /** Deepest nesting of arrays and maps. */
  readonly maxDepth: number;
  /** Most data items in one document (every value, key and element counts). */
  readonly maxItems: number;
}

export const DEFAULT_CBOR_LIMITS: CborLimits = { maxDepth: 16, maxItems: 4096 };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Reader {
  offset: number;
  items = 0;
  constructor(
    readonly bytes: Buffer,
    start: number,
    readonly limits: CborLimits,
  ) {
    this.offset = start;
  }

  need(n: number): void {
    if (n > this.bytes.length - this.offset) fail('cbor_invalid', 'unexpected end of CBOR data');
  }

  readLength(info: number): number {
    if (info < 24) return info;
    const b = this.bytes;
    const o = this.offset;
    switch (info) {
      case 24:
        this.need(1);
        this.offset += 1;
        return b[o] as number;
      case 25:
        this.need(2);
        this.offset += 2;
        return b.readUInt16BE(o);
      case 26:
        this.need(4);
        this.offset += 4;
        return b.readUInt32BE(o);
      case 27: {
        this.need(8);
        this.offset += 8;
        const big = b.readBigUInt64BE(o);
        // Any length above 2^53 cannot be satisfied by a real input; report it as such.
        return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
      }
      case 31:
        return fail('cbor_invalid', 'indefinite-length items are not allowed');
      default:
        return fail('cbor_invalid', `reserved additional information ${info}`);
    }
  }

  readUint(info: number): number | bigint {
    if (info === 27) {
      this.need(8);
      const value = this.bytes.readBigUInt64BE(this.offset);
      this.offset += 8;
      return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    }
    return this.readLength(info);
  }

  value(depth: number): CborValue {
    if (++this.items > this.limits.maxItems) fail('cbor_invalid', 'too many CBOR items');
    this.need(1);
    const initial = this.bytes[this.offset++] as number;
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
        return this.readUint(info);
      case 1: {
        const n = this.readUint(info);
        return typeof n === 'bigint' ? -1n - n : -1 - n;
      }
      case 2: {
        const len = this.readLength(info);
        this.need(len);
        const out = this.bytes.subarray(this.offset, this.offset + len);
        this.offset += len;
        return out;
      }
      case 3: {
        const len = this.readLength(info);
        this.need(len);
        const slice = this.bytes.subarray(this.offset, this.offset + len);
        this.offset += len;
        try {
          return utf8.decode(slice);
        } catch {
          return fail('cbor_invalid', 'text string is not valid UTF-8');
        }
      }
      case 4: {
        if (depth >= this.limits.maxDepth) fail('cbor_invalid', 'CBOR nesting too deep');
        const len = this.readLength(info);
        // Each element takes at least one byte: refuse counts the input cannot hold.
        this.need(len);
        const out: CborValue[] = [];
        for (let i = 0; i < len; i++) out.push(this.value(depth + 1));
        return out;
      }
      case 5: {
        if (depth >= this.limits.maxDepth) fail('cbor_invalid', 'CBOR nesting too deep');
        const len = this.readLength(info);
        this.need(len * 2);
        const out = new Map<CborKey, CborValue>();
        for (let i = 0; i < len; i++) {
          const key = this.value(depth + 1);
          if (typeof key !== 'number' && typeof key !== 'string') {
            fail('cbor_invalid', 'map keys must be integers or text strings');
          }
          if (out.has(key)) fail('cbor_invalid', 'duplicate map key');
          out.set(key, this.value(depth + 1));
        }
        return out;
      }
      case 6:
        return fail('cbor_invalid', 'CBOR tags are not allowed');
      default:
        return this.simple(info);
    }
  }

  simple(info: number): CborValue {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return undefined;
      case 25: {
        this.need(2);
        const half = this.bytes.readUInt16BE(this.offset);
        this.offset += 2;
        return decodeHalf(half);
      }
      case 26: {
        this.need(4);
        const v = this.bytes.readFloatBE(this.offset);
        this.offset += 4;
        return v;
      }
      case 27: {
        this.need(8);
        const v = this.bytes.readDoubleBE(this.offset);
        this.offset += 8;
        return v;
      }
      default:
        return fail('cbor_invalid', `unsupported simple value ${info}`);
    }
  }
}

function decodeHalf(half: number): number {
  const exp = (half >> 10) & 0x1f;
  const mant = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * 2 ** -14 * (mant / 1024);
  if (exp === 31) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + mant / 1024);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decode exactly one CBOR item that fills `bytes` completely (trailing bytes are an error). */
export function decodeCbor(bytes: Uint8Array, limits: CborLimits = DEFAULT_CBOR_LIMITS): CborValue {
  const reader = new Reader(asBuffer(bytes), 0, limits);
  const value = reader.value(0);
  if (reader.offset !== bytes.length) fail('cbor_invalid', 'trailing bytes after CBOR item');
  return value;
}

/**
 * Decode one CBOR item starting at `offset` and say where it ended: authenticator data holds a
 * COSE key followed by more data, so the reader must report the boundary rather than demand EOF.
 */
export function decodeCborPrefix(
  bytes: Uint8Array,
  offset: number,
  limits: CborLimits = DEFAULT_CBOR_LIMITS,
): { value: CborValue; end: number } {
  const reader = new Reader(asBuffer(bytes), offset, limits);
  const value = reader.value(0);
  return { value, end: reader.offset };
}

export function isCborMap(value: CborValue): value is CborMap {
  return value instanceof Map;
}

export function isBytes(value: CborValue): value is Uint8Array {
  return value instanceof Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Encoder (CTAP2 canonical for the subset above). Used for test authenticators and round trips.
// ---------------------------------------------------------------------------------------------

function head(major: number, n: number | bigint, out: number[]): void {
  const m = major << 5;
  if (typeof n === 'bigint' || n > 0xffffffff) {
    const big = BigInt(n);
    out.push(m | 27);
    for (let shift = 56n; shift >= 0n; shift -= 8n) out.push(Number((big >> shift) & 0xffn));
  } else if (n < 24) out.push(m | n);
  else if (n < 0x100) out.push(m | 24, n);
  else if (n < 0x10000) out.push(m | 25, n >> 8, n & 0xff);
  else out.push(m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

function encodeInto(value: CborValue, out: number[]): void {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(value);
      out.push(0xfb, ...b);
    } else if (value >= 0) head(0, value, out);
    else head(1, -1 - value, out);
  } else if (typeof value === 'bigint') {
    if (value >= 0n) head(0, value, out);
    else head(1, -1n - value, out);
  } else if (typeof value === 'string') {
    const b = Buffer.from(value, 'utf8');
    head(3, b.length, out);
    for (const byte of b) out.push(byte);
  } else if (value instanceof Uint8Array) {
    head(2, value.length, out);
    for (const byte of value) out.push(byte);
  } else if (value === false) out.push(0xf4);
  else if (value === true) out.push(0xf5);
  else if (value === null) out.push(0xf6);
  else if (value === undefined) out.push(0xf7);
  else if (Array.isArray(value)) {
    head(4, value.length, out);
    for (const item of value) encodeInto(item, out);
  } else if (value instanceof Map) {
    // CTAP2 canonical order: shorter encoded keys first, then bytewise.
    const entries = [...value.entries()].map(([k, v]) => {
      const kb: number[] = [];
      encodeInto(k, kb);
      return [kb, v] as const;
    });
    entries.sort(([a], [b]) => a.length - b.length || Buffer.compare(Buffer.from(a), Buffer.from(b)));
    head(5, entries.length, out);
    for (const [kb, v] of entries) {
      for (const byte of kb) out.push(byte);
      encodeInto(v, out);
    }
  }
}

export function encodeCbor(value: CborValue): Buffer {
  const out: number[] = [];
  encodeInto(value, out);
  return Buffer.from(out);
}
