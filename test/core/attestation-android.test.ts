/**
 * android-key (WebAuthn L3 §8.4) and android-safetynet (§8.5) attestation.
 *
 * For each format: the real corpus cases at their verification dates and anchors; mutations of a
 * real statement; and synthetic statements (test CA, certificates built with der-writer) that are
 * re-signed after each mutation, so every check is shown to reject on its own.
 */
import { Buffer } from 'node:buffer';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OID_ANDROID_KEY_DESCRIPTION, verifyAndroidKey } from '../../src/core/attestation/android-key.js';
import {
  MAX_SAFETYNET_JWS_BYTES,
  SAFETYNET_FUTURE_SKEW_MS,
  verifyAndroidSafetyNet,
} from '../../src/core/attestation/android-safetynet.js';
import { parseAuthenticatorData } from '../../src/core/authenticator-data.js';
import { type CborMap, type CborValue, decodeCbor, encodeCbor, isCborMap } from '../../src/core/cbor.js';
import { importCredentialPublicKey } from '../../src/core/cose/index.js';
import { isWebAuthnError } from '../../src/core/errors.js';
import type { AttestationContext, AttestationPolicy } from '../../src/core/types.js';
import {
  type AttestationCase,
  attestationCases,
  attestationContext,
  CORPUS_ATTESTATION_POLICY,
  CORPUS_DATE,
  loadCorpus,
} from '../helpers/conformance-corpus.js';
import {
  basicConstraints,
  certificate,
  type ExtensionSpec,
  explicit,
  integer,
  keyUsage,
  nullValue,
  octets,
  pem,
  seq,
  set,
  tlv,
} from '../helpers/der-writer.js';
import { expectRejected, flipped, restate } from '../helpers/mutations.js';

// ---------------------------------------------------------------------------------------------
// Corpus loading
// ---------------------------------------------------------------------------------------------

const corpus = loadCorpus();
const rootPem = (file: string): string => corpus.pem(file);
const POLICY = CORPUS_ATTESTATION_POLICY;
const loadCases = (fmt: string): AttestationCase[] => attestationCases(fmt, corpus);
const contextFor = (c: AttestationCase, overrides: Partial<AttestationContext> = {}) =>
  attestationContext(c, overrides, corpus);

function pick(cases: readonly AttestationCase[], name: string): AttestationCase {
  const c = cases.find((x) => x.name === name);
  if (!c) throw new Error(`no corpus case ${name}`);
  return c;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

// ---------------------------------------------------------------------------------------------
// Synthetic material shared by both formats
// ---------------------------------------------------------------------------------------------

const NOW = new Date('2030-01-01T00:00:00Z');
const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const CA_NAME: [string, string][] = [['CN', 'Tessera Test Android CA']];
const caCert = certificate({
  issuer: CA_NAME,
  subject: CA_NAME,
  notBefore: new Date('2025-01-01T00:00:00Z'),
  notAfter: new Date('2040-01-01T00:00:00Z'),
  publicKey: ca.publicKey,
  signingKey: ca.privateKey,
  extensions: [basicConstraints(true), keyUsage(['keyCertSign', 'cRLSign'])],
});

function leafCertificate(
  subject: [string, string][],
  key: KeyObject,
  extensions: readonly ExtensionSpec[],
): Buffer {
  return certificate({
    issuer: CA_NAME,
    subject,
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2035-01-01T00:00:00Z'),
    publicKey: key,
    signingKey: ca.privateKey,
    extensions: [basicConstraints(false), ...extensions],
  });
}

/** Authenticator data with attested credential data for an EC P-256 credential key. */
function authDataFor(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw new Error('not an EC key');
  const cose = encodeCbor(
    new Map<number, CborValue>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x, 'base64url')],
      [-3, Buffer.from(jwk.y, 'base64url')],
    ]),
  );
  const credentialId = Buffer.alloc(16, 0x5a);
  return Buffer.concat([
    sha256(Buffer.from('example.org')),
    Buffer.from([0x45]),
    u32(0),
    Buffer.from('b93fd961f2e6462fb12282002247de78', 'hex'),
    u16(credentialId.length),
    credentialId,
    cose,
  ]);
}

function syntheticContext(
  authDataBytes: Buffer,
  clientDataHash: Buffer,
  policy: Partial<AttestationPolicy> = {},
) {
  const authData = parseAuthenticatorData(authDataBytes);
  const acd = authData.attestedCredentialData;
  if (!acd) throw new Error('no attested data');
  return {
    authData,
    clientDataHash,
    credentialPublicKey: importCredentialPublicKey(acd.credentialPublicKey),
    trustAnchors: [pem(caCert)],
    now: NOW,
    policy: { ...POLICY, ...policy },
  } satisfies AttestationContext;
}

