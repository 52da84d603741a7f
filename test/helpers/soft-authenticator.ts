/**
 * A software authenticator and client for tests. It makes ES256, EdDSA (Ed25519) and RS256
 * credentials and produces the PublicKeyCredential JSON a browser would send (WebAuthn L3
 * §5.1.3/§5.1.4 toJSON()), for registration (fmt "none" or "packed" self attestation) and
 * authentication.
 *
 * Every output can be corrupted in exactly one way through `Corruption`, so a negative test is
 * "a valid response with one thing changed". Keys and credential IDs are derived from a seed,
 * so runs are reproducible (except the RSA key: node:crypto cannot seed RSA key generation, so
 * one RSA key is made per process). Ed25519 and RS256 signatures are deterministic; ECDSA
 * signatures carry Node's random nonce.
 */
import { Buffer } from 'node:buffer';
import {
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { type CborMap, type CborValue, encodeCbor } from '../../src/core/cbor.js';

export type SoftAlgorithm = -7 | -8 | -257;

export interface SoftCredential {
  readonly id: Uint8Array;
  readonly alg: SoftAlgorithm;
  readonly privateKey: KeyObject;
  /** COSE_Key bytes, as a server stores them. */
  readonly publicKey: Uint8Array;
  /** The same key as a map (for tests that re-encode it). */
  readonly coseMap: CborMap;
  readonly spki: Uint8Array;
  readonly userHandle: Uint8Array;
  /** The signature counter the authenticator will write next time (after incrementing). */
  counter: number;
  readonly backupEligible: boolean;
  readonly backupState: boolean;
}

/** What a single negative test changes. Absent members mean "as a correct authenticator does". */
export interface Corruption {
  // --- authenticator data ------------------------------------------------------------------
  /** Force individual flag bits on or off after the correct flags are computed. */
  readonly flags?: Partial<Record<'up' | 'uv' | 'be' | 'bs' | 'at' | 'ed', boolean>>;
  /** Hash this RP ID into rpIdHash instead of the real one. */
  readonly rpId?: string;
  /** Write this signCount (the credential's counter is left alone). */
  readonly counter?: number;
  /** Registration: leave the attested credential data out (and clear AT unless flags.at says). */
  readonly omitAttestedData?: boolean;
  /** Assertion: include attested credential data (and set AT), as only attestation may. */
  readonly includeAttestedData?: boolean;
  /** Authenticator extension outputs to append (sets ED). */
  readonly extensions?: CborMap;
  /** Set ED but append no extension data. */
  readonly edWithoutData?: boolean;
  /** Bytes appended after the authenticator data (inside the signature for assertions). */
  readonly trailingAuthData?: Uint8Array;
  /** Change the `alg` (3) of the COSE key in authData. */
  readonly coseAlg?: number;

  // --- client data -------------------------------------------------------------------------
  readonly type?: string;
  /** The challenge text written into clientDataJSON. */
  readonly challenge?: string;
  readonly origin?: string;
  /** The crossOrigin JSON value; `null`-free: undefined means the default `false`. */
  readonly crossOrigin?: boolean | string;
  /** Leave crossOrigin out of clientDataJSON. */
  readonly omitCrossOrigin?: boolean;
  readonly topOrigin?: string;
  /** Members appended to clientDataJSON (after the standard ones). */
  readonly clientDataExtra?: Readonly<Record<string, unknown>>;
  /** A member written a second time at the end of clientDataJSON (JSON.parse keeps this one). */
  readonly duplicate?: { readonly key: string; readonly value: unknown };
  /** Prefix clientDataJSON with a UTF-8 byte order mark. */
  readonly bom?: boolean;
  /** Replace clientDataJSON bytes entirely (signed as given). */
  readonly clientDataJSON?: Uint8Array;

  // --- signatures and envelopes --------------------------------------------------------------
  /**
   * Flip one bit of the signature; or (ES256) send it as raw r||s instead of DER; or (ES256)
   * send the equally valid high-S form (n - s), as the Apple Secure Enclave does.
   */
  readonly signature?: 'flip-bit' | 'raw' | 'high-s';
  /** Change a byte after signing: the signature then covers different data. */
  readonly mutateAfterSigning?: 'flags' | 'counter' | 'rpIdHash' | 'clientData';
  /** Registration: bytes appended after the attestation object's CBOR. */
  readonly trailingAttestationObject?: Uint8Array;
  /** Registration: the attestation statement alg (packed) differs from the key's. */
  readonly attStmtAlg?: number;
  /** Registration: write this fmt text. */
  readonly fmt?: string;
  /** The JSON `id` / `rawId` texts. */
  readonly id?: string;
  readonly rawId?: string;
  /** The credential `type` member (normally "public-key"). */
  readonly credentialType?: string;
  /** Assertion: the userHandle bytes, or null to leave it out. Default: the credential's handle. */
  readonly userHandle?: Uint8Array | null;
  readonly clientExtensionResults?: Readonly<Record<string, unknown>>;
  readonly authenticatorAttachment?: string | null;
  readonly transports?: readonly unknown[];
}

export interface CeremonyInput {
  readonly rpId: string;
  readonly origin: string;
  /** Challenge bytes, or the exact text to write. */
  readonly challenge: Uint8Array | string;
  readonly corrupt?: Corruption;
}

export interface RegistrationInput extends CeremonyInput {
  readonly fmt?: 'none' | 'packed';
  /** Report UV (default true). */
  readonly uv?: boolean;
}

export interface AuthenticationInput extends CeremonyInput {
  readonly uv?: boolean;
}

export interface RegistrationResponseJSON {
  id: string;
  rawId: string;
  type: string;
  response: {
    clientDataJSON: string;
    attestationObject: string;
    transports?: readonly unknown[];
    authenticatorData: string;
    publicKey: string;
    publicKeyAlgorithm: number;
  };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: string | null;
}

export interface AuthenticationResponseJSON {
  id: string;
  rawId: string;
  type: string;
  response: {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    userHandle?: string;
  };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: string | null;
}

export interface CreateCredentialOptions {
  readonly alg?: SoftAlgorithm;
  readonly userHandle?: Uint8Array;
  /** Credential ID length in bytes (default 32; 1024 to go past the §5.1 limit). */
  readonly idLength?: number;
  readonly backupEligible?: boolean;
  readonly backupState?: boolean;
  /** Counter value before the first use (default 0: the next signCount is 1). */
  readonly counter?: number;
}

const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

const FLAG = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40, ed: 0x80 } as const;

