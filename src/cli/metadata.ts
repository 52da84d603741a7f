/**
 * `tessera metadata` — FIDO metadata for operators:
 *
 *   tessera metadata import FILE [--at ISO-DATE] [--data-dir DIR] [--json]
 *   tessera metadata status [--data-dir DIR] [--metadata-dir DIR] [--json]
 *   tessera metadata show AAGUID|KEY-ID [--data-dir DIR] [--metadata-dir DIR] [--json]
 *
 * The data directory defaults to $TESSERA_DATA_DIR, else ./data (metadata lives in its `metadata/`
 * folder); the statements folder to $TESSERA_METADATA_DIR. `import` verifies at --at (to import an
 * archived BLOB at a date its signing certificate was valid) or now.
 *
 * Exit codes: 0 done; 1 the BLOB was refused (the previous one is kept), or `show` knows nothing of
 * the authenticator; 2 usage (bad arguments, unreadable FILE).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  downloadBlob,
  type ImportResult,
  importBlob,
  loadSnapshot,
  MetadataDownloadError,
  type MetadataStatus,
  openMetadataStore,
  status,
} from '../services/metadata.js';
import {
  type AuthenticatorDescription,
  type MetadataEntry,
  type MetadataWarning,
  normalizeAaguid,
  normalizeKeyIdentifier,
} from '../trust/metadata/index.js';
import { type CliIo, UsageError } from './io.js';

const USAGE = [
  'usage: tessera metadata import FILE|URL [--at ISO-DATE] [--data-dir DIR] [--json]',
  '       tessera metadata status [--data-dir DIR] [--metadata-dir DIR] [--json]',
  '       tessera metadata show AAGUID|KEY-ID [--data-dir DIR] [--metadata-dir DIR] [--json]',
].join('\n');

const OPTIONS = {
  at: { type: 'string' },
  'data-dir': { type: 'string' },
  'metadata-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

interface Parsed {
  readonly positionals: readonly string[];
  readonly at: string | undefined;
  readonly dataDir: string;
  readonly metadataDir: string | undefined;
  readonly json: boolean;
}

function parse(argv: readonly string[], allowed: readonly (keyof typeof OPTIONS)[]): Parsed {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: OPTIONS,
    strict: true,
  });
  for (const name of ['at', 'data-dir', 'metadata-dir'] as const) {
    if (values[name] !== undefined && !allowed.includes(name))
      throw new UsageError(`--${name} is not an option here\n${USAGE}`);
  }
  return {
    positionals,
    at: values.at,
    dataDir: values['data-dir'] ?? process.env.TESSERA_DATA_DIR ?? './data',
    metadataDir: values['metadata-dir'] ?? process.env.TESSERA_METADATA_DIR,
    json: values.json,
  };
}

function clock(io: CliIo, at: string | undefined): Date {
  if (at === undefined) return io.now();
  const date = new Date(at);
  if (!/^\d{4}-\d{2}-\d{2}/.test(at) || Number.isNaN(date.getTime()))
    throw new UsageError(`--at must be an ISO date, got ${JSON.stringify(at)}`);
  return date;
}

const warningLine = (w: MetadataWarning) => `warning: ${w.code}: ${w.detail}`;

function countsLine(c: {
  entries: number;
  aaguid: number;
  aaid: number;
  attestationCertificateKeyIdentifiers: number;
  skipped: number;
}): string {
  return `entries: ${c.entries} (${c.aaguid} with an AAGUID, ${c.aaid} with an AAID, ${c.attestationCertificateKeyIdentifiers} with key identifiers; ${c.skipped} skipped)`;
}

// ---------------------------------------------------------------------------------------------
// import
// ---------------------------------------------------------------------------------------------

async function runImport(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parse(argv, ['at', 'data-dir']);
  const [file, ...extra] = args.positionals;
  if (file === undefined || extra.length > 0) throw new UsageError(USAGE);
  const now = clock(io, args.at);
  let bytes: Buffer;
  if (/^https?:\/\//i.test(file)) {
    try {
      bytes = await downloadBlob(file);
    } catch (error) {
      if (error instanceof MetadataDownloadError) {
        // The network is optional: say what failed and leave the held BLOB in place.
        io.err(`tessera metadata: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
  } else {
    try {
      bytes = await readFile(file);
    } catch {
      throw new UsageError(`cannot read ${file}`);
    }
  }
  const result: ImportResult = await importBlob(openMetadataStore(args.dataDir), bytes, {
    now,
    recordedAt: io.now(),
  });
  if (args.json) {
    io.out(`${JSON.stringify(result)}\n`);
    return result.ok ? 0 : 1;
  }
  if (!result.ok) {
    const { error, kept } = result;
    io.err(
      `tessera metadata: refused: ${error.code}: ${error.message}${error.detail ? ` (${error.detail})` : ''}\n`,
    );
    io.err(kept ? `kept BLOB no. ${kept.serial} (next update ${kept.nextUpdate})\n` : 'no BLOB is held\n');
    return 1;
  }
  const { blob } = result;
  const lines = [
    result.outcome === 'imported'
      ? `imported BLOB no. ${blob.serial}${result.previousSerial !== null ? ` (replacing no. ${result.previousSerial})` : ''}`
      : `BLOB no. ${blob.serial} is already held; nothing changed`,
    `verified at ${blob.verifiedAt}, next update ${blob.nextUpdate}`,
    countsLine(blob.counts),
    ...result.warnings.slice(0, 20).map(warningLine),
  ];
  if (result.warnings.length > 20) lines.push(`… and ${result.warnings.length - 20} more warnings`);
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// status
// ---------------------------------------------------------------------------------------------

async function runStatus(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parse(argv, ['data-dir', 'metadata-dir']);
  if (args.positionals.length > 0) throw new UsageError(USAGE);
  const now = io.now();
  const store = openMetadataStore(args.dataDir);
  const s: MetadataStatus = await status(store, { now });
  let statements: { inUse: number; issues: readonly { file: string; reason: string }[] } | null = null;
  if (args.metadataDir !== undefined) {
    const loaded = await loadSnapshot(store, { now, statementsDir: args.metadataDir });
    statements = { inUse: loaded.snapshot.counts.statements, issues: loaded.statementIssues };
  }
  if (args.json) {
    io.out(`${JSON.stringify({ ...s, statements })}\n`);
    return 0;
  }
  const lines: string[] = [];
  if (s.blob) {
    lines.push(
      `BLOB no. ${s.blob.serial}, verified at ${s.blob.verifiedAt} (imported ${s.blob.importedAt})`,
      `next update ${s.blob.nextUpdate}${s.blob.stale ? ' — STALE: a newer BLOB should be imported' : ''}`,
      countsLine(s.blob.counts),
    );
  } else {
    lines.push('no BLOB imported');
  }
  lines.push(...s.warnings.map(warningLine));
  if (s.lastAttempt) {
    const a = s.lastAttempt;
    lines.push(
      `last import: ${a.at} ${a.outcome}${a.serial !== null ? ` (BLOB no. ${a.serial})` : ''}${a.error ? `: ${a.error.code}` : ''}`,
    );
  }
  if (s.lastError)
    lines.push(
      `last error: ${s.lastError.at} ${s.lastError.code}: ${s.lastError.message}${s.lastError.detail ? ` (${s.lastError.detail})` : ''}`,
    );
  if (statements) {
    lines.push(`statements: ${statements.inUse} in use, ${statements.issues.length} file(s) skipped`);
    for (const issue of statements.issues) lines.push(`  ${issue.file}: ${issue.reason}`);
  }
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// show
// ---------------------------------------------------------------------------------------------

export interface MetadataShowReport {
  readonly query: string;
  readonly aaguid: string | null;
  readonly name: string | null;
  readonly nameSource: AuthenticatorDescription['source'];
  readonly icon: boolean;
  /** Where the metadata entry came from ("BLOB no. 9, entry 12", a statement file), or null. */
  readonly origin: string | null;
  readonly description: string | null;
  readonly protocolFamily: string | null;
  readonly keyProtection: readonly string[];
  readonly attachmentHint: readonly string[];
  readonly attestationTypes: readonly string[];
  readonly attestationRoots: number;
  readonly latestStatus: { readonly status: string; readonly effectiveDate: string | null } | null;
  readonly certificationLevel: string | null;
  readonly statusReports: readonly { readonly status: string; readonly effectiveDate: string | null }[];
  readonly userVerification: readonly (readonly string[])[];
}

