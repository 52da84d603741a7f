/**
 * TPM 2.0 structures the `tpm` attestation format carries (WebAuthn L3 §8.3): TPMT_PUBLIC (`pubArea`)
 * and TPMS_ATTEST (`certInfo`), as defined in TCG TPM 2.0 Library Part 2 "Structures".
 *
 * The reader is bounded: every field is big-endian (Part 2 §5.2), every TPM2B size is checked
 * against its structure's maximum and against the bytes left, unions are read only for selectors
 * this module knows (an unknown selector would make the rest of the structure unparseable), and
 * the structure must fill its buffer exactly (no trailing bytes).
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { fail } from '../errors.js';

/** TPM_ALG_ID values used here (Part 2 §6.3, TCG Algorithm Registry). */
export const TPM_ALG = {
  RSA: 0x0001,
  SHA1: 0x0004,
  AES: 0x0006,
  MGF1: 0x0007,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  SM3_256: 0x0012,
  SM4: 0x0013,
  RSASSA: 0x0014,
  RSAES: 0x0015,
  RSAPSS: 0x0016,
  OAEP: 0x0017,
  ECDSA: 0x0018,
  ECDH: 0x0019,
  ECDAA: 0x001a,
  SM2: 0x001b,
  ECSCHNORR: 0x001c,
  ECMQV: 0x001d,
  KDF1_SP800_56A: 0x0020,
  KDF2: 0x0021,
  KDF1_SP800_108: 0x0022,
  ECC: 0x0023,
  CAMELLIA: 0x0026,
  SHA3_256: 0x0027,
  SHA3_384: 0x0028,
  SHA3_512: 0x0029,
} as const;

/** TPM_ECC_CURVE values (Part 2 §6.4). */
export const TPM_ECC_CURVE = {
  NIST_P192: 0x0001,
  NIST_P224: 0x0002,
  NIST_P256: 0x0003,
  NIST_P384: 0x0004,
  NIST_P521: 0x0005,
  BN_P256: 0x0010,
  BN_P638: 0x0011,
  SM2_P256: 0x0020,
} as const;

/** TPM_GENERATED_VALUE: "\xffTCG" (Part 2 §6.2). */
export const TPM_GENERATED_VALUE = 0xff544347;
/** TPM_ST_ATTEST_CERTIFY (Part 2 §6.9). */
export const TPM_ST_ATTEST_CERTIFY = 0x8017;
/** TPMA_OBJECT.sign (bit 18, Part 2 §8.3.2): the key may sign externally supplied data. */
export const TPMA_OBJECT_SIGN_ENCRYPT = 1 << 18;

/** Digest size and Node hash name for the hash TPM_ALG_IDs a Name may use (Part 1 §16). */
const NAME_HASHES: ReadonlyMap<number, { readonly node: string; readonly size: number }> = new Map([
  [TPM_ALG.SHA1, { node: 'sha1', size: 20 }],
  [TPM_ALG.SHA256, { node: 'sha256', size: 32 }],
  [TPM_ALG.SHA384, { node: 'sha384', size: 48 }],
  [TPM_ALG.SHA512, { node: 'sha512', size: 64 }],
  [TPM_ALG.SHA3_256, { node: 'sha3-256', size: 32 }],
  [TPM_ALG.SHA3_384, { node: 'sha3-384', size: 48 }],
  [TPM_ALG.SHA3_512, { node: 'sha3-512', size: 64 }],
]);

/** Largest digest a TPMT_HA holds (SHA-512): bounds TPM2B_DIGEST, TPM2B_DATA and TPM2B_NAME. */
const MAX_DIGEST = 64;
/** sizeof(TPMT_HA): TPM2B_DATA and TPM2B_NAME are at most this (Part 2 §10.4.3, §10.5.3). */
const MAX_HA = 2 + MAX_DIGEST;
/** MAX_RSA_KEY_BYTES for RSA-4096, the largest modulus any TPM profile defines. */
const MAX_RSA_KEY_BYTES = 512;
/** MAX_ECC_KEY_BYTES for BN P-638 (80 bytes), the largest curve in the registry. */
const MAX_ECC_KEY_BYTES = 80;
/** Upper bound on either structure: real ones are under 400 bytes. */
const MAX_STRUCTURE = 2048;

