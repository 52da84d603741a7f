/**
 * Property tests for the parsers and the two ceremony verifiers:
 *
 *   - hostile input (arbitrary bytes, mutated real inputs, arbitrary JSON and JS values, a wrong
 *     type at every member) never makes the core throw anything but a WebAuthnError whose code is
 *     in CORE_ERRORS;
 *   - a one-byte change anywhere in the signed bytes (authenticator data, clientDataJSON) of a
 *     valid assertion or packed self registration is rejected;
 *   - CBOR bombs (deep nesting, huge declared lengths, indefinite lengths, tags, duplicate keys)
 *     are refused as cbor_invalid, quickly.
 *
 * Run counts are bounded so the file finishes in a few seconds.
 */
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CborKey,
  type CborValue,
  CORE_ERRORS,
  type CoreErrorCode,
  decodeCbor,
  decodeCredentialPublicKey,
  encodeCbor,
  isBytes,
  isCborMap,
  parseAuthenticatorData,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  WebAuthnError,
} from '../../src/core/index.js';
import type { AuthenticationExpectations, RegistrationExpectations } from '../../src/core/types.js';
import {
  authenticationExpectations,
  type CorpusCase,
  loadCorpus,
  registrationExpectations,
} from '../helpers/conformance-corpus.js';
import { base64url, type SoftAlgorithm, SoftAuthenticator } from '../helpers/soft-authenticator.js';

// ---------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------

class NotAWebAuthnError extends Error {}

/** 'ok', or the code of the WebAuthnError thrown; anything else thrown fails the property. */
function outcome(run: () => unknown): 'ok' | CoreErrorCode {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (err instanceof WebAuthnError && Object.hasOwn(CORE_ERRORS, err.code)) {
      if (err.message !== CORE_ERRORS[err.code]) {
        throw new NotAWebAuthnError(`WebAuthnError ${err.code} with a message not from CORE_ERRORS`);
      }
      return err.code;
    }
    const what = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
    throw new NotAWebAuthnError(`threw something other than a WebAuthnError: ${what}`, { cause: err });
  }
}

/**
 * Run counts are kept small so the file takes seconds; TESSERA_PROPERTY_SCALE=50 (say) multiplies
 * every random property's runs for a longer hunt.
 */
const SCALE = Math.max(1, Number(process.env.TESSERA_PROPERTY_SCALE ?? '1') || 1);
const runs = (n: number) => ({ numRuns: Math.round(n * SCALE) });
const RUNS = runs(300);

// ---------------------------------------------------------------------------------------------
// Real inputs: a valid assertion and a valid packed self registration per algorithm
// ---------------------------------------------------------------------------------------------

const RP_ID = 'example.com';
const ORIGIN = 'https://example.com';
const REG_CHALLENGE = Buffer.alloc(32, 0x31);
const AUTH_CHALLENGE = Buffer.alloc(32, 0x32);
const NOW = new Date('2026-11-24T12:00:00Z');
const ALGS: readonly SoftAlgorithm[] = [-7, -8, -257];

/** A JSON-shaped value: what JSON.parse gives a server. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const toJson = (value: unknown): Json => JSON.parse(JSON.stringify(value)) as Json;

interface Fixture {
  readonly alg: SoftAlgorithm;
  readonly registration: Json;
  readonly registrationExpected: RegistrationExpectations;
  readonly assertion: Json;
  readonly assertionExpected: AuthenticationExpectations;
  /** Bytes out of the valid responses. */
  readonly coseKey: Uint8Array;
  readonly regAuthData: Uint8Array;
  readonly regClientData: Uint8Array;
  readonly attestationObject: Uint8Array;
  readonly authAuthData: Uint8Array;
  readonly authClientData: Uint8Array;
  readonly signature: Uint8Array;
}

