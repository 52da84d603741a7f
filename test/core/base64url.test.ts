import { describe, expect, it } from 'vitest';
import { fromBase64Lenient, fromBase64url, toBase64url } from '../../src/core/base64url.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

describe('base64url', () => {
  it('round-trips bytes', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0x00, 0x10, 0x3e]);
    expect(fromBase64url(toBase64url(bytes), 'x')).toEqual(Buffer.from(bytes));
  });

  it('rejects padding, the standard alphabet, impossible lengths and non-canonical tails', () => {
    expect(code(() => fromBase64url('AQ==', 'x'))).toBe('malformed_input');
    expect(code(() => fromBase64url('a+b/', 'x'))).toBe('malformed_input');
    expect(code(() => fromBase64url('abcde', 'x'))).toBe('malformed_input');
    expect(code(() => fromBase64url('AR', 'x'))).toBe('malformed_input');
    expect(code(() => fromBase64url(42, 'x'))).toBe('malformed_input');
  });

  it('bounds the decoded size', () => {
    expect(code(() => fromBase64url('A'.repeat(100), 'x', 16))).toBe('malformed_input');
  });

  it('accepts padded standard base64 only through the lenient reader', () => {
    expect(fromBase64Lenient('+/8=', 'x')).toEqual(Buffer.from([0xfb, 0xff]));
  });
});