function asMap(value: CborValue): CborMap {
  const decoded = decodeCbor(encodeCbor(value));
  if (!isCborMap(decoded)) throw new Error('not a map');
  return decoded;
}

// =============================================================================================
// android-key
// =============================================================================================

const androidKeyCases = loadCases('android-key');

describe('android-key: conformance corpus', () => {
  it('finds every android-key registration of the corpus (6)', () => {
    expect(androidKeyCases).toHaveLength(6);
  });

  const LEVELS: Readonly<Record<string, string>> = {
    'swa-reg-android-key-pixel-8a': 'tee',
    'py-reg-android-key-pixel-8a': 'tee',
    'swa-reg-android-key-galaxy-s9plus': 'tee',
    'swa-reg-android-key-fido-conformance': 'software',
    'swa-reg-android-key-fido-conformance-2020': 'software',
    'w3c-reg-android-key-es256': 'software',
  };

  for (const c of androidKeyCases) {
    it(`${c.name} verifies at ${c.now.toISOString()} (anchors: ${c.anchorFiles.join(', ') || 'none'})`, () => {
      expect(c.verified).toBe(true);
      const result = verifyAndroidKey(c.attStmt, contextFor(c));
      expect(result.type).toBe('basic');
      expect(result.trusted).toBe(c.anchorFiles.length > 0);
      expect(result.details.attestationSecurityLevel).toBe(LEVELS[c.name]);
      expect(result.details.keymasterSecurityLevel).toBe(LEVELS[c.name]);
    });
  }

  it('the Pixel 8a chain ends at Google Hardware Attestation Root 2 (x5c includes the root)', () => {
    const c = pick(androidKeyCases, 'swa-reg-android-key-pixel-8a');
    const result = verifyAndroidKey(c.attStmt, contextFor(c));
    expect(result.root).toBe('serialNumber=f92009e853b6b045');
    expect(result.trustPath).toHaveLength(5);
    expect(result.details).toMatchObject({ origin: 'generated', purpose: 'sign', attestationVersion: 300 });
  });

  it('the W3C vector (x5c = leaf only, empty authorization lists) chains to the W3C test CA', () => {
    const c = pick(androidKeyCases, 'w3c-reg-android-key-es256');
    const result = verifyAndroidKey(c.attStmt, contextFor(c));
    expect(result.trustPath).toHaveLength(1);
    expect(result.root).toContain('CN=WebAuthn test vectors');
    expect(result.details).toMatchObject({ origin: null, purpose: null });
  });

  it('a hardware key passes the TEE-only policy; software-level attestations do not', () => {
    const tee = { ...POLICY, androidKeyRequireTee: true };
    const pixel = pick(androidKeyCases, 'swa-reg-android-key-pixel-8a');
    expect(
      verifyAndroidKey(pixel.attStmt, contextFor(pixel, { policy: tee })).details.authorizationsChecked,
    ).toBe('teeEnforced');
    for (const name of ['swa-reg-android-key-fido-conformance', 'w3c-reg-android-key-es256']) {
      const c = pick(androidKeyCases, name);
      expectRejected(
        () => verifyAndroidKey(c.attStmt, contextFor(c, { policy: tee })),
        'attestation_invalid',
        /Software/,
      );
    }
  });

  it('the FIDO conformance chain is untrusted when a Google root is pinned', () => {
    const c = pick(androidKeyCases, 'swa-reg-android-key-fido-conformance');
    expectRejected(
      () =>
        verifyAndroidKey(
          c.attStmt,
          contextFor(c, { trustAnchors: [rootPem('google-hardware-attestation-root-2.pem')] }),
        ),
      'attestation_untrusted',
    );
  });

  it('the Galaxy S9+ chain is rejected after Google root 1 (the last x5c certificate) expired on 2026-05-24', () => {
    const c = pick(androidKeyCases, 'swa-reg-android-key-galaxy-s9plus');
    expectRejected(
      () => verifyAndroidKey(c.attStmt, contextFor(c, { now: CORPUS_DATE })),
      'certificate_invalid',
      /not valid at 2026-11-24/,
    );
  });
});

