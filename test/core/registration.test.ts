/**
 * WebAuthn L3 §7.1: one negative test per verification step, each built from a valid response
 * with exactly one thing changed, plus positive round trips.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { type CborValue, decodeCbor, encodeCbor } from '../../src/core/cbor.js';
import { decodeCredentialPublicKey } from '../../src/core/cose/index.js';
import type { CoreErrorCode } from '../../src/core/errors.js';
import { DEFAULT_ATTESTATION_POLICY, verifyRegistrationResponse } from '../../src/core/registration.js';
import type { AttestationContext, RegistrationExpectations } from '../../src/core/types.js';
import {
  base64url,
  type Corruption,
  type CreateCredentialOptions,
  credProtectExtension,
  type RegistrationInput,
  type RegistrationResponseJSON,
  SoftAuthenticator,
} from '../helpers/soft-authenticator.js';

// Record every context handed to the attestation verifiers, and otherwise run the real ones.
const seen = vi.hoisted(() => ({ contexts: [] as AttestationContext[] }));
vi.mock('../../src/core/attestation/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/attestation/index.js')>();
  return {
    ...real,
    verifyAttestationStatement: (...args: Parameters<typeof real.verifyAttestationStatement>) => {
      seen.contexts.push(args[2]);
      return real.verifyAttestationStatement(...args);
    },
  };
});

const RP_ID = 'example.com';
const ORIGIN = 'https://example.com';
const CHALLENGE = Buffer.alloc(32, 0x5a);
const NOW = new Date('2026-11-24T12:00:00Z');

function expected(over: Partial<RegistrationExpectations> = {}): RegistrationExpectations {
  return {
    challenge: CHALLENGE,
    origins: [ORIGIN],
    rpId: RP_ID,
    requireUserVerification: true,
    now: NOW,
    ...over,
  };
}

interface Setup {
  readonly credential?: CreateCredentialOptions;
  readonly fmt?: 'none' | 'packed';
  readonly uv?: boolean;
  readonly corrupt?: Corruption;
}

function make(setup: Setup = {}) {
  const authenticator = new SoftAuthenticator('registration-tests');
  const credential = authenticator.createCredential(setup.credential);
  const input: RegistrationInput = {
    rpId: RP_ID,
    origin: ORIGIN,
    challenge: CHALLENGE,
    fmt: setup.fmt ?? 'none',
    ...(setup.uv === undefined ? {} : { uv: setup.uv }),
    ...(setup.corrupt === undefined ? {} : { corrupt: setup.corrupt }),
  };
  return { credential, response: authenticator.register(credential, input) };
}

function response(setup: Setup = {}): RegistrationResponseJSON {
  return make(setup).response;
}

function expectCode(fn: () => unknown, code: CoreErrorCode): void {
  expect(fn).toThrow(expect.objectContaining({ code }));
}

function rejects(setup: Setup, code: CoreErrorCode, over: Partial<RegistrationExpectations> = {}): void {
  const r = response(setup);
  expectCode(() => verifyRegistrationResponse(r, expected(over)), code);
}

/** Rewrite the attestation object of a valid response (for structural corruptions). */
function withAttestationObject(
  r: RegistrationResponseJSON,
  value: CborValue | Uint8Array,
): RegistrationResponseJSON {
  const bytes = value instanceof Uint8Array ? value : encodeCbor(value);
  return { ...r, response: { ...r.response, attestationObject: base64url(bytes) } };
}

function attestationMap(r: RegistrationResponseJSON): Map<string | number, CborValue> {
  const value = decodeCbor(Buffer.from(r.response.attestationObject, 'base64url'));
  if (!(value instanceof Map)) throw new Error('test setup: not a map');
  return new Map(value);
}

