/**
 * tpm attestation (WebAuthn L3 §8.3, §8.3.1).
 *
 * 1. The real corpus: every tpm registration in test/corpus, at its verification date, with the
 *    anchors the corpus names (and, where the chain reaches it, the Microsoft TPM root).
 * 2. Mutations of a real statement, re-encoded with encodeCbor: each breaks one thing and must be
 *    rejected by the check that names it.
 * 3. A synthetic TPM (test CA, AIK certificate, ECC credential) whose statement is re-signed after
 *    each mutation, so every check is shown to reject on its own with a valid AIK signature.
 */
import { Buffer } from 'node:buffer';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readTpmSubjectAltName, TPM_VENDORS, verifyTpm } from '../../src/core/attestation/tpm.js';
import {
  parseTpmsAttest,
  parseTpmsCertifyInfo,
  parseTpmtPublic,
  TPM_GENERATED_VALUE,
  TPM_ST_ATTEST_CERTIFY,
} from '../../src/core/attestation/tpm-structures.js';
import { parseCertificate } from '../../src/core/attestation/x509.js';
import { parseAuthenticatorData } from '../../src/core/authenticator-data.js';
import { type CborMap, type CborValue, decodeCbor, encodeCbor, isCborMap } from '../../src/core/cbor.js';
import { importCredentialPublicKey } from '../../src/core/cose/index.js';
import { isWebAuthnError } from '../../src/core/errors.js';
import type { AttestationContext } from '../../src/core/types.js';
import {
  type AttestationCase,
  attestationCases,
  attestationContext,
  CORPUS_ATTESTATION_POLICY,
  CORPUS_DATE,
  loadCorpus,
} from '../helpers/conformance-corpus.js';
import {
  aaguidExtension,
  basicConstraints,
  certificate,
  type ExtensionSpec,
  explicit,
  keyUsage,
  oid,
  pem,
  seq,
  set,
  utf8String,
} from '../helpers/der-writer.js';
import { expectRejected, flipped, restate } from '../helpers/mutations.js';

// ---------------------------------------------------------------------------------------------
// Corpus loading
// ---------------------------------------------------------------------------------------------

const corpus = loadCorpus();
const MICROSOFT_TPM_ROOT = 'microsoft-tpm-root-ca-2014.pem';
const rootPem = (file: string): string => corpus.pem(file);
const POLICY = CORPUS_ATTESTATION_POLICY;
const loadCases = (fmt: string): AttestationCase[] => attestationCases(fmt, corpus);
const contextFor = (c: AttestationCase, overrides: Partial<AttestationContext> = {}) =>
  attestationContext(c, overrides, corpus);

const bytesOf = (m: CborMap, key: string): Buffer => {
  const v = m.get(key);
  if (!(v instanceof Uint8Array)) throw new Error(`${key} is not bytes`);
  return Buffer.from(v);
};

/** Offset of `part` (a subarray) inside `whole`. */
const offsetIn = (whole: Buffer, part: Uint8Array): number => part.byteOffset - whole.byteOffset;

const tpmCases = loadCases('tpm');
const byName = (name: string): AttestationCase => {
  const c = tpmCases.find((x) => x.name === name);
  if (!c) throw new Error(`no corpus case ${name}`);
  return c;
};

// ---------------------------------------------------------------------------------------------
// 1. The real corpus
// ---------------------------------------------------------------------------------------------

