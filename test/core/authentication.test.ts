/**
 * WebAuthn L3 §7.2: one negative test per verification step, each built from a valid assertion
 * with exactly one thing changed, plus round trips from registration and the counter rules.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { counterOutcome, verifyAuthenticationResponse } from '../../src/core/authentication.js';
import type { CoreErrorCode } from '../../src/core/errors.js';
import { verifyRegistrationResponse } from '../../src/core/registration.js';
import type { AuthenticationExpectations, StoredCredential } from '../../src/core/types.js';
import {
  type AuthenticationResponseJSON,
  base64url,
  type Corruption,
  type CreateCredentialOptions,
  credProtectExtension,
  type SoftAlgorithm,
  SoftAuthenticator,
} from '../helpers/soft-authenticator.js';

const RP_ID = 'example.com';
const ORIGIN = 'https://example.com';
const REG_CHALLENGE = Buffer.alloc(32, 0x11);
const CHALLENGE = Buffer.alloc(32, 0x22);
const NOW = new Date('2026-11-24T12:00:00Z');

function expectCode(fn: () => unknown, code: CoreErrorCode): void {
  expect(fn).toThrow(expect.objectContaining({ code }));
}

/** Register a soft credential through the real verifier and keep what a server would store. */
function enrol(options: CreateCredentialOptions = {}, seed = 'authentication-tests') {
  const authenticator = new SoftAuthenticator(seed);
  const soft = authenticator.createCredential(options);
  const evidence = verifyRegistrationResponse(
    authenticator.register(soft, { rpId: RP_ID, origin: ORIGIN, challenge: REG_CHALLENGE }),
    { challenge: REG_CHALLENGE, origins: [ORIGIN], rpId: RP_ID, requireUserVerification: true, now: NOW },
  );
  const stored: StoredCredential = {
    id: evidence.credentialId,
    publicKey: evidence.publicKey,
    counter: evidence.counter,
    backupEligible: evidence.flags.be,
  };
  return { authenticator, soft, stored };
}

function expected(
  stored: StoredCredential,
  over: Partial<AuthenticationExpectations> = {},
): AuthenticationExpectations {
  return {
    challenge: CHALLENGE,
    origins: [ORIGIN],
    rpId: RP_ID,
    requireUserVerification: true,
    now: NOW,
    credential: stored,
    ...over,
  };
}

interface Case {
  readonly credential?: CreateCredentialOptions;
  readonly uv?: boolean;
  readonly corrupt?: Corruption;
}

function assertion(c: Case = {}) {
  const { authenticator, soft, stored } = enrol(c.credential);
  const response = authenticator.authenticate(soft, {
    rpId: RP_ID,
    origin: ORIGIN,
    challenge: CHALLENGE,
    ...(c.uv === undefined ? {} : { uv: c.uv }),
    ...(c.corrupt === undefined ? {} : { corrupt: c.corrupt }),
  });
  return { authenticator, soft, stored, response };
}

function rejects(c: Case, code: CoreErrorCode, over: Partial<AuthenticationExpectations> = {}): void {
  const { stored, response } = assertion(c);
  expectCode(() => verifyAuthenticationResponse(response, expected(stored, over)), code);
}

function withResponse(r: AuthenticationResponseJSON, inner: Record<string, unknown>): unknown {
  return { ...r, response: { ...r.response, ...inner } };
}

