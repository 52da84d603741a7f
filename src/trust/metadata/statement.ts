/**
 * One authenticator's metadata, validated into a typed `MetadataEntry`: a Metadata BLOB payload
 * entry ("FIDO Metadata Service v3.0 §3.1.1 Metadata BLOB Payload Entry", with its status reports,
 * §3.1.3 StatusReport and §3.1.4 AuthenticatorStatus), or a bare metadata statement from a file
 * ("FIDO Metadata Statement v3.0 §4 Metadata Keys").
 *
 * Strict on what Tessera uses (identifiers, description, icon, attestation root certificates, key
 * protection, attachment hints, attestation types, user verification details, status reports);
 * tolerant of everything else: unknown members are ignored, unknown values of an enumerated field
 * are dropped with a `statement_value_ignored` warning (a new registry value must not make a whole
 * authenticator disappear). Every array and string is bounded.
 */
import { Buffer } from 'node:buffer';
import { type MetadataWarning, metadataFail, metadataWarning } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Vocabularies ("FIDO Registry of Predefined Values" and FIDO Metadata Service v3.0 §3.1.4)
// ---------------------------------------------------------------------------------------------

/** Key protection types (FIDO Registry §3.2), `keyProtection` in Metadata Statement v3.0 §4. */
export const KEY_PROTECTION_TYPES = [
  'software',
  'hardware',
  'tee',
  'secure_element',
  'remote_handle',
] as const;
export type KeyProtection = (typeof KEY_PROTECTION_TYPES)[number];

/** Authenticator attachment hints (FIDO Registry §3.4), `attachmentHint` in Metadata Statement v3.0 §4. */
export const ATTACHMENT_HINTS = [
  'internal',
  'external',
  'wired',
  'wireless',
  'nfc',
  'bluetooth',
  'network',
  'ready',
  'wifi_direct',
] as const;
export type AttachmentHint = (typeof ATTACHMENT_HINTS)[number];

/** Authenticator attestation types (FIDO Registry §3.6.3), `attestationTypes` in Metadata Statement v3.0 §4. */
export const METADATA_ATTESTATION_TYPES = [
  'basic_full',
  'basic_surrogate',
  'ecdaa',
  'attca',
  'anonca',
  'none',
] as const;
export type MetadataAttestationType = (typeof METADATA_ATTESTATION_TYPES)[number];

/** AuthenticatorStatus (FIDO Metadata Service v3.0 §3.1.4). */
export const AUTHENTICATOR_STATUSES = [
  'NOT_FIDO_CERTIFIED',
  'FIDO_CERTIFIED',
  'USER_VERIFICATION_BYPASS',
  'ATTESTATION_KEY_COMPROMISE',
  'USER_KEY_REMOTE_COMPROMISE',
  'USER_KEY_PHYSICAL_COMPROMISE',
  'UPDATE_AVAILABLE',
  'REVOKED',
  'SELF_ASSERTION_SUBMITTED',
  'FIDO_CERTIFIED_L1',
  'FIDO_CERTIFIED_L1plus',
  'FIDO_CERTIFIED_L2',
  'FIDO_CERTIFIED_L2plus',
  'FIDO_CERTIFIED_L3',
  'FIDO_CERTIFIED_L3plus',
] as const;
export type AuthenticatorStatus = (typeof AUTHENTICATOR_STATUSES)[number];

/** Certification statuses from lowest to highest; `FIDO_CERTIFIED` is the level-less legacy one. */
export const CERTIFICATION_LEVELS = [
  'FIDO_CERTIFIED',
  'FIDO_CERTIFIED_L1',
  'FIDO_CERTIFIED_L1plus',
  'FIDO_CERTIFIED_L2',
  'FIDO_CERTIFIED_L2plus',
  'FIDO_CERTIFIED_L3',
  'FIDO_CERTIFIED_L3plus',
] as const satisfies readonly AuthenticatorStatus[];
export type CertificationLevel = (typeof CERTIFICATION_LEVELS)[number];

export type ProtocolFamily = 'fido2' | 'u2f' | 'uaf';

const KNOWN_STATUSES: ReadonlySet<string> = new Set(AUTHENTICATOR_STATUSES);