let rsaKeyCache: KeyObject | undefined;
/** RSA key generation cannot be seeded through node:crypto; one key is made per process. */
function rsaKey(): KeyObject {
  rsaKeyCache ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return rsaKeyCache;
}

function derive(seed: string, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', seed, 'tessera-soft-authenticator', info, length));
}

export class SoftAuthenticator {
  /** AAGUID written into attested credential data. */
  readonly aaguid: Uint8Array;
  private readonly seed: string;
  private made = 0;

  constructor(seed = 'tessera-test', aaguid: Uint8Array = new Uint8Array(16)) {
    this.seed = seed;
    this.aaguid = aaguid;
  }

  createCredential(options: CreateCredentialOptions = {}): SoftCredential {
    const n = this.made++;
    const alg = options.alg ?? -7;
    const { privateKey, coseMap, spki } = makeKey(alg, derive(this.seed, `key-${n}`, 32));
    return {
      id: derive(this.seed, `id-${n}`, options.idLength ?? 32),
      alg,
      privateKey,
      publicKey: encodeCbor(coseMap),
      coseMap,
      spki,
      userHandle: options.userHandle ?? derive(this.seed, `user-${n}`, 16),
      counter: options.counter ?? 0,
      backupEligible: options.backupEligible ?? false,
      backupState: options.backupState ?? false,
    };
  }

