import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatAaguid, parseAuthenticatorData } from '../../src/core/authenticator-data.js';
import { encodeCbor } from '../../src/core/cbor.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

const rpIdHash = createHash('sha256').update('example.com').digest();
const coseKey = encodeCbor(
  new Map<number, number | Uint8Array>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, Buffer.alloc(32, 1)],
    [-3, Buffer.alloc(32, 2)],
  ]),
);

function authData(flags: number, counter: number, tail: Buffer[] = []): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(counter, 1);
  return Buffer.concat([rpIdHash, head, ...tail]);
}

function attested(idLength: number): Buffer[] {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(idLength);
  return [Buffer.alloc(16, 0xab), len, Buffer.alloc(idLength, 7), coseKey];
}

describe('authenticator data', () => {
  it('parses the fixed head, flags and counter', () => {
    const parsed = parseAuthenticatorData(authData(0x1d, 42));
    expect(parsed.flags).toEqual({ up: true, uv: true, be: true, bs: true, at: false, ed: false });
    expect(parsed.signCount).toBe(42);
    expect(Buffer.from(parsed.rpIdHash)).toEqual(rpIdHash);
  });

  it('parses attested credential data and extensions', () => {
    const ext = encodeCbor(new Map([['credProtect', 2]]));
    const parsed = parseAuthenticatorData(authData(0xc5, 0, [...attested(16), ext]));
    expect(parsed.attestedCredentialData?.credentialId).toHaveLength(16);
    expect(Buffer.from(parsed.attestedCredentialData?.credentialPublicKeyBytes ?? [])).toEqual(coseKey);
    expect(parsed.extensions?.get('credProtect')).toBe(2);
    expect(formatAaguid(parsed.attestedCredentialData?.aaguid ?? new Uint8Array())).toBe(
      'abababab-abab-abab-abab-abababababab',
    );
  });

  it('rejects short data, trailing bytes and inconsistent AT/ED flags', () => {
    expect(code(() => parseAuthenticatorData(Buffer.alloc(36)))).toBe('authenticator_data_invalid');
    expect(code(() => parseAuthenticatorData(authData(0x01, 0, [Buffer.from([0])])))).toBe(
      'authenticator_data_invalid',
    );
    expect(code(() => parseAuthenticatorData(authData(0x41, 0)))).toBe('authenticator_data_invalid');
    expect(code(() => parseAuthenticatorData(authData(0x81, 0)))).toBe('authenticator_data_invalid');
    expect(code(() => parseAuthenticatorData(authData(0x01, 0, attested(16))))).toBe(
      'authenticator_data_invalid',
    );
    expect(code(() => parseAuthenticatorData(authData(0x41, 0, [...attested(16), Buffer.from([0])])))).toBe(
      'authenticator_data_invalid',
    );
  });

  it('rejects credential IDs over 1023 bytes and truncated IDs', () => {
    expect(code(() => parseAuthenticatorData(authData(0x41, 0, attested(1024))))).toBe(
      'credential_id_too_long',
    );
    expect(code(() => parseAuthenticatorData(authData(0x41, 0, attested(1023))))).toBe('no error');
    const truncated = authData(0x41, 0, attested(64)).subarray(0, 37 + 18 + 10);
    expect(code(() => parseAuthenticatorData(truncated))).toBe('authenticator_data_invalid');
  });
});