function makeFixture(alg: SoftAlgorithm): Fixture {
  const authenticator = new SoftAuthenticator(`properties-${alg}`);
  const credential = authenticator.createCredential({ alg });
  const registration = authenticator.register(credential, {
    rpId: RP_ID,
    origin: ORIGIN,
    challenge: REG_CHALLENGE,
    fmt: 'packed',
  });
  const registrationExpected: RegistrationExpectations = {
    challenge: REG_CHALLENGE,
    origins: [ORIGIN],
    rpId: RP_ID,
    requireUserVerification: true,
    now: NOW,
  };
  const evidence = verifyRegistrationResponse(registration, registrationExpected);
  const stored = { id: evidence.credentialId, publicKey: evidence.publicKey, counter: evidence.counter };
  const assertion = authenticator.authenticate(credential, {
    rpId: RP_ID,
    origin: ORIGIN,
    challenge: AUTH_CHALLENGE,
  });
  const assertionExpected: AuthenticationExpectations = {
    challenge: AUTH_CHALLENGE,
    origins: [ORIGIN],
    rpId: RP_ID,
    requireUserVerification: true,
    now: NOW,
    credential: stored,
  };
  verifyAuthenticationResponse(assertion, assertionExpected);
  const b = (text: string) => Buffer.from(text, 'base64url');
  return {
    alg,
    registration: toJson(registration),
    registrationExpected,
    assertion: toJson(assertion),
    assertionExpected,
    coseKey: evidence.publicKey,
    regAuthData: b(registration.response.authenticatorData),
    regClientData: b(registration.response.clientDataJSON),
    attestationObject: b(registration.response.attestationObject),
    authAuthData: b(assertion.response.authenticatorData),
    authClientData: b(assertion.response.clientDataJSON),
    signature: b(assertion.response.signature),
  };
}

const FIXTURES: readonly Fixture[] = ALGS.map(makeFixture);
const fixtureArb = fc.constantFrom(...FIXTURES);

/** A copy of `json` with the value at `path` replaced (or removed, for REMOVE). */
const REMOVE = Symbol('remove');
type Path = readonly (string | number)[];

function paths(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const out: Path[] = [];
  const entries: [string | number, Json][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  for (const [key, child] of entries) {
    const path = [...prefix, key];
    out.push(path, ...paths(child, path));
  }
  return out;
}

function replaceAt(json: Json, path: Path, replacement: unknown): unknown {
  const root: unknown = structuredClone(json);
  let node: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    node = (node as Record<string | number, unknown>)[path[i] as string | number];
  }
  const last = path[path.length - 1];
  if (last === undefined) return replacement;
  const parent = node as Record<string | number, unknown>;
  if (replacement === REMOVE) {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete parent[last];
  } else {
    parent[last] = replacement;
  }
  return root;
}

/** Replace one member of the `response` object of a response JSON. */
function withResponseMember(json: Json, member: string, value: string): unknown {
  return replaceAt(json, ['response', member], value);
}

// ---------------------------------------------------------------------------------------------
// Byte mutations
// ---------------------------------------------------------------------------------------------

type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'xor'; readonly at: number; readonly mask: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('xor' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Buffer {
  let out = Buffer.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + (m.kind === 'insert' ? 1 : 0));
    if (m.kind === 'set' && out.length > 0) out[at] = m.byte;
    else if (m.kind === 'xor' && out.length > 0) out[at] = (out[at] ?? 0) ^ m.mask;
    else if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
    else if (m.kind === 'delete') out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.length)]);
    else if (m.kind === 'truncate') out = out.subarray(0, at);
  }
  return out;
}

const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

// ---------------------------------------------------------------------------------------------
// Structured CBOR: values shaped like COSE keys and attestation objects, with wrong types mixed in
// ---------------------------------------------------------------------------------------------

const cborLeafArb: fc.Arbitrary<CborValue> = fc.oneof(
  fc.integer({ min: -70000, max: 70000 }),
  fc.constantFrom(
    -7,
    -8,
    -35,
    -36,
    -37,
    -38,
    -39,
    -48,
    -49,
    -50,
    -53,
    -257,
    -258,
    -259,
    -65535,
    1,
    2,
    3,
    6,
    7,
  ),
  fc.uint8Array({ maxLength: 80 }),
  fc.constantFrom(32, 48, 66, 57, 256, 1312).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
  fc.string({ maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
);

const { cborValue: cborValueArb } = fc.letrec<{ cborValue: CborValue; cborMap: CborValue }>((tie) => ({
  cborValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    cborLeafArb,
    fc.array(tie('cborValue'), { maxLength: 4 }),
    tie('cborMap'),
  ),
  cborMap: fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom<CborKey>(
            1,
            3,
            -1,
            -2,
            -3,
            -4,
            -5,
            -6,
            'fmt',
            'attStmt',
            'authData',
            'alg',
            'sig',
            'x5c',
          ),
          fc.integer(),
          fc.string({ maxLength: 6 }),
        ),
        tie('cborValue'),
      ),
      { maxLength: 6 },
    )
    .map((entries) => new Map<CborKey, CborValue>(entries)),
}));

