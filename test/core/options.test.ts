/**
 * Ceremony options: exact L3 JSON shapes (§5.1.9-§5.1.10, §5.4, §5.5), defaults, validation and
 * challenge quality.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import type { CoreErrorCode } from '../../src/core/errors.js';
import {
  type AuthenticationOptionsInput,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationOptionsInput,
} from '../../src/core/options.js';

function expectCode(fn: () => unknown, code: CoreErrorCode): void {
  expect(fn).toThrow(expect.objectContaining({ code }));
}

const USER_ID = Buffer.alloc(16, 0xab);
const base: RegistrationOptionsInput = {
  rp: { id: 'example.com', name: 'Example' },
  user: { id: USER_ID, name: 'alex@example.com', displayName: 'Alex Müller' },
};

/** Call with a value TypeScript would refuse, as a JavaScript caller could. */
function registrationWith(patch: Record<string, unknown>) {
  return () => generateRegistrationOptions({ ...base, ...patch } as unknown as RegistrationOptionsInput);
}
function authenticationWith(patch: Record<string, unknown>) {
  return () => generateAuthenticationOptions(patch as unknown as AuthenticationOptionsInput);
}

/** Every key at every depth, to prove no member is present with the value undefined. */
function hasUndefined(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.some(hasUndefined);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(hasUndefined);
  return false;
}

