/**
 * The FIDO Metadata BLOB: a JWS in compact serialisation ("FIDO Metadata Service v3.0 §3.1.7
 * Metadata BLOB", RFC 7515 §7.1) whose payload is a Metadata BLOB Payload (§3.1.6:
 * `legalHeader`, `no`, `nextUpdate`, `entries`), verified per "§3.2 Metadata BLOB object
 * processing rules":
 *
 * 1. the JOSE header names a supported `alg` (RS256/384/512, PS256/384/512, ES256/384/512;
 *    RFC 7518 §3.1) and carries the signing chain in `x5c` (RFC 7515 §4.1.6: standard base64 DER,
 *    signer first). Without `x5c` the trust anchor itself is taken as the signing certificate (§3.2).
 *    `x5u` is not fetched: this is an offline import. A `crit` header is refused (RFC 7515 §4.1.11).
 * 2. the chain is validated at `now` up to the Metadata BLOB signing trust anchor (by default
 *    GlobalSign Root CA - R3). It may end with the root, stop one certificate below it, or end with
 *    a cross-certificate issued by it (BLOB no. 278: leaf → GlobalSign GCC R46 EV TLS CA 2025 →
 *    "GlobalSign Root R46" cross-signed by R3).
 * 3. the signature over `ASCII(header '.' payload)` verifies with the first certificate's key.
 * 4. the payload is parsed and every entry validated; an invalid entry is skipped with a warning
 *    (one bad entry does not discard the other authenticators of a signed BLOB), an invalid payload
 *    envelope refuses the BLOB.
 *
 * Not done here: revocation checking of the signing chain (no CRLs offline; §3.2 asks for it when
 * online), the rollback check against a previously held serial (`no`; that needs state and lives in
 * services/metadata.ts), and what to do with a stale BLOB: past `nextUpdate` it still verifies and
 * `stale` is true with a `metadata_stale` warning; the caller decides (services accept it).
 */
import { Buffer } from 'node:buffer';
import { type KeyObject, constants as nodeCrypto, verify } from 'node:crypto';
import {
  MAX_CHAIN_LENGTH,
  type ParsedCertificate,
  parseCertificate,
  parseTrustAnchor,
  validateChain,
} from '../../core/attestation/x509.js';
import { isWebAuthnError } from '../../core/errors.js';
import type { TrustAnchorInput } from '../../core/types.js';
import { MetadataError, type MetadataWarning, metadataFail, metadataWarning } from './errors.js';
import { FIDO_MDS_ROOT_PEM } from './fido-mds-root.js';
import { decodeBase64, isIsoDate, type MetadataEntry, parseBlobEntry } from './statement.js';

/** BLOBs grew from 1 MB (2021) to over 10 MB (2026); this leaves room and still bounds memory. */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024;
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_SIGNATURE_BYTES = 1024;
const MAX_ENTRIES = 50_000;
const MAX_WARNINGS = 1000;

/** The verified content of a Metadata BLOB Payload (FIDO Metadata Service v3.0 §3.1.6). */
export interface MetadataBlob {
  /** Serial number; each new BLOB has a higher one. */
  readonly no: number;
  /** YYYY-MM-DD: the date by which the next BLOB will be published at the latest. */
  readonly nextUpdate: string;
  readonly legalHeader: string;
  readonly entries: readonly MetadataEntry[];
}

export interface BlobCounts {
  /** Entries kept (valid). */
  readonly entries: number;
  /** Entries with an AAGUID (FIDO2), an AAID (UAF), attestation certificate key identifiers (U2F). */
  readonly aaguid: number;
  readonly aaid: number;
  readonly attestationCertificateKeyIdentifiers: number;
  /** Entries that were invalid and skipped. */
  readonly skipped: number;
}

export interface VerifiedMetadataBlob extends MetadataBlob {
  /** The JWS `alg`. */
  readonly alg: string;
  /** Subjects of the signing chain, signer first, as sent in `x5c` (empty without `x5c`). */
  readonly chain: readonly string[];
  /** Subject of the trust anchor the chain reached. */
  readonly root: string;
  /** The clock the BLOB was verified at. */
  readonly verifiedAt: Date;
  /** True when `verifiedAt` is on or after `nextUpdate`. */
  readonly stale: boolean;
  readonly counts: BlobCounts;
  /** metadata_stale, metadata_entry_skipped, metadata_entry_duplicate, statement_value_ignored. */
  readonly warnings: readonly MetadataWarning[];
}