/** A COSE_Key-like map: the usual labels with plausible and implausible values. */
const coseKeyArb: fc.Arbitrary<Uint8Array> = fc
  .record(
    {
      kty: fc.oneof(fc.constantFrom<CborValue>(1, 2, 3, 4, 7, 'EC2', -1), cborLeafArb),
      alg: fc.oneof(
        fc.constantFrom<CborValue>(
          -7,
          -8,
          -35,
          -36,
          -37,
          -38,
          -39,
          -48,
          -49,
          -50,
          -53,
          -257,
          -258,
          -259,
          -65535,
          'ES256',
        ),
        cborLeafArb,
      ),
      p1: fc.oneof(fc.constantFrom<CborValue>(1, 2, 3, 6, 7), cborLeafArb),
      p2: cborLeafArb,
      p3: fc.oneof(cborLeafArb, fc.boolean()),
      p4: cborLeafArb,
    },
    { requiredKeys: ['kty', 'alg'] },
  )
  .map((r) => {
    const m = new Map<CborKey, CborValue>([
      [1, r.kty],
      [3, r.alg],
    ]);
    if (r.p1 !== undefined) m.set(-1, r.p1);
    if (r.p2 !== undefined) m.set(-2, r.p2);
    if (r.p3 !== undefined) m.set(-3, r.p3);
    if (r.p4 !== undefined) m.set(-4, r.p4);
    return encodeCbor(m);
  });

// ---------------------------------------------------------------------------------------------
// Real responses from the shared corpus: every attestation format and algorithm it has
// ---------------------------------------------------------------------------------------------

const CORPUS = loadCorpus();

interface CorpusRegistration {
  readonly c: CorpusCase;
  readonly json: Json;
  readonly attestation: ReadonlyMap<CborKey, CborValue>;
  readonly attStmt: ReadonlyMap<CborKey, CborValue>;
  readonly expected: RegistrationExpectations;
}

/** A place inside attStmt holding bytes: a member, or one element of an array member (x5c). */
type AttStmtSlot = readonly [CborKey] | readonly [CborKey, number];

function attStmtSlots(attStmt: ReadonlyMap<CborKey, CborValue>): AttStmtSlot[] {
  const slots: AttStmtSlot[] = [];
  for (const [key, value] of attStmt) {
    if (isBytes(value)) slots.push([key]);
    else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (isBytes(item)) slots.push([key, i]);
      });
    }
  }
  return slots;
}

const CORPUS_REGISTRATIONS: readonly CorpusRegistration[] = CORPUS.cases.flatMap((c) => {
  if (c.ceremony !== 'registration') return [];
  const json = toJson(c.response);
  const response =
    typeof json === 'object' && json !== null && !Array.isArray(json) ? json.response : undefined;
  const attObj =
    typeof response === 'object' && response !== null && !Array.isArray(response)
      ? response.attestationObject
      : undefined;
  if (typeof attObj !== 'string' || attObj.length === 0) return [];
  const attestation = decodeCbor(Buffer.from(attObj, 'base64url'));
  if (!isCborMap(attestation)) return [];
  const attStmt = attestation.get('attStmt');
  if (attStmt === undefined || !isCborMap(attStmt)) return [];
  return [{ c, json, attestation, attStmt, expected: registrationExpectations(CORPUS, c) }];
});

const CORPUS_ASSERTIONS = CORPUS.cases.flatMap((c) =>
  c.ceremony === 'authentication'
    ? [{ c, json: toJson(c.response), expected: authenticationExpectations(CORPUS, c) }]
    : [],
);

function corpusMember(json: Json, member: string): Buffer {
  const response =
    typeof json === 'object' && json !== null && !Array.isArray(json) ? json.response : undefined;
  const value =
    typeof response === 'object' && response !== null && !Array.isArray(response)
      ? response[member]
      : undefined;
  return Buffer.from(typeof value === 'string' ? value : '', 'base64url');
}

