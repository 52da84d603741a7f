import { Buffer } from 'node:buffer';
import { generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  attestationChain,
  MAX_CERTIFICATE_BYTES,
  MAX_CHAIN_LENGTH,
  type ParsedCertificate,
  parseCertificate,
  parseTrustAnchor,
  readAaguidExtension,
  validateChain,
  verifyCertificateSignature,
} from '../../src/core/attestation/x509.js';
import { type CborValue, decodeCbor, isCborMap } from '../../src/core/cbor.js';
import { WebAuthnError } from '../../src/core/errors.js';
import {
  aaguidExtension,
  basicConstraints,
  type CertificateSpec,
  certificate,
  type ExtensionSpec,
  keyUsage,
  oid,
  pem,
  type SignatureKind,
  seq,
  signatureAlgorithm,
} from '../helpers/der-writer.js';

const CONFORMANCE = '/work/shared/conformance';
const ROOTS = join(CONFORMANCE, 'roots');

// ---------------------------------------------------------------------------------------------
// Corpus access
// ---------------------------------------------------------------------------------------------

interface CorpusCase {
  readonly name: string;
  readonly response: { readonly response: { readonly attestationObject?: string } };
}

const corpus: readonly CorpusCase[] = readdirSync(join(CONFORMANCE, 'vectors'))
  .filter((f) => f.endsWith('.json'))
  .flatMap((f) => JSON.parse(readFileSync(join(CONFORMANCE, 'vectors', f), 'utf8')) as CorpusCase[]);

function x5cOf(caseName: string): Buffer[] {
  const c = corpus.find((v) => v.name === caseName);
  if (!c?.response.response.attestationObject) throw new Error(`no case ${caseName}`);
  const ao = decodeCbor(Buffer.from(c.response.response.attestationObject, 'base64url'));
  if (!isCborMap(ao)) throw new Error('attestationObject is not a map');
  const attStmt = ao.get('attStmt') as CborValue;
  if (!isCborMap(attStmt)) throw new Error('attStmt is not a map');
  const x5c = attStmt.get('x5c');
  if (!Array.isArray(x5c)) throw new Error('no x5c');
  return (x5c as Uint8Array[]).map((d) => Buffer.from(d));
}

const root = (file: string): string => readFileSync(join(ROOTS, file), 'utf8');
const YUBICO_ROOT = 'yubico-u2f-root-ca-serial-457200631.pem';

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

// ---------------------------------------------------------------------------------------------
// Synthetic PKI
// ---------------------------------------------------------------------------------------------

const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rootKeys = ecKey();
const interKeys = ecKey();
const leafKeys = ecKey();
const otherKeys = ecKey();

const NOW = new Date('2030-06-01T00:00:00Z');
const LONG_AGO = new Date('2020-01-01T00:00:00Z');
const FAR_AWAY = new Date('2040-01-01T00:00:00Z');

const ROOT_NAME = [
  ['C', 'AA'],
  ['O', 'Tessera Test'],
  ['CN', 'Test Root'],
] as const;
const INTER_NAME = [
  ['C', 'AA'],
  ['O', 'Tessera Test'],
  ['CN', 'Test Intermediate'],
] as const;
const LEAF_NAME = [
  ['C', 'AA'],
  ['O', 'Tessera Test'],
  ['OU', 'Authenticator Attestation'],
  ['CN', 'Test Leaf'],
] as const;

const CA_EXTENSIONS: readonly ExtensionSpec[] = [
  basicConstraints(true),
  keyUsage(['keyCertSign', 'cRLSign']),
];

function makeRoot(overrides: Partial<CertificateSpec> = {}): Buffer {
  return certificate({
    issuer: ROOT_NAME,
    subject: ROOT_NAME,
    notBefore: LONG_AGO,
    notAfter: FAR_AWAY,
    publicKey: rootKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: CA_EXTENSIONS,
    ...overrides,
  });
}