describe('android-key: mutations of a real statement', () => {
  const pixel = pick(androidKeyCases, 'swa-reg-android-key-pixel-8a');
  const galaxy = pick(androidKeyCases, 'swa-reg-android-key-galaxy-s9plus');
  const run = (changes: Record<string, CborValue>, ctx: Partial<AttestationContext> = {}) =>
    verifyAndroidKey(restate(pixel.attStmt, changes), contextFor(pixel, ctx));

  it('the unmodified statement verifies after re-encoding', () => {
    expect(run({}).type).toBe('basic');
  });

  it('attestationChallenge ≠ clientDataHash (clientDataHash flipped) is rejected', () => {
    expectRejected(
      () => run({}, { clientDataHash: flipped(pixel.clientDataHash, 0) }),
      'attestation_invalid',
      /attestationChallenge/,
    );
  });

  it('x5c[0] key ≠ credential public key is rejected', () => {
    const other = contextFor(galaxy).credentialPublicKey;
    expectRejected(
      () => run({}, { credentialPublicKey: other }),
      'attestation_invalid',
      /credential public key/,
    );
  });

  it('a flipped sig is rejected', () => {
    const sig = pixel.attStmt.get('sig');
    if (!(sig instanceof Uint8Array)) throw new Error('sig');
    expectRejected(() => run({ sig: flipped(sig, -1) }), 'attestation_invalid', /sig does not verify/);
  });

  it('an alg that does not fit the key fails the signature; an unknown alg is unsupported', () => {
    expectRejected(() => run({ alg: -257 }), 'attestation_invalid', /sig does not verify/);
    expectRejected(() => run({ alg: -9999 }), 'unsupported_algorithm');
  });

  it('malformed members are rejected', () => {
    expectRejected(() => run({ alg: undefined }), 'attestation_invalid', /alg/);
    expectRejected(() => run({ alg: '-7' }), 'attestation_invalid', /alg/);
    expectRejected(() => run({ sig: undefined }), 'attestation_invalid', /sig/);
    expectRejected(() => run({ x5c: [] }), 'attestation_invalid', /x5c/);
    expectRejected(() => run({ x5c: undefined }), 'attestation_invalid', /x5c/);
    expectRejected(() => run({ ver: '1' }), 'attestation_invalid', /unexpected attStmt member/);
  });

  it('a chain missing its intermediate is rejected', () => {
    const x5c = pixel.attStmt.get('x5c');
    if (!Array.isArray(x5c)) throw new Error('x5c');
    expectRejected(() => run({ x5c: [x5c[0], ...x5c.slice(2)] }), 'certificate_invalid', /not issued by/);
  });
});

// --- synthetic android-key statements -------------------------------------------------------

/** [n] EXPLICIT with the high-tag-number form (X.690 §8.1.2.4), as AuthorizationList uses. */
function explicitTag(n: number, content: Uint8Array): Buffer {
  if (n < 31) return explicit(n, content);
  const tagBytes = [n & 0x7f];
  for (let v = n >> 7; v > 0; v >>= 7) tagBytes.unshift((v & 0x7f) | 0x80);
  const len = content.length < 0x80 ? [content.length] : [0x81, content.length];
  return Buffer.concat([Buffer.from([0xbf, ...tagBytes, ...len]), content]);
}
const enumerated = (n: number) => tlv(0x0a, Buffer.from([n]));
const purpose = (...p: number[]) => explicitTag(1, set(...p.map((x) => integer(x))));
const origin = (o: number) => explicitTag(702, integer(o));
const allApplications = () => explicitTag(600, nullValue());
const algorithmEc = () => explicitTag(2, integer(3));

interface KeyDescriptionSpec {
  readonly securityLevel?: number;
  readonly challenge?: Uint8Array;
  readonly software?: readonly Buffer[];
  readonly tee?: readonly Buffer[];
}

function keyDescription(spec: KeyDescriptionSpec, clientDataHash: Uint8Array): ExtensionSpec {
  const level = spec.securityLevel ?? 1;
  return {
    oid: OID_ANDROID_KEY_DESCRIPTION,
    value: seq(
      integer(300),
      enumerated(level),
      integer(300),
      enumerated(level),
      octets(spec.challenge ?? clientDataHash),
      octets(Buffer.alloc(0)),
      seq(...(spec.software ?? [])),
      seq(...(spec.tee ?? [purpose(2), algorithmEc(), origin(0)])),
    ),
  };
}

interface AndroidKeyOptions extends KeyDescriptionSpec {
  /** Certify (and sign with) another key than the credential key. */
  readonly otherLeafKey?: boolean;
  readonly noExtension?: boolean;
  readonly rawExtension?: ExtensionSpec;
  readonly policy?: Partial<AttestationPolicy>;
}