/** The attestation object with one attStmt slot (or authData) replaced. */
function rebuildAttestation(
  r: CorpusRegistration,
  change: { readonly slot: AttStmtSlot; readonly value: CborValue } | { readonly authData: Uint8Array },
): Buffer {
  const attestation = new Map(r.attestation);
  if ('authData' in change) {
    attestation.set('authData', change.authData);
  } else {
    const attStmt = new Map(r.attStmt);
    const [key, index] = change.slot;
    if (index === undefined) attStmt.set(key, change.value);
    else {
      const list = attStmt.get(key);
      const copy = Array.isArray(list) ? [...list] : [];
      copy[index] = change.value;
      attStmt.set(key, copy);
    }
    attestation.set('attStmt', attStmt);
  }
  return encodeCbor(attestation);
}

// =============================================================================================
// 1. Only WebAuthnError, whatever the input
// =============================================================================================

describe('hostile bytes reach only WebAuthnError', () => {
  it('decodeCbor: arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        outcome(() => decodeCbor(bytes));
      }),
      runs(1000),
    );
  });

  it('decodeCbor: structured CBOR decodes back to what was encoded', () => {
    fc.assert(
      fc.property(cborValueArb, (value) => {
        const bytes = encodeCbor(value);
        expect(outcome(() => decodeCbor(bytes))).toBe('ok');
      }),
      RUNS,
    );
  });

  it('decodeCbor: mutated attestation objects and COSE keys', () => {
    fc.assert(
      fc.property(fixtureArb, fc.boolean(), mutationsArb, (f, useKey, mutations) => {
        outcome(() => decodeCbor(mutate(useKey ? f.coseKey : f.attestationObject, mutations)));
      }),
      runs(500),
    );
  });

  it('parseAuthenticatorData: arbitrary bytes and mutated real authenticator data', () => {
    const withHead = fc
      .tuple(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 200 }),
      )
      .map(([hash, flags, rest]) => Buffer.concat([hash, Buffer.from([flags, 0, 0, 0, 1]), rest]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), withHead), (bytes) => {
        outcome(() => parseAuthenticatorData(bytes));
      }),
      runs(500),
    );
    fc.assert(
      fc.property(fixtureArb, fc.boolean(), mutationsArb, (f, reg, mutations) => {
        outcome(() => parseAuthenticatorData(mutate(reg ? f.regAuthData : f.authAuthData, mutations)));
      }),
      runs(500),
    );
  });

  it('decodeCredentialPublicKey: arbitrary bytes, COSE-shaped maps and mutated real keys', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), coseKeyArb, cborValueArb.map(encodeCbor)),
        (bytes) => {
          outcome(() => decodeCredentialPublicKey(bytes));
        },
      ),
      runs(500),
    );
    fc.assert(
      fc.property(fixtureArb, mutationsArb, (f, mutations) => {
        outcome(() => decodeCredentialPublicKey(mutate(f.coseKey, mutations)));
      }),
      RUNS,
    );
  });

  it('verifyRegistrationResponse: mutated attestationObject and clientDataJSON', () => {
    fc.assert(
      fc.property(fixtureArb, fc.boolean(), mutationsArb, (f, attObj, mutations) => {
        const response = attObj
          ? withResponseMember(
              f.registration,
              'attestationObject',
              base64url(mutate(f.attestationObject, mutations)),
            )
          : withResponseMember(
              f.registration,
              'clientDataJSON',
              base64url(mutate(f.regClientData, mutations)),
            );
        outcome(() => verifyRegistrationResponse(response, f.registrationExpected));
      }),
      RUNS,
    );
  });

  it('verifyRegistrationResponse: attestation objects rebuilt from structured CBOR', () => {
    fc.assert(
      fc.property(
        fixtureArb,
        cborValueArb,
        fc.constantFrom('fmt', 'attStmt', 'authData', 'whole'),
        (f, value, where) => {
          let attestationObject: Uint8Array;
          if (where === 'whole') attestationObject = encodeCbor(value);
          else {
            const decoded = decodeCbor(f.attestationObject);
            if (!isCborMap(decoded)) throw new Error('fixture attestation object is not a map');
            const changed = new Map(decoded);
            changed.set(where, value);
            attestationObject = encodeCbor(changed);
          }
          const response = withResponseMember(
            f.registration,
            'attestationObject',
            base64url(attestationObject),
          );
          outcome(() => verifyRegistrationResponse(response, f.registrationExpected));
        },
      ),
      RUNS,
    );
  });

  it('verifyAuthenticationResponse: mutated authenticatorData, clientDataJSON, signature and stored key', () => {
    fc.assert(
      fc.property(
        fixtureArb,
        fc.constantFrom('authenticatorData', 'clientDataJSON', 'signature', 'storedKey'),
        mutationsArb,
        (f, target, mutations) => {
          if (target === 'storedKey') {
            const expected = {
              ...f.assertionExpected,
              credential: { ...f.assertionExpected.credential, publicKey: mutate(f.coseKey, mutations) },
            };
            outcome(() => verifyAuthenticationResponse(f.assertion, expected));
            return;
          }
          const source =
            target === 'authenticatorData'
              ? f.authAuthData
              : target === 'clientDataJSON'
                ? f.authClientData
                : f.signature;
          const response = withResponseMember(f.assertion, target, base64url(mutate(source, mutations)));
          outcome(() => verifyAuthenticationResponse(response, f.assertionExpected));
        },
      ),
      RUNS,
    );
  });

  it('verifyAuthenticationResponse: structured CBOR as the stored COSE key', () => {
    fc.assert(
      fc.property(fixtureArb, fc.oneof(coseKeyArb, cborValueArb.map(encodeCbor)), (f, key) => {
        const expected = {
          ...f.assertionExpected,
          credential: { ...f.assertionExpected.credential, publicKey: key },
        };
        outcome(() => verifyAuthenticationResponse(f.assertion, expected));
      }),
      RUNS,
    );
  });
});