describe('tpm: conformance corpus', () => {
  it('finds every tpm registration of the corpus (17)', () => {
    expect(tpmCases).toHaveLength(17);
  });

  /** Expected TPM manufacturer per positive case (from the AIK certificate SAN). */
  const MANUFACTURER: Readonly<Record<string, string>> = {
    'py-reg-tpm-surface-pro-4': 'id:494E5443',
    'py-reg-tpm-dell-xps-13': 'id:4E544300',
    'py-reg-tpm-lenovo-carbon-x1': 'id:53544D20',
    'swa-reg-tpm-san-spec-compliant': 'id:53544D20',
    'swa-reg-tpm-san-non-compliant': 'id:4E544300',
    'yubico-reg-thinkpad-tpm': 'id:53544D20',
    'yubico-reg-windows-hello-tpm': 'id:4E544300',
    'w3c-reg-tpm-es256': 'id:00000000',
    'swa-reg-tpm-rs256-sha256': 'id:FFFFF1D0',
  };

  for (const c of tpmCases.filter((x) => x.verified)) {
    it(`${c.name} verifies at ${c.now.toISOString()} (anchors: ${c.anchorFiles.join(', ') || 'none'})`, () => {
      const result = verifyTpm(c.attStmt, contextFor(c));
      expect(result.type).toBe('attca');
      expect(result.trustPath.length).toBeGreaterThanOrEqual(1);
      expect(result.trusted).toBe(c.anchorFiles.length > 0);
      expect(typeof result.details.tpmModel).toBe('string');
      expect(result.details.tpmManufacturer).toMatch(/^id:[0-9A-F]{8}$/i);
      const manufacturer = MANUFACTURER[c.name];
      if (manufacturer) expect(result.details.tpmManufacturer).toBe(manufacturer);
    });
  }

  for (const c of tpmCases.filter((x) => x.chainsToRoot.includes(MICROSOFT_TPM_ROOT))) {
    it(`${c.name} chains to the Microsoft TPM root when it is the anchor`, () => {
      const result = verifyTpm(c.attStmt, contextFor(c, { trustAnchors: [rootPem(MICROSOFT_TPM_ROOT)] }));
      expect(result.trusted).toBe(true);
      expect(result.root).toContain('CN=Microsoft TPM Root Certificate Authority 2014');
    });
  }

  it('swa-reg-tpm-aaguid-ext-mismatch (negative) fails on the id-fido-gen-ce-aaguid check', () => {
    const c = byName('swa-reg-tpm-aaguid-ext-mismatch');
    expect(c.verified).toBe(false);
    expectRejected(
      () => verifyTpm(c.attStmt, contextFor(c)),
      'attestation_invalid',
      /1\.3\.6\.1\.4\.1\.45724\.1\.1\.4/,
    );
  });

  it('swa-reg-tpm-aaguid-ext-match: the same certificate with the matching AAGUID verifies', () => {
    const c = byName('swa-reg-tpm-aaguid-ext-match');
    expect(verifyTpm(c.attStmt, contextFor(c)).type).toBe('attca');
  });

  it('w3c-reg-tpm-es256 verifies although its manufacturer "id:00000000" is not a TCG vendor', () => {
    const c = byName('w3c-reg-tpm-es256');
    const result = verifyTpm(c.attStmt, contextFor(c));
    expect(result.trusted).toBe(true);
    expect(result.root).toContain('CN=WebAuthn test vectors');
    expect(result.details).toMatchObject({
      tpmManufacturer: 'id:00000000',
      tpmVendor: null,
      tpmVendorRegistered: false,
      tpmModel: 'WebAuthn test vectors',
    });
  });

  it('a registered vendor is named in the evidence (Windows Hello, Nuvoton)', () => {
    const c = byName('yubico-reg-windows-hello-tpm');
    const result = verifyTpm(c.attStmt, contextFor(c));
    expect(result.details).toMatchObject({
      tpmVendor: 'Nuvoton Technology',
      tpmVendorRegistered: true,
      tpmModel: 'NPCT75x',
      tpmVersion: 'id:00070002',
    });
    expect(result.root).toContain('Microsoft TPM Root Certificate Authority 2014');
  });

  it('the W3C vector clockInfo.safe is not 0/1 (obfuscated fields are not range-checked)', () => {
    const c = byName('w3c-reg-tpm-es256');
    expect(parseTpmsAttest(bytesOf(c.attStmt, 'certInfo')).clockInfo.safe).toBeGreaterThan(1);
  });

  it('reads both SAN layouts: one RDN per attribute, and one multi-valued RDN', () => {
    const compliant = byName('swa-reg-tpm-san-spec-compliant');
    const nonCompliant = byName('swa-reg-tpm-san-non-compliant');
    const aik = (c: AttestationCase) => {
      const x5c = c.attStmt.get('x5c');
      if (!Array.isArray(x5c) || !(x5c[0] instanceof Uint8Array)) throw new Error('x5c');
      return parseCertificate(x5c[0]);
    };
    expect(readTpmSubjectAltName(aik(compliant))).toEqual({
      manufacturer: 'id:53544D20',
      model: 'ST33HTPxAHA6',
      version: 'id:00470004',
      layout: 'rdn-per-attribute',
    });
    expect(readTpmSubjectAltName(aik(nonCompliant))).toEqual({
      manufacturer: 'id:4E544300',
      model: 'NPCT75x',
      version: 'id:72',
      layout: 'multi-valued-rdn',
    });
    expect(verifyTpm(compliant.attStmt, contextFor(compliant)).details.tpmSanLayout).toBe(
      'rdn-per-attribute',
    );
    expect(verifyTpm(nonCompliant.attStmt, contextFor(nonCompliant)).details.tpmSanLayout).toBe(
      'multi-valued-rdn',
    );
  });

  it('an expired AIK chain is rejected at the collection date (the verification date matters)', () => {
    const c = byName('py-reg-tpm-surface-pro-4');
    expectRejected(
      () => verifyTpm(c.attStmt, contextFor(c, { now: CORPUS_DATE })),
      'certificate_invalid',
      /not valid at/,
    );
  });

  it('a chain that does not reach the configured anchor is untrusted', () => {
    const c = byName('py-reg-tpm-ecc-es256');
    expectRejected(
      () =>
        verifyTpm(
          c.attStmt,
          contextFor(c, { trustAnchors: [rootPem('w3c-webauthn-test-vectors-attestation-ca.pem')] }),
        ),
      'attestation_untrusted',
    );
  });

  it('the vendor table holds the TCG registry IDs in canonical form', () => {
    for (const id of TPM_VENDORS.keys()) expect(id).toMatch(/^id:[0-9A-F]{8}$/);
    expect(TPM_VENDORS.get('id:414D4400')).toBe('AMD');
    expect(TPM_VENDORS.get('id:494E5443')).toBe('Intel');
    expect(TPM_VENDORS.get('id:4D534654')).toBe('Microsoft');
    expect(TPM_VENDORS.has('id:00000000')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Mutations of real statements
// ---------------------------------------------------------------------------------------------

describe('tpm: mutations of a real statement', () => {
  const rsa = byName('yubico-reg-windows-hello-tpm'); // RSA pubArea, RS1 AIK signature
  const ecc = byName('swa-reg-tpm-ecc-es256'); // ECC pubArea
  const certInfo = bytesOf(rsa.attStmt, 'certInfo');
  const pubArea = bytesOf(rsa.attStmt, 'pubArea');
  const parsed = parseTpmsAttest(certInfo);
  const certified = parseTpmsCertifyInfo(parsed.attested);
  const run = (
    c: AttestationCase,
    changes: Record<string, CborValue>,
    ctx: Partial<AttestationContext> = {},
  ) => verifyTpm(restate(c.attStmt, changes), contextFor(c, ctx));

  it('the unmodified statement verifies after re-encoding', () => {
    expect(run(rsa, {}).type).toBe('attca');
    expect(run(ecc, {}).type).toBe('attca');
  });

  it('ver other than "2.0" is rejected', () => {
    expectRejected(() => run(rsa, { ver: '2.1' }), 'attestation_invalid', /ver/);
    expectRejected(() => run(rsa, { ver: 2 }), 'attestation_invalid', /ver/);
  });

  it('ecdaaKeyId is rejected', () => {
    expectRejected(() => run(rsa, { ecdaaKeyId: Buffer.alloc(32, 1) }), 'attestation_invalid', /ECDAA/);
  });

  it('an unknown statement member is rejected', () => {
    expectRejected(() => run(rsa, { extra: 1 }), 'attestation_invalid', /unexpected attStmt member/);
  });

  it('missing x5c, sig, certInfo or pubArea is rejected', () => {
    expectRejected(() => run(rsa, { x5c: undefined }), 'attestation_invalid', /x5c/);
    expectRejected(() => run(rsa, { sig: undefined }), 'attestation_invalid', /sig/);
    expectRejected(() => run(rsa, { certInfo: undefined }), 'attestation_invalid', /certInfo/);
    expectRejected(() => run(rsa, { pubArea: undefined }), 'attestation_invalid', /pubArea/);
    expectRejected(() => run(rsa, { sig: 'text' }), 'attestation_invalid', /sig/);
  });

  it('an alg with no known hash is unsupported', () => {
    expectRejected(() => run(rsa, { alg: -8 }), 'unsupported_algorithm');
  });

  it('certInfo.magic ≠ TPM_GENERATED_VALUE is rejected', () => {
    expectRejected(() => run(rsa, { certInfo: flipped(certInfo, 3) }), 'attestation_invalid', /magic/);
  });

  it('certInfo.type ≠ TPM_ST_ATTEST_CERTIFY is rejected (TPM_ST_ATTEST_QUOTE 0x8018)', () => {
    const m = Buffer.from(certInfo);
    m.writeUInt16BE(0x8018, 4);
    expectRejected(() => run(rsa, { certInfo: m }), 'attestation_invalid', /type/);
  });

  it('certInfo.extraData ≠ hash(authData || clientDataHash) is rejected', () => {
    const at = offsetIn(certInfo, parsed.extraData);
    expectRejected(() => run(rsa, { certInfo: flipped(certInfo, at) }), 'attestation_invalid', /extraData/);
  });

  it('a different clientDataHash breaks extraData', () => {
    expectRejected(
      () => run(rsa, {}, { clientDataHash: flipped(rsa.clientDataHash, 0) }),
      'attestation_invalid',
      /extraData/,
    );
  });

  it('a bit flip in certInfo.attested.name is rejected', () => {
    const at = offsetIn(certInfo, certified.name) + 5;
    expectRejected(
      () => run(rsa, { certInfo: flipped(certInfo, at, 0x80) }),
      'attestation_invalid',
      /attested\.name/,
    );
  });

  it('pubArea.unique (RSA modulus) ≠ credential key is rejected', () => {
    const pa = parseTpmtPublic(pubArea);
    if (pa.unique.type !== 'rsa') throw new Error('expected RSA');
    const at = offsetIn(pubArea, pa.unique.n) + 10;
    expectRejected(
      () => run(rsa, { pubArea: flipped(pubArea, at) }),
      'attestation_invalid',
      /pubArea\.unique/,
    );
  });

  it('pubArea.unique (ECC x) ≠ credential key is rejected', () => {
    const eccPubArea = bytesOf(ecc.attStmt, 'pubArea');
    const pa = parseTpmtPublic(eccPubArea);
    if (pa.unique.type !== 'ecc') throw new Error('expected ECC');
    const at = offsetIn(eccPubArea, pa.unique.x);
    expectRejected(
      () => run(ecc, { pubArea: flipped(eccPubArea, at) }),
      'attestation_invalid',
      /pubArea\.unique/,
    );
  });

  it('pubArea RSA exponent ≠ credential key exponent is rejected', () => {
    const pa = parseTpmtPublic(pubArea);
    const at = offsetIn(pubArea, pa.unique.type === 'rsa' ? pa.unique.n : pubArea) - 2 - 4; // exponent before size
    const m = Buffer.from(pubArea);
    m.writeUInt32BE(3, at);
    expectRejected(() => run(rsa, { pubArea: m }), 'attestation_invalid', /exponent/);
  });

  it('pubArea keyBits that disagree with the modulus length are rejected', () => {
    const pa = parseTpmtPublic(pubArea);
    const at = offsetIn(pubArea, pa.unique.type === 'rsa' ? pa.unique.n : pubArea) - 2 - 4 - 2; // keyBits
    const m = Buffer.from(pubArea);
    m.writeUInt16BE(1024, at);
    expectRejected(() => run(rsa, { pubArea: m }), 'attestation_invalid', /keyBits is 1024/);
  });

  it('a pubArea of another credential (the ECC case) is rejected for the RSA credential', () => {
    expectRejected(
      () => run(rsa, { pubArea: bytesOf(ecc.attStmt, 'pubArea') }),
      'attestation_invalid',
      /ECC key but the credential key is not EC2/,
    );
  });

  it('trailing or missing bytes in pubArea / certInfo are rejected', () => {
    expectRejected(
      () => run(rsa, { pubArea: Buffer.concat([pubArea, Buffer.from([0])]) }),
      'attestation_invalid',
      /trailing/,
    );
    expectRejected(
      () => run(rsa, { pubArea: pubArea.subarray(0, pubArea.length - 1) }),
      'attestation_invalid',
      /truncated/,
    );
    expectRejected(
      () => run(rsa, { certInfo: Buffer.concat([certInfo, Buffer.from([0])]) }),
      'attestation_invalid',
      /trailing/,
    );
    expectRejected(
      () => run(rsa, { certInfo: certInfo.subarray(0, 20) }),
      'attestation_invalid',
      /truncated/,
    );
  });

  it('a TPM2B size larger than its structure allows is rejected', () => {
    const m = Buffer.from(certInfo);
    m.writeUInt16BE(0xffff, offsetIn(certInfo, parsed.extraData) - 2);
    expectRejected(() => run(rsa, { certInfo: m }), 'attestation_invalid', /extraData is 65535 bytes/);
  });

  it('a flipped sig is rejected', () => {
    const sig = bytesOf(rsa.attStmt, 'sig');
    expectRejected(
      () => run(rsa, { sig: flipped(sig, sig.length - 1) }),
      'attestation_invalid',
      /sig does not verify/,
    );
  });

  it('an AIK certificate from another TPM does not verify the signature', () => {
    const other = ecc.attStmt.get('x5c');
    expectRejected(() => run(rsa, { x5c: other }), 'attestation_invalid', /sig does not verify/);
  });

  it('hostile bytes in pubArea and certInfo only ever produce typed errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 400 }), (p, ci) => {
        try {
          run(rsa, { pubArea: p, certInfo: ci });
          return false; // random bytes must never verify
        } catch (error) {
          return isWebAuthnError(error);
        }
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 3. A synthetic TPM, re-signed after every mutation
// ---------------------------------------------------------------------------------------------

const NOW = new Date('2030-01-01T00:00:00Z');
const AAGUID = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const aikKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const credentialKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const CA_NAME: [string, string][] = [['CN', 'Tessera Test TPM CA']];
const caCert = certificate({
  issuer: CA_NAME,
  subject: CA_NAME,
  notBefore: new Date('2025-01-01T00:00:00Z'),
  notAfter: new Date('2040-01-01T00:00:00Z'),
  publicKey: ca.publicKey,
  signingKey: ca.privateKey,
  extensions: [basicConstraints(true), keyUsage(['keyCertSign', 'cRLSign'])],
});

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
const tpm2b = (b: Uint8Array) => Buffer.concat([u16(b.length), b]);
const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

function jwkCoordinates(key: KeyObject): { x: Buffer; y: Buffer } {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw new Error('not an EC key');
  return { x: Buffer.from(jwk.x, 'base64url'), y: Buffer.from(jwk.y, 'base64url') };
}

interface SanSpec {
  readonly manufacturer?: string;
  readonly model?: string;
  readonly version?: string;
  readonly multiValued?: boolean;
}

function sanExtension(spec: SanSpec = {}): ExtensionSpec {
  const atvs: Buffer[] = [];
  if (spec.manufacturer !== '')
    atvs.push(seq(oid('2.23.133.2.1'), utf8String(spec.manufacturer ?? 'id:4E544300')));
  atvs.push(seq(oid('2.23.133.2.2'), utf8String(spec.model ?? 'NPCT75x')));
  atvs.push(seq(oid('2.23.133.2.3'), utf8String(spec.version ?? 'id:00070002')));
  const rdns = spec.multiValued ? [set(...atvs)] : atvs.map((a) => set(a));
  return { oid: '2.5.29.17', critical: true, value: seq(explicit(4, seq(...rdns))) };
}

interface FixtureOptions {
  readonly aikExtensions?: readonly ExtensionSpec[];
  readonly aikSubject?: [string, string][];
  readonly aikVersion?: number;
  readonly objectAttributes?: number;
  /** Rewrite pubArea before certInfo is built (the Name follows the rewritten bytes). */
  readonly pubArea?: (pubArea: Buffer) => Buffer;
  /** Rewrite the fields of certInfo before it is signed. */
  readonly magic?: number;
  readonly type?: number;
  readonly extraData?: (expected: Buffer) => Buffer;
  readonly name?: (expected: Buffer) => Buffer;
}

function defaultAikExtensions(): ExtensionSpec[] {
  return [
    keyUsage(['digitalSignature']),
    basicConstraints(false),
    { oid: '2.5.29.37', value: seq(oid('2.23.133.8.3')) },
    sanExtension({ multiValued: false }),
  ];
}

/** A complete, valid tpm statement over an ECC credential, signed by a fresh AIK (ES256). */
function fixture(opts: FixtureOptions = {}): { attStmt: CborMap; ctx: AttestationContext } {
  const { x, y } = jwkCoordinates(credentialKeys.publicKey);
  const cose = encodeCbor(
    new Map<number, CborValue>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, x],
      [-3, y],
    ]),
  );
  const credentialId = Buffer.alloc(16, 0x5a);
  const authDataBytes = Buffer.concat([
    sha256(Buffer.from('example.org')),
    Buffer.from([0x45]), // UP | UV | AT
    u32(0),
    AAGUID,
    u16(credentialId.length),
    credentialId,
    cose,
  ]);
  const clientDataHash = sha256(Buffer.from('{"type":"webauthn.create"}'));

  let pubArea: Buffer = Buffer.concat([
    u16(0x0023), // TPM_ALG_ECC
    u16(0x000b), // nameAlg SHA-256
    u32(opts.objectAttributes ?? 0x00060472),
    tpm2b(Buffer.alloc(0)), // authPolicy
    u16(0x0010), // symmetric NULL
    u16(0x0010), // scheme NULL
    u16(0x0003), // TPM_ECC_NIST_P256
    u16(0x0010), // kdf NULL
    tpm2b(x),
    tpm2b(y),
  ]);
  if (opts.pubArea) pubArea = opts.pubArea(pubArea);

  const extraData = sha256(authDataBytes, clientDataHash);
  const name = Buffer.concat([u16(0x000b), sha256(pubArea)]);
  const certInfo = Buffer.concat([
    u32(opts.magic ?? TPM_GENERATED_VALUE),
    u16(opts.type ?? TPM_ST_ATTEST_CERTIFY),
    tpm2b(Buffer.concat([u16(0x000b), Buffer.alloc(32, 0x11)])), // qualifiedSigner
    tpm2b(opts.extraData ? opts.extraData(extraData) : extraData),
    Buffer.alloc(17, 0x22), // clockInfo
    Buffer.alloc(8, 0x33), // firmwareVersion
    tpm2b(opts.name ? opts.name(name) : name),
    tpm2b(Buffer.concat([u16(0x000b), Buffer.alloc(32, 0x44)])), // qualifiedName
  ]);
  const aikCert = certificate({
    ...(opts.aikVersion === undefined ? {} : { version: opts.aikVersion }),
    issuer: CA_NAME,
    subject: opts.aikSubject ?? [],
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2035-01-01T00:00:00Z'),
    publicKey: aikKeys.publicKey,
    signingKey: ca.privateKey,
    extensions: opts.aikExtensions ?? defaultAikExtensions(),
  });
  const attStmt = new Map<string, CborValue>([
    ['ver', '2.0'],
    ['alg', -7],
    ['x5c', [aikCert]],
    ['sig', sign('sha256', certInfo, aikKeys.privateKey)],
    ['certInfo', certInfo],
    ['pubArea', pubArea],
  ]);
  const decoded = decodeCbor(encodeCbor(attStmt));
  if (!isCborMap(decoded)) throw new Error('not a map');
  const authData = parseAuthenticatorData(authDataBytes);
  return {
    attStmt: decoded,
    ctx: {
      authData,
      clientDataHash,
      credentialPublicKey: importCredentialPublicKey(
        authData.attestedCredentialData?.credentialPublicKey ?? new Map(),
      ),
      trustAnchors: [pem(caCert)],
      now: NOW,
      policy: POLICY,
    },
  };
}

const verifyFixture = (opts: FixtureOptions = {}) => {
  const { attStmt, ctx } = fixture(opts);
  return verifyTpm(attStmt, ctx);
};
const withoutExtension = (oidText: string) => defaultAikExtensions().filter((e) => e.oid !== oidText);

describe('tpm: synthetic statements, each re-signed', () => {
  it('a correct statement verifies and chains to the test CA', () => {
    const result = verifyFixture();
    expect(result).toMatchObject({
      type: 'attca',
      trusted: true,
      root: 'CN=Tessera Test TPM CA',
      lenientCertificates: 0,
    });
    expect(result.details).toMatchObject({
      tpmManufacturer: 'id:4E544300',
      tpmVendor: 'Nuvoton Technology',
      tpmModel: 'NPCT75x',
      tpmVersion: 'id:00070002',
      tpmSanLayout: 'rdn-per-attribute',
      tpmKeyType: 'ecc',
    });
  });

  it('the multi-valued-RDN SAN layout verifies too', () => {
    const exts = [...withoutExtension('2.5.29.17'), sanExtension({ multiValued: true })];
    expect(verifyFixture({ aikExtensions: exts }).details.tpmSanLayout).toBe('multi-valued-rdn');
  });

  it('magic ≠ TPM_GENERATED_VALUE (signed) is rejected', () => {
    expectRejected(() => verifyFixture({ magic: 0xff544348 }), 'attestation_invalid', /magic/);
  });

  it('type ≠ TPM_ST_ATTEST_CERTIFY (signed) is rejected', () => {
    expectRejected(() => verifyFixture({ type: 0x8014 }), 'attestation_invalid', /type/);
  });

  it('extraData ≠ hash(attToBeSigned) (signed) is rejected', () => {
    expectRejected(
      () => verifyFixture({ extraData: (e) => flipped(e, 0) }),
      'attestation_invalid',
      /extraData/,
    );
    // SHA-1 of the right bytes is still the wrong hash for alg ES256.
    expectRejected(
      () => verifyFixture({ extraData: () => createHash('sha1').update('x').digest() }),
      'attestation_invalid',
      /extraData/,
    );
  });

  it('attested.name that is not the Name of pubArea (signed) is rejected', () => {
    expectRejected(
      () => verifyFixture({ name: (n) => flipped(n, 10, 0x04) }),
      'attestation_invalid',
      /attested\.name/,
    );
    // Right digest, wrong nameAlg prefix.
    expectRejected(
      () => verifyFixture({ name: (n) => Buffer.concat([u16(0x0004), n.subarray(2)]) }),
      'attestation_invalid',
      /attested\.name/,
    );
  });

  it('pubArea.unique ≠ credential key (Name and signature consistent) is rejected', () => {
    const other = jwkCoordinates(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    expectRejected(
      () =>
        verifyFixture({
          pubArea: (p) => Buffer.concat([p.subarray(0, p.length - 68), tpm2b(other.x), tpm2b(other.y)]),
        }),
      'attestation_invalid',
      /pubArea\.unique/,
    );
  });

  it('an ECC coordinate longer than the curve (zero-padded) is rejected although it is numerically equal', () => {
    expectRejected(
      () =>
        verifyFixture({
          pubArea: (p) => {
            const x = p.subarray(p.length - 66, p.length - 34);
            const y = p.subarray(p.length - 32);
            return Buffer.concat([
              p.subarray(0, p.length - 68),
              tpm2b(Buffer.concat([Buffer.from([0]), x])),
              tpm2b(y),
            ]);
          },
        }),
      'attestation_invalid',
      /longer than the curve/,
    );
  });

  it('a pubArea curve other than the credential curve is rejected', () => {
    expectRejected(
      () =>
        verifyFixture({
          pubArea: (p) => {
            const m = Buffer.from(p);
            m.writeUInt16BE(0x0004, 14); // curveID → NIST P-384
            return m;
          },
        }),
      'attestation_invalid',
      /curve/,
    );
  });

  it('a pubArea object without the sign attribute is rejected', () => {
    expectRejected(() => verifyFixture({ objectAttributes: 0x00020472 }), 'attestation_invalid', /sign/);
  });

  it('aikCert with a non-empty subject is rejected', () => {
    expectRejected(
      () => verifyFixture({ aikSubject: [['CN', 'AIK']] }),
      'attestation_invalid',
      /subject is not empty/,
    );
  });

  it('aikCert of version 1 is rejected', () => {
    expectRejected(
      () => verifyFixture({ aikVersion: 1, aikExtensions: [] }),
      'attestation_invalid',
      /version is 1/,
    );
  });

  it('aikCert without EKU 2.23.133.8.3 is rejected', () => {
    expectRejected(
      () => verifyFixture({ aikExtensions: withoutExtension('2.5.29.37') }),
      'attestation_invalid',
      /2\.23\.133\.8\.3/,
    );
    const serverAuth = { oid: '2.5.29.37', value: seq(oid('1.3.6.1.5.5.7.3.1')) };
    expectRejected(
      () => verifyFixture({ aikExtensions: [...withoutExtension('2.5.29.37'), serverAuth] }),
      'attestation_invalid',
      /2\.23\.133\.8\.3/,
    );
  });

  it('aikCert that is a CA, or has no basicConstraints, is rejected', () => {
    expectRejected(
      () => verifyFixture({ aikExtensions: [...withoutExtension('2.5.29.19'), basicConstraints(true)] }),
      'attestation_invalid',
      /CA certificate/,
    );
    expectRejected(
      () => verifyFixture({ aikExtensions: withoutExtension('2.5.29.19') }),
      'attestation_invalid',
      /basicConstraints/,
    );
  });

  it('aikCert without SAN, or with a SAN lacking the manufacturer, is rejected', () => {
    expectRejected(
      () => verifyFixture({ aikExtensions: withoutExtension('2.5.29.17') }),
      'attestation_invalid',
      /subjectAltName/,
    );
    expectRejected(
      () =>
        verifyFixture({
          aikExtensions: [...withoutExtension('2.5.29.17'), sanExtension({ manufacturer: '' })],
        }),
      'attestation_invalid',
      /manufacturer/,
    );
  });

  it('a TPM manufacturer that is not "id:" + 8 hex digits is rejected; an unregistered one is reported', () => {
    const san = (manufacturer: string) => [...withoutExtension('2.5.29.17'), sanExtension({ manufacturer })];
    expectRejected(
      () => verifyFixture({ aikExtensions: san('Nuvoton') }),
      'attestation_invalid',
      /manufacturer/,
    );
    expectRejected(
      () => verifyFixture({ aikExtensions: san('id:4E5443') }),
      'attestation_invalid',
      /manufacturer/,
    );
    const result = verifyFixture({ aikExtensions: san('id:12345678') });
    expect(result.details).toMatchObject({
      tpmManufacturer: 'id:12345678',
      tpmVendor: null,
      tpmVendorRegistered: false,
    });
  });

  it('a SAN naming an attribute twice is rejected', () => {
    const twice: ExtensionSpec = {
      oid: '2.5.29.17',
      critical: true,
      value: seq(
        explicit(
          4,
          seq(
            set(seq(oid('2.23.133.2.1'), utf8String('id:4E544300'))),
            set(seq(oid('2.23.133.2.1'), utf8String('id:494E5443'))),
            set(seq(oid('2.23.133.2.2'), utf8String('x')), seq(oid('2.23.133.2.3'), utf8String('id:1'))),
          ),
        ),
      ),
    };
    expectRejected(
      () => verifyFixture({ aikExtensions: [...withoutExtension('2.5.29.17'), twice] }),
      'attestation_invalid',
      /more than once/,
    );
  });

  it('an aaguid extension equal to authData.aaguid verifies; a different one is rejected', () => {
    expect(verifyFixture({ aikExtensions: [...defaultAikExtensions(), aaguidExtension(AAGUID)] }).type).toBe(
      'attca',
    );
    expectRejected(
      () =>
        verifyFixture({ aikExtensions: [...defaultAikExtensions(), aaguidExtension(Buffer.alloc(16, 9))] }),
      'attestation_invalid',
      /aaguid/i,
    );
  });

  it('a chain to an anchor other than the configured one is untrusted; no anchor means untrusted but valid', () => {
    const { attStmt, ctx } = fixture();
    const otherCa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const otherCert = certificate({
      issuer: [['CN', 'Other CA']],
      subject: [['CN', 'Other CA']],
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2040-01-01T00:00:00Z'),
      publicKey: otherCa.publicKey,
      signingKey: otherCa.privateKey,
      extensions: [basicConstraints(true)],
    });
    expectRejected(
      () => verifyTpm(attStmt, { ...ctx, trustAnchors: [pem(otherCert)] }),
      'attestation_untrusted',
    );
    expect(verifyTpm(attStmt, { ...ctx, trustAnchors: [] })).toMatchObject({ trusted: false, root: null });
  });
});
