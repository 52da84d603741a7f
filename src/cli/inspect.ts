/**
 * `tessera inspect FILE… [--roots DIR] [--metadata PATH]… [--at ISO-DATE] [--metadata-at ISO-DATE] [--json]`
 *
 * Verifies recorded WebAuthn responses offline and describes them: what the bytes say, whether
 * they verify, which model made them, its class and the assurance level it can reach, and why.
 * A verification failure is a verdict, not an error: the command exits 0 whenever every file could
 * be read, and 2 with one line when a file cannot be read or is not valid JSON.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { toBase64url } from '../core/base64url.js';
import { describeResponse } from '../core/describe.js';
import { isWebAuthnError } from '../core/errors.js';
import {
  SUPPORTED_ALGORITHMS,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '../core/index.js';
import type { AuthenticatorFlags, RegistrationEvidence, TrustAnchorInput } from '../core/types.js';
import { snapshotFromPaths } from '../services/metadata.js';
import {
  type AssuranceLevel,
  assessCredential,
  assessUnregisteredSignIn,
  type CredentialClass,
} from '../trust/assessment.js';
import { buildSnapshot, type MetadataSnapshot } from '../trust/metadata/index.js';
import type { AssuranceReason } from '../trust/reasons.js';
import {
  authenticationExpectations,
  CaseFormatError,
  type CaseSettings,
  parseCaseFile,
  registrationExpectations,
  type WebAuthnCase,
} from './case-file.js';
import { type CliIo, UsageError } from './io.js';

export interface InspectReport {
  readonly name: string;
  readonly verified: boolean;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly ceremony: 'registration' | 'authentication';
  readonly fmt: string | null;
  readonly aaguid: string | null;
  readonly credentialId: string | null;
  readonly alg: number | null;
  readonly flags: AuthenticatorFlags | null;
  readonly counter: number | null;
  readonly attestation: {
    readonly type: string | null;
    readonly trusted: boolean;
    readonly root: string | null;
    /** Latest metadata status report of the model (e.g. FIDO_CERTIFIED_L1, REVOKED), or null. */
    readonly status: string | null;
  };
  /** Model name from metadata or the passkey-provider list, or null. */
  readonly model: string | null;
  readonly class: CredentialClass | null;
  /** Registration: the highest level a sign-in with the credential can reach. Assertion: this sign-in's. */
  readonly aal: AssuranceLevel | null;
  readonly reasons: readonly { readonly code: string; readonly message: string }[];
}

export interface InspectOptions {
  readonly anchors: readonly TrustAnchorInput[];
  readonly now: Date;
  /** Metadata whose roots decide trust, and which names models. */
  readonly snapshot?: MetadataSnapshot;
}

const reasonsOut = (reasons: readonly AssuranceReason[]) =>
  reasons.map((r) => ({ code: r.code, message: r.message }));

/** Classification and assurance of a verified registration, with trust from roots or metadata. */
function assessRegistration(
  evidence: RegistrationEvidence,
  options: InspectOptions,
  snapshot: MetadataSnapshot,
) {
  const assessment = assessCredential({ ...evidence, registeredAt: options.now }, { snapshot });
  const byMetadata = assessment.attestation.trust === 'trusted';
  return {
    model: assessment.model,
    class: assessment.class,
    aal: assessment.aal,
    reasons: reasonsOut(assessment.reasons),
    attestation: {
      type: evidence.attestation.type,
      trusted: evidence.attestation.trusted || byMetadata,
      root: evidence.attestation.root ?? (byMetadata ? assessment.attestation.root : null),
      status: assessment.attestation.status,
    },
  };
}

/** Verify one case and describe it; never throws for a bad response. */
export function inspectCase(c: WebAuthnCase, options: InspectOptions): InspectReport {
  const settings: CaseSettings = {
    now: options.now,
    allowedAlgorithms: SUPPORTED_ALGORITHMS,
    ...(options.anchors.length > 0 ? { trustAnchors: { '*': options.anchors } } : {}),
  };
  // What can be read from the bytes without trusting them: shown even when verification fails.
  const described = describeResponse(c.response);
  const snapshot = options.snapshot ?? buildSnapshot({ blob: null });
  const base: InspectReport = {
    name: c.name,
    verified: false,
    error: null,
    ceremony: c.ceremony,
    fmt: described.fmt,
    aaguid: described.aaguid,
    credentialId: described.credentialId,
    alg: described.alg,
    flags: described.flags,
    counter: described.counter,
    attestation: { type: null, trusted: false, root: null, status: null },
    model: described.aaguid ? snapshot.describe(described.aaguid).name : null,
    class: null,
    aal: null,
    reasons: [],
  };
  try {
    if (c.ceremony === 'registration') {
      const evidence = verifyWithOptionalTrust(c, settings);
      return {
        ...base,
        verified: true,
        fmt: evidence.fmt,
        aaguid: evidence.aaguid,
        credentialId: toBase64url(evidence.credentialId),
        alg: evidence.alg,
        flags: evidence.flags,
        counter: evidence.counter,
        ...assessRegistration(evidence, options, snapshot),
      };
    }
    const evidence = verifyAuthenticationResponse(c.response, authenticationExpectations(c, settings));
    return {
      ...base,
      verified: true,
      credentialId: toBase64url(evidence.credentialId),
      alg: evidence.alg,
      flags: evidence.flags,
      counter: evidence.counter,
      ...(() => {
        const signIn = assessUnregisteredSignIn(evidence.flags);
        return { class: signIn.class, aal: signIn.aal, reasons: reasonsOut(signIn.reasons) };
      })(),
    };
  } catch (error) {
    if (isWebAuthnError(error)) return { ...base, error: { code: error.code, message: error.message } };
    if (error instanceof CaseFormatError)
      return { ...base, error: { code: 'malformed_input', message: error.message } };
    throw error;
  }
}