function androidKeyFixture(opts: AndroidKeyOptions = {}): { attStmt: CborMap; ctx: AttestationContext } {
  const credential = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leafKey = opts.otherLeafKey ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : credential;
  const authData = authDataFor(credential.publicKey);
  const clientDataHash = sha256(Buffer.from('{"type":"webauthn.create","challenge":"x"}'));
  const extensions = opts.noExtension ? [] : [opts.rawExtension ?? keyDescription(opts, clientDataHash)];
  const leaf = leafCertificate([['CN', 'Android Keystore Key']], leafKey.publicKey, extensions);
  const attStmt = asMap(
    new Map<string, CborValue>([
      ['alg', -7],
      ['sig', sign('sha256', Buffer.concat([authData, clientDataHash]), leafKey.privateKey)],
      ['x5c', [leaf]],
    ]),
  );
  return { attStmt, ctx: syntheticContext(authData, clientDataHash, opts.policy) };
}

const verifyAndroidKeyFixture = (opts: AndroidKeyOptions = {}) => {
  const { attStmt, ctx } = androidKeyFixture(opts);
  return verifyAndroidKey(attStmt, ctx);
};

describe('android-key: synthetic statements, each signed correctly', () => {
  it('a correct TEE statement verifies, under both policies', () => {
    expect(verifyAndroidKeyFixture()).toMatchObject({
      type: 'basic',
      trusted: true,
      root: 'CN=Tessera Test Android CA',
    });
    expect(verifyAndroidKeyFixture({ policy: { androidKeyRequireTee: true } }).details).toMatchObject({
      attestationSecurityLevel: 'tee',
      origin: 'generated',
      purpose: 'sign',
      authorizationsChecked: 'teeEnforced',
    });
  });

  it('StrongBox is reported', () => {
    expect(verifyAndroidKeyFixture({ securityLevel: 2 }).details.attestationSecurityLevel).toBe('strongbox');
  });

  it('attestationChallenge ≠ clientDataHash is rejected although sig is valid', () => {
    expectRejected(
      () => verifyAndroidKeyFixture({ challenge: Buffer.alloc(32, 7) }),
      'attestation_invalid',
      /attestationChallenge/,
    );
  });

  it('allApplications in either list is rejected', () => {
    expectRejected(
      () => verifyAndroidKeyFixture({ software: [allApplications()] }),
      'attestation_invalid',
      /allApplications/,
    );
    expectRejected(
      () => verifyAndroidKeyFixture({ tee: [purpose(2), allApplications(), origin(0)] }),
      'attestation_invalid',
      /allApplications/,
    );
  });

  it('origin ≠ KM_ORIGIN_GENERATED is rejected (imported key, origin 2), in either list under the union', () => {
    expectRejected(
      () => verifyAndroidKeyFixture({ tee: [purpose(2), origin(2)] }),
      'attestation_invalid',
      /origin/,
    );
    expectRejected(
      () => verifyAndroidKeyFixture({ software: [origin(2)], tee: [purpose(2), origin(0)] }),
      'attestation_invalid',
      /origin/,
    );
  });

  it('purpose without KM_PURPOSE_SIGN is rejected (encrypt/decrypt only)', () => {
    expectRejected(
      () => verifyAndroidKeyFixture({ tee: [purpose(0, 1), origin(0)] }),
      'attestation_invalid',
      /purpose/,
    );
  });

  it('purpose and origin stated only in softwareEnforced: accepted by the union, refused by the TEE-only policy', () => {
    const spec = { software: [purpose(2), origin(0)], tee: [algorithmEc()] };
    expect(verifyAndroidKeyFixture(spec).details).toMatchObject({ origin: 'generated', purpose: 'sign' });
    expectRejected(
      () => verifyAndroidKeyFixture({ ...spec, policy: { androidKeyRequireTee: true } }),
      'attestation_invalid',
      /teeEnforced does not state/,
    );
  });

  it('with the TEE-only policy, teeEnforced must state both origin and purpose', () => {
    const tee = { androidKeyRequireTee: true };
    expectRejected(
      () => verifyAndroidKeyFixture({ software: [origin(0)], tee: [purpose(2)], policy: tee }),
      'attestation_invalid',
      /teeEnforced does not state the key origin/,
    );
    expectRejected(
      () => verifyAndroidKeyFixture({ software: [purpose(2)], tee: [origin(0)], policy: tee }),
      'attestation_invalid',
      /teeEnforced does not state the key purpose/,
    );
  });

  it('with the TEE-only policy, softwareEnforced is not consulted (an imported origin there is ignored)', () => {
    const spec = {
      software: [origin(2)],
      tee: [purpose(2), origin(0)],
      policy: { androidKeyRequireTee: true },
    };
    expect(verifyAndroidKeyFixture(spec).details.origin).toBe('generated');
  });

  it('x5c[0] certifying another key (sig made with that key) is rejected', () => {
    expectRejected(
      () => verifyAndroidKeyFixture({ otherLeafKey: true }),
      'attestation_invalid',
      /not the credential public key/,
    );
  });

  it('a leaf without the key description extension is rejected', () => {
    expectRejected(
      () => verifyAndroidKeyFixture({ noExtension: true }),
      'attestation_invalid',
      /key description/,
    );
  });

  it('malformed key descriptions are rejected with typed errors', () => {
    const raw = (value: Buffer) => ({ rawExtension: { oid: OID_ANDROID_KEY_DESCRIPTION, value } });
    expectRejected(() => verifyAndroidKeyFixture(raw(seq(integer(3)))), 'attestation_invalid', /fields/);
    expectRejected(
      () => verifyAndroidKeyFixture(raw(octets(Buffer.alloc(4)))),
      'attestation_invalid',
      /SEQUENCE/,
    );
    expectRejected(
      () => verifyAndroidKeyFixture({ tee: [purpose(2), origin(0), origin(0)] }),
      'attestation_invalid',
      /twice/,
    );
    expectRejected(
      () => verifyAndroidKeyFixture({ securityLevel: 7 }),
      'attestation_invalid',
      /unknown value/,
    );
    expectRejected(
      () => verifyAndroidKeyFixture(raw(Buffer.from([0x30, 0x05, 0x02]))),
      'certificate_invalid',
    );
  });
});