describe('generateRegistrationOptions', () => {
  it('produces the exact default PublicKeyCredentialCreationOptionsJSON', () => {
    const { options, challenge } = generateRegistrationOptions(base);
    expect(options).toStrictEqual({
      rp: { id: 'example.com', name: 'Example' },
      user: { id: USER_ID.toString('base64url'), name: 'alex@example.com', displayName: 'Alex Müller' },
      challenge: Buffer.from(challenge).toString('base64url'),
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -8 },
        { type: 'public-key', alg: -257 },
      ],
      timeout: 300000,
      excludeCredentials: [],
      authenticatorSelection: {
        residentKey: 'preferred',
        requireResidentKey: false,
        userVerification: 'preferred',
      },
      attestation: 'none',
      extensions: { credProps: true },
    });
    expect(Object.keys(options)).toStrictEqual([
      'rp',
      'user',
      'challenge',
      'pubKeyCredParams',
      'timeout',
      'excludeCredentials',
      'authenticatorSelection',
      'attestation',
      'extensions',
    ]);
    expect(challenge).toBeInstanceOf(Uint8Array);
    expect(challenge).toHaveLength(32);
  });

  it('is plain JSON: a JSON round trip changes nothing', () => {
    const { options } = generateRegistrationOptions({
      ...base,
      excludeCredentials: [{ id: Buffer.alloc(8, 1) }],
      authenticatorSelection: { residentKey: 'required' },
      extensions: { prf: { eval: { first: Buffer.alloc(32, 1) } } },
    });
    expect(JSON.parse(JSON.stringify(options))).toStrictEqual(options);
    expect(hasUndefined(options)).toBe(false);
  });

  it('sets every option when asked', () => {
    const { options } = generateRegistrationOptions({
      ...base,
      algorithms: [-8, -7],
      timeout: 600000,
      excludeCredentials: [
        { id: Buffer.from([1, 2, 3]), transports: ['usb', 'nfc', 'usb'] },
        { id: Buffer.from([4]), transports: [] },
        { id: Buffer.from([5]) },
      ],
      authenticatorSelection: {
        authenticatorAttachment: 'platform',
        residentKey: 'required',
        userVerification: 'required',
      },
      attestation: 'direct',
      attestationFormats: ['packed', 'tpm'],
      hints: ['client-device', 'hybrid'],
      extensions: {
        prf: { eval: { first: Buffer.from([1]), second: Buffer.from([2]) } },
        largeBlob: { support: 'preferred' },
        credentialProtectionPolicy: 'userVerificationRequired',
        enforceCredentialProtectionPolicy: true,
        minPinLength: true,
        appidExclude: 'https://example.com/appid.json',
      },
    });
    expect(options).toMatchObject({
      pubKeyCredParams: [
        { type: 'public-key', alg: -8 },
        { type: 'public-key', alg: -7 },
      ],
      timeout: 600000,
      excludeCredentials: [
        { type: 'public-key', id: 'AQID', transports: ['usb', 'nfc'] },
        { type: 'public-key', id: 'BA' },
        { type: 'public-key', id: 'BQ' },
      ],
      authenticatorSelection: {
        authenticatorAttachment: 'platform',
        residentKey: 'required',
        requireResidentKey: true,
        userVerification: 'required',
      },
      hints: ['client-device', 'hybrid'],
      attestation: 'direct',
      attestationFormats: ['packed', 'tpm'],
      extensions: {
        credProps: true,
        prf: { eval: { first: 'AQ', second: 'Ag' } },
        largeBlob: { support: 'preferred' },
        credentialProtectionPolicy: 'userVerificationRequired',
        enforceCredentialProtectionPolicy: true,
        minPinLength: true,
        appidExclude: 'https://example.com/appid.json',
      },
    });
    expect(options.excludeCredentials[1]).toStrictEqual({ type: 'public-key', id: 'BA' });
    expect(hasUndefined(options)).toBe(false);
  });

  it.each([
    ['required', true],
    ['preferred', false],
    ['discouraged', false],
  ] as const)('sets requireResidentKey iff residentKey is "required" (%s)', (residentKey, require) => {
    const { options } = generateRegistrationOptions({ ...base, authenticatorSelection: { residentKey } });
    expect(options.authenticatorSelection.requireResidentKey).toBe(require);
  });

  it.each(['none', 'indirect', 'direct', 'enterprise'] as const)(
    'accepts attestation "%s"',
    (attestation) => {
      expect(generateRegistrationOptions({ ...base, attestation }).options.attestation).toBe(attestation);
    },
  );

  describe('refuses invalid input with options_invalid', () => {
    it.each([
      ['rp.id with a scheme', { rp: { id: 'https://example.com', name: 'x' } }],
      ['rp.id with a port', { rp: { id: 'example.com:443', name: 'x' } }],
      ['rp.id upper case', { rp: { id: 'Example.com', name: 'x' } }],
      ['rp.id empty', { rp: { id: '', name: 'x' } }],
      ['rp.id with a trailing dot', { rp: { id: 'example.com.', name: 'x' } }],
      ['rp.id an IP address', { rp: { id: '192.168.0.1', name: 'x' } }],
      ['rp.name empty', { rp: { id: 'example.com', name: '' } }],
      ['rp missing', { rp: undefined }],
      ['user.id empty', { user: { ...base.user, id: new Uint8Array(0) } }],
      ['user.id 65 bytes', { user: { ...base.user, id: new Uint8Array(65) } }],
      ['user.id a string', { user: { ...base.user, id: 'abc' } }],
      ['user.name empty', { user: { ...base.user, name: '' } }],
      ['user.name too long', { user: { ...base.user, name: 'x'.repeat(257) } }],
      ['user.displayName not a string', { user: { ...base.user, displayName: 1 } }],
      ['algorithms empty', { algorithms: [] }],
      ['algorithm unsupported', { algorithms: [-7, -999] }],
      ['algorithm repeated', { algorithms: [-7, -7] }],
      ['algorithm not an integer', { algorithms: [-7.5] }],
      ['timeout below §15.1 range', { timeout: 299999 }],
      ['timeout above §15.1 range', { timeout: 600001 }],
      ['timeout not an integer', { timeout: 300000.5 }],
      ['excludeCredentials id empty', { excludeCredentials: [{ id: new Uint8Array(0) }] }],
      ['excludeCredentials id 1024 bytes', { excludeCredentials: [{ id: new Uint8Array(1024) }] }],
      [
        'excludeCredentials unknown transport',
        { excludeCredentials: [{ id: new Uint8Array(4), transports: ['wifi'] }] },
      ],
      [
        'excludeCredentials too many',
        { excludeCredentials: Array.from({ length: 65 }, () => ({ id: new Uint8Array(4) })) },
      ],
      ['residentKey unknown', { authenticatorSelection: { residentKey: 'always' } }],
      ['userVerification unknown', { authenticatorSelection: { userVerification: 'yes' } }],
      ['attachment unknown', { authenticatorSelection: { authenticatorAttachment: 'usb' } }],
      [
        'authenticatorSelection.requireResidentKey given directly',
        { authenticatorSelection: { requireResidentKey: true } },
      ],
      ['attestation unknown', { attestation: 'full' }],
      ['attestationFormats with a quote', { attestationFormats: ['pa"cked'] }],
      ['attestationFormats repeated', { attestationFormats: ['packed', 'packed'] }],
      ['attestationFormats over 32 bytes', { attestationFormats: ['x'.repeat(33)] }],
      ['hints unknown', { hints: ['usb'] }],
      ['hints repeated', { hints: ['hybrid', 'hybrid'] }],
      ['extension unknown', { extensions: { hmacCreateSecret: true } }],
      ['credProtect policy unknown', { extensions: { credentialProtectionPolicy: 'always' } }],
      ['credProtect enforce without policy', { extensions: { enforceCredentialProtectionPolicy: true } }],
      ['prf evalByCredential at creation', { extensions: { prf: { evalByCredential: [] } } }],
      ['largeBlob read at creation', { extensions: { largeBlob: { read: true } } }],
      ['appidExclude not a URL', { extensions: { appidExclude: 'not a url' } }],
      ['unknown top-level member', { challenge: new Uint8Array(32) }],
    ])('%s', (_name, patch) => {
      expectCode(registrationWith(patch), 'options_invalid');
    });
  });

  it('accepts an empty displayName (§5.4.3) and localhost as RP ID', () => {
    const { options } = generateRegistrationOptions({
      rp: { id: 'localhost', name: 'Dev' },
      user: { id: Buffer.from([1]), name: 'dev', displayName: '' },
    });
    expect(options.user.displayName).toBe('');
    expect(options.rp.id).toBe('localhost');
  });

  it('accepts the §15.1 range boundaries', () => {
    expect(generateRegistrationOptions({ ...base, timeout: 300000 }).options.timeout).toBe(300000);
    expect(generateRegistrationOptions({ ...base, timeout: 600000 }).options.timeout).toBe(600000);
  });
});

