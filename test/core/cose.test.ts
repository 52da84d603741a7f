/**
 * The COSE algorithm table: every algorithm verifies its own signatures and nothing else, every
 * key-validation rule of WebAuthn L3 §5.8.5 / RFC 9053 rejects with `public_key_invalid`, and the
 * certificate-key path refuses keys of the wrong type.
 */
import { Buffer } from 'node:buffer';
import {
  constants,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
} from 'node:crypto';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { describe, expect, it } from 'vitest';
import { type CborKey, type CborValue, encodeCbor } from '../../src/core/cbor.js';
import {
  COSE_ALGORITHMS,
  DEFAULT_ALGORITHMS,
  decodeCredentialPublicKey,
  importCredentialPublicKey,
  publicKeyMatches,
  SUPPORTED_ALGORITHMS,
  verifyWithCertificateKey,
} from '../../src/core/cose/index.js';
import { WebAuthnError } from '../../src/core/errors.js';
import type { CoseAlgorithm } from '../../src/core/types.js';

type CoseMap = Map<CborKey, CborValue>;

const MESSAGE = Buffer.concat([
  Buffer.alloc(37, 0x49),
  createHash('sha256').update('clientDataJSON').digest(),
]);

function b64(value: string | undefined): Buffer {
  if (value === undefined) throw new Error('missing JWK member');
  return Buffer.from(value, 'base64url');
}

const EC_CRV: Readonly<Record<string, number>> = { 'P-256': 1, 'P-384': 2, 'P-521': 3 };

/** The COSE_Key for a Node public key, as an authenticator would encode it. */
function coseKeyOf(alg: number, publicKey: KeyObject): CoseMap {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty === 'EC') {
    return new Map<CborKey, CborValue>([
      [1, 2],
      [3, alg],
      [-1, EC_CRV[jwk.crv ?? ''] ?? 0],
      [-2, b64(jwk.x)],
      [-3, b64(jwk.y)],
    ]);
  }
  if (jwk.kty === 'OKP') {
    return new Map<CborKey, CborValue>([
      [1, 1],
      [3, alg],
      [-1, jwk.crv === 'Ed25519' ? 6 : 7],
      [-2, b64(jwk.x)],
    ]);
  }
  return new Map<CborKey, CborValue>([
    [1, 3],
    [3, alg],
    [-1, b64(jwk.n)],
    [-2, b64(jwk.e)],
  ]);
}

function withEntry(map: CoseMap, label: CborKey, value: CborValue): CoseMap {
  return new Map(map).set(label, value);
}

function without(map: CoseMap, label: CborKey): CoseMap {
  const copy = new Map(map);
  copy.delete(label);
  return copy;
}

function bytesAt(map: CoseMap, label: CborKey): Buffer {
  const value = map.get(label);
  if (!(value instanceof Uint8Array)) throw new Error(`label ${label} is not a byte string`);
  return Buffer.from(value);
}

function flipBit(bytes: Uint8Array, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

/** The error a call throws; fails the test when it does not throw. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

function expectRejected(fn: () => unknown, code: string): void {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(WebAuthnError);
  expect(error).toMatchObject({ code });
}

function table(id: number): CoseAlgorithm {
  const alg = COSE_ALGORITHMS.get(id);
  if (alg === undefined) throw new Error(`algorithm ${id} missing from the table`);
  return alg;
}

// ---------------------------------------------------------------------------------------------
// Keys, generated once
// ---------------------------------------------------------------------------------------------

const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const ed25519 = generateKeyPairSync('ed25519');
const ed448 = generateKeyPairSync('ed448');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

const pss = (saltLength: number) => ({ padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });

interface AlgorithmCase {
  readonly label: string;
  readonly alg: number;
  readonly kty: number;
  readonly cose: CoseMap;
  readonly sign: (data: Uint8Array) => Uint8Array;
  /** The Node public key, for algorithms that have one. */
  readonly publicKey: KeyObject | undefined;
}

