import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { type CborValue, decodeCbor, decodeCborPrefix, encodeCbor } from '../../src/core/cbor.js';

const hex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex');
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

describe('CBOR reader', () => {
  it('decodes the RFC 8949 Appendix A examples it supports', () => {
    expect(decodeCbor(hex('00'))).toBe(0);
    expect(decodeCbor(hex('1903e8'))).toBe(1000);
    expect(decodeCbor(hex('3903e7'))).toBe(-1000);
    expect(decodeCbor(hex('1bffffffffffffffff'))).toBe(18446744073709551615n);
    expect(decodeCbor(hex('3bffffffffffffffff'))).toBe(-18446744073709551616n);
    expect(decodeCbor(hex('f90001'))).toBe(2 ** -24);
    expect(decodeCbor(hex('fa47c35000'))).toBe(100000);
    expect(decodeCbor(hex('f4'))).toBe(false);
    expect(decodeCbor(hex('f6'))).toBe(null);
    expect(decodeCbor(hex('6449455446'))).toBe('IETF');
    expect(Buffer.from(decodeCbor(hex('4401020304')) as Uint8Array)).toEqual(hex('01020304'));
    expect(decodeCbor(hex('83010203'))).toEqual([1, 2, 3]);
    expect(decodeCbor(hex('a201020304'))).toEqual(
      new Map([
        [1, 2],
        [3, 4],
      ]),
    );
  });

  it('round-trips what it encodes', () => {
    const value: CborValue = new Map<number | string, CborValue>([
      [1, 2],
      [-1, Buffer.from([1, 2, 3])],
      ['fmt', 'packed'],
      ['x', [true, false, null, -300, 70000, 2 ** 40]],
    ]);
    expect(decodeCbor(encodeCbor(value))).toEqual(value);
  });

  it('rejects indefinite lengths, tags, duplicate keys and trailing bytes', () => {
    expect(code(() => decodeCbor(hex('9f01ff')))).toBe('cbor_invalid');
    expect(code(() => decodeCbor(hex('5f4101ff')))).toBe('cbor_invalid');
    expect(code(() => decodeCbor(hex('bf0102ff')))).toBe('cbor_invalid');
    expect(code(() => decodeCbor(hex('c11a514b67b0')))).toBe('cbor_invalid');
    expect(code(() => decodeCbor(hex('d90103a10102')))).toBe('cbor_invalid');
    expect(code(() => decodeCbor(hex('a201020103')))).toBe('cbor_invalid');
    expect(code(() => decodeCbor(hex('0000')))).toBe('cbor_invalid');
  });

  it('rejects non-text, non-integer map keys and invalid UTF-8', () => {
    expect(code(() => decodeCbor(hex('a1410101')))).toBe('cbor_invalid');
    expect(code(() => decodeCbor(hex('62c328')))).toBe('cbor_invalid');
  });

  it('bounds depth, item count and declared lengths', () => {
    expect(code(() => decodeCbor(Buffer.alloc(10_000, 0x81)))).toBe('cbor_invalid');
    expect(code(() => decodeCbor(hex('9b00000000ffffffff')))).toBe('cbor_invalid');
    expect(code(() => decodeCbor(hex('5affffffff00')))).toBe('cbor_invalid');
    const wide = Buffer.concat([hex('9a00002000'), Buffer.alloc(0x2000, 0)]);
    expect(code(() => decodeCbor(wide))).toBe('cbor_invalid');
    const deepButAllowed = Buffer.concat([Buffer.alloc(15, 0x81), hex('00')]);
    expect(code(() => decodeCbor(deepButAllowed))).toBe('no error');
  });

  it('reports where a prefix item ends', () => {
    const bytes = hex('a10102 ff ee');
    expect(decodeCborPrefix(bytes, 0).end).toBe(3);
  });
});
