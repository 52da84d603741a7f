import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  checkClientData,
  decodeClientDataJSON,
  MAX_CLIENT_DATA_BYTES,
  parseClientData,
  readAuthenticatorAttachment,
  readClientExtensionResults,
  readCredentialEnvelope,
  readTransports,
} from '../../src/core/client-data.js';
import type { CoreErrorCode } from '../../src/core/errors.js';
import type { CeremonyExpectations, CollectedClientData } from '../../src/core/types.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const json = (value: unknown): Uint8Array => bytes(JSON.stringify(value));

function expectCode(fn: () => unknown, code: CoreErrorCode): void {
  expect(fn).toThrow(expect.objectContaining({ code }));
}

const base = { type: 'webauthn.get', challenge: 'AAAA', origin: 'https://example.com' };

describe('parseClientData', () => {
  it('reads the standard members and defaults crossOrigin to false', () => {
    expect(parseClientData(json(base))).toStrictEqual({
      type: 'webauthn.get',
      challenge: 'AAAA',
      origin: 'https://example.com',
      crossOrigin: false,
      topOrigin: undefined,
    });
  });

  it('reads crossOrigin and topOrigin', () => {
    const c = parseClientData(json({ ...base, crossOrigin: true, topOrigin: 'https://top.example' }));
    expect(c.crossOrigin).toBe(true);
    expect(c.topOrigin).toBe('https://top.example');
  });

  it('tolerates unknown members and any member order (§5.8.1)', () => {
    const c = parseClientData(
      bytes(
        '{"other_keys_can_be_added_here":"x","origin":"https://example.com","challenge":"AAAA","type":"webauthn.get","n":[1,{"a":2}]}',
      ),
    );
    expect(c.origin).toBe('https://example.com');
  });

  it('strips one leading BOM (§7.1 step 5)', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(base)]);
    expect(parseClientData(withBom).type).toBe('webauthn.get');
  });

  it('refuses a second BOM', () => {
    const twoBoms = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), json(base)]);
    expectCode(() => parseClientData(twoBoms), 'client_data_invalid');
  });

  it('refuses invalid UTF-8', () => {
    const bad = Buffer.concat([
      bytes('{"type":"webauthn.get","challenge":"AAAA","origin":"https://ex'),
      Buffer.from([0xc3, 0x28]),
      bytes('"}'),
    ]);
    expectCode(() => parseClientData(bad), 'client_data_invalid');
  });

  it('refuses invalid JSON, an empty input, and non-objects', () => {
    expectCode(() => parseClientData(bytes('{"type":')), 'client_data_invalid');
    expectCode(() => parseClientData(new Uint8Array(0)), 'client_data_invalid');
    expectCode(() => parseClientData(bytes('[1,2]')), 'client_data_invalid');
    expectCode(() => parseClientData(bytes('"webauthn.get"')), 'client_data_invalid');
    expectCode(() => parseClientData(bytes('null')), 'client_data_invalid');
  });

  it('refuses more than 64 KiB, and accepts exactly 64 KiB', () => {
    const prefix = '{"type":"webauthn.get","challenge":"AAAA","origin":"https://example.com","pad":"';
    const fill = (total: number) => bytes(`${prefix}${'x'.repeat(total - prefix.length - 2)}"}`);
    expect(fill(MAX_CLIENT_DATA_BYTES).length).toBe(MAX_CLIENT_DATA_BYTES);
    expect(parseClientData(fill(MAX_CLIENT_DATA_BYTES)).type).toBe('webauthn.get');
    expectCode(() => parseClientData(fill(MAX_CLIENT_DATA_BYTES + 1)), 'client_data_invalid');
  });

  it('decodes the base64url member with one size rule (client_data_invalid above 64 KiB)', () => {
    const at = (n: number) => Buffer.alloc(n, 0x20).toString('base64url');
    expect(decodeClientDataJSON(at(MAX_CLIENT_DATA_BYTES))).toHaveLength(MAX_CLIENT_DATA_BYTES);
    expectCode(() => decodeClientDataJSON(at(MAX_CLIENT_DATA_BYTES + 1)), 'client_data_invalid');
    expectCode(() => decodeClientDataJSON(at(4 * MAX_CLIENT_DATA_BYTES)), 'client_data_invalid');
    expectCode(() => decodeClientDataJSON('a=='), 'malformed_input');
    expectCode(() => decodeClientDataJSON(undefined), 'malformed_input');
  });

  it.each(['type', 'challenge', 'origin'] as const)('requires %s to be a string', (member) => {
    expectCode(() => parseClientData(json({ ...base, [member]: undefined })), 'client_data_invalid');
    expectCode(() => parseClientData(json({ ...base, [member]: 1 })), 'client_data_invalid');
    expectCode(() => parseClientData(json({ ...base, [member]: null })), 'client_data_invalid');
  });

  it('requires crossOrigin to be a boolean and topOrigin a string when present', () => {
    expectCode(() => parseClientData(json({ ...base, crossOrigin: 'true' })), 'client_data_invalid');
    expectCode(() => parseClientData(json({ ...base, crossOrigin: null })), 'client_data_invalid');
    expectCode(() => parseClientData(json({ ...base, topOrigin: 1 })), 'client_data_invalid');
  });

  it.each(['type', 'challenge', 'origin', 'crossOrigin', 'topOrigin'])(
    'refuses a duplicated "%s" member',
    (member) => {
      const values: Record<string, string> = {
        type: '"webauthn.get"',
        challenge: '"AAAA"',
        origin: '"https://example.com"',
        crossOrigin: 'false',
        topOrigin: '"https://top.example"',
      };
      const once = `{"type":"webauthn.get","challenge":"AAAA","origin":"https://example.com","crossOrigin":false,"topOrigin":"https://top.example"`;
      expect(() => parseClientData(bytes(`${once}}`))).not.toThrow();
      expectCode(
        () => parseClientData(bytes(`${once},"${member}":${values[member]}}`)),
        'client_data_invalid',
      );
    },
  );

  it('sees through escapes when looking for duplicates', () => {
    const text =
      '{"type":"webauthn.get","challenge":"AAAA","origin":"https://example.com","\\u006frigin":"https://evil.example"}';
    expectCode(() => parseClientData(bytes(text)), 'client_data_invalid');
  });

  it('does not count nested or value strings as top-level members', () => {
    const text =
      '{"type":"webauthn.get","challenge":"AAAA","origin":"https://example.com","x":{"origin":"a","type":"b"},"y":["origin","challenge"],"z":"origin"}';
    expect(parseClientData(bytes(text)).origin).toBe('https://example.com');
  });

  it('allows duplicated unknown members (they mean nothing)', () => {
    const text = '{"type":"webauthn.get","challenge":"AAAA","origin":"https://example.com","x":1,"x":2}';
    expect(parseClientData(bytes(text)).type).toBe('webauthn.get');
  });

  describe('tokenBinding (reserved in L3; L2 shape checked)', () => {
    it('accepts status "supported" and "present" with an id', () => {
      expect(parseClientData(json({ ...base, tokenBinding: { status: 'supported' } })).type).toBe(
        'webauthn.get',
      );
      expect(parseClientData(json({ ...base, tokenBinding: { status: 'present', id: 'abc' } })).type).toBe(
        'webauthn.get',
      );
    });

    it('refuses the L1-draft status "not-supported" (py-reg-fido-u2f-bad-tokenbinding-status)', () => {
      expectCode(
        () => parseClientData(json({ ...base, tokenBinding: { status: 'not-supported' } })),
        'client_data_invalid',
      );
    });

    it('refuses "present" without an id, unknown statuses and non-object values', () => {
      expectCode(
        () => parseClientData(json({ ...base, tokenBinding: { status: 'present' } })),
        'client_data_invalid',
      );
      expectCode(
        () => parseClientData(json({ ...base, tokenBinding: { status: 'bogus' } })),
        'client_data_invalid',
      );
      expectCode(() => parseClientData(json({ ...base, tokenBinding: {} })), 'client_data_invalid');
      expectCode(() => parseClientData(json({ ...base, tokenBinding: 1 })), 'client_data_invalid');
      expectCode(() => parseClientData(json({ ...base, tokenBinding: null })), 'client_data_invalid');
    });

    it('tolerates a bare string (py-reg-fido-u2f-tokenbinding-string)', () => {
      expect(parseClientData(json({ ...base, tokenBinding: 'unused' })).type).toBe('webauthn.get');
    });
  });
});

