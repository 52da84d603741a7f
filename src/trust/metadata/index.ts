/**
 * Authenticator metadata (PRODUCT.md C2): FIDO MDS3 BLOB verification, metadata statements,
 * passkey provider names, a merged snapshot with lookups, and attestation trust from metadata.
 * Pure: bytes, parsed JSON and a clock in; no file system, no network, no clock reads.
 */

export {
  type BlobCounts,
  isBlobStale,
  MAX_BLOB_BYTES,
  type MetadataBlob,
  nextUpdateTime,
  SUPPORTED_BLOB_ALGORITHMS,
  type VerifiedMetadataBlob,
  type VerifyBlobOptions,
  verifyBlobSigningChain,
  verifyMetadataBlob,
} from './blob.js';
export {
  isMetadataError,
  METADATA_ERRORS,
  METADATA_WARNINGS,
  MetadataError,
  type MetadataErrorCode,
  type MetadataWarning,
  type MetadataWarningCode,
  metadataWarning,
} from './errors.js';
export { FIDO_MDS_ROOT_PEM } from './fido-mds-root.js';
export {
  defaultPasskeyProviders,
  type PasskeyProvider,
  type PasskeyProviderList,
  parsePasskeyProviders,
} from './providers.js';
export {
  type AuthenticatorDescription,
  buildSnapshot,
  MetadataSnapshot,
  type SnapshotCounts,
  type SnapshotInput,
  ZERO_AAGUID,
} from './snapshot.js';
export {
  ATTACHMENT_HINTS,
  type AttachmentHint,
  AUTHENTICATOR_STATUSES,
  type AuthenticatorGetInfoSummary,
  type AuthenticatorStatus,
  CERTIFICATION_LEVELS,
  type CertificationLevel,
  highestCertification,
  isAuthenticatorStatus,
  KEY_PROTECTION_TYPES,
  type KeyProtection,
  latestStatusReport,
  METADATA_ATTESTATION_TYPES,
  type MetadataAttestationType,
  type MetadataEntry,
  type MetadataStatement,
  normalizeAaguid,
  normalizeKeyIdentifier,
  type ProtocolFamily,
  parseBlobEntry,
  parseMetadataStatement,
  type StatusReport,
  type VerificationMethodDescriptor,
} from './statement.js';
export {
  type AttestationTrust,
  type AttestationTrustInput,
  attestationCertificateKeyIdentifier,
  attestationTrustFor,
  metadataEntryFor,
  TRUST_REASONS,
  type TrustReason,
  type TrustReasonCode,
} from './trust.js';