function showReport(
  query: string,
  aaguid: string | null,
  entry: MetadataEntry | undefined,
  d: AuthenticatorDescription | null,
): MetadataShowReport {
  const st = entry?.statement ?? null;
  return {
    query,
    aaguid: aaguid ?? entry?.aaguid ?? null,
    name: d?.name ?? st?.description ?? null,
    nameSource: d?.name ? d.source : st ? (entry?.source ?? null) : null,
    icon: (d?.icon ?? st?.icon ?? null) !== null,
    origin: entry?.origin ?? null,
    description: st?.description ?? null,
    protocolFamily: st?.protocolFamily ?? null,
    keyProtection: st?.keyProtection ?? [],
    attachmentHint: st?.attachmentHint ?? [],
    attestationTypes: st?.attestationTypes ?? [],
    attestationRoots: st?.attestationRootCertificates.length ?? 0,
    latestStatus: entry?.latestStatus
      ? { status: entry.latestStatus.status, effectiveDate: entry.latestStatus.effectiveDate }
      : null,
    certificationLevel: entry?.certificationLevel ?? null,
    statusReports: (entry?.statusReports ?? []).map((r) => ({
      status: r.status,
      effectiveDate: r.effectiveDate,
    })),
    userVerification: (st?.userVerificationDetails ?? []).map((combo) =>
      combo.map((m) => m.userVerificationMethod),
    ),
  };
}

