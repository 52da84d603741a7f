/**
 * `tessera policy` — check a policy document, and see what it would do before applying it:
 *
 *   tessera policy validate FILE [--json]
 *   tessera policy simulate FILE --population FILE.json [--at DATE] [--people affected|all] [--json]
 *
 * `validate` prints `FILE:LINE:COL: path: message` for each problem. `simulate` evaluates the
 * policy against every person and credential of a population file (the JSON input of
 * `simulate()`, described in docs/policy.md) at --at or now, applying nothing; reading people and
 * credentials from Tessera's own database comes with the server's store.
 *
 * Exit codes: 0 valid / simulated; 1 the policy or the population file is invalid; 2 usage (bad
 * arguments, unreadable file).
 */
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  formatPolicyError,
  MAX_POLICY_BYTES,
  type PersonOutcome,
  POLICY_REASONS,
  type PolicyDocument,
  type PolicyError,
  parseInstant,
  parsePolicy,
  parsePopulation,
  phaseAt,
  type SegmentReport,
  type SimulationReport,
  simulate,
} from '../policy/index.js';
import { type CliIo, UsageError } from './io.js';

const USAGE = [
  'usage: tessera policy validate FILE [--at DATE] [--json]',
  '       tessera policy simulate FILE --population FILE.json [--at DATE] [--people affected|all] [--json]',
].join('\n');

const HELP = `${USAGE}

validate  Check a policy document (YAML or JSON) against docs/policy.schema.json and the rules
          the schema cannot express. Prints FILE:LINE:COL: path: message per problem.
simulate  Evaluate a proposed policy against every person and credential without applying it:
          per segment, who would be blocked, who would be warned, who lacks a backup, and why.
          --population  a JSON file {people: [{id, username?, groups}], credentials: [{personId,
                        class, aal, aaguid, model, attestationTrust, uvCapable, refused}]}
                        (docs/policy.md). Reading people and credentials from Tessera's database
                        comes with the server's store.
          --at DATE     simulate at this date or date-time (default: now), e.g. the enforce date
          --people      list people too: "affected" (not simply allowed) or "all"
          --json        one JSON object for tools instead of the table

Exit codes: 0 valid / simulated; 1 invalid policy or population file; 2 usage.`;

const OPTIONS = {
  population: { type: 'string' },
  at: { type: 'string' },
  people: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS, strict: true });
}

async function readPolicyFile(file: string): Promise<string | PolicyError> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  if (size > MAX_POLICY_BYTES)
    return {
      code: 'policy_too_large',
      file,
      line: 1,
      column: 1,
      path: '(document)',
      message: 'the document is larger than 1 MiB',
    };
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
}

/** The policy, or the exit code after printing its errors. */
async function loadPolicy(file: string, io: CliIo, json: boolean): Promise<PolicyDocument | number> {
  const text = await readPolicyFile(file);
  const result = typeof text === 'string' ? parsePolicy(text, file) : { errors: [text] };
  if (result.policy) return result.policy;
  if (json) io.out(`${JSON.stringify({ valid: false, file, errors: result.errors })}\n`);
  else io.out(`${result.errors.map(formatPolicyError).join('\n')}\n`);
  return 1;
}

