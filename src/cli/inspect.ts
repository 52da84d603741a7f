/**
 * `tessera inspect FILE… [--roots DIR] [--at ISO-DATE] [--json]`
 *
 * Verifies recorded WebAuthn responses offline and describes them. A verification failure is a
 * verdict, not an error: the command exits 0 whenever every file could be read, and 2 with one
 * line when a file cannot be read or is not valid JSON.
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
import type { AuthenticatorFlags, TrustAnchorInput } from '../core/types.js';
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
  };
}

export interface InspectOptions {
  readonly anchors: readonly TrustAnchorInput[];
  readonly now: Date;
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
    attestation: { type: null, trusted: false, root: null },
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
        attestation: {
          type: evidence.attestation.type,
          trusted: evidence.attestation.trusted,
          root: evidence.attestation.root,
        },
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
    lines.push(`  aaguid       ${r.aaguid ?? 'unknown'}`);
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
  }
  return lines.join('\n');
}

export function runInspect(argv: readonly string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      roots: { type: 'string' },
      at: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0)
    throw new UsageError('usage: tessera inspect FILE… [--roots DIR] [--at ISO-DATE] [--json]');
  let now = io.now();
  if (values.at !== undefined) {
    now = new Date(values.at);
    if (!/^\d{4}-\d{2}-\d{2}/.test(values.at) || Number.isNaN(now.getTime())) {
      throw new UsageError(`--at must be an ISO date, got ${JSON.stringify(values.at)}`);
    }
  }
  const anchors = values.roots !== undefined ? loadRoots(values.roots) : [];
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
    const report = inspectCase(c, { anchors, now });
    io.out(values.json ? `${JSON.stringify(report)}\n` : `${formatHuman(report)}\n\n`);
  }
  return 0;
}