export function isAuthenticatorStatus(value: string): value is AuthenticatorStatus {
  return KNOWN_STATUSES.has(value);
}

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** StatusReport (FIDO Metadata Service v3.0 §3.1.3). */
export interface StatusReport {
  /** An AuthenticatorStatus; a value this version does not know is kept as written (`known` false). */
  readonly status: string;
  readonly known: boolean;
  /** YYYY-MM-DD, or null when absent. */
  readonly effectiveDate: string | null;
  readonly authenticatorVersion: number | null;
  /** Base64 DER of the compromised attestation certificate (ATTESTATION_KEY_COMPROMISE), if given. */
  readonly certificate: string | null;
  readonly url: string | null;
  readonly certificationDescriptor: string | null;
  readonly certificateNumber: string | null;
  readonly certificationPolicyVersion: string | null;
  readonly certificationRequirementsVersion: string | null;
}

/** A user verification method and its accuracy descriptors (Metadata Statement v3.0 §3.1-§3.5). */
export interface VerificationMethodDescriptor {
  readonly userVerificationMethod: string;
  /** CodeAccuracyDescriptor / BiometricAccuracyDescriptor / PatternAccuracyDescriptor, numbers only. */
  readonly caDesc: Readonly<Record<string, number>> | null;
  readonly baDesc: Readonly<Record<string, number>> | null;
  readonly paDesc: Readonly<Record<string, number>> | null;
}

/** The parts of `authenticatorGetInfo` (CTAP2 authenticatorGetInfo as copied into the statement) kept. */
export interface AuthenticatorGetInfoSummary {
  readonly versions: readonly string[];
  readonly extensions: readonly string[];
  readonly transports: readonly string[];
  readonly options: Readonly<Record<string, boolean>>;
  readonly firmwareVersion: number | null;
}

/** A metadata statement (FIDO Metadata Statement v3.0 §4 Metadata Keys), the members Tessera reads. */
export interface MetadataStatement {
  readonly description: string;
  readonly alternativeDescriptions: Readonly<Record<string, string>>;
  readonly authenticatorVersion: number | null;
  readonly protocolFamily: ProtocolFamily;
  readonly schema: number;
  /** Supported protocol versions; empty when the statement omits them. */
  readonly upv: readonly { readonly major: number; readonly minor: number }[];
  /** A `data:image/…` URI, or null. */
  readonly icon: string | null;
  readonly attestationTypes: readonly MetadataAttestationType[];
  /** DER certificates (decoded from standard base64); an attestation chain must reach one. */
  readonly attestationRootCertificates: readonly Uint8Array[];
  readonly keyProtection: readonly KeyProtection[];
  readonly matcherProtection: readonly string[];
  readonly attachmentHint: readonly AttachmentHint[];
  /** Alternatives (OR) of combinations (AND) of methods; empty when absent. */
  readonly userVerificationDetails: readonly (readonly VerificationMethodDescriptor[])[];
  readonly authenticationAlgorithms: readonly string[];
  readonly publicKeyAlgAndEncodings: readonly string[];
  readonly cryptoStrength: number | null;
  readonly isKeyRestricted: boolean | null;
  readonly isFreshUserVerificationRequired: boolean | null;
  readonly authenticatorGetInfo: AuthenticatorGetInfoSummary | null;
}

export interface MetadataEntry {
  /** 'mds': an entry of a verified BLOB; 'statement': a statement file from the metadata folder. */
  readonly source: 'mds' | 'statement';
  /** Where it came from: "BLOB no. 9, entry 12" or the statement's file name. */
  readonly origin: string;
  /** Canonical lower-case UUID (FIDO2), or null. */
  readonly aaguid: string | null;
  /** "VVVV#MMMM" (UAF), or null. */
  readonly aaid: string | null;
  /** Lower-case hex SHA-1 of attestation certificate public keys (U2F and some UAF). */
  readonly attestationCertificateKeyIdentifiers: readonly string[];
  /** Null only for a BLOB entry that carries status reports without a statement. */
  readonly statement: MetadataStatement | null;
  /** As listed (not sorted); empty for statement files. */
  readonly statusReports: readonly StatusReport[];
  /** The report with the latest effectiveDate (ties: the first listed), or null. */
  readonly latestStatus: StatusReport | null;
  /** The highest certification status any report shows, or null. */
  readonly certificationLevel: CertificationLevel | null;
  /** YYYY-MM-DD, or null for statement files. */
  readonly timeOfLastStatusChange: string | null;
}

// ---------------------------------------------------------------------------------------------
// Bounds (real BLOBs: entries up to 108 KB, 39 roots, 3 status reports, icons up to 90 KB)
// ---------------------------------------------------------------------------------------------

