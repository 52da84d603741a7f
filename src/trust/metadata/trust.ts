/**
 * Attestation trust from metadata: does a registration's attestation trust path reach one of the
 * `attestationRootCertificates` that the metadata gives for its authenticator ("FIDO Metadata
 * Statement v3.0 §4 attestationRootCertificates"; WebAuthn L3 §7.1 steps 23-24, where the trust
 * anchors come from "a trusted source or policy", here the FIDO MDS)?
 *
 * The metadata entry is found by AAGUID, or, for `fido-u2f` (whose authenticators have no AAGUID)
 * and for an all-zero AAGUID, by the attestation certificate key identifier of the leaf ("FIDO
 * Metadata Statement v3.0 §4 attestationCertificateKeyIdentifiers": lower-case hex SHA-1 of the
 * subjectPublicKey BIT STRING contents of the attestation certificate's SubjectPublicKeyInfo).
 *
 * Status reports (REVOKED, ATTESTATION_KEY_COMPROMISE, …) are not applied here: the result names the
 * entry, and the classification layer reads its `latestStatus` (a revoked model is revoked whether
 * or not its attestation chain is sound).
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { children, DER, expectUniversal, parseDer } from '../../core/asn1.js';
import {
  type ParsedCertificate,
  parseCertificate,
  parseTrustAnchor,
  validateChain,
} from '../../core/attestation/x509.js';
import { isWebAuthnError } from '../../core/errors.js';
import type { AttestationResult } from '../../core/types.js';
import type { MetadataSnapshot } from './snapshot.js';
import { ZERO_AAGUID } from './snapshot.js';
import type { MetadataEntry } from './statement.js';

/** What `attestationTrustFor` needs from `RegistrationEvidence`. */
export interface AttestationTrustInput {
  readonly fmt: string;
  /** Canonical UUID text. */
  readonly aaguid: string;
  readonly attestation: Pick<AttestationResult, 'type' | 'trustPath'>;
}

export const TRUST_REASONS = {
  no_attestation: 'The authenticator gave no attestation certificate (attestation type none or self).',
  no_metadata: 'No metadata describes this authenticator.',
  no_attestation_roots: 'The metadata for this authenticator lists no usable attestation root certificate.',
  chain_invalid: 'The attestation certificate chain is invalid at the verification time.',
  root_not_reached: 'The attestation certificate chain does not reach a root the metadata lists.',
} as const satisfies Record<string, string>;

export type TrustReasonCode = keyof typeof TRUST_REASONS;

export interface TrustReason {
  readonly code: TrustReasonCode;
  readonly message: string;
  /** Operator detail: the certificate or value at fault. */
  readonly detail: string;
}

export type AttestationTrust =
  | {
      readonly status: 'trusted';
      /** Subject of the metadata root the chain reached. */
      readonly root: string;
      readonly entry: MetadataEntry;
    }
  | { readonly status: 'untrusted'; readonly reason: TrustReason; readonly entry: MetadataEntry }
  | { readonly status: 'unverifiable'; readonly reason: TrustReason; readonly entry: MetadataEntry | null };

function reason(code: TrustReasonCode, detail: string): TrustReason {
  return { code, message: TRUST_REASONS[code], detail };
}

/**
 * The attestation certificate key identifier of a DER certificate: lower-case hex SHA-1 of the
 * subjectPublicKey BIT STRING contents (without the unused-bits octet). Throws a core
 * `certificate_invalid` error when the certificate cannot be parsed.
 */
export function attestationCertificateKeyIdentifier(certificate: Uint8Array | ParsedCertificate): string {
  const spki = certificate instanceof Uint8Array ? parseCertificate(certificate).spki : certificate.spki;
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING } (RFC 5280 §4.1)
  const [, bitString] = children(expectUniversal(parseDer(spki), DER.SEQUENCE, 'SubjectPublicKeyInfo'));
  const key = expectUniversal(bitString, DER.BIT_STRING, 'subjectPublicKey');
  return createHash('sha1')
    .update(Buffer.from(key.content.subarray(1)))
    .digest('hex');
}

/** The metadata entry for a registration: by AAGUID, or by key identifier for fido-u2f / zero AAGUID. */
export function metadataEntryFor(
  input: Pick<AttestationTrustInput, 'fmt' | 'aaguid'> & {
    readonly attestation: { readonly trustPath: readonly Uint8Array[] };
  },
  snapshot: MetadataSnapshot,
): MetadataEntry | undefined {
  const byKeyIdentifier = input.fmt === 'fido-u2f' || input.aaguid === ZERO_AAGUID;
  if (!byKeyIdentifier) return snapshot.byAaguid(input.aaguid);
  const leaf = input.attestation.trustPath[0];
  if (leaf === undefined) return undefined;
  try {
    return snapshot.byKeyIdentifier(attestationCertificateKeyIdentifier(leaf));
  } catch {
    return undefined;
  }
}

/**
 * Validate the registration's attestation trust path (DER, leaf first) against the attestation
 * root certificates of its metadata entry, at `now` (the registration's verification time).
 */
export function attestationTrustFor(
  input: AttestationTrustInput,
  snapshot: MetadataSnapshot,
  now: Date,
): AttestationTrust {
  const { type, trustPath } = input.attestation;
  const entry = metadataEntryFor(input, snapshot) ?? null;
  // WebAuthn L3 §6.5.3: none and self attestation carry no attestation certificate to check.
  if (type === 'none' || type === 'self' || trustPath.length === 0)
    return { status: 'unverifiable', reason: reason('no_attestation', `attestation type ${type}`), entry };
  if (entry === null)
    return {
      status: 'unverifiable',
      reason: reason(
        'no_metadata',
        input.fmt === 'fido-u2f' ? 'no entry for the key identifier' : `no entry for ${input.aaguid}`,
      ),
      entry,
    };
  // Roots that do not parse are left out (and named); the others are the anchors.
  const roots: Uint8Array[] = [];
  const unusable: string[] = [];
  (entry.statement?.attestationRootCertificates ?? []).forEach((der, i) => {
    try {
      parseTrustAnchor(der);
      roots.push(der);
    } catch {
      unusable.push(`attestationRootCertificates[${i}]`);
    }
  });
  if (roots.length === 0)
    return {
      status: 'unverifiable',
      reason: reason(
        'no_attestation_roots',
        `${entry.origin}${unusable.length ? `: ${unusable.join(', ')} unparseable` : ''}`,
      ),
      entry,
    };
  try {
    const chain = trustPath.map((der) => parseCertificate(der));
    const { root } = validateChain(chain, roots, now);
    if (root !== null) return { status: 'trusted', root, entry };
    return { status: 'untrusted', reason: reason('root_not_reached', entry.origin), entry };
  } catch (error) {
    if (!isWebAuthnError(error)) throw error;
    const code = error.code === 'attestation_untrusted' ? 'root_not_reached' : 'chain_invalid';
    return { status: 'untrusted', reason: reason(code, error.detail ?? error.message), entry };
  }
}