describe('mutated real corpus responses reach only WebAuthnError', () => {
  const registrationArb = fc.constantFrom(...CORPUS_REGISTRATIONS);

  it('the corpus has registrations of every attestation format to mutate', () => {
    const formats = new Set(CORPUS_REGISTRATIONS.map((r) => r.attestation.get('fmt')));
    for (const fmt of ['none', 'packed', 'fido-u2f', 'tpm', 'android-key', 'android-safetynet', 'apple']) {
      expect(formats.has(fmt), fmt).toBe(true);
    }
  });

  it('registrations: bytes in attStmt (signatures, certificates, TPM structures, JWS) mutated', () => {
    fc.assert(
      fc.property(registrationArb, fc.nat(), mutationsArb, (r, pick, mutations) => {
        const slots = attStmtSlots(r.attStmt);
        const slot = slots[pick % Math.max(1, slots.length)];
        if (slot === undefined) return;
        const [key, index] = slot;
        const member = r.attStmt.get(key);
        const original = index === undefined ? member : Array.isArray(member) ? member[index] : undefined;
        if (original === undefined || !isBytes(original)) return;
        const attObj = rebuildAttestation(r, { slot, value: mutate(original, mutations) });
        const response = withResponseMember(r.json, 'attestationObject', base64url(attObj));
        outcome(() => verifyRegistrationResponse(response, r.expected));
      }),
      runs(400),
    );
  });

  it('registrations: an attStmt member replaced by arbitrary CBOR', () => {
    fc.assert(
      fc.property(registrationArb, fc.nat(), cborValueArb, (r, pick, value) => {
        const keys = [...r.attStmt.keys()];
        const key = keys[pick % Math.max(1, keys.length)] ?? 'alg';
        const attObj = rebuildAttestation(r, { slot: [key], value });
        const response = withResponseMember(r.json, 'attestationObject', base64url(attObj));
        outcome(() => verifyRegistrationResponse(response, r.expected));
      }),
      RUNS,
    );
  });

  it('registrations: authData, clientDataJSON or the whole attestation object mutated', () => {
    fc.assert(
      fc.property(
        registrationArb,
        fc.constantFrom('authData', 'clientDataJSON', 'attestationObject'),
        mutationsArb,
        (r, target, mutations) => {
          let response: unknown;
          if (target === 'authData') {
            const authData = r.attestation.get('authData');
            if (authData === undefined || !isBytes(authData)) return;
            const attObj = rebuildAttestation(r, { authData: mutate(authData, mutations) });
            response = withResponseMember(r.json, 'attestationObject', base64url(attObj));
          } else {
            response = withResponseMember(
              r.json,
              target,
              base64url(mutate(corpusMember(r.json, target), mutations)),
            );
          }
          outcome(() => verifyRegistrationResponse(response, r.expected));
        },
      ),
      RUNS,
    );
  });

  it('assertions (every algorithm in the corpus): signed fields, signature and stored key mutated', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CORPUS_ASSERTIONS),
        fc.constantFrom('authenticatorData', 'clientDataJSON', 'signature', 'userHandle', 'storedKey'),
        mutationsArb,
        (a, target, mutations) => {
          if (target === 'storedKey') {
            const expected = {
              ...a.expected,
              credential: {
                ...a.expected.credential,
                publicKey: mutate(a.expected.credential.publicKey, mutations),
              },
            };
            outcome(() => verifyAuthenticationResponse(a.json, expected));
            return;
          }
          const response = withResponseMember(
            a.json,
            target,
            base64url(mutate(corpusMember(a.json, target), mutations)),
          );
          outcome(() => verifyAuthenticationResponse(response, a.expected));
        },
      ),
      RUNS,
    );
  });
});