export interface VerifyBlobOptions {
  /** The verification clock (certificate validity, staleness). */
  readonly now: Date;
  /** Metadata BLOB signing trust anchors; default: GlobalSign Root CA - R3 (`FIDO_MDS_ROOT_PEM`). */
  readonly anchors?: readonly TrustAnchorInput[];
  /** Default `MAX_BLOB_BYTES`. */
  readonly maxBytes?: number;
}

// ---------------------------------------------------------------------------------------------
// JWS algorithms (RFC 7518 §3.1)
// ---------------------------------------------------------------------------------------------

interface JwsAlgorithm {
  readonly hash: string;
  readonly kind: 'rsa' | 'pss' | 'ec';
  /** EC: the curve (Node's name) and the length of the raw r||s signature (RFC 7518 §3.4). */
  readonly curve?: string;
  readonly signatureLength?: number;
  /** PSS: salt length = hash length (RFC 7518 §3.5). */
  readonly saltLength?: number;
}

const JWS_ALGORITHMS: ReadonlyMap<string, JwsAlgorithm> = new Map<string, JwsAlgorithm>([
  ['RS256', { hash: 'sha256', kind: 'rsa' }],
  ['RS384', { hash: 'sha384', kind: 'rsa' }],
  ['RS512', { hash: 'sha512', kind: 'rsa' }],
  ['PS256', { hash: 'sha256', kind: 'pss', saltLength: 32 }],
  ['PS384', { hash: 'sha384', kind: 'pss', saltLength: 48 }],
  ['PS512', { hash: 'sha512', kind: 'pss', saltLength: 64 }],
  ['ES256', { hash: 'sha256', kind: 'ec', curve: 'prime256v1', signatureLength: 64 }],
  ['ES384', { hash: 'sha384', kind: 'ec', curve: 'secp384r1', signatureLength: 96 }],
  ['ES512', { hash: 'sha512', kind: 'ec', curve: 'secp521r1', signatureLength: 132 }],
]);

export const SUPPORTED_BLOB_ALGORITHMS: readonly string[] = [...JWS_ALGORITHMS.keys()];