describe('verifyAuthenticationResponse: positive', () => {
  it.each([
    ['ES256', -7],
    ['EdDSA', -8],
    ['RS256', -257],
  ] as const)('round-trips a %s credential from registration to assertion', (_name, alg: SoftAlgorithm) => {
    const { soft, stored, response } = assertion({ credential: { alg } });
    const evidence = verifyAuthenticationResponse(response, expected(stored));
    expect(evidence).toStrictEqual({
      ceremony: 'authentication',
      credentialId: Buffer.from(soft.id),
      alg,
      flags: { up: true, uv: true, be: false, bs: false, at: false, ed: false },
      counter: 1,
      counterOutcome: 'increased',
      userHandle: Buffer.from(soft.userHandle),
      origin: ORIGIN,
      topOrigin: null,
      authenticatorAttachment: 'cross-platform',
      extensions: { credProps: null, client: {}, authenticator: null },
    });
  });

  it('accepts a high-S ECDSA signature (Secure Enclave style; research §5.2)', () => {
    const { stored, response } = assertion({ corrupt: { signature: 'high-s' } });
    expect(verifyAuthenticationResponse(response, expected(stored)).alg).toBe(-7);
  });

  it('accepts successive assertions with increasing counters', () => {
    const { authenticator, soft, stored } = enrol();
    let record = stored;
    for (let i = 1; i <= 3; i++) {
      const r = authenticator.authenticate(soft, { rpId: RP_ID, origin: ORIGIN, challenge: CHALLENGE });
      const evidence = verifyAuthenticationResponse(r, expected(record));
      expect(evidence.counter).toBe(i);
      expect(evidence.counterOutcome).toBe('increased');
      record = { ...record, counter: evidence.counter };
    }
  });

  it('accepts UV = 0 when user verification is not required', () => {
    const { stored, response } = assertion({ uv: false });
    expect(
      verifyAuthenticationResponse(response, expected(stored, { requireUserVerification: false })).flags.uv,
    ).toBe(false);
  });

  it('accepts a leading BOM in clientDataJSON', () => {
    const { stored, response } = assertion({ corrupt: { bom: true } });
    expect(() => verifyAuthenticationResponse(response, expected(stored))).not.toThrow();
  });

  it('accepts the credential when it is one of several in allowCredentials', () => {
    const { stored, response } = assertion();
    const allowCredentials = [Buffer.alloc(32, 9), stored.id, Buffer.alloc(16, 1)];
    expect(() =>
      verifyAuthenticationResponse(response, expected(stored, { allowCredentials })),
    ).not.toThrow();
    expect(() =>
      verifyAuthenticationResponse(response, expected(stored, { allowCredentials: [] })),
    ).not.toThrow();
  });

  it('accepts a matching userHandle, and a discoverable flow that carries one', () => {
    const { soft, stored, response } = assertion();
    expect(() =>
      verifyAuthenticationResponse(
        response,
        expected(stored, { userHandle: soft.userHandle, requireUserHandle: true }),
      ),
    ).not.toThrow();
  });

  it('accepts a username-first assertion without a userHandle (absent, null or empty)', () => {
    const { stored, response } = assertion({ corrupt: { userHandle: null } });
    expect(
      verifyAuthenticationResponse(response, expected(stored, { userHandle: Buffer.alloc(16) })).userHandle,
    ).toBeNull();
    const withNull = withResponse(response, { userHandle: null });
    expect(verifyAuthenticationResponse(withNull, expected(stored)).userHandle).toBeNull();
    const { stored: s2, response: empty } = assertion({ corrupt: { userHandle: new Uint8Array(0) } });
    expect(verifyAuthenticationResponse(empty, expected(s2)).userHandle).toBeNull();
  });

  it('accepts an expected cross-origin iframe and reports topOrigin', () => {
    const { stored, response } = assertion({
      corrupt: { crossOrigin: true, topOrigin: 'https://shop.example' },
    });
    const evidence = verifyAuthenticationResponse(
      response,
      expected(stored, { topOrigins: ['https://shop.example'] }),
    );
    expect(evidence.topOrigin).toBe('https://shop.example');
  });

  it('accepts BE = 1 for a backup-eligible credential, whatever BS says', () => {
    for (const backupState of [false, true]) {
      const { stored, response } = assertion({ credential: { backupEligible: true, backupState } });
      expect(stored.backupEligible).toBe(true);
      expect(verifyAuthenticationResponse(response, expected(stored)).flags.bs).toBe(backupState);
    }
  });

  it('returns authenticator and client extension outputs', () => {
    const { stored, response } = assertion({
      corrupt: { extensions: credProtectExtension(1), clientExtensionResults: { prf: { enabled: true } } },
    });
    const evidence = verifyAuthenticationResponse(response, expected(stored));
    expect(evidence.flags.ed).toBe(true);
    expect(evidence.extensions).toStrictEqual({
      credProps: null,
      client: { prf: { enabled: true } },
      authenticator: new Map([['credProtect', 1]]),
    });
  });
});

