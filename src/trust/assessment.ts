/**
 * Classification and assurance (PRODUCT C3): what kind of credential this is, and how much a
 * sign-in with it is worth under NIST SP 800-63B-4, with the reasons.
 *
 * Everything here is a pure function of the credential's stored facts (the registration
 * evidence), the current metadata snapshot and configuration. Nothing is cached on the credential:
 * when a status report arrives for a model, the next assessment of every credential of that model
 * sees it, whenever the credential was enrolled.
 */
import { parseCertificate, validateChain } from '../core/attestation/x509.js';
import { isWebAuthnError } from '../core/errors.js';
import type { AttestationType } from '../core/types.js';
import type { MetadataSnapshot } from './metadata/snapshot.js';
import type { MetadataEntry } from './metadata/statement.js';
import { attestationTrustFor, metadataEntryFor } from './metadata/trust.js';
import { type AssuranceReason, type AssuranceReasonCode, because } from './reasons.js';
import { VENDOR_FORMAT_ROOTS } from './vendor-roots.js';

export type CredentialClass =
  | 'synced-passkey'
  | 'device-bound-passkey'
  | 'security-key'
  | 'device-bound-unverified';
export type AssuranceLevel = 'AAL1' | 'AAL2' | 'AAL3';
const LEVELS: readonly AssuranceLevel[] = ['AAL1', 'AAL2', 'AAL3'];

/** What is stored per credential; `RegistrationEvidence` plus the registration time satisfies it. */
export interface CredentialFacts {
  readonly fmt: string;
  readonly aaguid: string;
  readonly flags: { readonly be: boolean; readonly bs: boolean; readonly uv: boolean };
  readonly authenticatorAttachment: 'platform' | 'cross-platform' | null;
  readonly transports: readonly string[];
  readonly attestation: {
    readonly type: AttestationType;
    readonly trustPath: readonly Uint8Array[];
    readonly details: Readonly<Record<string, string | number | boolean | null>>;
  };
  /** The attestation chain is judged at the time it was presented, not today. */
  readonly registeredAt: Date;
}

/** Metadata statuses that say something is wrong with a model. */
export const ADVERSE_STATUSES = [
  'REVOKED',
  'ATTESTATION_KEY_COMPROMISE',
  'USER_VERIFICATION_BYPASS',
  'USER_KEY_REMOTE_COMPROMISE',
  'USER_KEY_PHYSICAL_COMPROMISE',
] as const;
export type AdverseStatus = (typeof ADVERSE_STATUSES)[number];

/**
 * What an adverse status does to credentials of that model. `downgrade` keeps the credential
 * usable but stops counting what the report undermines (its attestation, or its user
 * verification); `refuse` rejects it.
 */
export type StatusAction = 'downgrade' | 'refuse';

export const DEFAULT_STATUS_POLICY: Readonly<Record<AdverseStatus, StatusAction>> = {
  REVOKED: 'refuse',
  USER_KEY_REMOTE_COMPROMISE: 'refuse',
  USER_KEY_PHYSICAL_COMPROMISE: 'downgrade',
  ATTESTATION_KEY_COMPROMISE: 'downgrade',
  USER_VERIFICATION_BYPASS: 'downgrade',
};

export interface AssessmentContext {
  readonly snapshot: MetadataSnapshot;
  readonly statusPolicy?: Partial<Record<AdverseStatus, StatusAction>>;
}

export interface AttestationAssessment {
  readonly trust: 'trusted' | 'untrusted' | 'unverifiable';
  /** Subject of the root reached. */
  readonly root: string | null;
  /** Who vouched: a metadata statement, or a vendor's per-format root. */
  readonly source: 'metadata' | 'vendor' | null;
  /** Latest metadata status of the model, and its date. */
  readonly status: string | null;
  readonly statusDate: string | null;
  readonly certificationLevel: string | null;
}