describe('verifyRegistrationResponse: positive', () => {
  it.each([
    ['ES256', -7],
    ['EdDSA', -8],
    ['RS256', -257],
  ] as const)('verifies a none-attested %s credential and returns the full evidence', (_name, alg) => {
    const { credential, response: r } = make({ credential: { alg } });
    const evidence = verifyRegistrationResponse(r, expected());
    expect(evidence).toStrictEqual({
      ceremony: 'registration',
      fmt: 'none',
      aaguid: '00000000-0000-0000-0000-000000000000',
      credentialId: new Uint8Array(credential.id),
      publicKey: new Uint8Array(credential.publicKey),
      alg,
      flags: { up: true, uv: true, be: false, bs: false, at: true, ed: false },
      counter: 0,
      transports: ['usb'],
      authenticatorAttachment: 'cross-platform',
      attestation: {
        type: 'none',
        trustPath: [],
        trusted: false,
        root: null,
        lenientCertificates: 0,
        details: {},
      },
      origin: ORIGIN,
      topOrigin: null,
      extensions: { credProps: { rk: true }, client: { credProps: { rk: true } }, authenticator: null },
    });
    // The stored key is usable: it decodes to the same algorithm.
    expect(decodeCredentialPublicKey(evidence.publicKey).alg).toBe(alg);
  });

  it.each([-7, -8, -257] as const)('verifies packed self attestation (alg %i)', (alg) => {
    const evidence = verifyRegistrationResponse(response({ fmt: 'packed', credential: { alg } }), expected());
    expect(evidence.fmt).toBe('packed');
    expect(evidence.attestation.type).toBe('self');
    expect(evidence.attestation.trustPath).toStrictEqual([]);
  });

  it('returns copies that do not keep the request buffers alive', () => {
    const evidence = verifyRegistrationResponse(response(), expected());
    expect(evidence.credentialId.byteOffset).toBe(0);
    expect(evidence.credentialId.buffer.byteLength).toBe(evidence.credentialId.length);
    expect(evidence.publicKey.buffer.byteLength).toBe(evidence.publicKey.length);
  });

  it('reports the AAGUID, counter, BE/BS and attachment as sent', () => {
    const authenticator = new SoftAuthenticator(
      'aaguid',
      Buffer.from('0123456789abcdef0123456789abcdef', 'hex'),
    );
    const credential = authenticator.createCredential({
      backupEligible: true,
      backupState: true,
      counter: 7,
    });
    const r = authenticator.register(credential, {
      rpId: RP_ID,
      origin: ORIGIN,
      challenge: CHALLENGE,
      corrupt: { authenticatorAttachment: 'platform', transports: ['internal', 'hybrid'] },
    });
    const evidence = verifyRegistrationResponse(r, expected());
    expect(evidence.aaguid).toBe('01234567-89ab-cdef-0123-456789abcdef');
    expect(evidence.counter).toBe(7);
    expect(evidence.flags).toMatchObject({ be: true, bs: true });
    expect(evidence.authenticatorAttachment).toBe('platform');
    expect(evidence.transports).toStrictEqual(['internal', 'hybrid']);
  });

  it('accepts UV = 0 when user verification is not required', () => {
    const evidence = verifyRegistrationResponse(
      response({ uv: false }),
      expected({ requireUserVerification: false }),
    );
    expect(evidence.flags.uv).toBe(false);
  });

  it('accepts UP = 0 for a conditional create (requireUserPresence false)', () => {
    const r = response({ corrupt: { flags: { up: false } } });
    expect(verifyRegistrationResponse(r, expected({ requireUserPresence: false })).flags.up).toBe(false);
  });

  it('accepts clientDataJSON with a leading BOM', () => {
    expect(verifyRegistrationResponse(response({ corrupt: { bom: true } }), expected()).fmt).toBe('none');
  });

  it('accepts the challenge given as base64url text', () => {
    expect(() =>
      verifyRegistrationResponse(response(), expected({ challenge: base64url(CHALLENGE) })),
    ).not.toThrow();
  });

  it('accepts one of several allowed origins', () => {
    const r = response({ corrupt: { origin: 'https://login.example.com' } });
    const evidence = verifyRegistrationResponse(
      r,
      expected({ origins: [ORIGIN, 'https://login.example.com'] }),
    );
    expect(evidence.origin).toBe('https://login.example.com');
  });

  it('accepts an expected cross-origin iframe, and reports topOrigin', () => {
    const r = response({ corrupt: { crossOrigin: true, topOrigin: 'https://shop.example' } });
    const evidence = verifyRegistrationResponse(r, expected({ topOrigins: ['https://shop.example'] }));
    expect(evidence.topOrigin).toBe('https://shop.example');
    const legacy = response({ corrupt: { crossOrigin: true } });
    expect(verifyRegistrationResponse(legacy, expected({ allowCrossOrigin: true })).topOrigin).toBeNull();
  });

  it('accepts a response whose clientDataJSON omits crossOrigin', () => {
    expect(() =>
      verifyRegistrationResponse(response({ corrupt: { omitCrossOrigin: true } }), expected()),
    ).not.toThrow();
  });

  it('returns authenticator extension outputs (ED)', () => {
    const evidence = verifyRegistrationResponse(
      response({ corrupt: { extensions: credProtectExtension(2) } }),
      expected(),
    );
    expect(evidence.flags.ed).toBe(true);
    expect(evidence.extensions.authenticator).toStrictEqual(new Map([['credProtect', 2]]));
  });

  it('keeps unsolicited client extension outputs and reads credProps only when well formed', () => {
    const r = response({
      corrupt: { clientExtensionResults: { credProps: { rk: 'yes' }, unknownExt: { a: 1 } } },
    });
    const evidence = verifyRegistrationResponse(r, expected());
    expect(evidence.extensions.credProps).toBeNull();
    expect(evidence.extensions.client).toStrictEqual({ credProps: { rk: 'yes' }, unknownExt: { a: 1 } });
  });

  it('accepts a 1023-byte credential ID (§7.1 step 25 boundary)', () => {
    expect(
      verifyRegistrationResponse(response({ credential: { idLength: 1023 } }), expected()).credentialId,
    ).toHaveLength(1023);
  });

  it('accepts a response without transports, attachment or clientExtensionResults members', () => {
    const r = response();
    const { transports: _t, ...inner } = r.response;
    const { authenticatorAttachment: _a, clientExtensionResults: _c, ...outer } = r;
    const evidence = verifyRegistrationResponse({ ...outer, response: inner }, expected());
    expect(evidence.transports).toStrictEqual([]);
    expect(evidence.authenticatorAttachment).toBeNull();
    expect(evidence.extensions.client).toStrictEqual({});
  });

  it('hands the attestation verifier the context §7.1 steps 21-24 need, with policy defaults', () => {
    const r = response();
    seen.contexts.length = 0;
    verifyRegistrationResponse(r, expected({ trustAnchors: { none: ['PEM-A'], packed: ['PEM-B'] } }));
    const ctx = seen.contexts.at(-1);
    expect(ctx?.trustAnchors).toStrictEqual(['PEM-A']);
    expect(ctx?.now).toBe(NOW);
    expect(ctx?.policy).toStrictEqual({
      safetyNetRequireCtsProfileMatch: true,
      safetyNetMaxAgeMs: 60000,
      androidKeyRequireTee: false,
    });
    expect(Buffer.from(ctx?.clientDataHash ?? [])).toStrictEqual(
      createHash('sha256').update(Buffer.from(r.response.clientDataJSON, 'base64url')).digest(),
    );
    expect(ctx?.credentialPublicKey.alg).toBe(-7);

    verifyRegistrationResponse(r, expected({ attestationPolicy: { androidKeyRequireTee: true } }));
    expect(seen.contexts.at(-1)?.policy).toStrictEqual({
      ...DEFAULT_ATTESTATION_POLICY,
      androidKeyRequireTee: true,
    });
    verifyRegistrationResponse(r, expected({ trustAnchors: { packed: ['PEM-B'] } }));
    expect(seen.contexts.at(-1)?.trustAnchors).toStrictEqual([]);
  });
});