function nodeCase(
  label: string,
  alg: number,
  kty: number,
  pair: { publicKey: KeyObject; privateKey: KeyObject },
  digest: string | null,
  options: { padding?: number; saltLength?: number } = {},
): AlgorithmCase {
  return {
    label,
    alg,
    kty,
    cose: coseKeyOf(alg, pair.publicKey),
    sign: (data) => nodeSign(digest, data, { key: pair.privateKey, ...options }),
    publicKey: pair.publicKey,
  };
}

function mlDsaCase(label: string, alg: number, scheme: typeof ml_dsa44): AlgorithmCase {
  const { publicKey, secretKey } = scheme.keygen();
  return {
    label,
    alg,
    kty: 7,
    cose: new Map<CborKey, CborValue>([
      [1, 7],
      [3, alg],
      [-1, publicKey],
    ]),
    sign: (data) => scheme.sign(data, secretKey),
    publicKey: undefined,
  };
}

const CASES: readonly AlgorithmCase[] = [
  nodeCase('ES256', -7, 2, p256, 'sha256'),
  nodeCase('ES384', -35, 2, p384, 'sha384'),
  nodeCase('ES512', -36, 2, p521, 'sha512'),
  nodeCase('EdDSA (Ed25519 key)', -8, 1, ed25519, null),
  nodeCase('EdDSA (Ed448 key)', -8, 1, ed448, null),
  nodeCase('Ed25519', -19, 1, ed25519, null),
  nodeCase('Ed448', -53, 1, ed448, null),
  nodeCase('RS256', -257, 3, rsa, 'sha256'),
  nodeCase('RS384', -258, 3, rsa, 'sha384'),
  nodeCase('RS512', -259, 3, rsa, 'sha512'),
  nodeCase('RS1', -65535, 3, rsa, 'sha1'),
  nodeCase('PS256', -37, 3, rsa, 'sha256', pss(32)),
  nodeCase('PS384', -38, 3, rsa, 'sha384', pss(48)),
  nodeCase('PS512', -39, 3, rsa, 'sha512', pss(64)),
  mlDsaCase('ML-DSA-44', -48, ml_dsa44),
  mlDsaCase('ML-DSA-65', -49, ml_dsa65),
  mlDsaCase('ML-DSA-87', -50, ml_dsa87),
];

function caseFor(label: string): AlgorithmCase {
  const found = CASES.find((c) => c.label === label);
  if (found === undefined) throw new Error(`no case ${label}`);
  return found;
}

// ---------------------------------------------------------------------------------------------

describe('the algorithm table', () => {
  it('lists the defaults first, then every other algorithm exactly once', () => {
    expect(DEFAULT_ALGORITHMS).toEqual([-7, -8, -257]);
    expect(SUPPORTED_ALGORITHMS.slice(0, 3)).toEqual([-7, -8, -257]);
    expect([...SUPPORTED_ALGORITHMS].sort((a, b) => a - b)).toEqual(
      [-65535, -259, -258, -257, -53, -50, -49, -48, -39, -38, -37, -36, -35, -19, -8, -7].sort(
        (a, b) => a - b,
      ),
    );
    expect([...COSE_ALGORITHMS.keys()]).toEqual([...SUPPORTED_ALGORITHMS]);
  });

  it('registers each entry under its own id with its COSE name and key type', () => {
    const expected: Record<number, [string, number]> = {
      [-7]: ['ES256', 2],
      [-35]: ['ES384', 2],
      [-36]: ['ES512', 2],
      [-8]: ['EdDSA', 1],
      [-19]: ['Ed25519', 1],
      [-53]: ['Ed448', 1],
      [-257]: ['RS256', 3],
      [-258]: ['RS384', 3],
      [-259]: ['RS512', 3],
      [-65535]: ['RS1', 3],
      [-37]: ['PS256', 3],
      [-38]: ['PS384', 3],
      [-39]: ['PS512', 3],
      [-48]: ['ML-DSA-44', 7],
      [-49]: ['ML-DSA-65', 7],
      [-50]: ['ML-DSA-87', 7],
    };
    for (const [id, alg] of COSE_ALGORITHMS) {
      expect(alg.id).toBe(id);
      expect([alg.name, alg.kty]).toEqual(expected[id]);
    }
  });
});