describe('verifyAuthenticationResponse: §7.2 step 3 (response shape)', () => {
  it('refuses a non-object and a wrong credential type', () => {
    const { stored } = enrol();
    expectCode(() => verifyAuthenticationResponse(undefined, expected(stored)), 'malformed_input');
    rejects({ corrupt: { credentialType: 'public_key' } }, 'malformed_input');
  });

  it('refuses missing or non-base64url members', () => {
    const { stored, response } = assertion();
    for (const member of ['clientDataJSON', 'authenticatorData', 'signature'] as const) {
      expectCode(
        () => verifyAuthenticationResponse(withResponse(response, { [member]: undefined }), expected(stored)),
        'malformed_input',
      );
      expectCode(
        () =>
          verifyAuthenticationResponse(
            withResponse(response, { [member]: `${response.response[member]}*` }),
            expected(stored),
          ),
        'malformed_input',
      );
    }
  });

  it('refuses an empty signature', () => {
    const { stored, response } = assertion();
    expectCode(
      () => verifyAuthenticationResponse(withResponse(response, { signature: '' }), expected(stored)),
      'signature_invalid',
    );
  });

  it('refuses id different from rawId', () => {
    rejects({ corrupt: { id: base64url(Buffer.alloc(32, 1)) } }, 'credential_id_mismatch');
  });

  it('refuses a credential ID over 1023 bytes', () => {
    const long = base64url(Buffer.alloc(1024, 1));
    rejects({ corrupt: { id: long, rawId: long } }, 'credential_id_too_long');
  });
});

describe('verifyAuthenticationResponse: §7.2 step 4 (client extension results)', () => {
  it('refuses a non-object or oversized clientExtensionResults', () => {
    const { stored, response } = assertion();
    expectCode(
      () => verifyAuthenticationResponse({ ...response, clientExtensionResults: 'x' }, expected(stored)),
      'malformed_input',
    );
    rejects({ corrupt: { clientExtensionResults: { big: 'x'.repeat(5000) } } }, 'extension_invalid');
  });
});

describe('verifyAuthenticationResponse: §7.2 step 5 (allowCredentials)', () => {
  it('refuses a credential that was not in a non-empty allowCredentials (research §7.A.13)', () => {
    rejects({}, 'credential_not_allowed', { allowCredentials: [Buffer.alloc(32, 9)] });
  });
});

describe('verifyAuthenticationResponse: §7.2 step 6 (user and credential record)', () => {
  it('refuses a valid assertion from a credential other than the stored one (research §7.A.12)', () => {
    const { stored } = enrol({}, 'user-a');
    const { response } = assertion();
    expectCode(() => verifyAuthenticationResponse(response, expected(stored)), 'credential_id_mismatch');
  });

  it("refuses a userHandle that is not the account's", () => {
    rejects({}, 'user_handle_mismatch', { userHandle: Buffer.alloc(16, 0x42) });
  });

  it('refuses a missing userHandle in a discoverable flow', () => {
    rejects({ corrupt: { userHandle: null } }, 'user_handle_mismatch', { requireUserHandle: true });
  });

  it('refuses an empty userHandle in a discoverable flow (§5.4.3)', () => {
    rejects({ corrupt: { userHandle: new Uint8Array(0) } }, 'user_handle_mismatch', {
      requireUserHandle: true,
    });
  });

  it('refuses a userHandle over 64 bytes', () => {
    rejects({ corrupt: { userHandle: Buffer.alloc(65, 1) } }, 'user_handle_mismatch');
    const { soft, stored, response } = assertion({ credential: { userHandle: Buffer.alloc(64, 1) } });
    expect(
      verifyAuthenticationResponse(response, expected(stored, { userHandle: soft.userHandle })).userHandle,
    ).toHaveLength(64);
  });

  it('refuses a non-base64url userHandle', () => {
    const { stored, response } = assertion();
    expectCode(
      () => verifyAuthenticationResponse(withResponse(response, { userHandle: 'a+b/' }), expected(stored)),
      'malformed_input',
    );
  });
});

describe('verifyAuthenticationResponse: §7.2 steps 8-9 (decode and parse client data)', () => {
  it('refuses invalid JSON', () => {
    rejects({ corrupt: { clientDataJSON: Buffer.from('{"type":"webauthn.get"') } }, 'client_data_invalid');
  });

  it('refuses clientDataJSON over 64 KiB', () => {
    rejects({ corrupt: { clientDataExtra: { pad: 'x'.repeat(64 * 1024) } } }, 'client_data_invalid');
  });

  it('refuses a duplicated origin member', () => {
    rejects({ corrupt: { duplicate: { key: 'origin', value: ORIGIN } } }, 'client_data_invalid');
  });
});