describe('verifyRegistrationResponse: §7.1 step 3 (response shape)', () => {
  it('refuses a non-object and a wrong credential type', () => {
    expectCode(() => verifyRegistrationResponse(null, expected()), 'malformed_input');
    expectCode(() => verifyRegistrationResponse('{}', expected()), 'malformed_input');
    rejects({ corrupt: { credentialType: 'password' } }, 'malformed_input');
  });

  it('refuses a missing or non-base64url clientDataJSON / attestationObject', () => {
    const r = response();
    const without = (key: 'clientDataJSON' | 'attestationObject') => {
      const { [key]: _drop, ...rest } = r.response;
      return { ...r, response: rest };
    };
    expectCode(() => verifyRegistrationResponse(without('clientDataJSON'), expected()), 'malformed_input');
    expectCode(() => verifyRegistrationResponse(without('attestationObject'), expected()), 'malformed_input');
    const padded = { ...r, response: { ...r.response, clientDataJSON: `${r.response.clientDataJSON}=` } };
    expectCode(() => verifyRegistrationResponse(padded, expected()), 'malformed_input');
    const plus = {
      ...r,
      response: { ...r.response, attestationObject: `+${r.response.attestationObject.slice(1)}` },
    };
    expectCode(() => verifyRegistrationResponse(plus, expected()), 'malformed_input');
  });

  it('refuses id different from rawId', () => {
    const other = base64url(Buffer.alloc(32, 1));
    rejects({ corrupt: { id: other } }, 'credential_id_mismatch');
  });

  it('refuses id/rawId that name a different credential than authData', () => {
    const other = base64url(Buffer.alloc(32, 1));
    rejects({ corrupt: { id: other, rawId: other } }, 'credential_id_mismatch');
  });

  it('refuses malformed transports and attachment', () => {
    rejects({ corrupt: { transports: [1] } }, 'malformed_input');
    const r = response();
    expectCode(
      () => verifyRegistrationResponse({ ...r, response: { ...r.response, transports: 'usb' } }, expected()),
      'malformed_input',
    );
    expectCode(
      () => verifyRegistrationResponse({ ...r, authenticatorAttachment: 5 }, expected()),
      'malformed_input',
    );
  });
});