describe('generateAuthenticationOptions', () => {
  it('produces the exact default PublicKeyCredentialRequestOptionsJSON', () => {
    const { options, challenge } = generateAuthenticationOptions();
    expect(options).toStrictEqual({
      challenge: Buffer.from(challenge).toString('base64url'),
      timeout: 300000,
      allowCredentials: [],
      userVerification: 'preferred',
    });
    expect(challenge).toHaveLength(32);
  });

  it('sets every option when asked, in dictionary order', () => {
    const id = Buffer.from([9, 9, 9]);
    const { options } = generateAuthenticationOptions({
      rpId: 'example.com',
      allowCredentials: [{ id, transports: ['internal', 'hybrid'] }],
      userVerification: 'required',
      timeout: 450000,
      hints: ['security-key'],
      extensions: {
        appid: 'https://example.com/appid.json',
        prf: {
          eval: { first: Buffer.from([1]) },
          evalByCredential: [{ id, values: { first: Buffer.from([2]) } }],
        },
        largeBlob: { read: true },
      },
    });
    expect(options).toStrictEqual({
      challenge: options.challenge,
      timeout: 450000,
      rpId: 'example.com',
      allowCredentials: [{ type: 'public-key', id: 'CQkJ', transports: ['internal', 'hybrid'] }],
      userVerification: 'required',
      hints: ['security-key'],
      extensions: {
        appid: 'https://example.com/appid.json',
        prf: { eval: { first: 'AQ' }, evalByCredential: { CQkJ: { first: 'Ag' } } },
        largeBlob: { read: true },
      },
    });
    expect(Object.keys(options)).toStrictEqual([
      'challenge',
      'timeout',
      'rpId',
      'allowCredentials',
      'userVerification',
      'hints',
      'extensions',
    ]);
    expect(hasUndefined(options)).toBe(false);
  });

  it('writes largeBlob.write as base64url', () => {
    const { options } = generateAuthenticationOptions({
      extensions: { largeBlob: { write: Buffer.from([0xff]) } },
    });
    expect(options.extensions).toStrictEqual({ largeBlob: { write: '_w' } });
  });

  it.each([
    ['rpId with a scheme', { rpId: 'https://example.com' }],
    ['allowCredentials not an array', { allowCredentials: 'x' }],
    ['allowCredentials id not bytes', { allowCredentials: [{ id: 'AQID' }] }],
    [
      'allowCredentials too many',
      { allowCredentials: Array.from({ length: 65 }, () => ({ id: new Uint8Array(2) })) },
    ],
    ['userVerification unknown', { userVerification: 'always' }],
    ['timeout too small', { timeout: 1000 }],
    ['hints unknown', { hints: ['nfc'] }],
    ['extension unknown', { extensions: { credProps: true } }],
    ['largeBlob read and write', { extensions: { largeBlob: { read: true, write: new Uint8Array(1) } } }],
    ['prf values not bytes', { extensions: { prf: { eval: { first: 'AQ' } } } }],
    ['appid not a URL', { extensions: { appid: 'example' } }],
    ['unknown member', { mediation: 'conditional' }],
    ['not an object', null],
  ])('refuses %s', (_name, input) => {
    expectCode(authenticationWith(input as Record<string, unknown>), 'options_invalid');
  });
});

describe('challenges', () => {
  it('are 32 random bytes, unique over 10 000 calls, and match the JSON text', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const { options, challenge } =
        i % 2 === 0 ? generateAuthenticationOptions() : generateRegistrationOptions(base);
      expect(challenge.length).toBe(32);
      const text = Buffer.from(challenge).toString('base64url');
      if (options.challenge !== text) expect(options.challenge).toBe(text);
      seen.add(text);
    }
    expect(seen.size).toBe(10_000);
  });

  it('are not trivially patterned (each bit position varies)', () => {
    let or = Buffer.alloc(32);
    let and = Buffer.alloc(32, 0xff);
    for (let i = 0; i < 64; i++) {
      const c = Buffer.from(generateAuthenticationOptions().challenge);
      or = Buffer.from(or.map((b, j) => b | (c[j] ?? 0)));
      and = Buffer.from(and.map((b, j) => b & (c[j] ?? 0)));
    }
    expect(or.every((b) => b === 0xff)).toBe(true);
    expect(and.every((b) => b === 0)).toBe(true);
  });

  it('returns a challenge the caller cannot use to alter the options', () => {
    const { options, challenge } = generateAuthenticationOptions();
    const before = options.challenge;
    challenge.fill(0);
    expect(options.challenge).toBe(before);
  });
});