function verifyJwsSignature(alg: JwsAlgorithm, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  const type = key.asymmetricKeyType;
  try {
    if (alg.kind === 'ec') {
      if (type !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== alg.curve) return false;
      if (signature.length !== alg.signatureLength) return false;
      return verify(alg.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    // RFC 7518 §3.3, §3.5: RSA keys of 2048 bits or more.
    if (type !== 'rsa' && !(alg.kind === 'pss' && type === 'rsa-pss')) return false;
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return false;
    if (alg.kind === 'pss')
      return verify(
        alg.hash,
        data,
        { key, padding: nodeCrypto.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength ?? 0 },
        signature,
      );
    return verify(alg.hash, data, key, signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing helpers
// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strict unpadded base64url (RFC 7515 §2, RFC 4648 §5): one text, one meaning. */
function base64url(text: string, what: string, maxBytes: number): Buffer {
  if (text.length > Math.ceil((maxBytes * 4) / 3)) metadataFail('metadata_too_large', `${what} is too long`);
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1)
    metadataFail('metadata_malformed', `${what} is not base64url`);
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text)
    metadataFail('metadata_malformed', `${what} is not canonical base64url`);
  return bytes;
}

function json(bytes: Buffer, what: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return metadataFail('metadata_malformed', `${what} is not UTF-8`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return metadataFail(
      'metadata_malformed',
      `${what} is not JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

function wrapCertificateError(error: unknown, what: string): never {
  if (isWebAuthnError(error))
    throw new MetadataError('metadata_chain_invalid', `${what}: ${error.detail ?? error.message}`, {
      cause: error,
    });
  throw error;
}

// ---------------------------------------------------------------------------------------------
// Signing chain
// ---------------------------------------------------------------------------------------------

/**
 * Validate a BLOB signing chain (`x5c`, signer first, standard base64 DER) at `now` up to one of
 * `anchors`. Returns the parsed chain and the anchor's subject; throws `metadata_chain_invalid`.
 * Exported for chain-building tests on headers whose payload is not at hand.
 */
export function verifyBlobSigningChain(
  x5c: unknown,
  anchors: readonly TrustAnchorInput[],
  now: Date,
): { chain: ParsedCertificate[]; root: string } {
  if (!Array.isArray(x5c) || x5c.length === 0)
    metadataFail('metadata_malformed', 'x5c must be a non-empty array');
  if (x5c.length > MAX_CHAIN_LENGTH)
    metadataFail('metadata_chain_invalid', `x5c has ${x5c.length} certificates`);
  if (anchors.length === 0) metadataFail('metadata_chain_invalid', 'no trust anchor is configured');
  const chain = x5c.map((item: unknown, i) => {
    // RFC 7515 §4.1.6: base64 (not base64url) DER, no whitespace.
    const der = typeof item === 'string' && !/\s/.test(item) ? decodeBase64(item, 64 * 1024) : null;
    if (der === null) return metadataFail('metadata_malformed', `x5c[${i}] is not base64 DER`);
    try {
      return parseCertificate(der);
    } catch (error) {
      return wrapCertificateError(error, `x5c[${i}]`);
    }
  });
  let root: string | null = null;
  try {
    root = validateChain(chain, anchors, now).root;
  } catch (error) {
    wrapCertificateError(error, 'signing chain');
  }
  if (root === null) return metadataFail('metadata_chain_invalid', 'the chain reaches no trust anchor');
  return { chain, root };
}

// ---------------------------------------------------------------------------------------------
// The BLOB
// ---------------------------------------------------------------------------------------------

/** Midnight UTC of the `nextUpdate` date: from then on the BLOB is stale. */
export function nextUpdateTime(nextUpdate: string): Date {
  return new Date(`${nextUpdate}T00:00:00Z`);
}

/** True when `now` is on or after `nextUpdate` (a newer BLOB should exist by then). */
export function isBlobStale(nextUpdate: string, now: Date): boolean {
  return now.getTime() >= nextUpdateTime(nextUpdate).getTime();
}

function countEntries(entries: readonly MetadataEntry[], skipped: number): BlobCounts {
  return {
    entries: entries.length,
    aaguid: entries.filter((e) => e.aaguid !== null).length,
    aaid: entries.filter((e) => e.aaid !== null).length,
    attestationCertificateKeyIdentifiers: entries.filter(
      (e) => e.attestationCertificateKeyIdentifiers.length > 0,
    ).length,
    skipped,
  };
}

/**
 * Verify a Metadata BLOB (the JWS text or its bytes) at `options.now` and return its validated
 * content. Throws `MetadataError`: metadata_malformed, metadata_too_large,
 * metadata_algorithm_unsupported, metadata_chain_invalid, metadata_signature_invalid.
 */
export function verifyMetadataBlob(
  input: string | Uint8Array,
  options: VerifyBlobOptions,
): VerifiedMetadataBlob {
  const { now } = options;
  if (Number.isNaN(now.getTime())) metadataFail('metadata_malformed', 'invalid verification time');
  const maxBytes = options.maxBytes ?? MAX_BLOB_BYTES;
  const anchors = options.anchors ?? [FIDO_MDS_ROOT_PEM];
  const byteLength = typeof input === 'string' ? input.length : input.byteLength;
  if (byteLength > Math.ceil((maxBytes * 4) / 3) + MAX_HEADER_BYTES * 2)
    metadataFail('metadata_too_large', `${byteLength} bytes`);
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      return metadataFail('metadata_malformed', 'the BLOB is not text');
    }
  }
  // §3.1.7: JWS compact serialisation, three base64url parts. Surrounding whitespace (a trailing
  // newline added by a download tool) is not part of the JWS.
  const parts = text.trim().split('.');
  if (parts.length !== 3)
    metadataFail('metadata_malformed', `a compact JWS has 3 parts, not ${parts.length}`);
  const [headerText, payloadText, signatureText] = parts as [string, string, string];

  // 1. The JOSE header.
  const header = json(base64url(headerText, 'JWS header', MAX_HEADER_BYTES), 'JWS header');
  if (!isRecord(header)) return metadataFail('metadata_malformed', 'the JWS header is not an object');
  if (header.crit !== undefined) metadataFail('metadata_malformed', 'the JWS header has "crit" extensions');
  const algName = header.alg;
  const alg = typeof algName === 'string' ? JWS_ALGORITHMS.get(algName) : undefined;
  if (typeof algName !== 'string' || alg === undefined)
    return metadataFail('metadata_algorithm_unsupported', `alg ${JSON.stringify(algName)}`);

  // 2. The signing chain (§3.2): x5c, else the trust anchor itself. Each candidate signer is its
  //    key and the subject of the anchor that vouches for it.
  let signers: { readonly key: KeyObject; readonly root: string }[];
  let chainSubjects: string[] = [];
  if (header.x5c !== undefined) {
    const verified = verifyBlobSigningChain(header.x5c, anchors, now);
    signers = [{ key: (verified.chain[0] as ParsedCertificate).publicKey, root: verified.root }];
    chainSubjects = verified.chain.map((c) => c.subject);
  } else if (header.x5u !== undefined) {
    return metadataFail(
      'metadata_chain_invalid',
      'x5u is not fetched during an offline import; x5c is required',
    );
  } else {
    let parsed: ParsedCertificate[];
    try {
      parsed = anchors.map((a) => parseTrustAnchor(a));
    } catch (error) {
      return wrapCertificateError(error, 'trust anchor');
    }
    signers = parsed
      .filter((a) => a.notBefore <= now && now <= a.notAfter)
      .map((a) => ({ key: a.publicKey, root: a.subject }));
    if (signers.length === 0)
      metadataFail('metadata_chain_invalid', 'no trust anchor is valid at the verification time');
  }

  // 3. The signature (RFC 7515 §5.2 step 8): over ASCII(BASE64URL(header) '.' BASE64URL(payload)).
  const signature = base64url(signatureText, 'JWS signature', MAX_SIGNATURE_BYTES);
  const signingInput = Buffer.from(`${headerText}.${payloadText}`, 'ascii');
  const signer = signers.find((s) => verifyJwsSignature(alg, s.key, signingInput, signature));
  if (signer === undefined)
    return metadataFail('metadata_signature_invalid', `${algName} signature does not verify`);

  // 4. The payload (§3.1.6).
  const payload = json(base64url(payloadText, 'JWS payload', maxBytes), 'JWS payload');
  if (!isRecord(payload)) return metadataFail('metadata_malformed', 'the payload is not an object');
  const { no, nextUpdate, legalHeader } = payload;
  if (typeof no !== 'number' || !Number.isSafeInteger(no) || no < 0)
    return metadataFail('metadata_malformed', 'payload "no" must be a non-negative integer');
  if (!isIsoDate(nextUpdate))
    return metadataFail('metadata_malformed', 'payload "nextUpdate" must be YYYY-MM-DD');
  if (legalHeader !== undefined && typeof legalHeader !== 'string')
    return metadataFail('metadata_malformed', 'payload "legalHeader" must be a string');
  if (!Array.isArray(payload.entries))
    return metadataFail('metadata_malformed', 'payload "entries" must be an array');
  if (payload.entries.length > MAX_ENTRIES)
    return metadataFail('metadata_too_large', `${payload.entries.length} entries`);

  const warnings: MetadataWarning[] = [];
  const stale = isBlobStale(nextUpdate, now);
  if (stale)
    warnings.push(
      metadataWarning(
        'metadata_stale',
        `BLOB no. ${no}: nextUpdate ${nextUpdate} is not after ${now.toISOString()}`,
      ),
    );
  const entries: MetadataEntry[] = [];
  let skipped = 0;
  const entryWarnings: MetadataWarning[] = [];
  payload.entries.forEach((raw: unknown, index) => {
    const origin = `BLOB no. ${no}, entry ${index}`;
    try {
      entries.push(parseBlobEntry(raw, origin, entryWarnings));
    } catch (error) {
      if (!(error instanceof MetadataError)) throw error;
      skipped++;
      entryWarnings.push(metadataWarning('metadata_entry_skipped', error.detail ?? origin));
    }
  });
  warnings.push(...entryWarnings.slice(0, MAX_WARNINGS));

  return {
    no,
    nextUpdate,
    legalHeader: legalHeader ?? '',
    entries,
    alg: algName,
    chain: chainSubjects,
    root: signer.root,
    verifiedAt: new Date(now.getTime()),
    stale,
    counts: countEntries(entries, skipped),
    warnings,
  };
}
