import { Buffer } from 'node:buffer';
import { createHash, generateKeyPairSync, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyApple } from '../../src/core/attestation/apple.js';
import { verifyFidoU2f } from '../../src/core/attestation/fido-u2f.js';
import { ATTESTATION_FORMATS, verifyAttestationStatement } from '../../src/core/attestation/index.js';
import { verifyNone } from '../../src/core/attestation/none.js';
import { verifyPacked } from '../../src/core/attestation/packed.js';
import { parseAuthenticatorData } from '../../src/core/authenticator-data.js';
import { type CborMap, type CborValue, decodeCbor, isCborMap } from '../../src/core/cbor.js';
import { importCredentialPublicKey } from '../../src/core/cose/index.js';
import { WebAuthnError } from '../../src/core/errors.js';
import type {
  AttestationContext,
  AttestationResult,
  AttestationVerifier,
  TrustAnchorInput,
} from '../../src/core/types.js';
import {
  aaguidExtension,
  appleNonceExtension,
  basicConstraints,
  type CertificateSpec,
  certificate,
  type ExtensionSpec,
  pem,
} from '../helpers/der-writer.js';

const CONFORMANCE = '/work/shared/conformance';
const ROOTS = join(CONFORMANCE, 'roots');
/** The corpus collection date: "any / today" cases are verified at this fixed instant. */
const CORPUS_DATE = new Date('2026-11-24T00:00:00Z');

interface CorpusCase {
  readonly name: string;
  readonly ceremony: string;
  readonly response: {
    readonly response: { readonly clientDataJSON: string; readonly attestationObject?: string };
  };
  readonly expect: { readonly verified: boolean; readonly fmt?: string };
}

interface RootIndexEntry {
  readonly fmt: string | null;
  readonly chainsToRoot?: readonly string[];
  readonly verificationDate?: string;
}

const corpus: readonly CorpusCase[] = readdirSync(join(CONFORMANCE, 'vectors'))
  .filter((f) => f.endsWith('.json'))
  .flatMap((f) => JSON.parse(readFileSync(join(CONFORMANCE, 'vectors', f), 'utf8')) as CorpusCase[]);
const rootIndex = JSON.parse(readFileSync(join(ROOTS, 'index.json'), 'utf8')) as Record<
  string,
  RootIndexEntry
>;
const rootPem = (file: string): string => readFileSync(join(ROOTS, file), 'utf8');
const rootSubject = (file: string): string =>
  new X509Certificate(rootPem(file)).subject.split('\n').join(', ');

const DEFAULT_POLICY = {
  safetyNetRequireCtsProfileMatch: true,
  safetyNetMaxAgeMs: 60_000,
  androidKeyRequireTee: false,
} as const;

interface Loaded {
  readonly fmt: string;
  readonly attStmt: CborMap;
  readonly ctx: AttestationContext;
}

function load(caseName: string, trustAnchors: readonly TrustAnchorInput[] = [], now = CORPUS_DATE): Loaded {
  const c = corpus.find((v) => v.name === caseName);
  if (!c?.response.response.attestationObject) throw new Error(`no registration case ${caseName}`);
  const ao = decodeCbor(Buffer.from(c.response.response.attestationObject, 'base64url'));
  if (!isCborMap(ao)) throw new Error('attestationObject is not a map');
  const fmt = ao.get('fmt');
  const attStmt = ao.get('attStmt') as CborValue;
  const authDataBytes = ao.get('authData');
  if (typeof fmt !== 'string' || !isCborMap(attStmt) || !(authDataBytes instanceof Uint8Array))
    throw new Error('bad attestationObject');
  const authData = parseAuthenticatorData(authDataBytes);
  const acd = authData.attestedCredentialData;
  if (!acd) throw new Error('no attested credential data');
  const clientDataHash = createHash('sha256')
    .update(Buffer.from(c.response.response.clientDataJSON, 'base64url'))
    .digest();
  return {
    fmt,
    attStmt,
    ctx: {
      authData,
      clientDataHash,
      credentialPublicKey: importCredentialPublicKey(acd.credentialPublicKey),
      trustAnchors,
      now,
      policy: DEFAULT_POLICY,
    },
  };
}