describe('hostile JSON reaches only WebAuthnError', () => {
  it('arbitrary JSON values and arbitrary JS values as the whole response', () => {
    fc.assert(
      fc.property(fixtureArb, fc.oneof(fc.jsonValue(), fc.anything()), (f, value) => {
        expect(outcome(() => verifyRegistrationResponse(value, f.registrationExpected))).not.toBe('ok');
        expect(outcome(() => verifyAuthenticationResponse(value, f.assertionExpected))).not.toBe('ok');
      }),
      RUNS,
    );
  });

  /** Every wrong type (and absence) at every member of a valid response, exhaustively. */
  const WRONG: readonly unknown[] = [
    REMOVE,
    null,
    true,
    false,
    0,
    -1,
    1.5,
    2 ** 53,
    '',
    'x',
    'AAAA',
    '!!!',
    'a'.repeat(10_000),
    [],
    [1, 'a'],
    {},
    { a: 1 },
  ];

  it('a wrong type or a missing value at each member of a registration', () => {
    for (const f of FIXTURES) {
      for (const path of paths(f.registration)) {
        for (const wrong of WRONG) {
          outcome(() =>
            verifyRegistrationResponse(replaceAt(f.registration, path, wrong), f.registrationExpected),
          );
        }
      }
    }
  });

  it('a wrong type or a missing value at each member of an assertion', () => {
    for (const f of FIXTURES) {
      for (const path of paths(f.assertion)) {
        for (const wrong of WRONG) {
          outcome(() =>
            verifyAuthenticationResponse(replaceAt(f.assertion, path, wrong), f.assertionExpected),
          );
        }
      }
    }
  });

  it('an arbitrary JSON or JS value at a random member', () => {
    fc.assert(
      fc.property(
        fixtureArb,
        fc.boolean(),
        fc.nat(),
        fc.oneof(
          fc.jsonValue(),
          fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true }),
        ),
        (f, reg, pick, value) => {
          const json = reg ? f.registration : f.assertion;
          const all = paths(json);
          const path = all[pick % all.length] ?? [];
          const response = replaceAt(json, path, value);
          if (reg) outcome(() => verifyRegistrationResponse(response, f.registrationExpected));
          else outcome(() => verifyAuthenticationResponse(response, f.assertionExpected));
        },
      ),
      RUNS,
    );
  });
});

// =============================================================================================
// 2. Every signed byte counts
// =============================================================================================

/** Rebuild the attestation object with other authData bytes (everything else unchanged). */
function withAuthData(attestationObject: Uint8Array, authData: Uint8Array): Buffer {
  const decoded = decodeCbor(attestationObject);
  if (!isCborMap(decoded) || !isBytes(decoded.get('authData') ?? null)) throw new Error('bad fixture');
  const changed = new Map(decoded);
  changed.set('authData', authData);
  return encodeCbor(changed);
}

function flipByte(bytes: Uint8Array, at: number, mask: number): Buffer {
  const out = Buffer.from(bytes);
  out[at] = (out[at] ?? 0) ^ mask;
  return out;
}