function makeIntermediate(overrides: Partial<CertificateSpec> = {}): Buffer {
  return certificate({
    serial: 2,
    issuer: ROOT_NAME,
    subject: INTER_NAME,
    notBefore: LONG_AGO,
    notAfter: FAR_AWAY,
    publicKey: interKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: [basicConstraints(true, 0), keyUsage(['keyCertSign'])],
    ...overrides,
  });
}

function makeLeaf(overrides: Partial<CertificateSpec> = {}): Buffer {
  return certificate({
    serial: 3,
    issuer: INTER_NAME,
    subject: LEAF_NAME,
    notBefore: LONG_AGO,
    notAfter: FAR_AWAY,
    publicKey: leafKeys.publicKey,
    signingKey: interKeys.privateKey,
    extensions: [basicConstraints(false)],
    ...overrides,
  });
}

const ROOT = makeRoot();
const INTER = makeIntermediate();
const LEAF = makeLeaf();
const parse = (...ders: Buffer[]): ParsedCertificate[] => ders.map((d) => parseCertificate(d));

// ---------------------------------------------------------------------------------------------

describe('parseCertificate: real roots', () => {
  const files = readdirSync(ROOTS).filter((f) => f.endsWith('.pem'));

  it.each(files)('%s parses strictly and matches Node', (file) => {
    const text = root(file);
    const cert = parseTrustAnchor(text);
    const node = new X509Certificate(text);
    expect(cert.lenient).toBe(false);
    expect(cert.x509).not.toBeNull();
    expect(cert.der.equals(node.raw)).toBe(true);
    expect(cert.notBefore.getTime()).toBe(new Date(node.validFrom).getTime());
    expect(cert.notAfter.getTime()).toBe(new Date(node.validTo).getTime());
    expect(cert.subjectEmpty).toBe(false);
    expect(cert.publicKey.equals(node.publicKey)).toBe(true);
    expect(verifyCertificateSignature(cert, cert.publicKey)).toBe(true); // all are self-signed roots
    expect(cert.isCA === true || cert.version < 3).toBe(true);
  });

  it('renders names from the DER in encoded order', () => {
    expect(parseTrustAnchor(root(YUBICO_ROOT)).subject).toBe('CN=Yubico U2F Root CA Serial 457200631');
    const ms = parseTrustAnchor(root('microsoft-tpm-root-ca-2014.pem'));
    expect(ms.subject).toBe(
      'C=US, ST=Washington, L=Redmond, O=Microsoft Corporation, CN=Microsoft TPM Root Certificate Authority 2014',
    );
    expect(ms.subjectAttributes.get('O')).toEqual(['Microsoft Corporation']);
    expect(ms.version).toBe(3);
  });

  it('accepts DER bytes and refuses PEM with zero or two certificates', () => {
    const der = new X509Certificate(root(YUBICO_ROOT)).raw;
    expect(parseTrustAnchor(new Uint8Array(der)).subject).toContain('Yubico U2F Root CA');
    expectCode(() => parseTrustAnchor('not a certificate'), 'certificate_invalid');
    expectCode(
      () => parseTrustAnchor(root(YUBICO_ROOT) + root('apple-webauthn-root-ca.pem')),
      'certificate_invalid',
    );
  });
});