function withStmt(stmt: CborMap, changes: Record<string, CborValue>): CborMap {
  const out = new Map(stmt);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) out.delete(k);
    else out.set(k, v);
  }
  return out;
}

function flipLastByte(bytes: CborValue | undefined): Buffer {
  if (!(bytes instanceof Uint8Array)) throw new Error('not bytes');
  const out = Buffer.from(bytes);
  out[out.length - 1] = (out[out.length - 1] as number) ^ 0x01;
  return out;
}

function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected ${code}`).toBeInstanceOf(WebAuthnError);
  expect((thrown as WebAuthnError).code).toBe(code);
}

const VERIFIERS: Readonly<Record<string, AttestationVerifier>> = {
  none: verifyNone,
  packed: verifyPacked,
  'fido-u2f': verifyFidoU2f,
  apple: verifyApple,
};

// ---------------------------------------------------------------------------------------------
// Every positive corpus registration of the four formats, with the roots its chain reaches
// ---------------------------------------------------------------------------------------------

const positives = corpus.filter(
  (c) =>
    c.ceremony === 'registration' &&
    c.expect.verified &&
    c.expect.fmt !== undefined &&
    c.expect.fmt in VERIFIERS,
);

describe('corpus registrations verify with the roots they chain to', () => {
  it('covers the formats', () => {
    const fmts = new Set(positives.map((c) => c.expect.fmt));
    expect([...fmts].sort()).toEqual(['apple', 'fido-u2f', 'none', 'packed']);
    expect(positives.length).toBeGreaterThan(50);
  });

  it.each(positives.map((c) => c.name))('%s', (name) => {
    const meta = rootIndex[name];
    const roots = meta?.chainsToRoot ?? [];
    const now = meta?.verificationDate ? new Date(meta.verificationDate) : CORPUS_DATE;
    const { fmt, attStmt, ctx } = load(name, roots.map(rootPem), now);
    const direct = (VERIFIERS[fmt] as AttestationVerifier)(attStmt, ctx);
    const viaTable = verifyAttestationStatement(fmt, attStmt, ctx);
    expect(viaTable).toEqual(direct);
    const x5c = attStmt.get('x5c');
    const expectedType = fmt === 'none' ? 'none' : fmt === 'apple' ? 'anonca' : x5c ? 'basic' : 'self';
    expect(direct.type).toBe(expectedType);
    expect(direct.trusted).toBe(roots.length > 0);
    expect(direct.root).toBe(roots[0] ? rootSubject(roots[0]) : null);
    expect(direct.trustPath.length).toBe(Array.isArray(x5c) ? x5c.length : 0);
    expect(direct.lenientCertificates).toBe(name === 'yubico-reg-security-key' ? 1 : 0);
  });
});

describe('none (§8.7)', () => {
  it('returns None for an empty statement', () => {
    const { attStmt, ctx } = load('w3c-reg-none-es256');
    expect(verifyNone(attStmt, ctx)).toEqual({
      type: 'none',
      trustPath: [],
      trusted: false,
      root: null,
      lenientCertificates: 0,
      details: {},
    });
  });

  it('rejects a non-empty statement', () => {
    const { attStmt, ctx } = load('w3c-reg-none-es256');
    expectCode(() => verifyNone(withStmt(attStmt, { sig: Buffer.alloc(8) }), ctx), 'attestation_invalid');
  });
});

describe('packed (§8.2)', () => {
  const W3C_CA = rootPem('w3c-webauthn-test-vectors-attestation-ca.pem');

  it('full attestation chaining to the W3C test CA', () => {
    const { attStmt, ctx } = load('w3c-reg-packed-es256', [W3C_CA]);
    const result = verifyPacked(attStmt, ctx);
    expect(result.type).toBe('basic');
    expect(result.trusted).toBe(true);
    expect(result.root).toBe('CN=WebAuthn test vectors, O=W3C, OU=Authenticator Attestation CA, C=AA');
  });

  it('a one-byte-flipped sig → attestation_invalid (full and self)', () => {
    const full = load('w3c-reg-packed-es256', [W3C_CA]);
    expectCode(
      () => verifyPacked(withStmt(full.attStmt, { sig: flipLastByte(full.attStmt.get('sig')) }), full.ctx),
      'attestation_invalid',
    );
    const self = load('w3c-reg-packed-self-es256');
    expectCode(
      () => verifyPacked(withStmt(self.attStmt, { sig: flipLastByte(self.attStmt.get('sig')) }), self.ctx),
      'attestation_invalid',
    );
  });

  it('the certificate AAGUID extension must match authData (swa-reg-packed-full-aaguid-ext-mismatch)', () => {
    const ok = load('swa-reg-packed-full-aaguid-ext-match');
    expect(verifyPacked(ok.attStmt, ok.ctx).details.aaguidExtension).toBe(true);
    const bad = load('swa-reg-packed-full-aaguid-ext-mismatch');
    expectCode(() => verifyPacked(bad.attStmt, bad.ctx), 'attestation_invalid');
  });

  it('a chain that cannot reach the configured anchor → attestation_untrusted (py-reg-packed-wrong-trust-anchor)', () => {
    const { attStmt, ctx } = load('py-reg-packed-wrong-trust-anchor', [rootPem('globalsign-root-ca-r2.pem')]);
    expectCode(() => verifyPacked(attStmt, ctx), 'attestation_untrusted');
  });

  it('self attestation: alg must equal the credential key alg', () => {
    const { attStmt, ctx } = load('w3c-reg-packed-self-es256');
    expect(verifyPacked(attStmt, ctx).type).toBe('self');
    expectCode(() => verifyPacked(withStmt(attStmt, { alg: -257 }), ctx), 'attestation_invalid');
  });

  it('a self-signed statement presented with an x5c fails: sig is checked with the certificate key', () => {
    const self = load('w3c-reg-packed-self-es256');
    const full = load('w3c-reg-packed-es256');
    const x5c = full.attStmt.get('x5c') as CborValue;
    expectCode(() => verifyPacked(withStmt(self.attStmt, { x5c }), self.ctx), 'attestation_invalid');
  });

  it('syntax: alg and sig types, x5c shape, unknown alg', () => {
    const { attStmt, ctx } = load('w3c-reg-packed-es256');
    expectCode(() => verifyPacked(withStmt(attStmt, { alg: 'ES256' }), ctx), 'attestation_invalid');
    expectCode(() => verifyPacked(withStmt(attStmt, { sig: undefined }), ctx), 'attestation_invalid');
    expectCode(() => verifyPacked(withStmt(attStmt, { sig: 'text' }), ctx), 'attestation_invalid');
    expectCode(() => verifyPacked(withStmt(attStmt, { x5c: [] }), ctx), 'attestation_invalid');
    expectCode(() => verifyPacked(withStmt(attStmt, { x5c: Buffer.alloc(4) }), ctx), 'attestation_invalid');
    expectCode(() => verifyPacked(withStmt(attStmt, { alg: -65000 }), ctx), 'unsupported_algorithm');
  });

  describe('§8.2.1 certificate requirements (synthetic attestation certificates)', () => {
    const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const attKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const CA_NAME = [['CN', 'Synthetic Attestation CA']] as const;
    const ca = certificate({
      issuer: CA_NAME,
      subject: CA_NAME,
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2040-01-01T00:00:00Z'),
      publicKey: caKeys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [basicConstraints(true)],
    });
    const base = load('w3c-reg-packed-es256');
    const aaguid = base.ctx.authData.attestedCredentialData?.aaguid ?? new Uint8Array(16);

    function statementFor(spec: Partial<CertificateSpec>, key: KeyObject = attKeys.privateKey): CborMap {
      const leaf = certificate({
        issuer: CA_NAME,
        subject: [
          ['C', 'AA'],
          ['O', 'Tessera'],
          ['OU', 'Authenticator Attestation'],
          ['CN', 'Synthetic'],
        ],
        notBefore: new Date('2020-01-01T00:00:00Z'),
        notAfter: new Date('2040-01-01T00:00:00Z'),
        publicKey: attKeys.publicKey,
        signingKey: caKeys.privateKey,
        extensions: [basicConstraints(false)],
        ...spec,
      });
      const sig = sign('sha256', Buffer.concat([base.ctx.authData.raw, base.ctx.clientDataHash]), key);
      return new Map<string, CborValue>([
        ['alg', -7],
        ['sig', sig],
        ['x5c', [leaf]],
      ]);
    }
    const ctx = { ...base.ctx, trustAnchors: [pem(ca)] };
    const exts = (...more: ExtensionSpec[]): ExtensionSpec[] => [basicConstraints(false), ...more];

    it('a conforming certificate with a matching AAGUID extension verifies and is trusted', () => {
      const result = verifyPacked(statementFor({ extensions: exts(aaguidExtension(aaguid)) }), ctx);
      expect(result).toMatchObject({ type: 'basic', trusted: true, root: 'CN=Synthetic Attestation CA' });
    });

    it.each<readonly [string, Partial<CertificateSpec>]>([
      ['version 1', { version: 1, extensions: [] }],
      [
        'OU other than "Authenticator Attestation"',
        {
          subject: [
            ['C', 'AA'],
            ['O', 'Tessera'],
            ['OU', 'Attestation'],
            ['CN', 'Synthetic'],
          ],
        },
      ],
      [
        'no C',
        {
          subject: [
            ['O', 'Tessera'],
            ['OU', 'Authenticator Attestation'],
            ['CN', 'Synthetic'],
          ],
        },
      ],
      ['basicConstraints CA true', { extensions: [basicConstraints(true)] }],
      ['critical AAGUID extension', { extensions: exts(aaguidExtension(aaguid, true)) }],
      [
        'AAGUID extension not matching authData',
        { extensions: exts(aaguidExtension(new Uint8Array(16).fill(7))) },
      ],
    ])('%s → attestation_invalid', (_label, spec) => {
      expectCode(() => verifyPacked(statementFor(spec), ctx), 'attestation_invalid');
    });

    it('an expired attestation certificate → certificate_invalid', () => {
      const stmt = statementFor({ notAfter: new Date('2021-01-01T00:00:00Z') });
      expectCode(() => verifyPacked(stmt, ctx), 'certificate_invalid');
    });

    it('a statement signed with the credential key instead of the attestation key → attestation_invalid', () => {
      const credKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      expectCode(() => verifyPacked(statementFor({}, credKey), ctx), 'attestation_invalid');
    });
  });
});

describe('fido-u2f (§8.6)', () => {
  it('the W3C vector with a non-zero AAGUID verifies', () => {
    const { attStmt, ctx } = load('w3c-reg-fido-u2f-es256', [
      rootPem('w3c-webauthn-test-vectors-attestation-ca.pem'),
    ]);
    expect(Buffer.from(ctx.authData.attestedCredentialData?.aaguid ?? []).some((b) => b !== 0)).toBe(true);
    expect(verifyFidoU2f(attStmt, ctx)).toMatchObject({ type: 'basic', trusted: true });
  });

  it('the early Yubico certificate with a malformed signature BIT STRING verifies leniently', () => {
    const { attStmt, ctx } = load('yubico-reg-security-key', [
      rootPem('yubico-u2f-root-ca-serial-457200631.pem'),
    ]);
    expect(verifyFidoU2f(attStmt, ctx)).toMatchObject({
      type: 'basic',
      trusted: true,
      root: 'CN=Yubico U2F Root CA Serial 457200631',
      lenientCertificates: 1,
    });
  });

  it('x5c with two certificates → attestation_invalid', () => {
    const { attStmt, ctx } = load('py-reg-fido-u2f-yubikey-firefox');
    const x5c = attStmt.get('x5c') as Uint8Array[];
    const ca = new X509Certificate(rootPem('yubico-u2f-root-ca-serial-457200631.pem')).raw;
    expectCode(() => verifyFidoU2f(withStmt(attStmt, { x5c: [...x5c, ca] }), ctx), 'attestation_invalid');
  });

  it('a flipped sig → attestation_invalid', () => {
    const { attStmt, ctx } = load('py-reg-fido-u2f-yubikey-firefox');
    expectCode(
      () => verifyFidoU2f(withStmt(attStmt, { sig: flipLastByte(attStmt.get('sig')) }), ctx),
      'attestation_invalid',
    );
  });

  it('an attestation certificate key not on P-256 → attestation_invalid', () => {
    const { attStmt, ctx } = load('py-reg-fido-u2f-yubikey-firefox');
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const cert = certificate({
      issuer: [['CN', 'x']],
      subject: [['CN', 'x']],
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2040-01-01T00:00:00Z'),
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      signature: 'ecdsa-sha384',
    });
    expectCode(() => verifyFidoU2f(withStmt(attStmt, { x5c: [cert] }), ctx), 'attestation_invalid');
  });

  it('a credential key that is not ES256 → attestation_invalid', () => {
    const u2f = load('py-reg-fido-u2f-yubikey-firefox');
    const rsa = load('swa-reg-none-rs256');
    expectCode(() => verifyFidoU2f(u2f.attStmt, rsa.ctx), 'attestation_invalid');
  });
});

describe('apple (§8.8)', () => {
  const APPLE_ROOT = rootPem('apple-webauthn-root-ca.pem');

  it('an iOS registration is AnonCA and chains to the Apple root at its date', () => {
    const { attStmt, ctx } = load('yubico-reg-apple-ios', [APPLE_ROOT], new Date('2021-04-11T13:37:18Z'));
    expect(verifyApple(attStmt, ctx)).toMatchObject({
      type: 'anonca',
      trusted: true,
      root: 'CN=Apple WebAuthn Root CA, O=Apple Inc., ST=California',
    });
  });

  it('a nonce mismatch (other clientDataHash) → attestation_invalid', () => {
    const { attStmt, ctx } = load('yubico-reg-apple-ios', [APPLE_ROOT], new Date('2021-04-11T13:37:18Z'));
    const other = { ...ctx, clientDataHash: createHash('sha256').update('other').digest() };
    expectCode(() => verifyApple(attStmt, other), 'attestation_invalid');
  });

  it('a credCert whose key is not the credential key → attestation_invalid', () => {
    const { ctx } = load('w3c-reg-apple-es256');
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const nonce = createHash('sha256').update(ctx.authData.raw).update(ctx.clientDataHash).digest();
    const credCert = certificate({
      issuer: [['CN', 'x']],
      subject: [['CN', 'x']],
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2040-01-01T00:00:00Z'),
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      extensions: [appleNonceExtension(nonce)],
    });
    expectCode(() => verifyApple(new Map([['x5c', [credCert]]]), ctx), 'attestation_invalid');
  });

  it('an expired credCert → certificate_invalid', () => {
    const { attStmt, ctx } = load('yubico-reg-apple-ios', [APPLE_ROOT], CORPUS_DATE);
    expectCode(() => verifyApple(attStmt, ctx), 'certificate_invalid');
  });
});

describe('the format table (§7.1 step 21)', () => {
  it('registers the seven formats', () => {
    expect([...ATTESTATION_FORMATS.keys()].sort()).toEqual([
      'android-key',
      'android-safetynet',
      'apple',
      'fido-u2f',
      'none',
      'packed',
      'tpm',
    ]);
  });

  it.each(['Packed', 'PACKED', 'packed ', 'unknown', '__proto__', 'constructor', ''])(
    'fmt %j → unsupported_attestation_format',
    (fmt) => {
      const { attStmt, ctx } = load('w3c-reg-packed-es256');
      expectCode(() => verifyAttestationStatement(fmt, attStmt, ctx), 'unsupported_attestation_format');
    },
  );

  it('dispatches by exact name', () => {
    const { fmt, attStmt, ctx } = load('w3c-reg-packed-self-es256');
    const result: AttestationResult = verifyAttestationStatement(fmt, attStmt, ctx);
    expect(result.type).toBe('self');
  });
});