describe.each(CASES)('$label', (c) => {
  const bytes = encodeCbor(c.cose);
  const signature = c.sign(MESSAGE);

  it('imports the stored key and verifies a good signature', () => {
    const key = decodeCredentialPublicKey(bytes);
    expect(key.alg).toBe(c.alg);
    expect(key.kty).toBe(c.kty);
    expect(key.keyObject === undefined).toBe(c.publicKey === undefined);
    expect(key.verify(MESSAGE, signature)).toBe(true);
    expect(importCredentialPublicKey(c.cose).verify(MESSAGE, signature)).toBe(true);
  });

  it('rejects a signature or message with one bit flipped', () => {
    const key = decodeCredentialPublicKey(bytes);
    expect(key.verify(MESSAGE, flipBit(signature, 0))).toBe(false);
    expect(key.verify(MESSAGE, flipBit(signature, signature.length - 1))).toBe(false);
    expect(key.verify(flipBit(MESSAGE, 0), signature)).toBe(false);
    expect(key.verify(flipBit(MESSAGE, MESSAGE.length - 1), signature)).toBe(false);
  });

  it('answers false, without throwing, for empty or truncated signatures', () => {
    const key = decodeCredentialPublicKey(bytes);
    expect(key.verify(MESSAGE, new Uint8Array(0))).toBe(false);
    expect(key.verify(MESSAGE, signature.subarray(0, signature.length - 1))).toBe(false);
    expect(key.verify(new Uint8Array(0), signature)).toBe(false);
  });

  it('refuses a key that carries private-key parameters', () => {
    // EC2 and OKP d = -4; RSA d = -3 (RFC 8230 §4); AKP priv = -2.
    const privateLabel = c.kty === 3 ? -3 : c.kty === 7 ? -2 : -4;
    expectRejected(
      () => importCredentialPublicKey(withEntry(c.cose, privateLabel, Buffer.alloc(32, 1))),
      'public_key_invalid',
    );
  });

  it('refuses a key without alg, or whose kty is not the algorithm’s', () => {
    expectRejected(() => decodeCredentialPublicKey(encodeCbor(without(c.cose, 3))), 'public_key_invalid');
    expectRejected(() => table(c.alg).importCoseKey(without(c.cose, 3)), 'public_key_invalid');
    const otherKty = c.kty === 2 ? 3 : 2;
    expectRejected(() => importCredentialPublicKey(withEntry(c.cose, 1, otherKty)), 'public_key_invalid');
    expectRejected(() => importCredentialPublicKey(without(c.cose, 1)), 'public_key_invalid');
  });

  it('refuses a key whose alg names another algorithm of the same key type', () => {
    const other = [...COSE_ALGORITHMS.values()].find((a) => a.kty === c.kty && a.id !== c.alg);
    if (other === undefined) throw new Error('no sibling algorithm');
    expectRejected(() => other.importCoseKey(c.cose), 'public_key_invalid');
  });
});

describe('ECDSA signature encoding (WebAuthn L3 §6.5.5)', () => {
  const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const key = decodeCredentialPublicKey(encodeCbor(caseFor('ES256').cose));
  const raw = nodeSign('sha256', MESSAGE, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' });
  const r = BigInt(`0x${raw.subarray(0, 32).toString('hex')}`);
  const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);

  function derInteger(value: bigint): Buffer {
    const hex = value.toString(16);
    let body = Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex');
    if (((body[0] ?? 0) & 0x80) !== 0) body = Buffer.concat([Buffer.of(0), body]);
    return Buffer.concat([Buffer.of(0x02, body.length), body]);
  }
  function derSignature(rValue: bigint, sValue: bigint): Buffer {
    const body = Buffer.concat([derInteger(rValue), derInteger(sValue)]);
    return Buffer.concat([Buffer.of(0x30, body.length), body]);
  }

  it('accepts the DER form of a signature', () => {
    expect(key.verify(MESSAGE, derSignature(r, s))).toBe(true);
  });

  it('rejects the raw 64-byte r||s form of the same, valid, signature', () => {
    expect(raw.length).toBe(64);
    expect(key.verify(MESSAGE, raw)).toBe(false);
  });

  it('accepts a high-S signature (WebAuthn does not require low-S)', () => {
    const highS = s > P256_ORDER / 2n ? s : P256_ORDER - s;
    expect(highS > P256_ORDER / 2n).toBe(true);
    expect(key.verify(MESSAGE, derSignature(r, highS))).toBe(true);
    // ... and its low-S twin, so both halves of the malleable pair verify.
    expect(key.verify(MESSAGE, derSignature(r, P256_ORDER - highS))).toBe(true);
  });
});