describe('parseCertificate: fields from the DER', () => {
  it('reads a YubiKey packed attestation certificate', () => {
    const [leaf] = parse(...x5cOf('yubico-reg-yubikey-5-nfc'));
    expect(leaf?.version).toBe(3);
    expect(leaf?.subjectAttributes.get('OU')).toEqual(['Authenticator Attestation']);
    expect(leaf?.subjectAttributes.get('C')).toEqual(['SE']);
    expect(leaf?.isCA).toBe(false);
    expect(leaf?.extensions.get('2.5.29.19')?.critical).toBe(true);
    expect(leaf && readAaguidExtension(leaf)?.toString('hex')).toBe('fa2b99dc9e3942578f924a30d23c4118');
  });

  it('reads a TPM AIK certificate: empty subject, critical SAN, EKU', () => {
    const [aik] = parse(...x5cOf('py-reg-tpm-surface-pro-4'));
    expect(aik?.subjectEmpty).toBe(true);
    expect(aik?.subject).toBe('');
    expect(aik?.extensions.get('2.5.29.17')?.critical).toBe(true);
    expect(aik?.extendedKeyUsage).toContain('2.23.133.8.3');
    expect(aik?.isCA).toBe(false);
  });

  it('refuses oversized, truncated and trailing-garbage input', () => {
    expectCode(() => parseCertificate(Buffer.alloc(MAX_CERTIFICATE_BYTES + 1)), 'certificate_invalid');
    expectCode(() => parseCertificate(LEAF.subarray(0, LEAF.length - 1)), 'certificate_invalid');
    expectCode(() => parseCertificate(Buffer.concat([LEAF, Buffer.from([0])])), 'certificate_invalid');
    expectCode(() => parseCertificate(new Uint8Array(0)), 'certificate_invalid');
  });

  it('refuses a TBS signature algorithm that differs from the outer one', () => {
    const der = makeLeaf({ tbsSignatureAlgorithm: signatureAlgorithm('ecdsa-sha384') });
    expectCode(() => parseCertificate(der), 'certificate_invalid');
  });

  it('refuses extensions in a v1 certificate and duplicate extensions', () => {
    expectCode(() => parseCertificate(makeLeaf({ version: 1 })), 'certificate_invalid');
    expectCode(
      () => parseCertificate(makeLeaf({ extensions: [basicConstraints(false), basicConstraints(false)] })),
      'certificate_invalid',
    );
  });
});

describe('the lenient path: certificates Node refuses or misreads (conformance caveats)', () => {
  it('yubico-reg-security-key: signature BIT STRING with 2 unused bits', () => {
    const [leaf] = parse(...x5cOf('yubico-reg-security-key'));
    if (!leaf) throw new Error('no leaf');
    expect(leaf.lenient).toBe(true);
    expect(leaf.x509).toBeNull();
    expect(leaf.leniencies).toEqual(['signatureValue BIT STRING declares 2 unused bits']);
    expect(leaf.signature.length).toBe(256);
    const yubicoRoot = parseTrustAnchor(root(YUBICO_ROOT));
    // OpenSSL honours the unused bits, clears them, and the RSA signature no longer verifies…
    expect(new X509Certificate(leaf.der).verify(yubicoRoot.publicKey)).toBe(false);
    // …while the octets as written are the signature.
    expect(verifyCertificateSignature(leaf, yubicoRoot.publicKey)).toBe(true);
    expect(validateChain([leaf], [root(YUBICO_ROOT)], new Date('2026-11-24T00:00:00Z'))).toEqual({
      trusted: true,
      root: 'CN=Yubico U2F Root CA Serial 457200631',
    });
  });

  it.each(['swa-reg-tpm-sha1-fido2-net-lib', 'swa-reg-tpm-sha256-fido2-net-lib'])(
    '%s: malformed authorityKeyIdentifier in the AIK and its CA',
    (caseName) => {
      const [aik, ca] = parse(...x5cOf(caseName));
      if (!aik || !ca) throw new Error('expected two certificates');
      for (const cert of [aik, ca]) {
        expect(cert.lenient).toBe(true);
        expect(cert.x509).toBeNull();
        expect(cert.leniencies).toEqual(['authorityKeyIdentifier does not match its ASN.1 syntax (ignored)']);
      }
      // OpenSSL cannot decode the AKI, flags the certificate invalid and so denies it is a CA.
      expect(new X509Certificate(ca.der).ca).toBe(false);
      expect(ca.isCA).toBe(true);
      expect(verifyCertificateSignature(aik, ca.publicKey)).toBe(true);
      expect(validateChain([aik, ca], [], new Date('2025-01-30T23:59:59Z'))).toEqual({
        trusted: false,
        root: null,
      });
    },
  );

  it('a synthetic certificate with unused bits in its signature is lenient and verifies', () => {
    const der = makeLeaf({ signatureUnusedBits: 3 });
    const [leaf, inter] = parse(der, INTER);
    expect(leaf?.lenient).toBe(true);
    expect(validateChain(parse(der, INTER, ROOT), [pem(ROOT)], NOW).trusted).toBe(true);
    expect(inter?.lenient).toBe(false);
  });

  it('a malformed critical authorityKeyIdentifier is not tolerated', () => {
    const badAki = seq(Buffer.from([0xa0, 0x02, 0x04, 0x00]));
    const der = makeLeaf({ extensions: [{ oid: '2.5.29.35', critical: true, value: badAki }] });
    expectCode(() => parseCertificate(der), 'certificate_invalid');
    const lenient = parseCertificate(makeLeaf({ extensions: [{ oid: '2.5.29.35', value: badAki }] }));
    expect(lenient.lenient).toBe(true);
  });

  it('a strict certificate keeps Node’s view', () => {
    const cert = parseCertificate(LEAF);
    expect(cert.lenient).toBe(false);
    expect(cert.leniencies).toEqual([]);
    expect(cert.x509?.subject).toContain('CN=Test Leaf');
  });
});