  /** A registration response (navigator.credentials.create() then toJSON()). */
  register(credential: SoftCredential, input: RegistrationInput): RegistrationResponseJSON {
    const k = input.corrupt ?? {};
    const clientDataJSON = buildClientData('webauthn.create', input);
    const clientDataHash = sha256(clientDataJSON);
    const coseKey =
      k.coseAlg === undefined ? credential.publicKey : withCoseAlg(credential.coseMap, k.coseAlg);
    const attested = k.omitAttestedData ? undefined : attestedData(this.aaguid, credential.id, coseKey);
    const authData = buildAuthData({
      rpId: k.rpId ?? input.rpId,
      flags:
        FLAG.up |
        (input.uv === false ? 0 : FLAG.uv) |
        (credential.backupEligible ? FLAG.be : 0) |
        (credential.backupState ? FLAG.bs : 0) |
        (attested === undefined ? 0 : FLAG.at),
      counter: k.counter ?? credential.counter,
      attested,
      corrupt: k,
    });
    const fmt = input.fmt ?? 'none';
    let attStmt: CborMap = new Map();
    if (fmt === 'packed') {
      let sig = signWith(credential, Buffer.concat([authData, clientDataHash]), k.signature === 'raw');
      if (k.signature === 'flip-bit') sig = flipBit(sig);
      attStmt = new Map<string, CborValue>([
        ['alg', k.attStmtAlg ?? credential.alg],
        ['sig', sig],
      ]);
    }
    if (k.mutateAfterSigning !== undefined) mutate(authData, k.mutateAfterSigning);
    let attestationObject: Buffer = encodeCbor(
      new Map<string, CborValue>([
        ['fmt', k.fmt ?? fmt],
        ['attStmt', attStmt],
        ['authData', authData],
      ]),
    );
    if (k.trailingAttestationObject) {
      attestationObject = Buffer.concat([attestationObject, k.trailingAttestationObject]);
    }
    const id = b64u(credential.id);
    const out: RegistrationResponseJSON = {
      id: k.id ?? id,
      rawId: k.rawId ?? id,
      type: k.credentialType ?? 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(attestationObject),
        transports: k.transports ?? ['usb'],
        authenticatorData: b64u(authData),
        publicKey: b64u(credential.spki),
        publicKeyAlgorithm: credential.alg,
      },
      clientExtensionResults: { ...(k.clientExtensionResults ?? { credProps: { rk: true } }) },
    };
    if (k.authenticatorAttachment !== undefined) out.authenticatorAttachment = k.authenticatorAttachment;
    else out.authenticatorAttachment = 'cross-platform';
    return out;
  }

  /**
   * An assertion (navigator.credentials.get() then toJSON()). Increments the credential's
   * counter like a real authenticator, unless `corrupt.counter` writes a fixed value.
   */
  authenticate(credential: SoftCredential, input: AuthenticationInput): AuthenticationResponseJSON {
    const k = input.corrupt ?? {};
    const clientDataJSON = buildClientData('webauthn.get', input);
    if (k.counter === undefined) credential.counter += 1;
    const attested = k.includeAttestedData
      ? attestedData(this.aaguid, credential.id, credential.publicKey)
      : undefined;
    const authData = buildAuthData({
      rpId: k.rpId ?? input.rpId,
      flags:
        FLAG.up |
        (input.uv === false ? 0 : FLAG.uv) |
        (credential.backupEligible ? FLAG.be : 0) |
        (credential.backupState ? FLAG.bs : 0) |
        (attested === undefined ? 0 : FLAG.at),
      counter: k.counter ?? credential.counter,
      attested,
      corrupt: k,
    });
    let signature = signWith(
      credential,
      Buffer.concat([authData, sha256(clientDataJSON)]),
      k.signature === 'raw',
    );
    if (k.signature === 'flip-bit') signature = flipBit(signature);
    if (k.signature === 'high-s' && credential.alg === -7) signature = highS(signature);
    let sentClientData = clientDataJSON;
    if (k.mutateAfterSigning === 'clientData') {
      // Still valid JSON with the same members: only the signed bytes differ (one added space).
      sentClientData = Buffer.concat([Buffer.from('{ '), clientDataJSON.subarray(1)]);
    } else if (k.mutateAfterSigning !== undefined) {
      mutate(authData, k.mutateAfterSigning);
    }
    const id = b64u(credential.id);
    const userHandle = k.userHandle === undefined ? credential.userHandle : k.userHandle;
    const out: AuthenticationResponseJSON = {
      id: k.id ?? id,
      rawId: k.rawId ?? id,
      type: k.credentialType ?? 'public-key',
      response: {
        clientDataJSON: b64u(sentClientData),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        ...(userHandle === null ? {} : { userHandle: b64u(userHandle) }),
      },
      clientExtensionResults: { ...(k.clientExtensionResults ?? {}) },
    };
    out.authenticatorAttachment =
      k.authenticatorAttachment === undefined ? 'cross-platform' : k.authenticatorAttachment;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

function makeKey(
  alg: SoftAlgorithm,
  secret: Buffer,
): { privateKey: KeyObject; coseMap: CborMap; spki: Uint8Array } {
  let privateKey: KeyObject;
  let cose: Map<number, CborValue>;
  if (alg === -7) {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(secret);
    const point = ecdh.getPublicKey();
    const x = point.subarray(1, 33);
    const y = point.subarray(33, 65);
    privateKey = createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', x: b64u(x), y: b64u(y), d: b64u(secret) },
      format: 'jwk',
    });
    cose = new Map<number, CborValue>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(x)],
      [-3, Buffer.from(y)],
    ]);
  } else if (alg === -8) {
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), secret]);
    privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    cose = new Map<number, CborValue>([
      [1, 1],
      [3, -8],
      [-1, 6],
      [-2, Buffer.from(String(jwk.x), 'base64url')],
    ]);
  } else {
    privateKey = rsaKey();
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    cose = new Map<number, CborValue>([
      [1, 3],
      [3, -257],
      [-1, Buffer.from(String(jwk.n), 'base64url')],
      [-2, Buffer.from(String(jwk.e), 'base64url')],
    ]);
  }
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, coseMap: cose, spki };
}