class TpmReader {
  private offset = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly what: string,
  ) {
    if (bytes.length > MAX_STRUCTURE) this.bad(`longer than ${MAX_STRUCTURE} bytes`);
  }

  bad(detail: string): never {
    return fail('attestation_invalid', `tpm ${this.what}: ${detail}`);
  }

  private need(n: number, field: string): void {
    if (n > this.bytes.length - this.offset) this.bad(`truncated at ${field}`);
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.offset++] as number;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.bytes.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.bytes.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const v = this.bytes.readBigUInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  /** A TPM2B_*: UINT16 size, then that many bytes, at most `max`. */
  tpm2b(field: string, max: number): Buffer {
    const size = this.u16(field);
    if (size > max) this.bad(`${field} is ${size} bytes (at most ${max})`);
    this.need(size, field);
    const out = this.bytes.subarray(this.offset, this.offset + size);
    this.offset += size;
    return out;
  }

  /** The rest of the buffer (for a union whose layout the caller decodes separately). */
  rest(): Buffer {
    const out = this.bytes.subarray(this.offset);
    this.offset = this.bytes.length;
    return out;
  }

  end(): void {
    if (this.offset !== this.bytes.length) this.bad(`${this.bytes.length - this.offset} trailing bytes`);
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------------------------
// TPMT_PUBLIC (Part 2 §12.2.4)
// ---------------------------------------------------------------------------------------------

/** A scheme selector and its details (hash algorithm, ECDAA count); `hashAlg` null for NULL/RSAES. */
export interface TpmScheme {
  readonly scheme: number;
  readonly hashAlg: number | null;
  readonly count: number | null;
}

/** TPMT_SYM_DEF_OBJECT (Part 2 §11.1.7): keyBits and mode are absent when algorithm is NULL. */
export interface TpmSymDefObject {
  readonly algorithm: number;
  readonly keyBits: number | null;
  readonly mode: number | null;
}

export type TpmPublicParameters =
  | {
      readonly type: 'rsa';
      readonly symmetric: TpmSymDefObject;
      readonly scheme: TpmScheme;
      readonly keyBits: number;
      /** As encoded; 0 means the default exponent 2^16 + 1 (Part 2 §12.2.3.5). */
      readonly exponent: number;
    }
  | {
      readonly type: 'ecc';
      readonly symmetric: TpmSymDefObject;
      readonly scheme: TpmScheme;
      readonly curveId: number;
      readonly kdf: TpmScheme;
    };

export type TpmPublicUnique =
  | { readonly type: 'rsa'; readonly n: Buffer }
  | { readonly type: 'ecc'; readonly x: Buffer; readonly y: Buffer };

export interface TpmtPublic {
  /** The exact bytes (the Name is computed over them). */
  readonly raw: Buffer;
  readonly type: number;
  readonly nameAlg: number;
  readonly objectAttributes: number;
  readonly authPolicy: Buffer;
  readonly parameters: TpmPublicParameters;
  readonly unique: TpmPublicUnique;
}

/** TPMT_SYM_DEF_OBJECT: a storage key's symmetric algorithm; NULL for signing keys. */
function readSymDefObject(r: TpmReader): TpmSymDefObject {
  const algorithm = r.u16('symmetric.algorithm');
  if (algorithm === TPM_ALG.NULL) return { algorithm, keyBits: null, mode: null };
  if (algorithm !== TPM_ALG.AES && algorithm !== TPM_ALG.SM4 && algorithm !== TPM_ALG.CAMELLIA) {
    r.bad(`unknown symmetric algorithm 0x${algorithm.toString(16)}`);
  }
  return { algorithm, keyBits: r.u16('symmetric.keyBits'), mode: r.u16('symmetric.mode') };
}

/** TPMT_RSA_SCHEME (Part 2 §11.2.4.2): RSAES has empty details, the others a hash algorithm. */
function readRsaScheme(r: TpmReader): TpmScheme {
  const scheme = r.u16('scheme');
  switch (scheme) {
    case TPM_ALG.NULL:
    case TPM_ALG.RSAES:
      return { scheme, hashAlg: null, count: null };
    case TPM_ALG.RSASSA:
    case TPM_ALG.RSAPSS:
    case TPM_ALG.OAEP:
      return { scheme, hashAlg: r.u16('scheme.hashAlg'), count: null };
    default:
      return r.bad(`unknown RSA scheme 0x${scheme.toString(16)}`);
  }
}

/** TPMT_ECC_SCHEME (Part 2 §11.2.5.6): ECDAA details add a count to the hash algorithm. */
function readEccScheme(r: TpmReader): TpmScheme {
  const scheme = r.u16('scheme');
  switch (scheme) {
    case TPM_ALG.NULL:
      return { scheme, hashAlg: null, count: null };
    case TPM_ALG.ECDAA:
      return { scheme, hashAlg: r.u16('scheme.hashAlg'), count: r.u16('scheme.count') };
    case TPM_ALG.ECDSA:
    case TPM_ALG.ECDH:
    case TPM_ALG.SM2:
    case TPM_ALG.ECSCHNORR:
    case TPM_ALG.ECMQV:
      return { scheme, hashAlg: r.u16('scheme.hashAlg'), count: null };
    default:
      return r.bad(`unknown ECC scheme 0x${scheme.toString(16)}`);
  }
}

/** TPMT_KDF_SCHEME (Part 2 §11.2.3.3). */
function readKdfScheme(r: TpmReader): TpmScheme {
  const scheme = r.u16('kdf');
  switch (scheme) {
    case TPM_ALG.NULL:
      return { scheme, hashAlg: null, count: null };
    case TPM_ALG.MGF1:
    case TPM_ALG.KDF1_SP800_56A:
    case TPM_ALG.KDF2:
    case TPM_ALG.KDF1_SP800_108:
      return { scheme, hashAlg: r.u16('kdf.hashAlg'), count: null };
    default:
      return r.bad(`unknown KDF scheme 0x${scheme.toString(16)}`);
  }
}

/**
 * Parse a TPMT_PUBLIC for an RSA or ECC key (the only types a credential key can have). The
 * `pubArea` in an attestation statement is the bare TPMT_PUBLIC, without TPM2B_PUBLIC's size
 * prefix (WebAuthn L3 §8.3 signing procedure note).
 */
export function parseTpmtPublic(bytes: Uint8Array): TpmtPublic {
  const raw = asBuffer(bytes);
  const r = new TpmReader(raw, 'pubArea');
  const type = r.u16('type');
  const nameAlg = r.u16('nameAlg');
  const objectAttributes = r.u32('objectAttributes');
  const authPolicy = r.tpm2b('authPolicy', MAX_DIGEST);
  let parameters: TpmPublicParameters;
  let unique: TpmPublicUnique;
  if (type === TPM_ALG.RSA) {
    // TPMS_RSA_PARMS (Part 2 §12.2.3.5).
    const symmetric = readSymDefObject(r);
    const scheme = readRsaScheme(r);
    const keyBits = r.u16('keyBits');
    const exponent = r.u32('exponent');
    parameters = { type: 'rsa', symmetric, scheme, keyBits, exponent };
    // TPM2B_PUBLIC_KEY_RSA (Part 2 §11.2.4.5).
    const n = r.tpm2b('unique.rsa', MAX_RSA_KEY_BYTES);
    if (n.length === 0 || n.length * 8 !== keyBits) {
      r.bad(`RSA modulus is ${n.length} bytes but keyBits is ${keyBits}`);
    }
    unique = { type: 'rsa', n };
  } else if (type === TPM_ALG.ECC) {
    // TPMS_ECC_PARMS (Part 2 §12.2.3.6).
    const symmetric = readSymDefObject(r);
    const scheme = readEccScheme(r);
    const curveId = r.u16('curveID');
    const kdf = readKdfScheme(r);
    parameters = { type: 'ecc', symmetric, scheme, curveId, kdf };
    // TPMS_ECC_POINT (Part 2 §11.2.5.2): two TPM2B_ECC_PARAMETERs.
    const x = r.tpm2b('unique.x', MAX_ECC_KEY_BYTES);
    const y = r.tpm2b('unique.y', MAX_ECC_KEY_BYTES);
    unique = { type: 'ecc', x, y };
  } else {
    return r.bad(`unsupported key type 0x${type.toString(16)} (only RSA and ECC keys can be credentials)`);
  }
  r.end();
  return { raw, type, nameAlg, objectAttributes, authPolicy, parameters, unique };
}

// ---------------------------------------------------------------------------------------------
// TPMS_ATTEST (Part 2 §10.12.12) and TPMS_CERTIFY_INFO (§10.12.3)
// ---------------------------------------------------------------------------------------------

/** TPMS_CLOCK_INFO (Part 2 §10.11.1): 17 bytes. */
export interface TpmClockInfo {
  readonly clock: bigint;
  readonly resetCount: number;
  readonly restartCount: number;
  /** As encoded (1 = YES when not obfuscated). */
  readonly safe: number;
}

export interface TpmsAttest {
  readonly raw: Buffer;
  readonly magic: number;
  readonly type: number;
  /** TPM2B_NAME contents. */
  readonly qualifiedSigner: Buffer;
  /** TPM2B_DATA contents. */
  readonly extraData: Buffer;
  readonly clockInfo: TpmClockInfo;
  readonly firmwareVersion: bigint;
  /** The TPMU_ATTEST bytes; decode with `parseTpmsCertifyInfo` once `type` is known. */
  readonly attested: Buffer;
}

export interface TpmsCertifyInfo {
  /** TPM2B_NAME contents: nameAlg (2 bytes) || digest, for an object. */
  readonly name: Buffer;
  readonly qualifiedName: Buffer;
}

/**
 * Parse the fixed head of a TPMS_ATTEST. `magic` and `type` are returned as found (the verifier
 * checks them); `attested` is the union selected by `type`, left for `parseTpmsCertifyInfo`.
 */
export function parseTpmsAttest(bytes: Uint8Array): TpmsAttest {
  const raw = asBuffer(bytes);
  const r = new TpmReader(raw, 'certInfo');
  const magic = r.u32('magic');
  const type = r.u16('type');
  const qualifiedSigner = r.tpm2b('qualifiedSigner', MAX_HA);
  const extraData = r.tpm2b('extraData', MAX_HA);
  const clock = r.u64('clockInfo.clock');
  const resetCount = r.u32('clockInfo.resetCount');
  const restartCount = r.u32('clockInfo.restartCount');
  // TPMI_YES_NO, but not range-checked: WebAuthn §8.3 ignores clockInfo and firmwareVersion and
  // notes that, "depending on the properties of the aikCert key used, these fields may be
  // obfuscated" (the W3C L3 tpm test vector carries 0xe3 here).
  const safe = r.u8('clockInfo.safe');
  const firmwareVersion = r.u64('firmwareVersion');
  const attested = r.rest();
  return {
    raw,
    magic,
    type,
    qualifiedSigner,
    extraData,
    clockInfo: { clock, resetCount, restartCount, safe },
    firmwareVersion,
    attested,
  };
}

/** TPMS_CERTIFY_INFO: two TPM2B_NAMEs filling the attested union exactly. */
export function parseTpmsCertifyInfo(attested: Uint8Array): TpmsCertifyInfo {
  const r = new TpmReader(asBuffer(attested), 'certInfo.attested');
  const name = r.tpm2b('name', MAX_HA);
  const qualifiedName = r.tpm2b('qualifiedName', MAX_HA);
  r.end();
  return { name, qualifiedName };
}

// ---------------------------------------------------------------------------------------------
// Names (Part 1 §16)
// ---------------------------------------------------------------------------------------------

/** The Node hash name and digest size for a TPM hash algorithm, or undefined when unsupported. */
export function tpmHash(alg: number): { readonly node: string; readonly size: number } | undefined {
  return NAME_HASHES.get(alg);
}

/**
 * The Name of an object: nameAlg (UINT16) || H_nameAlg(TPMT_PUBLIC bytes). Throws
 * `attestation_invalid` for a nameAlg that is not a supported hash.
 */
export function computeTpmName(pubArea: TpmtPublic): Buffer {
  const hash = tpmHash(pubArea.nameAlg);
  if (!hash)
    fail('attestation_invalid', `tpm pubArea: unsupported nameAlg 0x${pubArea.nameAlg.toString(16)}`);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(pubArea.nameAlg);
  return Buffer.concat([head, createHash(hash.node).update(pubArea.raw).digest()]);
}