describe('checkClientData', () => {
  const expected: CeremonyExpectations = {
    challenge: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
    origins: ['https://example.com'],
    rpId: 'example.com',
    requireUserVerification: false,
    now: new Date(0),
  };
  const challenge = Buffer.from(expected.challenge as Uint8Array).toString('base64url');
  const good: CollectedClientData = {
    type: 'webauthn.get',
    challenge,
    origin: 'https://example.com',
    crossOrigin: false,
    topOrigin: undefined,
  };
  const check = (c: Partial<CollectedClientData>, e: Partial<CeremonyExpectations> = {}) =>
    checkClientData({ ...good, ...c }, { ...expected, ...e }, 'webauthn.get');

  it('accepts matching client data', () => {
    expect(() => check({})).not.toThrow();
  });

  it('accepts the challenge given as text', () => {
    expect(() => check({}, { challenge })).not.toThrow();
  });

  it('refuses the other ceremony type, and odd spellings', () => {
    for (const type of ['webauthn.create', 'Webauthn.get', 'webauthn.get ', '', 'payment.get']) {
      expectCode(() => check({ type }), 'ceremony_type_mismatch');
    }
  });

  it('refuses a different, padded, or standard-base64 challenge', () => {
    expectCode(() => check({ challenge: `${challenge}=` }), 'challenge_mismatch');
    expectCode(
      () => check({ challenge: Buffer.from(expected.challenge as Uint8Array).toString('base64') }),
      'challenge_mismatch',
    );
    expectCode(() => check({ challenge: '' }), 'challenge_mismatch');
    expectCode(
      () => check({ challenge: 'AQIDBAUGBwgJCgsMDQ4PEA' }, { challenge: 'AQIDBAUGBwgJCgsMDQ4PEB' }),
      'challenge_mismatch',
    );
  });

  it('fails closed on an empty expected challenge', () => {
    expectCode(() => check({ challenge: '' }, { challenge: '' }), 'challenge_mismatch');
    expectCode(() => check({ challenge: '' }, { challenge: new Uint8Array(0) }), 'challenge_mismatch');
  });

  it('compares origins exactly (research §7.A.3)', () => {
    for (const origin of [
      'https://evil-example.com',
      'https://evilexample.com',
      'http://example.com',
      'https://example.com:8443',
      'https://login.example.com',
      'https://example.com.evil.io',
      'https://EXAMPLE.com',
      'https://example.com/',
      '',
    ]) {
      expectCode(() => check({ origin }), 'origin_mismatch');
    }
    expect(() =>
      check(
        { origin: 'https://login.example.com' },
        { origins: ['https://example.com', 'https://login.example.com'] },
      ),
    ).not.toThrow();
  });

  it('refuses crossOrigin true unless allowed', () => {
    expectCode(() => check({ crossOrigin: true }), 'cross_origin_not_allowed');
    // topOrigins alone do not admit a cross-origin call that does not say where it is embedded.
    expectCode(
      () => check({ crossOrigin: true }, { topOrigins: ['https://top.example'] }),
      'cross_origin_not_allowed',
    );
    expect(() => check({ crossOrigin: true }, { allowCrossOrigin: true })).not.toThrow();
  });

  it('refuses a topOrigin unless embedding is expected, then requires a listed one', () => {
    expectCode(
      () => check({ crossOrigin: true, topOrigin: 'https://top.example' }),
      'cross_origin_not_allowed',
    );
    expectCode(() => check({ topOrigin: 'https://top.example' }), 'cross_origin_not_allowed');
    expectCode(
      () =>
        check(
          { crossOrigin: true, topOrigin: 'https://evil.example' },
          { topOrigins: ['https://top.example'] },
        ),
      'top_origin_mismatch',
    );
    expectCode(
      () => check({ crossOrigin: true, topOrigin: 'https://top.example' }, { allowCrossOrigin: true }),
      'top_origin_mismatch',
    );
    expect(() =>
      check({ crossOrigin: true, topOrigin: 'https://top.example' }, { topOrigins: ['https://top.example'] }),
    ).not.toThrow();
  });
});