type SignedTarget =
  | 'assertion authenticatorData'
  | 'assertion clientDataJSON'
  | 'registration authData'
  | 'registration clientDataJSON';
const SIGNED_TARGETS: readonly SignedTarget[] = [
  'assertion authenticatorData',
  'assertion clientDataJSON',
  'registration authData',
  'registration clientDataJSON',
];

function signedLength(f: Fixture, target: SignedTarget): number {
  switch (target) {
    case 'assertion authenticatorData':
      return f.authAuthData.length;
    case 'assertion clientDataJSON':
      return f.authClientData.length;
    case 'registration authData':
      return f.regAuthData.length;
    case 'registration clientDataJSON':
      return f.regClientData.length;
  }
}

/** Verify the fixture with one byte of one signed field changed. */
function verifyWithChangedByte(
  f: Fixture,
  target: SignedTarget,
  at: number,
  mask: number,
): 'ok' | CoreErrorCode {
  switch (target) {
    case 'assertion authenticatorData': {
      const response = withResponseMember(
        f.assertion,
        'authenticatorData',
        base64url(flipByte(f.authAuthData, at, mask)),
      );
      return outcome(() => verifyAuthenticationResponse(response, f.assertionExpected));
    }
    case 'assertion clientDataJSON': {
      const response = withResponseMember(
        f.assertion,
        'clientDataJSON',
        base64url(flipByte(f.authClientData, at, mask)),
      );
      return outcome(() => verifyAuthenticationResponse(response, f.assertionExpected));
    }
    case 'registration authData': {
      const attestationObject = withAuthData(f.attestationObject, flipByte(f.regAuthData, at, mask));
      const response = withResponseMember(f.registration, 'attestationObject', base64url(attestationObject));
      return outcome(() => verifyRegistrationResponse(response, f.registrationExpected));
    }
    case 'registration clientDataJSON': {
      const response = withResponseMember(
        f.registration,
        'clientDataJSON',
        base64url(flipByte(f.regClientData, at, mask)),
      );
      return outcome(() => verifyRegistrationResponse(response, f.registrationExpected));
    }
  }
}

describe('a one-byte change to any signed byte is rejected', () => {
  it('the unchanged fixtures verify (so a rejection below is caused by the change)', () => {
    for (const f of FIXTURES) {
      for (const target of SIGNED_TARGETS)
        expect(verifyWithChangedByte(f, target, 0, 0), `${f.alg} ${target}`).toBe('ok');
    }
  });

  it('every position, low bit flipped', () => {
    for (const f of FIXTURES) {
      for (const target of SIGNED_TARGETS) {
        for (let at = 0; at < signedLength(f, target); at++) {
          expect(verifyWithChangedByte(f, target, at, 0x01), `${f.alg} ${target} byte ${at}`).not.toBe('ok');
        }
      }
    }
  });

  it('random position, random new value', () => {
    fc.assert(
      fc.property(
        fixtureArb,
        fc.constantFrom(...SIGNED_TARGETS),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (f, target, pos, mask) => {
          const at = pos % signedLength(f, target);
          expect(
            verifyWithChangedByte(f, target, at, mask),
            `${f.alg} ${target} byte ${at} ^ ${mask}`,
          ).not.toBe('ok');
        },
      ),
      runs(500),
    );
  });
});

// =============================================================================================
// 3. CBOR bombs
// =============================================================================================

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