// =============================================================================================
// android-safetynet
// =============================================================================================

const safetyNetCases = loadCases('android-safetynet');

function jwsOf(attStmt: CborMap): string {
  const r = attStmt.get('response');
  if (!(r instanceof Uint8Array)) throw new Error('response');
  return Buffer.from(r).toString('latin1');
}
function payloadOf(attStmt: CborMap): { timestampMs: number; nonce: string } {
  const part = jwsOf(attStmt).split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as {
    timestampMs: number;
    nonce: string;
  };
}

describe('android-safetynet: conformance corpus', () => {
  it('finds every android-safetynet registration of the corpus (6)', () => {
    expect(safetyNetCases).toHaveLength(6);
  });

  const POSITIVE = [
    'swa-reg-android-safetynet-cts-false-allowed',
    'swa-reg-android-safetynet-2019',
    'py-reg-android-safetynet-2021',
    'yubico-reg-android-safetynet-real',
  ];
  for (const name of POSITIVE) {
    const c = pick(safetyNetCases, name);
    it(`${name} verifies at ${c.now.toISOString()} (anchors: ${c.anchorFiles.join(', ')})`, () => {
      const result = verifyAndroidSafetyNet(c.attStmt, contextFor(c));
      expect(result.type).toBe('basic');
      expect(result.trusted).toBe(true);
      expect(result.trustPath.length).toBeGreaterThanOrEqual(2);
      expect(result.details.timestampMs).toBe(payloadOf(c.attStmt).timestampMs);
      expect(result.details.basicIntegrity).toBe(true);
      expect(result.details.ctsProfileMatch).toBe(name !== 'swa-reg-android-safetynet-cts-false-allowed');
    });
  }

  it('swa-reg-android-safetynet-cts-false-rejected (negative) fails on ctsProfileMatch', () => {
    const c = pick(safetyNetCases, 'swa-reg-android-safetynet-cts-false-rejected');
    expect(c.verified).toBe(false);
    expect(c.policy.safetyNetRequireCtsProfileMatch).toBe(true);
    expectRejected(
      () => verifyAndroidSafetyNet(c.attStmt, contextFor(c)),
      'attestation_invalid',
      /ctsProfileMatch/,
    );
  });

  it('swa-reg-android-safetynet-revoked-gsr1-crosssign verifies offline (revocation needs CRLs: known deviation)', () => {
    const c = pick(safetyNetCases, 'swa-reg-android-safetynet-revoked-gsr1-crosssign');
    expect(c.verified).toBe(false);
    expect(verifyAndroidSafetyNet(c.attStmt, contextFor(c)).trusted).toBe(true);
  });

  it('every corpus response is rejected at the collection date (stale timestamp)', () => {
    for (const c of safetyNetCases) {
      expectRejected(
        () => verifyAndroidSafetyNet(c.attStmt, contextFor(c, { now: CORPUS_DATE })),
        'attestation_invalid',
        /older/,
      );
    }
  });

  it('the R2-rooted chains are untrusted with only GlobalSign R1 configured', () => {
    const c = pick(safetyNetCases, 'yubico-reg-android-safetynet-real');
    expectRejected(
      () =>
        verifyAndroidSafetyNet(
          c.attStmt,
          contextFor(c, { trustAnchors: [rootPem('globalsign-root-ca-r1.pem')] }),
        ),
      'attestation_untrusted',
    );
  });
});