export interface CredentialAssessment {
  readonly class: CredentialClass;
  /** Human name of the model, or null. */
  readonly model: string | null;
  readonly icon: string | null;
  /** The highest level a sign-in with this credential can reach; null when it is refused. */
  readonly aal: AssuranceLevel | null;
  readonly refused: boolean;
  readonly reasons: readonly AssuranceReason[];
  readonly attestation: AttestationAssessment;
  /** Evidence behind the class. */
  readonly evidence: {
    readonly backupEligible: boolean;
    readonly backupState: boolean;
    readonly attachment: 'platform' | 'roaming' | null;
    readonly keyProtection: readonly string[];
    readonly hardwareProtected: boolean;
    readonly userVerificationCapable: boolean;
    readonly transports: readonly string[];
    readonly fmt: string;
    readonly attestationType: AttestationType;
  };
}

export interface SignInAssessment {
  readonly aal: AssuranceLevel | null;
  readonly refused: boolean;
  readonly reasons: readonly AssuranceReason[];
}

const STATUS_REASON: Readonly<Record<AdverseStatus, AssuranceReasonCode>> = {
  REVOKED: 'status_revoked',
  ATTESTATION_KEY_COMPROMISE: 'status_attestation_key_compromise',
  USER_VERIFICATION_BYPASS: 'status_user_verification_bypass',
  USER_KEY_REMOTE_COMPROMISE: 'status_user_key_remote_compromise',
  USER_KEY_PHYSICAL_COMPROMISE: 'status_user_key_physical_compromise',
};

/** Key protection that counts as hardware (FIDO Registry §3.2 KEY_PROTECTION_*). */
const HARDWARE_PROTECTION = new Set(['hardware', 'secure_element', 'tee']);
/** User verification methods that are only presence (FIDO Registry §3.1 USER_VERIFY_*). */
const NOT_VERIFICATION = new Set(['presence_internal', 'none', 'all']);
const ROAMING_HINTS = new Set(['external', 'wired', 'wireless', 'nfc', 'bluetooth', 'network']);
/** Formats whose devices are built in by construction. */
const PLATFORM_FORMATS = new Set(['tpm', 'android-key', 'android-safetynet', 'apple']);

function isAdverse(status: string | null | undefined): status is AdverseStatus {
  return (ADVERSE_STATUSES as readonly string[]).includes(status ?? '');
}

/** Attestation trust: metadata roots first, then the vendor's per-format roots. */
function resolveTrust(
  facts: CredentialFacts,
  ctx: AssessmentContext,
): {
  trust: AttestationAssessment['trust'];
  root: string | null;
  source: 'metadata' | 'vendor' | null;
  reason: AssuranceReasonCode | null;
} {
  const fromMetadata = attestationTrustFor(facts, ctx.snapshot, facts.registeredAt);
  if (fromMetadata.status === 'trusted') {
    return { trust: 'trusted', root: fromMetadata.root, source: 'metadata', reason: null };
  }
  const vendorRoots = VENDOR_FORMAT_ROOTS[facts.fmt];
  if (vendorRoots && facts.attestation.trustPath.length > 0) {
    try {
      const chain = facts.attestation.trustPath.map((der) => parseCertificate(der));
      const result = validateChain(chain, vendorRoots, facts.registeredAt);
      if (result.trusted) return { trust: 'trusted', root: result.root, source: 'vendor', reason: null };
    } catch (error) {
      if (!isWebAuthnError(error)) throw error;
    }
  }
  if (facts.attestation.type === 'none')
    return { trust: 'unverifiable', root: null, source: null, reason: 'attestation_none' };
  if (facts.attestation.type === 'self')
    return { trust: 'unverifiable', root: null, source: null, reason: 'attestation_self' };
  return fromMetadata.status === 'untrusted'
    ? { trust: 'untrusted', root: null, source: null, reason: 'attestation_chain_untrusted' }
    : { trust: 'unverifiable', root: null, source: null, reason: 'attestation_unverifiable' };
}

/** Where the key lives, when something trusted says so. */
function keyProtectionOf(
  facts: CredentialFacts,
  entry: MetadataEntry | null,
  source: 'metadata' | 'vendor' | null,
): string[] {
  if (source === 'metadata') return [...(entry?.statement?.keyProtection ?? [])];
  if (source === 'vendor') {
    // WebAuthn L3 §8.8: Apple's anonymous attestation is issued for keys in the Secure Enclave.
    if (facts.fmt === 'apple') return ['hardware', 'secure_element'];
    // §8.4: the key description names where Keystore keeps the key.
    const level = facts.attestation.details.attestationSecurityLevel;
    if (level === 'strongbox') return ['hardware', 'secure_element'];
    if (level === 'tee') return ['hardware', 'tee'];
    if (level === 'software') return ['software'];
  }
  return [];
}