const BOMBS: ReadonlyArray<readonly [string, Buffer]> = [
  ['depth bomb: 10,000 × 0x81', Buffer.alloc(10_000, 0x81)],
  ['depth bomb: 10,000 × 0x81 then 0x00', Buffer.concat([Buffer.alloc(10_000, 0x81), hex('00')])],
  [
    'depth bomb: 10,000 × 0xa1 0x00 (nested maps)',
    Buffer.from(Array.from({ length: 10_000 }, () => [0xa1, 0x00]).flat()),
  ],
  ['item bomb: array of 65,535 zeros', Buffer.concat([hex('99ffff'), Buffer.alloc(65_535, 0x00)])],
  ['array declaring 2^64-1 items', hex('9bffffffffffffffff 00')],
  ['array declaring 2^32-1 items', hex('9affffffff 00')],
  ['map declaring 2^64-1 pairs', hex('bbffffffffffffffff 0000')],
  ['map declaring 2^32-1 pairs', hex('baffffffff 0000')],
  ['byte string declaring 2^64-1 bytes', hex('5bffffffffffffffff 00')],
  ['text string declaring 2^32-1 bytes', hex('7affffffff 61')],
  ['indefinite array', hex('9f 01 02 ff')],
  ['indefinite map', hex('bf 01 02 ff')],
  ['indefinite byte string', hex('5f 41 00 ff')],
  ['indefinite text string', hex('7f 61 61 ff')],
  ['indefinite array inside a map', hex('a1 01 9f ff')],
  ['break code alone', hex('ff')],
  ['tag 0 (date text)', hex('c0 74 323031332d30332d32315432303a30343a30305a')],
  ['tag 2 (bignum)', hex('c2 49 010000000000000000')],
  ['tag 24 (embedded CBOR)', hex('d818 41 00')],
  ['tag 55799 (self-describe) on a map', hex('d9d9f7 a0')],
  ['tag inside a COSE key', hex('a2 01 02 03 c1 26')],
  ['duplicate integer keys', hex('a2 01 01 01 02')],
  ['duplicate text keys', hex('a2 61 61 00 61 61 01')],
  ['duplicate alg in a COSE key', hex('a4 01 02 03 26 20 01 03 26')],
  ['duplicate key in a nested map', hex('a1 01 a2 02 00 02 01')],
];

describe('CBOR bombs are cbor_invalid, fast', () => {
  const timed = (run: () => unknown): { code: 'ok' | CoreErrorCode; ms: number } => {
    const start = performance.now();
    const code = outcome(run);
    return { code, ms: performance.now() - start };
  };

  for (const [name, bytes] of BOMBS) {
    it(name, () => {
      // Warm the decoder once so the timing is the input's, not the JIT's.
      outcome(() => decodeCbor(hex('a0')));
      const direct = timed(() => decodeCbor(bytes));
      expect(direct.code, 'decodeCbor').toBe('cbor_invalid');
      expect(direct.ms, 'decodeCbor ms').toBeLessThan(50);

      const asKey = timed(() => decodeCredentialPublicKey(bytes));
      expect(asKey.code, 'decodeCredentialPublicKey').toBe('cbor_invalid');
      expect(asKey.ms, 'decodeCredentialPublicKey ms').toBeLessThan(50);

      // As the attestation object of an otherwise valid registration.
      const f = FIXTURES[0];
      if (f === undefined) throw new Error('no fixture');
      const response = withResponseMember(f.registration, 'attestationObject', base64url(bytes));
      const asAttestation = timed(() => verifyRegistrationResponse(response, f.registrationExpected));
      expect(asAttestation.code, 'verifyRegistrationResponse').toBe('cbor_invalid');
      expect(asAttestation.ms, 'verifyRegistrationResponse ms').toBeLessThan(50);

      // As the stored credential key of an otherwise valid assertion.
      const expected = {
        ...f.assertionExpected,
        credential: { ...f.assertionExpected.credential, publicKey: bytes },
      };
      const asStored = timed(() => verifyAuthenticationResponse(f.assertion, expected));
      expect(asStored.code, 'verifyAuthenticationResponse').toBe('cbor_invalid');
      expect(asStored.ms, 'verifyAuthenticationResponse ms').toBeLessThan(50);
    });
  }

  it('as the credential public key inside authenticator data', () => {
    const f = FIXTURES[0];
    if (f === undefined) throw new Error('no fixture');
    // rpIdHash, flags UP|UV|AT, counter, AAGUID, credential ID length 16, credential ID, then the bomb.
    const head = Buffer.concat([
      f.regAuthData.subarray(0, 32),
      hex('45 00000000'),
      Buffer.alloc(16),
      hex('0010'),
      Buffer.alloc(16, 7),
    ]);
    // Bombs longer than the authenticator data limit (16 KiB) are refused by length before any CBOR.
    for (const [name, bytes] of BOMBS.filter(([, b]) => head.length + b.length <= 16 * 1024)) {
      const start = performance.now();
      expect(
        outcome(() => parseAuthenticatorData(Buffer.concat([head, bytes]))),
        name,
      ).toBe('cbor_invalid');
      expect(performance.now() - start, `${name} ms`).toBeLessThan(50);
    }
  });
});