function formatShow(r: MetadataShowReport): string {
  const list = (items: readonly string[]) => (items.length > 0 ? items.join(', ') : '-');
  const rows: [string, string][] = [
    ['aaguid', r.aaguid ?? '-'],
    ['name', r.name ? `${r.name} (${r.nameSource})` : '-'],
    ['icon', r.icon ? 'yes' : 'no'],
    ['metadata', r.origin ?? 'none'],
  ];
  if (r.origin) {
    rows.push(
      ['description', r.description ?? '-'],
      ['protocol', r.protocolFamily ?? '-'],
      ['key protection', list(r.keyProtection)],
      ['attachment', list(r.attachmentHint)],
      ['attestation', list(r.attestationTypes)],
      ['roots', String(r.attestationRoots)],
      ['user verification', list(r.userVerification.map((c) => c.join('+')))],
      [
        'status',
        r.latestStatus
          ? `${r.latestStatus.status}${r.latestStatus.effectiveDate ? ` since ${r.latestStatus.effectiveDate}` : ''}`
          : '-',
      ],
      ['certification', r.certificationLevel ?? '-'],
    );
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

async function runShow(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parse(argv, ['data-dir', 'metadata-dir']);
  const [query, ...extra] = args.positionals;
  if (query === undefined || extra.length > 0) throw new UsageError(USAGE);
  const aaguid = normalizeAaguid(query);
  const keyId = aaguid === null ? normalizeKeyIdentifier(query) : null;
  if (aaguid === null && keyId === null)
    throw new UsageError(`${JSON.stringify(query)} is neither an AAGUID nor a 40-hex-digit key identifier`);
  const loaded = await loadSnapshot(openMetadataStore(args.dataDir), {
    now: io.now(),
    ...(args.metadataDir !== undefined ? { statementsDir: args.metadataDir } : {}),
  });
  const { snapshot } = loaded;
  const entry = aaguid !== null ? snapshot.byAaguid(aaguid) : snapshot.byKeyIdentifier(keyId ?? '');
  const description = aaguid !== null ? snapshot.describe(aaguid) : null;
  const report = showReport(query, aaguid, entry, description);
  const known = report.name !== null || report.origin !== null;
  if (args.json) io.out(`${JSON.stringify(report)}\n`);
  else {
    const notes = [
      ...(loaded.blob === null
        ? ['note: no BLOB imported; names come from statements and the passkey provider list only']
        : []),
      ...(loaded.blobError
        ? [
            `warning: the stored BLOB was not used: ${loaded.blobError.code} (${loaded.blobError.detail ?? ''})`,
          ]
        : []),
      ...(loaded.stale ? ['warning: metadata_stale: the BLOB is past its nextUpdate'] : []),
    ];
    io.out(`${[formatShow(report), ...notes].join('\n')}\n`);
  }
  return known ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------

const SUBCOMMANDS: Readonly<Record<string, (argv: readonly string[], io: CliIo) => Promise<number>>> = {
  import: runImport,
  status: runStatus,
  show: runShow,
};

export async function runMetadata(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const run = sub === undefined ? undefined : SUBCOMMANDS[sub];
  if (run === undefined)
    throw new UsageError(sub === undefined ? USAGE : `unknown subcommand "${sub}"\n${USAGE}`);
  return run(rest, io);
}