describe('validateChain: synthetic chains', () => {
  it('accepts leaf → intermediate with the root as anchor (PEM or DER), and a chain containing the root', () => {
    const chain = parse(LEAF, INTER);
    const expected = { trusted: true, root: 'C=AA, O=Tessera Test, CN=Test Root' };
    expect(validateChain(chain, [pem(ROOT)], NOW)).toEqual(expected);
    expect(validateChain(chain, [ROOT], NOW)).toEqual(expected);
    expect(validateChain(parse(LEAF, INTER, ROOT), [pem(ROOT)], NOW)).toEqual(expected);
  });

  it('accepts an intermediate configured as the anchor', () => {
    expect(validateChain(parse(LEAF), [pem(INTER)], NOW)).toEqual({
      trusted: true,
      root: 'C=AA, O=Tessera Test, CN=Test Intermediate',
    });
  });

  it('without anchors reports untrusted but still validates the chain', () => {
    expect(validateChain(parse(LEAF, INTER), [], NOW)).toEqual({ trusted: false, root: null });
    const broken = makeLeaf({ mutateSignature: () => Buffer.from(signWithOther()) });
    expectCode(() => validateChain(parse(broken, INTER), [], NOW), 'certificate_invalid');
  });

  const invalidChains: ReadonlyArray<readonly [string, () => Buffer[]]> = [
    ['expired leaf', () => [makeLeaf({ notAfter: new Date('2029-01-01T00:00:00Z') }), INTER]],
    ['not-yet-valid leaf', () => [makeLeaf({ notBefore: new Date('2031-01-01T00:00:00Z') }), INTER]],
    ['expired intermediate', () => [LEAF, makeIntermediate({ notAfter: new Date('2030-05-31T23:59:59Z') })]],
    ['intermediate with cA FALSE', () => [LEAF, makeIntermediate({ extensions: [basicConstraints(false)] })]],
    ['intermediate without basicConstraints', () => [LEAF, makeIntermediate({ extensions: [] })]],
    [
      'intermediate keyUsage without keyCertSign',
      () => [
        LEAF,
        makeIntermediate({ extensions: [basicConstraints(true), keyUsage(['digitalSignature'])] }),
      ],
    ],
    [
      'leaf signed by a key other than the intermediate’s',
      () => [makeLeaf({ signingKey: otherKeys.privateKey }), INTER],
    ],
    ['issuer name differs from the next subject', () => [makeLeaf({ issuer: ROOT_NAME }), INTER]],
    ['mis-ordered chain', () => [INTER, LEAF]],
    [
      'unknown critical extension in the leaf',
      () => [
        makeLeaf({
          extensions: [basicConstraints(false), { oid: '1.2.3.4.5', critical: true, value: seq() }],
        }),
        INTER,
      ],
    ],
    [
      'critical nameConstraints (not enforced, so refused)',
      () => [
        LEAF,
        makeIntermediate({
          extensions: [...CA_EXTENSIONS, { oid: '2.5.29.30', critical: true, value: seq() }],
        }),
      ],
    ],
    [
      'pathLenConstraint 0 exceeded',
      () => {
        const inter2Keys = interKeys; // a second intermediate, signed by the pathLen-0 intermediate
        const inter2 = certificate({
          serial: 9,
          issuer: INTER_NAME,
          subject: [['CN', 'Second Intermediate']],
          notBefore: LONG_AGO,
          notAfter: FAR_AWAY,
          publicKey: inter2Keys.publicKey,
          signingKey: interKeys.privateKey,
          extensions: CA_EXTENSIONS,
        });
        const leaf = makeLeaf({ issuer: [['CN', 'Second Intermediate']] });
        return [leaf, inter2, INTER];
      },
    ],
  ];

  it.each(invalidChains)('%s → certificate_invalid', (_label, build) => {
    expectCode(() => validateChain(parse(...build()), [pem(ROOT)], NOW), 'certificate_invalid');
  });

  it('accepts a critical certificatePolicies extension (validated with anyPolicy)', () => {
    const policies = seq(seq(oid('2.5.29.32.0')));
    const leaf = makeLeaf({
      extensions: [basicConstraints(false), { oid: '2.5.29.32', critical: true, value: policies }],
    });
    expect(validateChain(parse(leaf, INTER), [pem(ROOT)], NOW).trusted).toBe(true);
  });

  it('refuses empty and over-long chains', () => {
    expectCode(() => validateChain([], [], NOW), 'certificate_invalid');
    const long = Array.from({ length: MAX_CHAIN_LENGTH + 1 }, () => parseCertificate(LEAF));
    expectCode(() => validateChain(long, [], NOW), 'certificate_invalid');
  });

  it('a chain that does not reach the configured anchor → attestation_untrusted', () => {
    const otherRoot = makeRoot({
      subject: [['CN', 'Other Root']],
      issuer: [['CN', 'Other Root']],
      publicKey: otherKeys.publicKey,
      signingKey: otherKeys.privateKey,
    });
    expectCode(() => validateChain(parse(LEAF, INTER), [pem(otherRoot)], NOW), 'attestation_untrusted');
  });

  it('a self-signed root appended to x5c does not replace the anchor (GHSA-6hxq-p678-4hr2)', () => {
    const fakeRoot = makeRoot({ publicKey: otherKeys.publicKey, signingKey: otherKeys.privateKey });
    const fakeInter = makeIntermediate({ signingKey: otherKeys.privateKey });
    expectCode(
      () => validateChain(parse(LEAF, fakeInter, fakeRoot), [pem(ROOT)], NOW),
      'attestation_untrusted',
    );
  });

  it('an anchor with the issuer’s name but another key, or expired, is not reached', () => {
    const impostor = makeRoot({ publicKey: otherKeys.publicKey, signingKey: otherKeys.privateKey });
    expectCode(() => validateChain(parse(LEAF, INTER), [pem(impostor)], NOW), 'attestation_untrusted');
    const expiredRoot = makeRoot({ notAfter: new Date('2030-01-01T00:00:00Z') });
    expectCode(() => validateChain(parse(LEAF, INTER), [pem(expiredRoot)], NOW), 'attestation_untrusted');
  });

  const algorithms: ReadonlyArray<
    readonly [SignatureKind, () => { publicKey: KeyObject; privateKey: KeyObject }]
  > = [
    ['ecdsa-sha384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['rsa-sha256', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['rsa-pss-sha256', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['ed25519', () => generateKeyPairSync('ed25519')],
  ];

  it.each(algorithms)('verifies certificates signed with %s', (kind, keys) => {
    const ca = keys();
    const caDer = makeRoot({ publicKey: ca.publicKey, signingKey: ca.privateKey, signature: kind });
    const leaf = makeLeaf({ issuer: ROOT_NAME, signingKey: ca.privateKey, signature: kind });
    const [parsedLeaf, parsedCa] = parse(leaf, caDer);
    if (!parsedLeaf || !parsedCa) throw new Error('parse');
    expect(verifyCertificateSignature(parsedLeaf, parsedCa.publicKey)).toBe(true);
    expect(verifyCertificateSignature(parsedLeaf, otherKeys.publicKey)).toBe(false);
    expect(validateChain([parsedLeaf], [pem(caDer)], NOW).trusted).toBe(true);
  });
});

describe('validateChain: real chains', () => {
  it('Apple chain reaches the Apple WebAuthn root at its verification date, and is expired today', () => {
    const chain = parse(...x5cOf('yubico-reg-apple-ios'));
    expect(
      validateChain(chain, [root('apple-webauthn-root-ca.pem')], new Date('2021-04-11T13:37:18Z')),
    ).toEqual({
      trusted: true,
      root: 'CN=Apple WebAuthn Root CA, O=Apple Inc., ST=California',
    });
    expectCode(
      () => validateChain(chain, [root('apple-webauthn-root-ca.pem')], new Date('2026-11-24T00:00:00Z')),
      'certificate_invalid',
    );
  });

  it('Pixel 8a chain ending with Google root 2 is trusted with roots 1-4', () => {
    const anchors = [1, 2, 3, 4].map((n) => root(`google-hardware-attestation-root-${n}.pem`));
    const result = validateChain(
      parse(...x5cOf('py-reg-android-key-pixel-8a')),
      anchors,
      new Date('2025-01-08T00:00:00Z'),
    );
    expect(result).toEqual({ trusted: true, root: 'serialNumber=f92009e853b6b045' });
  });

  it('a YubiKey chain does not reach GlobalSign R2 (py-reg-packed-wrong-trust-anchor)', () => {
    const chain = parse(...x5cOf('py-reg-packed-wrong-trust-anchor'));
    expectCode(() => validateChain(chain, [root('globalsign-root-ca-r2.pem')], NOW), 'attestation_untrusted');
  });
});

describe('attestation helpers', () => {
  it('attestationChain checks the x5c shape', () => {
    expectCode(() => attestationChain(undefined), 'attestation_invalid');
    expectCode(() => attestationChain([]), 'attestation_invalid');
    expectCode(() => attestationChain(['not bytes']), 'attestation_invalid');
    expectCode(
      () => attestationChain(Array.from({ length: MAX_CHAIN_LENGTH + 1 }, () => LEAF)),
      'attestation_invalid',
    );
    expectCode(() => attestationChain([new Uint8Array([1, 2, 3])]), 'certificate_invalid');
    expect(attestationChain([LEAF, INTER]).map((c) => c.subject)).toEqual([
      'C=AA, O=Tessera Test, OU=Authenticator Attestation, CN=Test Leaf',
      'C=AA, O=Tessera Test, CN=Test Intermediate',
    ]);
  });

  it('readAaguidExtension: value, criticality, shape', () => {
    const aaguid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const ok = parseCertificate(makeLeaf({ extensions: [aaguidExtension(aaguid)] }));
    expect(readAaguidExtension(ok)?.equals(aaguid)).toBe(true);
    expect(readAaguidExtension(parseCertificate(LEAF))).toBeUndefined();
    const critical = parseCertificate(makeLeaf({ extensions: [aaguidExtension(aaguid, true)] }));
    expectCode(() => readAaguidExtension(critical), 'attestation_invalid');
    const short = parseCertificate(makeLeaf({ extensions: [aaguidExtension(aaguid.subarray(0, 15))] }));
    expectCode(() => readAaguidExtension(short), 'attestation_invalid');
  });
});

function signWithOther(): Buffer {
  // A well-formed ECDSA signature by an unrelated key.
  return parseCertificate(makeLeaf({ signingKey: otherKeys.privateKey })).signature;
}
