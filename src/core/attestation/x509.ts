/**
 * X.509 for attestation: parse certificates (Node's parser first, a lenient DER path for real
 * certificates it refuses), read extensions, and validate a chain to anchors at a given time.
 * CONTRACT STUB — being implemented.
 */
import type { Buffer } from 'node:buffer';
import type { KeyObject, X509Certificate } from 'node:crypto';
import type { TrustAnchorInput } from '../types.js';

export interface CertificateExtension {
  readonly critical: boolean;
  /** The extnValue OCTET STRING's contents (the DER of the extension value). */
  readonly value: Buffer;
}

export interface ParsedCertificate {
  readonly der: Buffer;
  /** Node's view, or null when Node refused the DER and the lenient path parsed it. */
  readonly x509: X509Certificate | null;
  readonly lenient: boolean;
  /** 1, 2 or 3. */
  readonly version: number;
  /** RFC 4514-style text, e.g. "C=SE, O=Yubico AB, OU=Authenticator Attestation, CN=…". */
  readonly subject: string;
  readonly issuer: string;
  /** Subject attributes by short name (C, O, OU, CN, …); several values keep their order. */
  readonly subjectAttributes: ReadonlyMap<string, readonly string[]>;
  /** True when the subject Name has no RDNs at all (TPM AIK certificates, §8.3.1). */
  readonly subjectEmpty: boolean;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: KeyObject;
  /** basicConstraints cA, or undefined when the extension is absent. */
  readonly isCA: boolean | undefined;
  /** Extensions by dotted OID. */
  readonly extensions: ReadonlyMap<string, CertificateExtension>;
  /** Extended key usage OIDs, empty when absent. */
  readonly extendedKeyUsage: readonly string[];
  /** The signed TBSCertificate bytes, its signature algorithm OID and the signature value. */
  readonly tbs: Buffer;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
}

export declare function parseCertificate(der: Uint8Array): ParsedCertificate;
export declare function parseTrustAnchor(input: TrustAnchorInput): ParsedCertificate;
/**
 * Validate `chain` (leaf first): each certificate signed by the next, each valid at `now`,
 * intermediates are CAs, no unknown critical extensions. When `anchors` is non-empty the chain must
 * end at, or be issued by, one of them (else `attestation_untrusted`).
 */
export declare function validateChain(
  chain: readonly ParsedCertificate[],
  anchors: readonly TrustAnchorInput[],
  now: Date,
): { trusted: boolean; root: string | null };