const MAX_TEXT = 1024;
const MAX_ICON_LENGTH = 1024 * 1024;
const MAX_ROOTS = 64;
const MAX_ROOT_BASE64_LENGTH = 64 * 1024;
const MAX_KEY_IDENTIFIERS = 4096;
const MAX_STATUS_REPORTS = 256;
const MAX_LIST = 64;

// ---------------------------------------------------------------------------------------------
// Small validators
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_COMPACT = /^[0-9a-f]{32}$/;

/** Canonical lower-case UUID text, from the hyphenated or the 32-hex-digit form; null otherwise. */
export function normalizeAaguid(value: string): string | null {
  const lower = value.trim().toLowerCase();
  if (UUID.test(lower)) return lower;
  if (UUID_COMPACT.test(lower))
    return `${lower.slice(0, 8)}-${lower.slice(8, 12)}-${lower.slice(12, 16)}-${lower.slice(16, 20)}-${lower.slice(20)}`;
  return null;
}

/** Lower-case 40-hex-digit key identifier, or null. */
export function normalizeKeyIdentifier(value: string): string | null {
  const lower = value.trim().toLowerCase();
  return /^[0-9a-f]{40}$/.test(lower) ? lower : null;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A YYYY-MM-DD calendar date (ISO 8601 full-date, as MDS writes dates). */
export function isIsoDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/**
 * Decode standard base64 (RFC 4648 §4) as metadata uses it for certificates; whitespace is removed
 * first (real statements wrap or indent it). Returns null unless the text is canonical base64.
 */
export function decodeBase64(value: string, maxBytes: number): Buffer | null {
  const text = value.replace(/\s+/g, '');
  if (text.length === 0 || text.length % 4 !== 0 || text.length > Math.ceil(maxBytes / 3) * 4) return null;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

class Reader {
  constructor(
    private readonly where: string,
    private readonly warnings: MetadataWarning[],
  ) {}

  fail(detail: string): never {
    return metadataFail('statement_invalid', `${this.where}: ${detail}`);
  }

  warn(detail: string): void {
    this.warnings.push(metadataWarning('statement_value_ignored', `${this.where}: ${detail}`));
  }

  text(obj: Json, key: string, required: true, max?: number): string;
  text(obj: Json, key: string, required: false, max?: number): string | null;
  text(obj: Json, key: string, required: boolean, max = MAX_TEXT): string | null {
    const value = obj[key];
    if (value === undefined) return required ? this.fail(`${key} is missing`) : null;
    if (typeof value !== 'string' || value.length > max)
      return this.fail(`${key} must be a string of at most ${max} characters`);
    return value;
  }

  integer(obj: Json, key: string, required: true): number;
  integer(obj: Json, key: string, required: false): number | null;
  integer(obj: Json, key: string, required: boolean): number | null {
    const value = obj[key];
    if (value === undefined) return required ? this.fail(`${key} is missing`) : null;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      return this.fail(`${key} must be a non-negative integer`);
    return value;
  }

  boolean(obj: Json, key: string): boolean | null {
    const value = obj[key];
    if (value === undefined) return null;
    if (typeof value !== 'boolean') return this.fail(`${key} must be a boolean`);
    return value;
  }

  array(obj: Json, key: string, required: boolean, max: number): readonly unknown[] {
    const value = obj[key];
    if (value === undefined) return required ? this.fail(`${key} is missing`) : [];
    if (!Array.isArray(value)) return this.fail(`${key} must be an array`);
    if (value.length > max) return this.fail(`${key} has ${value.length} items (at most ${max})`);
    return value;
  }

  strings(obj: Json, key: string, required: boolean, max = MAX_LIST, maxLength = MAX_TEXT): string[] {
    return this.array(obj, key, required, max).map((item, i) => {
      if (typeof item !== 'string' || item.length === 0 || item.length > maxLength)
        return this.fail(`${key}[${i}] must be a non-empty string`);
      return item;
    });
  }

  /** An array of registry values: known ones kept in order without repeats, unknown ones dropped with a warning. */
  enumerated<T extends string>(obj: Json, key: string, required: boolean, known: readonly T[]): T[] {
    const allowed: ReadonlySet<string> = new Set(known);
    const out: T[] = [];
    for (const value of this.strings(obj, key, required)) {
      if (!allowed.has(value)) this.warn(`${key} value ${JSON.stringify(value)} is not known`);
      else if (!out.includes(value as T)) out.push(value as T);
    }
    return out;
  }

  numbers(value: unknown, what: string): Readonly<Record<string, number>> | null {
    if (value === undefined) return null;
    if (!isRecord(value)) return this.fail(`${what} must be an object`);
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return this.fail(`${what}.${k} must be a number`);
      out[k] = v;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Statement (FIDO Metadata Statement v3.0 §4)
// ---------------------------------------------------------------------------------------------

interface Identifiers {
  readonly aaguid: string | null;
  readonly aaid: string | null;
  readonly keyIdentifiers: readonly string[];
}

function readIdentifiers(r: Reader, obj: Json, prefix: string): Identifiers {
  const rawAaguid = r.text(obj, 'aaguid', false, 64);
  const aaguid = rawAaguid === null ? null : normalizeAaguid(rawAaguid);
  if (rawAaguid !== null && aaguid === null)
    r.fail(`${prefix}aaguid ${JSON.stringify(rawAaguid)} is not a UUID`);
  const aaid = r.text(obj, 'aaid', false, 64);
  // Metadata Statement v3.0 §4 aaid: "V#M", 4 hex digits each (vendor ID # authenticator model).
  if (aaid !== null && !/^[0-9A-Fa-f]{4}#[0-9A-Fa-f]{4}$/.test(aaid))
    r.fail(`${prefix}aaid ${JSON.stringify(aaid)} is not "VVVV#MMMM"`);
  const keyIdentifiers = r
    .strings(obj, 'attestationCertificateKeyIdentifiers', false, MAX_KEY_IDENTIFIERS)
    .map((value, i) => {
      const id = normalizeKeyIdentifier(value);
      return id ?? r.fail(`${prefix}attestationCertificateKeyIdentifiers[${i}] is not 40 hex digits`);
    });
  return { aaguid, aaid: aaid?.toUpperCase() ?? null, keyIdentifiers };
}

function readVerificationDetails(r: Reader, obj: Json): VerificationMethodDescriptor[][] {
  return r.array(obj, 'userVerificationDetails', false, MAX_LIST).map((alternative, i) => {
    if (!Array.isArray(alternative) || alternative.length > MAX_LIST)
      return r.fail(`userVerificationDetails[${i}] must be an array`);
    return alternative.map((method: unknown, j): VerificationMethodDescriptor => {
      const where = `userVerificationDetails[${i}][${j}]`;
      if (!isRecord(method)) return r.fail(`${where} must be an object`);
      const name = method.userVerificationMethod;
      if (typeof name !== 'string' || !/^[a-z_]{1,64}$/.test(name))
        return r.fail(`${where}.userVerificationMethod must be a method name`);
      return {
        userVerificationMethod: name,
        caDesc: r.numbers(method.caDesc, `${where}.caDesc`),
        baDesc: r.numbers(method.baDesc, `${where}.baDesc`),
        paDesc: r.numbers(method.paDesc, `${where}.paDesc`),
      };
    });
  });
}

function readGetInfo(r: Reader, value: unknown): AuthenticatorGetInfoSummary | null {
  if (value === undefined) return null;
  if (!isRecord(value)) return r.fail('authenticatorGetInfo must be an object');
  const options: Record<string, boolean> = {};
  if (value.options !== undefined) {
    if (!isRecord(value.options)) return r.fail('authenticatorGetInfo.options must be an object');
    for (const [k, v] of Object.entries(value.options)) if (typeof v === 'boolean') options[k] = v;
  }
  const list = (key: string) => {
    const v = value[key];
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, MAX_LIST) : [];
  };
  const fw = value.firmwareVersion;
  return {
    versions: list('versions'),
    extensions: list('extensions'),
    transports: list('transports'),
    options,
    firmwareVersion: typeof fw === 'number' && Number.isSafeInteger(fw) ? fw : null,
  };
}

function readStatement(r: Reader, obj: Json): { statement: MetadataStatement; ids: Identifiers } {
  const ids = readIdentifiers(r, obj, '');
  const description = r.text(obj, 'description', true);
  if (description.trim() === '') r.fail('description is empty');
  const family = r.text(obj, 'protocolFamily', true, 16);
  if (family !== 'fido2' && family !== 'u2f' && family !== 'uaf')
    r.fail(`protocolFamily ${JSON.stringify(family)} is not fido2, u2f or uaf`);
  const schema = r.integer(obj, 'schema', true);

  // Metadata Statement v3.0 §4: aaguid for FIDO2, attestationCertificateKeyIdentifiers for U2F,
  // aaid for UAF authenticators: without it no attestation can be matched to the statement.
  if (family === 'fido2' && ids.aaguid === null) r.fail('a fido2 statement needs an aaguid');
  if (family === 'u2f' && ids.keyIdentifiers.length === 0)
    r.fail('a u2f statement needs attestationCertificateKeyIdentifiers');
  if (family === 'uaf' && ids.aaid === null && ids.keyIdentifiers.length === 0)
    r.fail('a uaf statement needs an aaid or attestationCertificateKeyIdentifiers');

  const alternativeDescriptions: Record<string, string> = {};
  if (obj.alternativeDescriptions !== undefined) {
    if (!isRecord(obj.alternativeDescriptions)) r.fail('alternativeDescriptions must be an object');
    for (const [lang, text] of Object.entries(obj.alternativeDescriptions).slice(0, 256)) {
      if (typeof text === 'string' && text.length <= MAX_TEXT) alternativeDescriptions[lang] = text;
    }
  }

  const upv = r.array(obj, 'upv', false, MAX_LIST).map((v, i) => {
    if (!isRecord(v)) return r.fail(`upv[${i}] must be an object`);
    return { major: r.integer(v, 'major', true), minor: r.integer(v, 'minor', true) };
  });

  let icon = r.text(obj, 'icon', false, MAX_ICON_LENGTH);
  if (icon !== null && !icon.startsWith('data:image/')) {
    r.warn('icon is not a data:image/ URI');
    icon = null;
  }

  // attestationRootCertificates (§4): base64 (not base64url) DER, each a trust anchor.
  const attestationRootCertificates = r
    .strings(obj, 'attestationRootCertificates', true, MAX_ROOTS, MAX_ROOT_BASE64_LENGTH)
    .map((text, i) => {
      const der = decodeBase64(text, MAX_ROOT_BASE64_LENGTH);
      // A DER certificate starts with a SEQUENCE (0x30); the full parse happens when it is used.
      if (der === null || der[0] !== 0x30)
        return r.fail(`attestationRootCertificates[${i}] is not base64 DER`);
      return new Uint8Array(der);
    });

  const cryptoStrength = r.integer(obj, 'cryptoStrength', false);
  return {
    ids,
    statement: {
      description,
      alternativeDescriptions,
      authenticatorVersion: r.integer(obj, 'authenticatorVersion', false),
      protocolFamily: family,
      schema,
      upv,
      icon,
      attestationTypes: r.enumerated(obj, 'attestationTypes', true, METADATA_ATTESTATION_TYPES),
      attestationRootCertificates,
      keyProtection: r.enumerated(obj, 'keyProtection', true, KEY_PROTECTION_TYPES),
      matcherProtection: r.strings(obj, 'matcherProtection', false),
      attachmentHint: r.enumerated(obj, 'attachmentHint', false, ATTACHMENT_HINTS),
      userVerificationDetails: readVerificationDetails(r, obj),
      authenticationAlgorithms: r.strings(obj, 'authenticationAlgorithms', false),
      publicKeyAlgAndEncodings: r.strings(obj, 'publicKeyAlgAndEncodings', false),
      cryptoStrength,
      isKeyRestricted: r.boolean(obj, 'isKeyRestricted'),
      isFreshUserVerificationRequired: r.boolean(obj, 'isFreshUserVerificationRequired'),
      authenticatorGetInfo: readGetInfo(r, obj.authenticatorGetInfo),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Status reports (FIDO Metadata Service v3.0 §3.1.3)
// ---------------------------------------------------------------------------------------------

function readStatusReport(r: Reader, value: unknown, i: number): StatusReport {
  if (!isRecord(value)) return r.fail(`statusReports[${i}] must be an object`);
  const status = r.text(value, 'status', true, 64);
  if (!/^[A-Za-z0-9_]+$/.test(status)) r.fail(`statusReports[${i}].status is not an AuthenticatorStatus`);
  const known = isAuthenticatorStatus(status);
  if (!known) r.warn(`statusReports[${i}].status ${status} is not known; kept as written`);
  const date = value.effectiveDate;
  const effectiveDate =
    date === undefined
      ? null
      : isIsoDate(date)
        ? date
        : r.fail(`statusReports[${i}].effectiveDate is not a YYYY-MM-DD date`);
  return {
    status,
    known,
    effectiveDate,
    authenticatorVersion: r.integer(value, 'authenticatorVersion', false),
    certificate: r.text(value, 'certificate', false, MAX_ROOT_BASE64_LENGTH),
    url: r.text(value, 'url', false),
    certificationDescriptor: r.text(value, 'certificationDescriptor', false),
    certificateNumber: r.text(value, 'certificateNumber', false),
    certificationPolicyVersion: r.text(value, 'certificationPolicyVersion', false),
    certificationRequirementsVersion: r.text(value, 'certificationRequirementsVersion', false),
  };
}

/** The report with the latest effectiveDate; on a tie the first listed; undated reports count as oldest. */
export function latestStatusReport(reports: readonly StatusReport[]): StatusReport | null {
  let best: StatusReport | null = null;
  for (const report of reports) {
    if (best === null || (report.effectiveDate ?? '') > (best.effectiveDate ?? '')) best = report;
  }
  return best;
}

/** The highest certification status among the reports (L3plus > L3 > … > L1 > FIDO_CERTIFIED). */
export function highestCertification(reports: readonly StatusReport[]): CertificationLevel | null {
  let best = -1;
  for (const report of reports)
    best = Math.max(best, CERTIFICATION_LEVELS.indexOf(report.status as CertificationLevel));
  return CERTIFICATION_LEVELS[best] ?? null;
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

/**
 * Validate one Metadata BLOB payload entry (FIDO Metadata Service v3.0 §3.1.1). The entry's
 * identifiers and its statement's must agree. Throws `statement_invalid`; pushes warnings.
 */
export function parseBlobEntry(value: unknown, origin: string, warnings: MetadataWarning[]): MetadataEntry {
  const r: Reader = new Reader(origin, warnings);
  if (!isRecord(value)) return r.fail('an entry must be an object');
  const ids = readIdentifiers(r, value, 'entry ');
  let statement: MetadataStatement | null = null;
  let aaguid = ids.aaguid;
  let aaid = ids.aaid;
  let keyIdentifiers = ids.keyIdentifiers;
  if (value.metadataStatement !== undefined) {
    if (!isRecord(value.metadataStatement)) return r.fail('metadataStatement must be an object');
    const read = readStatement(r, value.metadataStatement);
    statement = read.statement;
    if (aaguid !== null && read.ids.aaguid !== null && aaguid !== read.ids.aaguid)
      r.fail(`entry aaguid ${aaguid} differs from the statement's ${read.ids.aaguid}`);
    if (aaid !== null && read.ids.aaid !== null && aaid !== read.ids.aaid)
      r.fail(`entry aaid ${aaid} differs from the statement's ${read.ids.aaid}`);
    aaguid ??= read.ids.aaguid;
    aaid ??= read.ids.aaid;
    keyIdentifiers = union(keyIdentifiers, read.ids.keyIdentifiers);
  }
  if (aaguid === null && aaid === null && keyIdentifiers.length === 0)
    r.fail('the entry has no aaguid, aaid or attestationCertificateKeyIdentifiers');
  // §3.1.1: statusReports and timeOfLastStatusChange are required.
  const statusReports = r
    .array(value, 'statusReports', true, MAX_STATUS_REPORTS)
    .map((report, i) => readStatusReport(r, report, i));
  const timeOfLastStatusChange = value.timeOfLastStatusChange;
  if (!isIsoDate(timeOfLastStatusChange)) r.fail('timeOfLastStatusChange is not a YYYY-MM-DD date');
  return {
    source: 'mds',
    origin,
    aaguid,
    aaid,
    attestationCertificateKeyIdentifiers: keyIdentifiers,
    statement,
    statusReports,
    latestStatus: latestStatusReport(statusReports),
    certificationLevel: highestCertification(statusReports),
    timeOfLastStatusChange,
  };
}

/**
 * Validate one metadata statement (FIDO Metadata Statement v3.0 §4), e.g. a JSON file from the
 * metadata folder, for an authenticator that the BLOB does not list. Throws `statement_invalid`.
 */
export function parseMetadataStatement(
  value: unknown,
  origin: string,
  warnings: MetadataWarning[],
): MetadataEntry {
  const r: Reader = new Reader(origin, warnings);
  if (!isRecord(value)) return r.fail('a metadata statement must be a JSON object');
  const { statement, ids } = readStatement(r, value);
  return {
    source: 'statement',
    origin,
    aaguid: ids.aaguid,
    aaid: ids.aaid,
    attestationCertificateKeyIdentifiers: ids.keyIdentifiers,
    statement,
    statusReports: [],
    latestStatus: null,
    certificationLevel: null,
    timeOfLastStatusChange: null,
  };
}