describe('response envelope members', () => {
  const id = Buffer.alloc(16, 7).toString('base64url');
  const envelope = { id, rawId: id, type: 'public-key', response: {}, clientExtensionResults: {} };

  it('reads a well-formed envelope', () => {
    const e = readCredentialEnvelope(envelope);
    expect(Buffer.from(e.rawId).toString('base64url')).toBe(id);
    expect(e.authenticatorAttachment).toBeNull();
  });

  it('refuses non-objects, a wrong type, and a missing response', () => {
    expectCode(() => readCredentialEnvelope(null), 'malformed_input');
    expectCode(() => readCredentialEnvelope([envelope]), 'malformed_input');
    expectCode(() => readCredentialEnvelope('x'), 'malformed_input');
    expectCode(() => readCredentialEnvelope({ ...envelope, type: 'password' }), 'malformed_input');
    expectCode(() => readCredentialEnvelope({ ...envelope, response: undefined }), 'malformed_input');
    expectCode(() => readCredentialEnvelope({ ...envelope, response: [] }), 'malformed_input');
  });

  it('requires id and rawId to be the same canonical base64url', () => {
    expectCode(
      () => readCredentialEnvelope({ ...envelope, id: Buffer.alloc(16, 8).toString('base64url') }),
      'credential_id_mismatch',
    );
    expectCode(
      () => readCredentialEnvelope({ ...envelope, id: `${id}==`, rawId: `${id}==` }),
      'malformed_input',
    );
    expectCode(() => readCredentialEnvelope({ ...envelope, id: 1, rawId: 1 }), 'malformed_input');
    expectCode(() => readCredentialEnvelope({ ...envelope, id: '', rawId: '' }), 'malformed_input');
  });

  it('limits the credential ID to 1023 bytes', () => {
    const ok = Buffer.alloc(1023, 1).toString('base64url');
    const long = Buffer.alloc(1024, 1).toString('base64url');
    expect(readCredentialEnvelope({ ...envelope, id: ok, rawId: ok }).rawId.length).toBe(1023);
    expectCode(
      () => readCredentialEnvelope({ ...envelope, id: long, rawId: long }),
      'credential_id_too_long',
    );
  });

  it('reads authenticatorAttachment leniently', () => {
    expect(readAuthenticatorAttachment('platform')).toBe('platform');
    expect(readAuthenticatorAttachment('cross-platform')).toBe('cross-platform');
    expect(readAuthenticatorAttachment(null)).toBeNull();
    expect(readAuthenticatorAttachment('future-value')).toBeNull();
    expectCode(() => readAuthenticatorAttachment(1), 'malformed_input');
  });

  it('keeps known transports once each and drops unknown ones', () => {
    expect(readTransports(['usb', 'nfc', 'usb', 'teleport', 'hybrid'])).toStrictEqual([
      'usb',
      'nfc',
      'hybrid',
    ]);
    expect(readTransports(undefined)).toStrictEqual([]);
    expect(readTransports(null)).toStrictEqual([]);
    expectCode(() => readTransports('usb'), 'malformed_input');
    expectCode(() => readTransports([1]), 'malformed_input');
    expectCode(() => readTransports(Array.from({ length: 17 }, () => 'usb')), 'malformed_input');
  });

  it('bounds clientExtensionResults and reads credProps.rk only when well formed', () => {
    expect(readClientExtensionResults({ credProps: { rk: true } }).credProps).toStrictEqual({ rk: true });
    expect(readClientExtensionResults({ credProps: { rk: 'yes' } }).credProps).toBeNull();
    expect(readClientExtensionResults({ credProps: true }).credProps).toBeNull();
    expect(readClientExtensionResults(undefined)).toStrictEqual({ client: {}, credProps: null });
    expectCode(() => readClientExtensionResults([]), 'malformed_input');
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`e${i}`, true]));
    expectCode(() => readClientExtensionResults(many), 'extension_invalid');
    expectCode(() => readClientExtensionResults({ big: 'x'.repeat(4096) }), 'extension_invalid');
    expect(
      Object.keys(
        readClientExtensionResults(Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`e${i}`, true])))
          .client,
      ),
    ).toHaveLength(16);
  });

  it('returns a copy of clientExtensionResults', () => {
    const input = { prf: { enabled: true } };
    const { client } = readClientExtensionResults(input);
    input.prf.enabled = false;
    expect(client).toStrictEqual({ prf: { enabled: true } });
  });
});