describe('RSA padding and hash binding', () => {
  const ps256 = table(-37).importCoseKey(caseFor('PS256').cose);
  const rs256 = table(-257).importCoseKey(caseFor('RS256').cose);

  it('PS256 requires a salt as long as the hash (RFC 8230 §2)', () => {
    expect(ps256.verify(MESSAGE, nodeSign('sha256', MESSAGE, { key: rsa.privateKey, ...pss(32) }))).toBe(
      true,
    );
    expect(ps256.verify(MESSAGE, nodeSign('sha256', MESSAGE, { key: rsa.privateKey, ...pss(20) }))).toBe(
      false,
    );
  });

  it('does not accept PKCS#1 v1.5 for PSS or PSS for PKCS#1 v1.5', () => {
    expect(ps256.verify(MESSAGE, caseFor('RS256').sign(MESSAGE))).toBe(false);
    expect(rs256.verify(MESSAGE, caseFor('PS256').sign(MESSAGE))).toBe(false);
  });

  it('binds the hash: an RS384 signature does not verify as RS256', () => {
    expect(rs256.verify(MESSAGE, caseFor('RS384').sign(MESSAGE))).toBe(false);
  });
});

describe('ML-DSA', () => {
  it('uses the empty context: a signature with a context string is rejected', () => {
    const { publicKey, secretKey } = ml_dsa44.keygen();
    const cose = new Map<CborKey, CborValue>([
      [1, 7],
      [3, -48],
      [-1, publicKey],
    ]);
    const key = importCredentialPublicKey(cose);
    expect(key.verify(MESSAGE, ml_dsa44.sign(MESSAGE, secretKey))).toBe(true);
    const withContext = ml_dsa44.sign(MESSAGE, secretKey, { context: Buffer.from('webauthn') });
    expect(key.verify(MESSAGE, withContext)).toBe(false);
  });

  it('keeps its own copy of the public key', () => {
    const c = caseFor('ML-DSA-44');
    const stored = encodeCbor(c.cose);
    const key = decodeCredentialPublicKey(stored);
    stored.fill(0);
    expect(key.verify(MESSAGE, c.sign(MESSAGE))).toBe(true);
  });

  it('refuses a public key of the wrong length for the parameter set', () => {
    const pub44 = bytesAt(caseFor('ML-DSA-44').cose, -1);
    expectRejected(
      () =>
        importCredentialPublicKey(
          new Map<CborKey, CborValue>([
            [1, 7],
            [3, -49],
            [-1, pub44],
          ]),
        ),
      'public_key_invalid',
    );
    const cose = caseFor('ML-DSA-44').cose;
    expectRejected(
      () => importCredentialPublicKey(withEntry(cose, -1, pub44.subarray(1))),
      'public_key_invalid',
    );
    expectRejected(() => importCredentialPublicKey(without(cose, -1)), 'public_key_invalid');
  });
});