describe('verifyRegistrationResponse: §7.1 step 4 (client extension results)', () => {
  it('refuses a non-object', () => {
    const r = response();
    expectCode(
      () => verifyRegistrationResponse({ ...r, clientExtensionResults: [] }, expected()),
      'malformed_input',
    );
  });

  it('refuses more than 16 members or more than 4 KiB', () => {
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`x${i}`, true]));
    rejects({ corrupt: { clientExtensionResults: many } }, 'extension_invalid');
    rejects({ corrupt: { clientExtensionResults: { big: 'x'.repeat(5000) } } }, 'extension_invalid');
  });
});

describe('verifyRegistrationResponse: §7.1 steps 5-6 (decode and parse client data)', () => {
  it('refuses invalid UTF-8', () => {
    const bad = Buffer.from('{"type":"webauthn.create","challenge":"\xff"}', 'latin1');
    rejects({ corrupt: { clientDataJSON: bad } }, 'client_data_invalid');
  });

  it('refuses invalid JSON', () => {
    rejects(
      { corrupt: { clientDataJSON: Buffer.from('{"type":"webauthn.create",') } },
      'client_data_invalid',
    );
  });

  it('refuses a duplicated challenge member (JSON.parse would keep the second)', () => {
    rejects(
      { corrupt: { duplicate: { key: 'challenge', value: base64url(CHALLENGE) } } },
      'client_data_invalid',
    );
  });

  it('refuses clientDataJSON over 64 KiB', () => {
    rejects({ corrupt: { clientDataExtra: { pad: 'x'.repeat(64 * 1024) } } }, 'client_data_invalid');
  });
});