describe('verifyAuthenticationResponse: §7.2 steps 10-14 (client data checks)', () => {
  it('step 10: refuses type "webauthn.create"', () => {
    rejects({ corrupt: { type: 'webauthn.create' } }, 'ceremony_type_mismatch');
  });

  it('step 11: refuses another challenge', () => {
    rejects({ corrupt: { challenge: base64url(REG_CHALLENGE) } }, 'challenge_mismatch');
  });

  it('step 12: refuses an origin that is not allowed', () => {
    rejects({ corrupt: { origin: 'http://example.com' } }, 'origin_mismatch');
  });

  it('step 13: refuses crossOrigin true when no iframe use is expected', () => {
    rejects({ corrupt: { crossOrigin: true } }, 'cross_origin_not_allowed');
  });

  it('step 14: refuses a topOrigin that is not expected', () => {
    rejects(
      { corrupt: { crossOrigin: true, topOrigin: 'https://evil.example' } },
      'cross_origin_not_allowed',
    );
    rejects({ corrupt: { crossOrigin: true, topOrigin: 'https://evil.example' } }, 'top_origin_mismatch', {
      topOrigins: ['https://shop.example'],
    });
  });
});

describe('verifyAuthenticationResponse: authenticator data structure (§6.1)', () => {
  it('refuses AT = 1 with attested credential data in an assertion', () => {
    rejects({ corrupt: { includeAttestedData: true } }, 'authenticator_data_invalid');
  });

  it('refuses AT = 1 without attested credential data', () => {
    rejects({ corrupt: { flags: { at: true } } }, 'authenticator_data_invalid');
  });

  it('refuses trailing bytes after authenticator data, even when signed', () => {
    rejects({ corrupt: { trailingAuthData: Buffer.from([0x00]) } }, 'authenticator_data_invalid');
  });

  it('refuses ED = 1 without extension data', () => {
    rejects({ corrupt: { edWithoutData: true } }, 'authenticator_data_invalid');
  });

  it('refuses authenticator data shorter than 37 bytes', () => {
    const { stored, response } = assertion();
    const short = base64url(Buffer.from(response.response.authenticatorData, 'base64url').subarray(0, 36));
    expectCode(
      () =>
        verifyAuthenticationResponse(withResponse(response, { authenticatorData: short }), expected(stored)),
      'authenticator_data_invalid',
    );
  });
});

describe('verifyAuthenticationResponse: §7.2 steps 15-19 (flags and RP ID)', () => {
  it('step 15: refuses an rpIdHash for another RP ID', () => {
    rejects({ corrupt: { rpId: 'evil.com' } }, 'rp_id_mismatch');
    rejects({ corrupt: { rpId: 'sub.example.com' } }, 'rp_id_mismatch');
  });

  it('step 16: refuses UP = 0', () => {
    rejects({ corrupt: { flags: { up: false } } }, 'user_presence_required', {
      requireUserVerification: false,
    });
  });

  it('step 16: refuses UP = 0 even when UV = 1', () => {
    rejects({ corrupt: { flags: { up: false, uv: true } } }, 'user_presence_required');
  });

  it('step 17: refuses UV = 0 when user verification is required', () => {
    rejects({ uv: false }, 'user_verification_required');
  });

  it('step 18: refuses BS = 1 with BE = 0', () => {
    rejects({ corrupt: { flags: { bs: true } } }, 'backup_state_invalid');
  });

  it('step 19: refuses BE = 0 for a credential registered backup-eligible', () => {
    rejects(
      { credential: { backupEligible: true }, corrupt: { flags: { be: false } } },
      'backup_eligibility_changed',
    );
  });

  it('step 19: refuses BE = 1 for a credential registered not backup-eligible', () => {
    rejects({ corrupt: { flags: { be: true } } }, 'backup_eligibility_changed');
  });

  it('step 19: skips the BE comparison when the record does not say', () => {
    const { stored, response } = assertion({ corrupt: { flags: { be: true } } });
    const { backupEligible: _be, ...unknownBe } = stored;
    expect(verifyAuthenticationResponse(response, expected(unknownBe)).flags.be).toBe(true);
  });
});