function attachmentOf(
  facts: CredentialFacts,
  entry: MetadataEntry | null,
  trusted: boolean,
): 'platform' | 'roaming' | null {
  const hints = trusted ? (entry?.statement?.attachmentHint ?? []) : [];
  if (hints.includes('internal')) return 'platform';
  if (hints.some((h) => ROAMING_HINTS.has(h))) return 'roaming';
  if (trusted && PLATFORM_FORMATS.has(facts.fmt)) return 'platform';
  // CTAP1/U2F devices are always separate devices.
  if (facts.fmt === 'fido-u2f') return 'roaming';
  // Unsigned hints from the client: used only when nothing better is known.
  if (facts.authenticatorAttachment === 'platform' || facts.transports.includes('internal'))
    return 'platform';
  if (
    facts.authenticatorAttachment === 'cross-platform' ||
    facts.transports.some((t) => t === 'usb' || t === 'nfc' || t === 'ble' || t === 'smart-card')
  )
    return 'roaming';
  return null;
}

/** Can this authenticator verify the user at sign-in? */
function userVerificationCapable(facts: CredentialFacts, entry: MetadataEntry | null): boolean {
  if (facts.flags.uv) return true;
  if (facts.fmt === 'fido-u2f') return false;
  const statement = entry?.statement;
  if (!statement) return true;
  const getInfo = statement.authenticatorGetInfo?.options;
  if (getInfo && (getInfo.uv === true || getInfo.clientPin !== undefined)) return true;
  return statement.userVerificationDetails.some((combination) =>
    combination.every((method) => !NOT_VERIFICATION.has(method.userVerificationMethod)),
  );
}

function lower(a: AssuranceLevel, b: AssuranceLevel): AssuranceLevel {
  return LEVELS.indexOf(a) <= LEVELS.indexOf(b) ? a : b;
}