describe('verifyRegistrationResponse: §7.1 steps 7-11 (client data checks)', () => {
  it('step 7: refuses type "webauthn.get"', () => {
    rejects({ corrupt: { type: 'webauthn.get' } }, 'ceremony_type_mismatch');
  });

  it('step 7: refuses a missing or non-string type', () => {
    rejects({ corrupt: { type: '' } }, 'ceremony_type_mismatch');
    rejects(
      {
        corrupt: {
          clientDataJSON: Buffer.from(`{"challenge":"${base64url(CHALLENGE)}","origin":"${ORIGIN}"}`),
        },
      },
      'client_data_invalid',
    );
  });

  it('step 8: refuses another challenge', () => {
    rejects({ corrupt: { challenge: base64url(Buffer.alloc(32, 0x5b)) } }, 'challenge_mismatch');
  });

  it('step 9: refuses an origin that is not allowed', () => {
    rejects({ corrupt: { origin: 'https://evil.example.com' } }, 'origin_mismatch');
  });

  it('step 10: refuses crossOrigin true when no iframe use is expected', () => {
    rejects({ corrupt: { crossOrigin: true } }, 'cross_origin_not_allowed');
  });

  it('step 11: refuses a topOrigin when none is expected, or one not listed', () => {
    rejects(
      { corrupt: { crossOrigin: true, topOrigin: 'https://shop.example' } },
      'cross_origin_not_allowed',
    );
    rejects({ corrupt: { crossOrigin: true, topOrigin: 'https://evil.example' } }, 'top_origin_mismatch', {
      topOrigins: ['https://shop.example'],
    });
  });
});

describe('verifyRegistrationResponse: §7.1 step 13 (attestation object)', () => {
  it('refuses trailing bytes after the attestation object', () => {
    rejects({ corrupt: { trailingAttestationObject: Buffer.from([0x00]) } }, 'cbor_invalid');
  });

  it('refuses an attestation object that is not a map', () => {
    expectCode(
      () => verifyRegistrationResponse(withAttestationObject(response(), [1, 2]), expected()),
      'attestation_invalid',
    );
  });

  it('refuses a missing or mistyped fmt, attStmt or authData', () => {
    const r = response();
    for (const [key, value] of [
      ['fmt', undefined],
      ['fmt', 1],
      ['attStmt', undefined],
      ['attStmt', [1]],
      ['authData', undefined],
      ['authData', 'text'],
    ] as const) {
      const map = attestationMap(r);
      if (value === undefined) map.delete(key);
      else map.set(key, value);
      expectCode(
        () => verifyRegistrationResponse(withAttestationObject(r, map), expected()),
        'attestation_invalid',
      );
    }
  });

  it('refuses indefinite-length CBOR', () => {
    const r = response();
    const bytes = Buffer.from(r.response.attestationObject, 'base64url');
    const indefinite = Buffer.concat([Buffer.from([0xbf]), bytes.subarray(1), Buffer.from([0xff])]);
    expectCode(
      () => verifyRegistrationResponse(withAttestationObject(r, indefinite), expected()),
      'cbor_invalid',
    );
  });

  it('refuses empty authData', () => {
    const r = response();
    const map = attestationMap(r);
    map.set('authData', new Uint8Array(0));
    expectCode(
      () => verifyRegistrationResponse(withAttestationObject(r, map), expected()),
      'authenticator_data_invalid',
    );
  });

  it('refuses trailing bytes after authData', () => {
    rejects({ corrupt: { trailingAuthData: Buffer.from([0xa0]) } }, 'authenticator_data_invalid');
  });
});

describe('verifyRegistrationResponse: §7.1 steps 14-17 (authenticator data)', () => {
  it('step 14: refuses an rpIdHash for another RP ID', () => {
    rejects({ corrupt: { rpId: 'evil.com' } }, 'rp_id_mismatch');
    rejects({ corrupt: { rpId: 'sub.example.com' } }, 'rp_id_mismatch');
  });

  it('step 15: refuses UP = 0', () => {
    rejects({ corrupt: { flags: { up: false } } }, 'user_presence_required');
  });

  it('step 16: refuses UV = 0 when user verification is required', () => {
    rejects({ uv: false }, 'user_verification_required');
  });

  it('step 17: refuses BS = 1 with BE = 0', () => {
    rejects({ corrupt: { flags: { bs: true } } }, 'backup_state_invalid');
  });
});