describe('android-safetynet: mutations of a real statement', () => {
  const c = pick(safetyNetCases, 'py-reg-android-safetynet-2021');
  const jws = jwsOf(c.attStmt);
  const [h = '', p = '', s = ''] = jws.split('.');
  const ts = payloadOf(c.attStmt).timestampMs;
  const run = (changes: Record<string, CborValue>, ctx: Partial<AttestationContext> = {}) =>
    verifyAndroidSafetyNet(restate(c.attStmt, changes), contextFor(c, ctx));
  const withJws = (text: string) => ({ response: Buffer.from(text, 'latin1') });

  it('the unmodified statement verifies after re-encoding', () => {
    expect(run({}).type).toBe('basic');
  });

  it('nonce ≠ base64(SHA-256(authData || clientDataHash)) is rejected', () => {
    expectRejected(
      () => run({}, { clientDataHash: flipped(c.clientDataHash, 0) }),
      'attestation_invalid',
      /nonce/,
    );
  });

  it('a timestamp older than safetyNetMaxAgeMs is rejected; exactly the maximum age is accepted', () => {
    expect(run({}, { now: new Date(ts + 60_000) }).type).toBe('basic');
    expectRejected(
      () => run({}, { now: new Date(ts + 60_001) }),
      'attestation_invalid',
      /older than 60000 ms/,
    );
    const lenient = { ...POLICY, safetyNetMaxAgeMs: 3_600_000 };
    expect(run({}, { now: new Date(ts + 30 * 60_000), policy: lenient }).type).toBe('basic');
  });

  it('a timestamp in the future (beyond the clock-skew allowance) is rejected', () => {
    expect(run({}, { now: new Date(ts - SAFETYNET_FUTURE_SKEW_MS) }).type).toBe('basic');
    expectRejected(
      () => run({}, { now: new Date(ts - SAFETYNET_FUTURE_SKEW_MS - 1) }),
      'attestation_invalid',
      /in the future/,
    );
  });

  it('ctsProfileMatch false is rejected by default and accepted when the policy opts out', () => {
    const cts = pick(safetyNetCases, 'swa-reg-android-safetynet-cts-false-allowed');
    const requireCts = { ...POLICY, safetyNetRequireCtsProfileMatch: true };
    expectRejected(
      () => verifyAndroidSafetyNet(cts.attStmt, contextFor(cts, { policy: requireCts })),
      'attestation_invalid',
      /ctsProfileMatch/,
    );
    expect(verifyAndroidSafetyNet(cts.attStmt, contextFor(cts)).details.ctsProfileMatch).toBe(false);
  });

  it('a tampered payload or signature fails the JWS signature', () => {
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...payload, apkPackageName: 'com.example.forged' })).toString(
      'base64url',
    );
    expect(forged).not.toBe(p);
    expectRejected(
      () => run(withJws(`${h}.${forged}.${s}`)),
      'attestation_invalid',
      /JWS signature does not verify/,
    );
    const sig = Buffer.from(s, 'base64url');
    expectRejected(
      () => run(withJws(`${h}.${p}.${flipped(sig, 10).toString('base64url')}`)),
      'attestation_invalid',
      /JWS signature does not verify/,
    );
  });

  it('a header without x5c, with alg none, or with crit is rejected', () => {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expectRejected(
      () => run(withJws(`${enc({ ...header, alg: 'none' })}.${p}.${s}`)),
      'attestation_invalid',
      /alg/,
    );
    expectRejected(() => run(withJws(`${enc({ alg: 'RS256' })}.${p}.${s}`)), 'attestation_invalid', /x5c/);
    expectRejected(
      () => run(withJws(`${enc({ ...header, crit: ['b64'] })}.${p}.${s}`)),
      'attestation_invalid',
      /crit/,
    );
  });

  it('x5c entries must be canonical standard base64', () => {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { x5c: string[] };
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const leaf = header.x5c[0] ?? '';
    const withX5c = (first: string) =>
      withJws(`${enc({ ...header, x5c: [first, ...header.x5c.slice(1)] })}.${p}.${s}`);
    expectRejected(
      () => run(withX5c(leaf.replace(/\+/g, '-').replace(/\//g, '_'))),
      'attestation_invalid',
      /base64/,
    );
    expectRejected(
      () => run(withX5c(`${leaf.slice(0, 64)}\n${leaf.slice(64)}`)),
      'attestation_invalid',
      /base64/,
    );
    expectRejected(() => run(withX5c(leaf.replace(/=+$/, ''))), 'attestation_invalid', /base64/);
    // Non-zero unused bits in the last character before the padding decode to the same bytes.
    const pad = leaf.length - leaf.replace(/=+$/, '').length;
    expect(pad).toBeGreaterThan(0);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const lastAt = leaf.length - pad - 1;
    const last = alphabet.indexOf(leaf.charAt(lastAt));
    const sloppy = `${leaf.slice(0, lastAt)}${alphabet.charAt(last | 1)}${leaf.slice(lastAt + 1)}`;
    expect(Buffer.from(sloppy, 'base64').equals(Buffer.from(leaf, 'base64'))).toBe(true);
    expectRejected(() => run(withX5c(sloppy)), 'attestation_invalid', /not canonical base64/);
  });

  it('structurally broken JWS values are rejected with typed errors', () => {
    expectRejected(() => run(withJws(`${h}.${p}`)), 'attestation_invalid', /2 parts/);
    expectRejected(() => run(withJws(`${h}.${p}.${s}.x`)), 'attestation_invalid', /4 parts/);
    expectRejected(() => run(withJws(`${h}=.${p}.${s}`)), 'attestation_invalid', /base64url/);
    expectRejected(() => run(withJws(`${h}.${p}.`)), 'attestation_invalid', /signature is empty/);
    // A 256-byte signature leaves 4 unused bits in its last base64url character: they must be zero.
    expect(s.length % 4).toBe(2);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sloppy = `${s.slice(0, -1)}${alphabet.charAt(alphabet.indexOf(s.charAt(s.length - 1)) | 1)}`;
    expectRejected(
      () => run(withJws(`${h}.${p}.${sloppy}`)),
      'attestation_invalid',
      /not canonical base64url/,
    );
    expectRejected(() => run(withJws(` ${jws}`)), 'attestation_invalid', /compact JWS/);
    const notJson = Buffer.from('{"alg":').toString('base64url');
    expectRejected(() => run(withJws(`${notJson}.${p}.${s}`)), 'attestation_invalid', /not valid JSON/);
    const array = Buffer.from('[1]').toString('base64url');
    expectRejected(() => run(withJws(`${array}.${p}.${s}`)), 'attestation_invalid', /not a JSON object/);
    const deep = Buffer.from(`{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`).toString('base64url');
    expectRejected(() => run(withJws(`${deep}.${p}.${s}`)), 'attestation_invalid', /nested too deeply/);
    const badUtf8 = Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url');
    expectRejected(() => run(withJws(`${badUtf8}.${p}.${s}`)), 'attestation_invalid', /UTF-8/);
  });

  it('a response over 64 KiB is rejected before parsing', () => {
    expectRejected(
      () => run({ response: Buffer.alloc(MAX_SAFETYNET_JWS_BYTES + 1, 0x41) }),
      'attestation_invalid',
      /bytes/,
    );
  });

  it('malformed statement members are rejected', () => {
    expectRejected(() => run({ ver: '' }), 'attestation_invalid', /ver/);
    expectRejected(() => run({ ver: 212621037 }), 'attestation_invalid', /ver/);
    expectRejected(() => run({ ver: undefined }), 'attestation_invalid', /ver/);
    expectRejected(() => run({ response: jws }), 'attestation_invalid', /response must be a byte string/);
    expectRejected(() => run({ x5c: [] }), 'attestation_invalid', /unexpected attStmt member/);
  });

  it('hostile response bytes only ever produce typed errors', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(part, part, part).map(([a, b, d]) => Buffer.from(`${a}.${b}.${d}`)),
          fc.json().map((j) => Buffer.from(`${Buffer.from(j).toString('base64url')}.${p}.${s}`)),
        ),
        (bytes) => {
          try {
            run({ response: bytes });
            return false;
          } catch (error) {
            return isWebAuthnError(error);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

// --- synthetic SafetyNet responses ------------------------------------------------------------

interface SafetyNetOptions {
  readonly alg?: 'ES256' | 'RS256';
  readonly hostname?: string;
  readonly san?: string;
  readonly payload?: (expected: Record<string, unknown>) => Record<string, unknown>;
  readonly policy?: Partial<AttestationPolicy>;
}

function dnsSan(host: string): ExtensionSpec {
  return { oid: '2.5.29.17', value: seq(tlv(0x82, Buffer.from(host, 'latin1'))) };
}

function safetyNetFixture(opts: SafetyNetOptions = {}): { attStmt: CborMap; ctx: AttestationContext } {
  const alg = opts.alg ?? 'ES256';
  const signer =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const leaf = leafCertificate(
    [['CN', opts.hostname ?? 'attest.android.com']],
    signer.publicKey,
    opts.san ? [dnsSan(opts.san)] : [],
  );
  const credential = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const authData = authDataFor(credential.publicKey);
  const clientDataHash = sha256(Buffer.from('{"type":"webauthn.create","challenge":"y"}'));
  const expected = {
    nonce: sha256(authData, clientDataHash).toString('base64'),
    timestampMs: NOW.getTime() - 2_000,
    apkPackageName: 'com.google.android.gms',
    ctsProfileMatch: true,
    basicIntegrity: true,
    evaluationType: 'BASIC,HARDWARE_BACKED',
  };
  const payload = opts.payload ? opts.payload(expected) : expected;
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ alg, x5c: [leaf.toString('base64')] })}.${enc(payload)}`;
  const signature =
    alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: signer.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), signer.privateKey);
  const attStmt = asMap(
    new Map<string, CborValue>([
      ['ver', '242813037'],
      ['response', Buffer.from(`${input}.${signature.toString('base64url')}`)],
    ]),
  );
  return { attStmt, ctx: syntheticContext(authData, clientDataHash, opts.policy) };
}

const verifySafetyNetFixture = (opts: SafetyNetOptions = {}) => {
  const { attStmt, ctx } = safetyNetFixture(opts);
  return verifyAndroidSafetyNet(attStmt, ctx);
};

describe('android-safetynet: synthetic responses, each signed correctly', () => {
  it('ES256 (R || S converted to DER) and RS256 responses verify and chain to the test CA', () => {
    expect(verifySafetyNetFixture({ alg: 'ES256' })).toMatchObject({ type: 'basic', trusted: true });
    expect(verifySafetyNetFixture({ alg: 'RS256' }).details).toMatchObject({
      ver: '242813037',
      ctsProfileMatch: true,
      basicIntegrity: true,
      evaluationType: 'BASIC,HARDWARE_BACKED',
    });
  });

  it('a signing certificate not issued to attest.android.com is rejected; a matching SAN dNSName is accepted', () => {
    expectRejected(
      () => verifySafetyNetFixture({ hostname: 'attest.android.com.evil.example' }),
      'attestation_invalid',
      /attest\.android\.com/,
    );
    expect(verifySafetyNetFixture({ hostname: 'Google', san: 'attest.android.com' }).type).toBe('basic');
  });

  it('a signed nonce that does not match is rejected', () => {
    expectRejected(
      () =>
        verifySafetyNetFixture({ payload: (e) => ({ ...e, nonce: Buffer.alloc(32).toString('base64') }) }),
      'attestation_invalid',
      /nonce/,
    );
    // The same hash in base64url is not "the Base64 encoding" the spec asks for.
    expectRejected(
      () =>
        verifySafetyNetFixture({
          payload: (e) => ({ ...e, nonce: Buffer.from(String(e.nonce), 'base64').toString('base64url') }),
        }),
      'attestation_invalid',
      /nonce/,
    );
    expectRejected(
      () => verifySafetyNetFixture({ payload: ({ nonce: _, ...e }) => e }),
      'attestation_invalid',
      /no nonce/,
    );
  });

  it('signed timestamps: too old, in the future, or not an integer are rejected', () => {
    const at = (timestampMs: unknown) => ({
      payload: (e: Record<string, unknown>) => ({ ...e, timestampMs }),
    });
    expectRejected(() => verifySafetyNetFixture(at(NOW.getTime() - 61_000)), 'attestation_invalid', /older/);
    expectRejected(() => verifySafetyNetFixture(at(NOW.getTime() + 60_000)), 'attestation_invalid', /future/);
    expectRejected(
      () => verifySafetyNetFixture(at(String(NOW.getTime()))),
      'attestation_invalid',
      /timestampMs/,
    );
    expectRejected(
      () => verifySafetyNetFixture(at(NOW.getTime() + 0.5)),
      'attestation_invalid',
      /timestampMs/,
    );
  });

  it('signed ctsProfileMatch false (or absent) is rejected unless the policy opts out', () => {
    const cts = (v: unknown) => ({ payload: (e: Record<string, unknown>) => ({ ...e, ctsProfileMatch: v }) });
    expectRejected(() => verifySafetyNetFixture(cts(false)), 'attestation_invalid', /ctsProfileMatch/);
    expectRejected(() => verifySafetyNetFixture(cts(undefined)), 'attestation_invalid', /ctsProfileMatch/);
    expectRejected(() => verifySafetyNetFixture(cts('true')), 'attestation_invalid', /not a boolean/);
    const optOut = { ...cts(false), policy: { safetyNetRequireCtsProfileMatch: false } };
    expect(verifySafetyNetFixture(optOut).details.ctsProfileMatch).toBe(false);
  });

  it('a payload that reports an error is rejected', () => {
    expectRejected(
      () => verifySafetyNetFixture({ payload: (e) => ({ ...e, error: 'internal_error' }) }),
      'attestation_invalid',
      /error/,
    );
  });
});