/** Classify a credential and find the highest assurance level a sign-in with it can reach. */
export function assessCredential(facts: CredentialFacts, ctx: AssessmentContext): CredentialAssessment {
  const entry = metadataEntryFor(facts, ctx.snapshot) ?? null;
  const description = ctx.snapshot.describe(facts.aaguid);
  const statusReport = entry?.latestStatus ?? null;
  const policy = { ...DEFAULT_STATUS_POLICY, ...ctx.statusPolicy };
  const adverse = isAdverse(statusReport?.status) ? (statusReport?.status as AdverseStatus) : null;
  const action = adverse ? policy[adverse] : null;

  const resolved = resolveTrust(facts, ctx);
  // A compromised attestation key means a trusted chain proves nothing any more.
  const attestationUndermined = adverse === 'ATTESTATION_KEY_COMPROMISE' || adverse === 'REVOKED';
  const trusted = resolved.trust === 'trusted' && !attestationUndermined;
  const keyProtection = trusted ? keyProtectionOf(facts, entry, resolved.source) : [];
  const hardwareProtected =
    keyProtection.some((p) => HARDWARE_PROTECTION.has(p)) && adverse !== 'USER_KEY_PHYSICAL_COMPROMISE';
  const attachment = attachmentOf(facts, entry, trusted);
  const uvCapable = userVerificationCapable(facts, entry) && adverse !== 'USER_VERIFICATION_BYPASS';

  const reasons: AssuranceReason[] = [because('phishing_resistant')];
  let credentialClass: CredentialClass;
  let ceiling: AssuranceLevel = 'AAL3';

  // PRODUCT C3: BE = 1 means the private key may be copied off the device (WebAuthn L3 §6.1.3).
  if (facts.flags.be) {
    credentialClass = 'synced-passkey';
    reasons.push(because('exportable_key'));
    ceiling = 'AAL2';
  } else {
    reasons.push(because('device_bound'));
    if (!trusted) {
      credentialClass = 'device-bound-unverified';
      reasons.push(
        because(
          resolved.trust === 'trusted'
            ? 'attestation_chain_untrusted'
            : (resolved.reason ?? 'attestation_unverifiable'),
        ),
      );
      ceiling = 'AAL2';
    } else {
      reasons.push(because('attestation_trusted'));
      if (attachment === 'platform') credentialClass = 'device-bound-passkey';
      else if (
        attachment === 'roaming' &&
        keyProtection.some((p) => p === 'hardware' || p === 'secure_element')
      )
        credentialClass = 'security-key';
      else {
        credentialClass = 'device-bound-unverified';
        if (attachment === null) reasons.push(because('attachment_unknown'));
      }
      if (hardwareProtected) reasons.push(because('hardware_key_protection'));
      else {
        reasons.push(because('software_key_protection'));
        ceiling = 'AAL2';
      }
      if (credentialClass === 'device-bound-unverified') ceiling = 'AAL2';
    }
  }
  // SP 800-63B-4 §2.2.2/§2.3.2: without user verification a cryptographic authenticator is a single factor.
  if (uvCapable) reasons.push(because(facts.flags.uv ? 'user_verified' : 'user_verification_capable'));
  else {
    reasons.push(because('user_verification_unsupported'));
    ceiling = 'AAL1';
  }
  if (adverse) {
    reasons.push(because(STATUS_REASON[adverse]));
    if (adverse === 'USER_KEY_PHYSICAL_COMPROMISE' || adverse === 'USER_KEY_REMOTE_COMPROMISE')
      ceiling = lower(ceiling, 'AAL2');
  }
  const refused = action === 'refuse';
  if (refused) reasons.push(because('refused_by_status'));

  return {
    class: credentialClass,
    // U2F keys have no AAGUID: their model comes from the entry found by key identifier.
    model: description.name ?? entry?.statement?.description ?? null,
    icon: description.icon ?? entry?.statement?.icon ?? null,
    aal: refused ? null : ceiling,
    refused,
    reasons,
    attestation: {
      trust: attestationUndermined && resolved.trust === 'trusted' ? 'untrusted' : resolved.trust,
      root: trusted ? resolved.root : null,
      source: trusted ? resolved.source : null,
      status: statusReport?.status ?? null,
      statusDate: statusReport?.effectiveDate ?? null,
      certificationLevel: entry?.certificationLevel ?? null,
    },
    evidence: {
      backupEligible: facts.flags.be,
      backupState: facts.flags.bs,
      attachment,
      keyProtection,
      hardwareProtected,
      userVerificationCapable: uvCapable,
      transports: facts.transports,
      fmt: facts.fmt,
      attestationType: facts.attestation.type,
    },
  };
}

/**
 * The level of one sign-in: the credential's ceiling, lowered to AAL1 when this assertion did
 * not verify the user (SP 800-63B-4 §2.2.2: AAL2 needs two factors; the possession of the key
 * alone is one).
 */
export function assessSignIn(
  credential: CredentialAssessment,
  assertion: { readonly uv: boolean },
): SignInAssessment {
  if (credential.refused || credential.aal === null) {
    return { aal: null, refused: true, reasons: credential.reasons };
  }
  // The credential's capability is replaced by what this assertion actually did.
  const reasons = credential.reasons.filter(
    (r) => r.code !== 'user_verified' && r.code !== 'user_verification_capable',
  );
  if (!assertion.uv)
    return { aal: 'AAL1', refused: false, reasons: [...reasons, because('no_user_verification')] };
  return { aal: credential.aal, refused: false, reasons: [...reasons, because('user_verified')] };
}

/**
 * An assertion whose registration Tessera never saw (e.g. `tessera inspect` of a lone assertion):
 * only its flags are known, so attestation cannot lift it above AAL2.
 */
export function assessUnregisteredSignIn(flags: { readonly be: boolean; readonly uv: boolean }): {
  readonly class: CredentialClass;
  readonly aal: AssuranceLevel;
  readonly reasons: readonly AssuranceReason[];
} {
  const reasons: AssuranceReason[] = [because('phishing_resistant')];
  if (flags.be) reasons.push(because('exportable_key'));
  else reasons.push(because('device_bound'), because('attestation_unverifiable'));
  if (flags.uv) reasons.push(because('user_verified'));
  else reasons.push(because('no_user_verification'));
  return {
    class: flags.be ? 'synced-passkey' : 'device-bound-unverified',
    aal: flags.uv ? 'AAL2' : 'AAL1',
    reasons,
  };
}