describe('EC2 key validation (WebAuthn L3 §5.8.5, RFC 9053 §7.1.1)', () => {
  const es256 = caseFor('ES256').cose;
  const x = bytesAt(es256, -2);
  const y = bytesAt(es256, -3);

  it('refuses a key on another curve than the algorithm’s', () => {
    // A P-384 key labelled ES256, and a P-256 key labelled ES384.
    expectRejected(
      () => importCredentialPublicKey(withEntry(caseFor('ES384').cose, 3, -7)),
      'public_key_invalid',
    );
    expectRejected(() => importCredentialPublicKey(withEntry(es256, 3, -35)), 'public_key_invalid');
    // The right coordinates with only crv changed.
    expectRejected(() => importCredentialPublicKey(withEntry(es256, -1, 2)), 'public_key_invalid');
    expectRejected(() => importCredentialPublicKey(without(es256, -1)), 'public_key_invalid');
  });

  it('refuses a point that is not on the curve', () => {
    expectRejected(
      () => importCredentialPublicKey(withEntry(es256, -3, flipBit(y, 31))),
      'public_key_invalid',
    );
    expectRejected(
      () => importCredentialPublicKey(withEntry(es256, -2, flipBit(x, 31))),
      'public_key_invalid',
    );
    const p384y = bytesAt(caseFor('ES384').cose, -3);
    expectRejected(
      () => importCredentialPublicKey(withEntry(caseFor('ES384').cose, -3, flipBit(p384y, 47))),
      'public_key_invalid',
    );
    const p521y = bytesAt(caseFor('ES512').cose, -3);
    expectRejected(
      () => importCredentialPublicKey(withEntry(caseFor('ES512').cose, -3, flipBit(p521y, 65))),
      'public_key_invalid',
    );
  });

  it('refuses coordinates outside the field and the all-zero point', () => {
    const p = Buffer.from('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff', 'hex');
    expectRejected(() => importCredentialPublicKey(withEntry(es256, -2, p)), 'public_key_invalid');
    const zero = Buffer.alloc(32);
    expectRejected(
      () => importCredentialPublicKey(withEntry(withEntry(es256, -2, zero), -3, zero)),
      'public_key_invalid',
    );
  });

  it('refuses coordinates that are not exactly the field size', () => {
    expectRejected(
      () => importCredentialPublicKey(withEntry(es256, -2, x.subarray(1))),
      'public_key_invalid',
    );
    expectRejected(
      () => importCredentialPublicKey(withEntry(es256, -2, Buffer.concat([Buffer.of(0), x]))),
      'public_key_invalid',
    );
    expectRejected(
      () => importCredentialPublicKey(withEntry(es256, -3, Buffer.concat([Buffer.of(0), y]))),
      'public_key_invalid',
    );
    // P-521 coordinates are 66 bytes; leading zeros are kept (RFC 9053 §7.1.1).
    const es512 = caseFor('ES512').cose;
    expectRejected(
      () => importCredentialPublicKey(withEntry(es512, -2, bytesAt(es512, -2).subarray(1))),
      'public_key_invalid',
    );
  });

  it('refuses compressed points and non-byte coordinates', () => {
    expectRejected(() => importCredentialPublicKey(withEntry(es256, -3, true)), 'public_key_invalid');
    expectRejected(() => importCredentialPublicKey(withEntry(es256, -3, false)), 'public_key_invalid');
    expectRejected(() => importCredentialPublicKey(without(es256, -3)), 'public_key_invalid');
    expectRejected(
      () => importCredentialPublicKey(withEntry(es256, -2, x.toString('hex'))),
      'public_key_invalid',
    );
  });
});