describe('verifyRegistrationResponse: attested credential data and extensions (§6.1, §6.5.2)', () => {
  it('refuses authenticator data without attested credential data', () => {
    rejects({ corrupt: { omitAttestedData: true } }, 'authenticator_data_invalid');
  });

  it('refuses attested credential data without the AT flag', () => {
    rejects({ corrupt: { flags: { at: false } } }, 'authenticator_data_invalid');
  });

  it('refuses the ED flag without extension data', () => {
    rejects({ corrupt: { edWithoutData: true } }, 'authenticator_data_invalid');
  });

  it('refuses extension data without the ED flag', () => {
    rejects(
      { corrupt: { extensions: credProtectExtension(), flags: { ed: false } } },
      'authenticator_data_invalid',
    );
  });

  it('refuses extension data that is not a CBOR map', () => {
    const r = response({ corrupt: { edWithoutData: true, trailingAuthData: encodeCbor([1]) } });
    expectCode(() => verifyRegistrationResponse(r, expected()), 'authenticator_data_invalid');
  });
});

describe('verifyRegistrationResponse: §7.1 step 20 (credential public key alg)', () => {
  it('refuses an algorithm that was not offered', () => {
    rejects({ credential: { alg: -8 } }, 'algorithm_not_allowed', { allowedAlgorithms: [-7] });
    rejects({ credential: { alg: -257 } }, 'algorithm_not_allowed', { allowedAlgorithms: [-7, -8] });
  });

  it('accepts an offered algorithm from a restricted list', () => {
    expect(
      verifyRegistrationResponse(response({ credential: { alg: -8 } }), expected({ allowedAlgorithms: [-8] }))
        .alg,
    ).toBe(-8);
  });

  it('refuses a key whose alg contradicts its key type', () => {
    rejects({ corrupt: { coseAlg: -257 } }, 'public_key_invalid');
  });

  it('refuses an unknown algorithm', () => {
    rejects({ corrupt: { coseAlg: -65000 } }, 'unsupported_algorithm');
  });
});

describe('verifyRegistrationResponse: §7.1 steps 21-22 (attestation statement)', () => {
  it('step 21: matches fmt case-sensitively', () => {
    rejects({ corrupt: { fmt: 'None' } }, 'unsupported_attestation_format');
    rejects({ fmt: 'packed', corrupt: { fmt: 'Packed' } }, 'unsupported_attestation_format');
  });

  it('step 21: refuses an unknown format', () => {
    rejects({ corrupt: { fmt: 'x-unknown' } }, 'unsupported_attestation_format');
  });

  it('step 22: refuses a packed self signature with one bit flipped', () => {
    rejects({ fmt: 'packed', corrupt: { signature: 'flip-bit' } }, 'attestation_invalid');
  });

  it('step 22: refuses a packed self signature over different authenticator data', () => {
    rejects({ fmt: 'packed', corrupt: { mutateAfterSigning: 'counter' } }, 'attestation_invalid');
  });

  it('step 22: refuses a packed self statement whose alg differs from the key', () => {
    rejects({ fmt: 'packed', corrupt: { attStmtAlg: -257 } }, 'attestation_invalid');
  });

  it('step 22: refuses "none" with a non-empty statement', () => {
    rejects({ fmt: 'packed', corrupt: { fmt: 'none' } }, 'attestation_invalid');
  });
});

describe('verifyRegistrationResponse: §7.1 step 25 (credential ID length)', () => {
  it('refuses a 1024-byte credential ID', () => {
    rejects({ credential: { idLength: 1024 } }, 'credential_id_too_long');
  });

  it('refuses a 1024-byte ID in authData even when the JSON id is short', () => {
    const long = response({ credential: { idLength: 1024 } });
    const short = base64url(Buffer.alloc(16, 3));
    expectCode(
      () => verifyRegistrationResponse({ ...long, id: short, rawId: short }, expected()),
      'credential_id_too_long',
    );
  });
});