/**
 * With `--roots`, a chain that reaches none of them is still worth describing: verify against the
 * roots first, and when the only complaint is that the chain is untrusted, verify again without
 * roots and report `trusted: false`. Every other rule applies unchanged.
 */
function verifyWithOptionalTrust(c: WebAuthnCase, settings: CaseSettings) {
  try {
    return verifyRegistrationResponse(c.response, registrationExpectations(c, settings));
  } catch (error) {
    if (!isWebAuthnError(error) || error.code !== 'attestation_untrusted' || !settings.trustAnchors)
      throw error;
    const { trustAnchors: _ignored, ...untrusted } = settings;
    return verifyRegistrationResponse(c.response, registrationExpectations(c, untrusted));
  }
}

function loadRoots(dir: string): TrustAnchorInput[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.(pem|crt|cer)$/i.test(n));
  } catch {
    throw new UsageError(`cannot read roots folder ${dir}`);
  }
  return names.sort().map((n) => readFileSync(join(dir, n), 'utf8'));
}

function formatHuman(r: InspectReport): string {
  const lines = [
    `${r.name}: ${r.verified ? 'VERIFIED' : `REJECTED (${r.error?.code}: ${r.error?.message})`}`,
  ];
  const flags = r.flags
    ? (Object.entries(r.flags) as [string, boolean][])
        .map(([k, v]) => `${k.toUpperCase()}=${v ? 1 : 0}`)
        .join(' ')
    : 'unknown';
  lines.push(`  ceremony     ${r.ceremony}`);
  if (r.ceremony === 'registration') {
    lines.push(`  format       ${r.fmt ?? 'unknown'}`);
    lines.push(`  aaguid       ${r.aaguid ?? 'unknown'}${r.model ? ` (${r.model})` : ''}`);
  }
  lines.push(`  credential   ${r.credentialId ?? 'unknown'}`);
  lines.push(`  algorithm    ${r.alg ?? 'unknown'}`);
  lines.push(`  flags        ${flags}`);
  lines.push(`  counter      ${r.counter ?? 'unknown'}`);
  if (r.ceremony === 'registration') {
    const a = r.attestation;
    lines.push(
      `  attestation  ${a.type ?? 'unknown'}${a.trusted ? `, trusted (root: ${a.root})` : ', not chained to a given root'}`,
    );
    if (a.status) lines.push(`  status       ${a.status}`);
  }
  if (r.class) lines.push(`  class        ${r.class}`);
  if (r.verified) lines.push(`  assurance    ${r.aal ?? 'refused'}`);
  for (const reason of r.reasons) lines.push(`    - ${reason.code}: ${reason.message}`);
  return lines.join('\n');
}

const USAGE =
  'usage: tessera inspect FILE… [--roots DIR] [--metadata PATH]… [--at ISO-DATE] [--metadata-at ISO-DATE] [--json]';

function parseDate(value: string, flag: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(`${flag} must be an ISO date, got ${JSON.stringify(value)}`);
  }
  return date;
}

export async function runInspect(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      roots: { type: 'string' },
      metadata: { type: 'string', multiple: true },
      at: { type: 'string' },
      'metadata-at': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) throw new UsageError(USAGE);
  const now = values.at !== undefined ? parseDate(values.at, '--at') : io.now();
  // A BLOB is signed with a certificate of its own time; an archived one is checked at --metadata-at.
  const metadataAt =
    values['metadata-at'] !== undefined ? parseDate(values['metadata-at'], '--metadata-at') : now;
  const anchors = values.roots !== undefined ? loadRoots(values.roots) : [];
  let snapshot: MetadataSnapshot | undefined;
  const metadataPaths = values.metadata ?? [];
  if (metadataPaths.length > 0) {
    const loaded = await snapshotFromPaths(metadataPaths, { now: metadataAt });
    // A path given on the command line that yields nothing is a usage error; a bad file inside a
    // statements folder is only reported.
    const unusable = loaded.issues.find((issue) => metadataPaths.includes(issue.path));
    if (unusable) throw new UsageError(`--metadata ${unusable.path}: ${unusable.reason}`);
    for (const issue of loaded.issues) io.err(`tessera inspect: metadata ${issue.path}: ${issue.reason}\n`);
    snapshot = loaded.snapshot;
  }
  // Read and parse every file before printing anything: a bad file stops the run with exit 2.
  const cases: WebAuthnCase[] = [];
  for (const file of positionals) {
    let text: string;
    try {
      text = file === '-' ? io.readStdin() : readFileSync(file, 'utf8');
    } catch {
      throw new UsageError(`cannot read ${file}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new UsageError(`${file} is not valid JSON`);
    }
    try {
      cases.push(...parseCaseFile(json, file === '-' ? 'stdin' : file));
    } catch (error) {
      if (error instanceof CaseFormatError) throw new UsageError(`${file}: ${error.message}`);
      throw error;
    }
  }
  for (const c of cases) {
    const report = inspectCase(c, { anchors, now, ...(snapshot ? { snapshot } : {}) });
    io.out(values.json ? `${JSON.stringify(report)}\n` : `${formatHuman(report)}\n\n`);
  }
  return 0;
}