describe('OKP key validation (RFC 9053 §7.2, RFC 9864)', () => {
  const ed25519Cose = caseFor('Ed25519').cose;
  const ed448Cose = caseFor('Ed448').cose;

  it('refuses a fully-specified identifier with the other curve', () => {
    expectRejected(() => importCredentialPublicKey(withEntry(ed448Cose, 3, -19)), 'public_key_invalid');
    expectRejected(() => importCredentialPublicKey(withEntry(ed25519Cose, 3, -53)), 'public_key_invalid');
  });

  it('refuses key-agreement curves and unknown curves for EdDSA', () => {
    const eddsa = withEntry(ed25519Cose, 3, -8);
    expectRejected(() => importCredentialPublicKey(withEntry(eddsa, -1, 4)), 'public_key_invalid');
    expectRejected(() => importCredentialPublicKey(withEntry(eddsa, -1, 1)), 'public_key_invalid');
    expectRejected(() => importCredentialPublicKey(without(eddsa, -1)), 'public_key_invalid');
  });

  it('refuses x of the wrong length', () => {
    const x = bytesAt(ed25519Cose, -2);
    expectRejected(
      () => importCredentialPublicKey(withEntry(ed25519Cose, -2, x.subarray(1))),
      'public_key_invalid',
    );
    expectRejected(
      () => importCredentialPublicKey(withEntry(ed25519Cose, -2, Buffer.concat([x, Buffer.of(0)]))),
      'public_key_invalid',
    );
    // An Ed25519-sized key claiming crv Ed448.
    expectRejected(() => importCredentialPublicKey(withEntry(ed25519Cose, -1, 7)), 'public_key_invalid');
  });

  it('verifies the W3C WebAuthn L3 Ed448 test vector (alg -53)', () => {
    // WebAuthn L3 editor's draft, "Test Vectors" > "Packed Attestation with Ed448 Credential".
    const key = decodeCredentialPublicKey(
      Buffer.from(
        'pAEBAzg0IAchWDmAUe9PlGcLWr8X2i6VWLpuupTrhwQ2ORW01mbeKHrTKd6fHwdSEaumAtxuel5SsVqO4cmEqfiIc4A',
        'base64url',
      ),
    );
    const authData = Buffer.from('v6vDdDKViwYzYNOtZGHJxHNa5_jt1GWSpeDwFFKy5LUdAAAAAA', 'base64url');
    const clientDataJSON = Buffer.from(
      'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiR3BRdlFCMk5qamItaUl3MXdpdHhnaGVBTDhab1dfRTV4SHN4RkFnU2hwTSIsIm9yaWdpbiI6Imh0dHBzOi8vZXhhbXBsZS5vcmciLCJjcm9zc09yaWdpbiI6ZmFsc2UsImV4dHJhRGF0YSI6ImNsaWVudERhdGFKU09OIG1heSBiZSBleHRlbmRlZCB3aXRoIGFkZGl0aW9uYWwgZmllbGRzIGluIHRoZSBmdXR1cmUsIHN1Y2ggYXMgdGhpczogWEtIamdiWGdDZUFYWU5zdXRqSXhidyJ9',
      'base64url',
    );
    const signature = Buffer.from(
      'Bx25IUMOE8oaYH7tuWy9MP1jlGoG5zEhfK1v2CujuTDUgjCKLBAXUqJRjP9wkY1KIPKb0u2k9FqAu6bErYWxD7chsYSXJbfb7zFdX7EBxtq4kLBtlKi1KnS1hI9o5hUq8khnt1VdKyK4lVy_9ch95zsA',
      'base64url',
    );
    const data = Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]);
    expect(key.alg).toBe(-53);
    expect(key.verify(data, signature)).toBe(true);
    expect(key.verify(data, flipBit(signature, 10))).toBe(false);
  });
});

describe('RSA key validation (RFC 8230 §4)', () => {
  const rs256 = caseFor('RS256').cose;
  const n = bytesAt(rs256, -1);

  it('refuses a modulus below 2048 bits', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expectRejected(() => importCredentialPublicKey(coseKeyOf(-257, small.publicKey)), 'public_key_invalid');
    // 2047 bits: the top bit of a 2048-bit modulus cleared (and padded back to 256 bytes).
    const n2047 = Buffer.from(n);
    n2047[0] = 0x7f;
    expectRejected(() => importCredentialPublicKey(withEntry(rs256, -1, n2047)), 'public_key_invalid');
  });

  it('counts bits, not bytes: leading zero bytes neither add size nor break the key', () => {
    const padded = withEntry(rs256, -1, Buffer.concat([Buffer.of(0, 0), n]));
    expect(importCredentialPublicKey(padded).verify(MESSAGE, caseFor('RS256').sign(MESSAGE))).toBe(true);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const smallPadded = withEntry(
      coseKeyOf(-257, small),
      -1,
      Buffer.concat([Buffer.alloc(200), b64(small.export({ format: 'jwk' }).n)]),
    );
    expectRejected(() => importCredentialPublicKey(smallPadded), 'public_key_invalid');
  });

  it('refuses an even modulus and an even or unit exponent', () => {
    expectRejected(
      () => importCredentialPublicKey(withEntry(rs256, -1, flipBit(n, n.length - 1))),
      'public_key_invalid',
    );
    expectRejected(
      () => importCredentialPublicKey(withEntry(rs256, -2, Buffer.of(1, 0, 0))),
      'public_key_invalid',
    );
    expectRejected(() => importCredentialPublicKey(withEntry(rs256, -2, Buffer.of(1))), 'public_key_invalid');
    expectRejected(
      () => importCredentialPublicKey(withEntry(rs256, -2, Buffer.of(0, 1))),
      'public_key_invalid',
    );
    expectRejected(
      () => importCredentialPublicKey(withEntry(rs256, -2, Buffer.alloc(0))),
      'public_key_invalid',
    );
    expectRejected(() => importCredentialPublicKey(without(rs256, -2)), 'public_key_invalid');
    expectRejected(() => importCredentialPublicKey(withEntry(rs256, -1, 65537)), 'public_key_invalid');
  });

  it('accepts e = 3', () => {
    const e3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    const key = importCredentialPublicKey(coseKeyOf(-257, e3.publicKey));
    expect(key.verify(MESSAGE, nodeSign('sha256', MESSAGE, e3.privateKey))).toBe(true);
  });

  it('refuses any RSA private parameter (-3 to -12)', () => {
    for (let label = -3; label >= -12; label--) {
      expectRejected(
        () => importCredentialPublicKey(withEntry(rs256, label, Buffer.of(1))),
        'public_key_invalid',
      );
    }
  });
});