function withCoseAlg(coseMap: CborMap, alg: number): Uint8Array {
  const changed = new Map(coseMap);
  changed.set(3, alg);
  return encodeCbor(changed);
}

function attestedData(aaguid: Uint8Array, id: Uint8Array, cose: Uint8Array): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(id.length);
  return Buffer.concat([aaguid, length, id, cose]);
}

function buildAuthData(parts: {
  rpId: string;
  flags: number;
  counter: number;
  attested: Buffer | undefined;
  corrupt: Corruption;
}): Buffer {
  const k = parts.corrupt;
  let flags = parts.flags;
  const extensionBytes = k.extensions === undefined ? undefined : encodeCbor(k.extensions);
  if (extensionBytes !== undefined || k.edWithoutData) flags |= FLAG.ed;
  for (const [name, on] of Object.entries(k.flags ?? {})) {
    const bit = FLAG[name as keyof typeof FLAG];
    flags = on ? flags | bit : flags & ~bit;
  }
  const head = Buffer.alloc(37);
  sha256(parts.rpId).copy(head, 0);
  head[32] = flags;
  head.writeUInt32BE(parts.counter >>> 0, 33);
  return Buffer.concat([
    head,
    parts.attested ?? Buffer.alloc(0),
    extensionBytes ?? Buffer.alloc(0),
    k.trailingAuthData ?? Buffer.alloc(0),
  ]);
}

function buildClientData(type: string, input: CeremonyInput): Buffer {
  const k = input.corrupt ?? {};
  if (k.clientDataJSON !== undefined) return Buffer.from(k.clientDataJSON);
  const challenge = typeof input.challenge === 'string' ? input.challenge : b64u(input.challenge);
  const members: [string, unknown][] = [
    ['type', k.type ?? type],
    ['challenge', k.challenge ?? challenge],
    ['origin', k.origin ?? input.origin],
  ];
  if (!k.omitCrossOrigin) members.push(['crossOrigin', k.crossOrigin ?? false]);
  if (k.topOrigin !== undefined) members.push(['topOrigin', k.topOrigin]);
  for (const [key, value] of Object.entries(k.clientDataExtra ?? {})) members.push([key, value]);
  if (k.duplicate !== undefined) members.push([k.duplicate.key, k.duplicate.value]);
  const text = `{${members.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;
  const json = Buffer.from(text, 'utf8');
  return k.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]) : json;
}

function signWith(credential: SoftCredential, data: Buffer, raw: boolean): Buffer {
  switch (credential.alg) {
    case -7:
      return sign('sha256', data, { key: credential.privateKey, dsaEncoding: raw ? 'ieee-p1363' : 'der' });
    case -8:
      return sign(null, data, credential.privateKey);
    case -257:
      return sign('sha256', data, credential.privateKey);
  }
}

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** Re-encode a DER ECDSA P-256 signature with s in its high form (s > n/2). */
function highS(der: Buffer): Buffer {
  const raw = Buffer.from(der);
  // SEQUENCE { INTEGER r, INTEGER s }, short-form lengths (P-256 always fits).
  const rLength = raw[3] ?? 0;
  const r = BigInt(`0x${raw.subarray(4, 4 + rLength).toString('hex')}`);
  const sAt = 4 + rLength;
  const s = BigInt(`0x${raw.subarray(sAt + 2, sAt + 2 + (raw[sAt + 1] ?? 0)).toString('hex')}`);
  const high = s > P256_N / 2n ? s : P256_N - s;
  const body = Buffer.concat([derInteger(r), derInteger(high)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function flipBit(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const last = out.length - 1;
  out[last] = (out[last] ?? 0) ^ 0x01;
  return out;
}

function mutate(authData: Buffer, what: 'flags' | 'counter' | 'rpIdHash' | 'clientData'): void {
  // In place: the signature was made over the original bytes.
  if (what === 'flags')
    authData[32] = (authData[32] ?? 0) ^ 0x04; // toggle UV
  else if (what === 'counter') authData[36] = (authData[36] ?? 0) ^ 0x01;
  else if (what === 'rpIdHash') authData[0] = (authData[0] ?? 0) ^ 0x01;
}

/** Base64url of bytes, for tests building expectations. */
export const base64url = b64u;

/** A valid, minimal authenticator extension output map (credProtect = 2). */
export function credProtectExtension(level = 2): CborMap {
  return new Map<string, CborValue>([['credProtect', level]]);
}