describe('verifyAuthenticationResponse: §7.2 steps 20-21 (signature)', () => {
  it.each([-7, -8, -257] as const)('refuses a signature with one bit flipped (alg %i)', (alg) => {
    rejects({ credential: { alg }, corrupt: { signature: 'flip-bit' } }, 'signature_invalid');
  });

  it('refuses an ES256 signature sent as raw r||s instead of DER (§6.5.5)', () => {
    rejects({ corrupt: { signature: 'raw' } }, 'signature_invalid');
  });

  it('refuses a signature over authenticator data whose flags changed after signing', () => {
    rejects({ corrupt: { mutateAfterSigning: 'flags' } }, 'signature_invalid', {
      requireUserVerification: false,
    });
  });

  it('refuses a signature over authenticator data whose counter changed after signing', () => {
    rejects({ corrupt: { mutateAfterSigning: 'counter' } }, 'signature_invalid');
  });

  it('refuses authenticator data whose rpIdHash changed after signing', () => {
    rejects({ corrupt: { mutateAfterSigning: 'rpIdHash' } }, 'rp_id_mismatch');
  });

  it('refuses a signature over different clientDataJSON bytes', () => {
    rejects({ corrupt: { mutateAfterSigning: 'clientData' } }, 'signature_invalid');
  });

  it('refuses a valid signature checked against another credential key', () => {
    const { stored, response } = assertion();
    const other = enrol({}, 'someone-else').stored;
    expectCode(
      () => verifyAuthenticationResponse(response, expected({ ...stored, publicKey: other.publicKey })),
      'signature_invalid',
    );
  });

  it('refuses a stored public key that is not a COSE key', () => {
    const { stored, response } = assertion();
    expectCode(
      () =>
        verifyAuthenticationResponse(response, expected({ ...stored, publicKey: new Uint8Array([0xa0]) })),
      'public_key_invalid',
    );
  });
});

describe('verifyAuthenticationResponse: §7.2 step 22 (signature counter)', () => {
  function withCounters(
    storedCounter: number,
    newCounter: number,
    over: Partial<AuthenticationExpectations> = {},
  ) {
    const { stored, response } = assertion({ corrupt: { counter: newCounter } });
    return verifyAuthenticationResponse(response, expected({ ...stored, counter: storedCounter }, over));
  }

  it.each([
    [10, 10, 'regressed'],
    [10, 5, 'regressed'],
    [10, 0, 'regressed'],
    [0, 0, 'not_supported'],
    [10, 11, 'increased'],
    [0, 1, 'increased'],
    [4294967294, 4294967295, 'increased'],
  ] as const)('stored %i, new %i: %s', (storedCounter, newCounter, outcome) => {
    const evidence = withCounters(storedCounter, newCounter);
    expect(evidence.counterOutcome).toBe(outcome);
    expect(evidence.counter).toBe(newCounter);
    expect(counterOutcome(storedCounter, newCounter)).toBe(outcome);
  });

  it('reports a regression by default and in report mode', () => {
    expect(withCounters(10, 10, { onCounterRegression: 'report' }).counterOutcome).toBe('regressed');
  });

  it.each([
    [10, 10],
    [10, 5],
    [10, 0],
  ])('rejects stored %i / new %i with counter_regression in reject mode', (storedCounter, newCounter) => {
    expectCode(
      () => withCounters(storedCounter, newCounter, { onCounterRegression: 'reject' }),
      'counter_regression',
    );
  });

  it('does not reject 0/0 or an increase in reject mode', () => {
    expect(withCounters(0, 0, { onCounterRegression: 'reject' }).counterOutcome).toBe('not_supported');
    expect(withCounters(10, 11, { onCounterRegression: 'reject' }).counterOutcome).toBe('increased');
  });
});

describe('verifyAuthenticationResponse: check order', () => {
  it('checks the signature before the counter (a forged low counter is a bad signature)', () => {
    const { stored, response } = assertion({ corrupt: { counter: 0, signature: 'flip-bit' } });
    expectCode(
      () =>
        verifyAuthenticationResponse(
          response,
          expected({ ...stored, counter: 10 }, { onCounterRegression: 'reject' }),
        ),
      'signature_invalid',
    );
  });

  it('does not mutate the stored credential or the response', () => {
    const { soft, stored, response } = assertion();
    const before = JSON.stringify(response);
    const storedCopy = { ...stored, id: Buffer.from(stored.id), publicKey: Buffer.from(stored.publicKey) };
    verifyAuthenticationResponse(response, expected(stored));
    expect(JSON.stringify(response)).toBe(before);
    expect(Buffer.from(stored.id)).toStrictEqual(storedCopy.id);
    expect(Buffer.from(stored.publicKey)).toStrictEqual(storedCopy.publicKey);
    expect(soft.counter).toBe(1);
  });
});