describe('algorithm lookup and decoding', () => {
  it('reports an unknown alg as unsupported_algorithm', () => {
    const es256 = caseFor('ES256').cose;
    expectRejected(() => importCredentialPublicKey(withEntry(es256, 3, -999)), 'unsupported_algorithm');
    expectRejected(
      () => decodeCredentialPublicKey(encodeCbor(withEntry(es256, 3, -9))),
      'unsupported_algorithm',
    );
    expectRejected(() => importCredentialPublicKey(withEntry(es256, 3, 'ES256')), 'unsupported_algorithm');
    expectRejected(
      () => verifyWithCertificateKey(-999, p256.publicKey, MESSAGE, new Uint8Array(0)),
      'unsupported_algorithm',
    );
  });

  it('reports a malformed alg as public_key_invalid', () => {
    expectRejected(
      () => importCredentialPublicKey(withEntry(caseFor('ES256').cose, 3, Buffer.of(0x26))),
      'public_key_invalid',
    );
  });

  it('requires the stored bytes to be exactly one CBOR map', () => {
    const bytes = encodeCbor(caseFor('ES256').cose);
    expectRejected(() => decodeCredentialPublicKey(Buffer.concat([bytes, Buffer.of(0)])), 'cbor_invalid');
    expectRejected(() => decodeCredentialPublicKey(bytes.subarray(0, bytes.length - 1)), 'cbor_invalid');
    expectRejected(() => decodeCredentialPublicKey(encodeCbor([1, 2])), 'public_key_invalid');
    expectRejected(() => decodeCredentialPublicKey(encodeCbor(bytes)), 'public_key_invalid');
  });

  it('returns an immutable key', () => {
    const key = decodeCredentialPublicKey(encodeCbor(caseFor('ES256').cose));
    expect(Object.isFrozen(key)).toBe(true);
  });
});