function day(iso: string): string {
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

function schedule(rollout: PolicyDocument['default']['rollout']): string {
  return rollout.map((s, i) => (i === 0 ? s.phase : `${s.phase} from ${s.from ?? '?'}`)).join(', ');
}

// ---------------------------------------------------------------------------------------------
// validate
// ---------------------------------------------------------------------------------------------

async function runValidate(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv);
  const [file, ...extra] = positionals;
  if (
    file === undefined ||
    extra.length > 0 ||
    values.population !== undefined ||
    values.people !== undefined
  )
    throw new UsageError(USAGE);
  const now = values.at === undefined ? io.now() : clock(values.at);
  const policy = await loadPolicy(file, io, values.json);
  if (typeof policy === 'number') return policy;
  const segments = [
    ...policy.segments.map((s) => ({
      name: s.name,
      groups: s.groups,
      requirements: s.requirements,
      rollout: s.rollout,
    })),
    { name: 'default', groups: [] as readonly string[], ...policy.default },
  ].map((s) => ({
    name: s.name,
    groups: s.groups,
    minAal: s.requirements.minAal,
    allowedClasses: s.requirements.allowedClasses,
    phase: phaseAt(s.rollout, now).phase,
    rollout: s.rollout,
  }));
  if (values.json) {
    io.out(
      `${JSON.stringify({ valid: true, file, version: policy.version, at: now.toISOString(), segments })}\n`,
    );
    return 0;
  }
  const width = Math.max(...segments.map((s) => s.name.length));
  const lines = [
    `${file}: valid (policy version ${policy.version}; ${policy.segments.length} segment${policy.segments.length === 1 ? '' : 's'} and the default)`,
    ...segments.map(
      (s) =>
        `  ${s.name.padEnd(width)}  ${s.minAal}  ${s.allowedClasses.join(', ')}  — ${s.phase} on ${day(now.toISOString())} (${schedule(s.rollout)})`,
    ),
  ];
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// simulate
// ---------------------------------------------------------------------------------------------

function clock(at: string): Date {
  const t = parseInstant(at);
  if (t === null)
    throw new UsageError(
      `--at must be a date (2026-03-01) or a date-time with a zone, got ${JSON.stringify(at)}`,
    );
  return new Date(t);
}

const n = (x: number) => x.toLocaleString('en-US');

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  numericFrom: number,
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i >= numericFrom ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function segmentRow(s: SegmentReport): string[] {
  return [
    s.name,
    s.minAal,
    s.phase,
    s.enforceFrom === null ? '—' : day(s.enforceFrom),
    n(s.people),
    n(s.blocked),
    n(s.warned),
    n(s.wouldBlock),
    n(s.lackingBackup),
    n(s.noCredentials),
    `${n(s.credentials.denied)}/${n(s.credentials.total)}`,
  ];
}

const PEOPLE_LINES = 50;

function personLine(p: PersonOutcome): string {
  const who = p.username === undefined ? p.id : `${p.username} (${p.id})`;
  const codes = [...new Set(p.credentials.flatMap((c) => c.codes))];
  if (p.lacksBackup) codes.push('backup_missing');
  const notes = [
    p.status,
    ...(p.wouldBlock && p.status !== 'blocked' ? ['would be blocked when enforced'] : []),
    `${p.qualifying} of ${p.minCredentials} required credential${p.minCredentials === 1 ? '' : 's'}`,
  ];
  return `  ${who}  ${p.segment}  ${notes.join('; ')}${codes.length > 0 ? `  — ${codes.join(', ')}` : ''}`;
}

function render(file: string, report: SimulationReport): string {
  const t = report.totals;
  const lines = [
    `Simulation of ${file} at ${report.at} (nothing applied)`,
    `${n(t.people)} people, ${n(t.credentials.total)} credentials${report.unmatchedCredentials > 0 ? ` (${n(report.unmatchedCredentials)} credentials name nobody and were skipped)` : ''}`,
    '',
    ...table(
      [
        'segment',
        'level',
        'phase',
        'enforce from',
        'people',
        'blocked',
        'warned',
        'would block',
        'lacking backup',
        'no credentials',
        'credentials denied',
      ],
      [
        ...report.segments.map(segmentRow),
        [
          'total',
          '',
          '',
          '',
          n(t.people),
          n(t.blocked),
          n(t.warned),
          n(t.wouldBlock),
          n(t.lackingBackup),
          n(t.noCredentials),
          `${n(t.credentials.denied)}/${n(t.credentials.total)}`,
        ],
      ],
      4,
    ),
    '',
    'blocked: every credential denied now; warned: told what to do and by when; would block: every',
    'credential denied once the segment is enforced; lacking backup: fewer credentials meeting the',
    'requirements than minCredentials.',
  ];
  const why = report.segments.filter((s) => s.reasons.length > 0);
  if (why.length > 0) {
    lines.push('', 'Why (people / credentials), whatever the phase:');
    const width = Math.max(...why.flatMap((s) => s.reasons.map((r) => r.code.length)));
    for (const s of why) {
      lines.push(`  ${s.name}`);
      for (const r of s.reasons)
        lines.push(
          `    ${r.code.padEnd(width)}  ${n(r.people).padStart(7)} / ${n(r.credentials).padEnd(7)}  ${POLICY_REASONS[r.code]}`,
        );
    }
  }
  if (report.people !== undefined) {
    lines.push('', `People (${n(report.people.length)}):`);
    lines.push(...report.people.slice(0, PEOPLE_LINES).map(personLine));
    if (report.people.length > PEOPLE_LINES)
      lines.push(`  … and ${n(report.people.length - PEOPLE_LINES)} more (--json lists them all)`);
  }
  return `${lines.join('\n')}\n`;
}

async function runSimulate(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv);
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new UsageError(USAGE);
  if (values.population === undefined) throw new UsageError(`--population FILE.json is required\n${USAGE}`);
  const people = values.people;
  if (people !== undefined && people !== 'affected' && people !== 'all')
    throw new UsageError(`--people must be "affected" or "all", got ${JSON.stringify(people)}`);
  const now = values.at === undefined ? io.now() : clock(values.at);

  const policy = await loadPolicy(file, io, values.json);
  if (typeof policy === 'number') return policy;

  let raw: string;
  try {
    raw = await readFile(values.population, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${values.population}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    io.err(`${values.population}: not JSON: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const population = parsePopulation(json);
  if (population.errors) {
    io.err(`${population.errors.map((e) => `${values.population}: ${e}`).join('\n')}\n`);
    return 1;
  }
  const report = simulate(policy, population.population, now, { people: people ?? 'none' });
  io.out(values.json ? `${JSON.stringify({ file, ...report })}\n` : render(file, report));
  return 0;
}

export async function runPolicy(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${HELP}\n`);
    return 0;
  }
  if (sub === 'validate') return runValidate(rest, io);
  if (sub === 'simulate') return runSimulate(rest, io);
  throw new UsageError(`unknown subcommand "${sub}"\n${USAGE}`);
}