describe('verifyWithCertificateKey', () => {
  it.each(CASES.filter((c) => c.publicKey !== undefined))(
    '$label verifies with a bare public KeyObject',
    (c) => {
      if (c.publicKey === undefined) throw new Error('unreachable');
      // The form X509Certificate.publicKey yields: a public KeyObject parsed from SPKI.
      const spkiKey = createPublicKey(c.publicKey.export({ format: 'pem', type: 'spki' }));
      const signature = c.sign(MESSAGE);
      expect(verifyWithCertificateKey(c.alg, spkiKey, MESSAGE, signature)).toBe(true);
      expect(verifyWithCertificateKey(c.alg, spkiKey, MESSAGE, flipBit(signature, 0))).toBe(false);
      expect(verifyWithCertificateKey(c.alg, spkiKey, flipBit(MESSAGE, 0), signature)).toBe(false);
      expect(verifyWithCertificateKey(c.alg, spkiKey, MESSAGE, new Uint8Array(0))).toBe(false);
    },
  );

  it('refuses a key of another type than the algorithm’s (no algorithm confusion)', () => {
    const rsSig = caseFor('RS256').sign(MESSAGE);
    // The RSA signature is valid for the RSA key, but ES256 must not run RSA on it.
    expect(verifyWithCertificateKey(-257, rsa.publicKey, MESSAGE, rsSig)).toBe(true);
    expect(verifyWithCertificateKey(-7, rsa.publicKey, MESSAGE, rsSig)).toBe(false);
    expect(verifyWithCertificateKey(-8, rsa.publicKey, MESSAGE, rsSig)).toBe(false);
    const esSig = caseFor('ES256').sign(MESSAGE);
    expect(verifyWithCertificateKey(-257, p256.publicKey, MESSAGE, esSig)).toBe(false);
    expect(verifyWithCertificateKey(-37, p256.publicKey, MESSAGE, esSig)).toBe(false);
    const edSig = caseFor('Ed448').sign(MESSAGE);
    expect(verifyWithCertificateKey(-53, ed448.publicKey, MESSAGE, edSig)).toBe(true);
    expect(verifyWithCertificateKey(-19, ed448.publicKey, MESSAGE, edSig)).toBe(false);
    expect(verifyWithCertificateKey(-7, ed448.publicKey, MESSAGE, edSig)).toBe(false);
  });

  it('accepts an RSASSA-PSS (rsa-pss) certificate key for PS256 only', () => {
    const pssPair = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    const sig = nodeSign('sha256', MESSAGE, { key: pssPair.privateKey, ...pss(32) });
    expect(verifyWithCertificateKey(-37, pssPair.publicKey, MESSAGE, sig)).toBe(true);
    expect(verifyWithCertificateKey(-257, pssPair.publicKey, MESSAGE, sig)).toBe(false);
  });

  it('uses DER for ECDSA certificate keys too', () => {
    const raw = nodeSign('sha256', MESSAGE, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' });
    expect(verifyWithCertificateKey(-7, p256.publicKey, MESSAGE, raw)).toBe(false);
  });

  it('answers false for ML-DSA, which has no KeyObject on Node 20', () => {
    const c = caseFor('ML-DSA-44');
    expect(verifyWithCertificateKey(-48, p256.publicKey, MESSAGE, c.sign(MESSAGE))).toBe(false);
  });
});

describe('publicKeyMatches', () => {
  const others: readonly KeyObject[] = [
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
    generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
    generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey,
    generateKeyPairSync('ed25519').publicKey,
    generateKeyPairSync('ed448').publicKey,
    generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
  ];
  /** A different key of the same type and curve. */
  function otherKeyLike(key: KeyObject): KeyObject {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const found = others.find(
      (o) => o.asymmetricKeyType === key.asymmetricKeyType && o.asymmetricKeyDetails?.namedCurve === curve,
    );
    if (found === undefined) throw new Error('no other key of this type');
    return found;
  }

  it.each(CASES.filter((c) => c.publicKey !== undefined))('$label matches its own key and no other', (c) => {
    if (c.publicKey === undefined) throw new Error('unreachable');
    const credential = decodeCredentialPublicKey(encodeCbor(c.cose));
    const fromSpki = createPublicKey({
      key: c.publicKey.export({ format: 'der', type: 'spki' }),
      format: 'der',
      type: 'spki',
    });
    expect(publicKeyMatches(credential, fromSpki)).toBe(true);
    const sameType = otherKeyLike(c.publicKey);
    expect(sameType.asymmetricKeyType).toBe(c.publicKey.asymmetricKeyType);
    expect(publicKeyMatches(credential, sameType)).toBe(false);
  });

  it('does not match keys of another type or a private key', () => {
    const credential = decodeCredentialPublicKey(encodeCbor(caseFor('ES256').cose));
    expect(publicKeyMatches(credential, rsa.publicKey)).toBe(false);
    expect(publicKeyMatches(credential, ed25519.publicKey)).toBe(false);
    expect(publicKeyMatches(credential, p384.publicKey)).toBe(false);
    expect(publicKeyMatches(credential, p256.privateKey)).toBe(false);
  });

  it('never matches an ML-DSA credential', () => {
    const credential = decodeCredentialPublicKey(encodeCbor(caseFor('ML-DSA-65').cose));
    expect(publicKeyMatches(credential, p256.publicKey)).toBe(false);
  });
});
