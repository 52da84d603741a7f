/**
 * `tessera policy` — check a policy document, and see what it would do before applying it:
 *
 *   tessera policy validate FILE [--json]
 *   tessera policy simulate FILE [--population FILE.json] [--at DATE] [--people affected|all] [--json]
 *   tessera policy apply FILE [--by NAME] [--json]
 *   tessera policy show [--json]
 *   tessera policy history [--diff] [--json]
 *   tessera policy events [--since DATE|DURATION] [--segment NAME] [--point P] [--effect E]
 *                         [--person USERNAME] [--limit N] [--json]
 *
 * `validate` prints `FILE:LINE:COL: path: message` for each problem. `simulate` evaluates the
 * policy against every person and credential of a population file (the JSON input of
 * `simulate()`, described in docs/policy.md), or without --population against Tessera's own
 * database (people, their groups, and their credentials assessed against the current metadata),
 * at --at or now, applying nothing. `apply` validates and stores a new version (with who applied it
 * and the diff from the previous one), then ends the sessions that no longer qualify; `show`
 * prints the policy in force, `history` every version, `events` the event log (decisions that were
 * not a plain allow, monitor phase's would-be denials included, and sessions the policy ended).
 *
 * Exit codes: 0 valid / simulated / applied; 1 the policy or the population file is invalid, or
 * no policy is applied (show); 2 usage (bad arguments, unreadable file, configuration).
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
  SEGMENT_NAME_PATTERN,
  type SegmentReport,
  type SimulationReport,
  simulate,
} from '../policy/index.js';
import {
  DEFAULT_EVENT_LIMIT,
  MAX_EVENT_LIMIT,
  POLICY_EVENT_EFFECTS,
  POLICY_EVENT_POINTS,
} from '../services/index.js';
import { type CliIo, UsageError } from './io.js';
import { withServices } from './services.js';

const USAGE = [
  'usage: tessera policy validate FILE [--at DATE] [--json]',
  '       tessera policy simulate FILE [--population FILE.json] [--at DATE] [--people affected|all] [--json]',
  '       tessera policy apply FILE [--by NAME] [--json]',
  '       tessera policy show [--json]',
  '       tessera policy history [--diff] [--json]',
  '       tessera policy events [--since DATE|DURATION] [--segment NAME] [--point P] [--effect E]',
  '                             [--person USERNAME] [--limit N] [--json]',
].join('\n');

const HELP = `${USAGE}

validate  Check a policy document (YAML or JSON) against docs/policy.schema.json and the rules
          the schema cannot express. Prints FILE:LINE:COL: path: message per problem.
simulate  Evaluate a proposed policy against every person and credential without applying it:
          per segment, who would be blocked, who would be warned, who lacks a backup, and why.
          --population  a JSON file {people: [{id, username?, groups}], credentials: [{personId,
                        class, aal, aaguid, model, attestationTrust, uvCapable, refused}]}
                        (docs/policy.md). Without it: the people, groups and credentials in
                        Tessera's database (TESSERA_* settings), each credential assessed
                        against the current metadata.
          --at DATE     simulate at this date or date-time (default: now), e.g. the enforce date
          --people      list people too: "affected" (not simply allowed) or "all"
          --json        one JSON object for tools instead of the table
apply     Validate and store FILE as the policy in force (a new version, with --by NAME, default
          $USER, and the diff from the previous version), then end the sessions that no longer
          qualify. Every server enforces it from its next request.
show      Print the policy in force, its version, hash, and who applied it when.
history   List every version, newest first (--diff: with the diff from the previous one).
events    The event log, newest first: every decision that was not a plain allow (deny, warn, and
          in monitor phase what enforcement would deny) and every session the policy ended.
          --since     a date, a date-time with a zone, or a duration back from now: 30m, 12h, 7d, 2w
          --segment   one segment (its name, or default)
          --point     registration, sign-in, session or acr
          --effect    allow (monitor's would-be denials), warn or deny
          --person    one person's events (USERNAME)
          --limit     at most N events, 1 to ${MAX_EVENT_LIMIT} (default ${DEFAULT_EVENT_LIMIT})
          --json      {events: [...]} for tools instead of the table

Exit codes: 0 valid / simulated / applied; 1 invalid policy or population file, or no policy
applied (show); 2 usage or configuration.`;

const OPTIONS = {
  population: { type: 'string' },
  at: { type: 'string' },
  people: { type: 'string' },
  by: { type: 'string' },
  diff: { type: 'boolean', default: false },
  since: { type: 'string' },
  segment: { type: 'string' },
  point: { type: 'string' },
  effect: { type: 'string' },
  person: { type: 'string' },
  limit: { type: 'string' },
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
  noExtra(values, ['at', 'by', 'diff']);
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
        `  ${s.name.padEnd(width)}  ${s.minAal}  ${s.allowedClasses.join(', ')}  — ${s.phase} on ${now.toISOString().slice(0, 10)} (${schedule(s.rollout)})`,
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

function render(file: string, report: SimulationReport, database = false): string {
  const t = report.totals;
  const lines = [
    `Simulation of ${file}${database ? ' against the database' : ''} at ${report.at} (nothing applied)`,
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

async function runSimulate(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parse(argv);
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0 || values.by !== undefined || values.diff)
    throw new UsageError(USAGE);
  noExtra(values, ['population', 'at', 'people']);
  const people = values.people;
  if (people !== undefined && people !== 'affected' && people !== 'all')
    throw new UsageError(`--people must be "affected" or "all", got ${JSON.stringify(people)}`);
  const now = values.at === undefined ? io.now() : clock(values.at);

  const policy = await loadPolicy(file, io, values.json);
  if (typeof policy === 'number') return policy;
  const options = { people: people ?? 'none' } as const;

  if (values.population === undefined)
    return withServices('policy', io, env, { metadata: true }, async (services) => {
      const report = simulate(policy, await services.policy.population(), now, options);
      io.out(
        values.json
          ? `${JSON.stringify({ file, population: 'database', ...report })}\n`
          : render(file, report, true),
      );
      return 0;
    });

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
  const report = simulate(policy, population.population, now, options);
  io.out(values.json ? `${JSON.stringify({ file, ...report })}\n` : render(file, report));
  return 0;
}

// ---------------------------------------------------------------------------------------------
// apply, show, history
// ---------------------------------------------------------------------------------------------

/** Options of `events` only: the other subcommands refuse them rather than ignore them. */
const EVENT_OPTIONS = ['since', 'segment', 'point', 'effect', 'person', 'limit'] as const;

function noExtra(values: ReturnType<typeof parse>['values'], allowed: readonly string[]): void {
  for (const key of ['population', 'at', 'people', 'by', 'diff', ...EVENT_OPTIONS] as const) {
    const value = values[key];
    if (!allowed.includes(key) && value !== undefined && value !== false)
      throw new UsageError(`--${key} is not an option here\n${USAGE}`);
  }
}

async function runApply(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parse(argv);
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new UsageError(USAGE);
  noExtra(values, ['by']);
  const appliedBy = values.by ?? env.USER ?? env.LOGNAME ?? 'operator';
  const text = await readPolicyFile(file);
  if (typeof text !== 'string') {
    io.out(`${formatPolicyError(text)}\n`);
    return 1;
  }
  return withServices('policy', io, env, { metadata: true }, async (services) => {
    const applied = await services.policy.apply(text, { appliedBy, fileName: file }, io.now());
    if (values.json) {
      io.out(`${JSON.stringify(applied)}\n`);
      return 0;
    }
    const p = applied.policy;
    io.out(
      [
        applied.unchanged
          ? `${file}: unchanged — already policy version ${p.version} (applied by ${p.appliedBy} at ${p.appliedAt})`
          : `${file}: applied as policy version ${p.version} by ${p.appliedBy} at ${p.appliedAt} (sha256 ${p.sha256})`,
        `sessions ended because they no longer qualify: ${applied.sessionsEnded}`,
        ...(applied.unchanged || p.diff === '' ? [] : ['', p.diff.trimEnd()]),
      ].join('\n'),
    );
    return 0;
  });
}

async function runShow(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parse(argv);
  if (positionals.length > 0) throw new UsageError(USAGE);
  noExtra(values, []);
  return withServices('policy', io, env, { metadata: false }, async (services) => {
    const current = await services.policy.current();
    if (current === null) {
      if (values.json) io.out(`${JSON.stringify({ policy: null })}\n`);
      else io.out('no policy applied: everything that verifies is allowed (tessera policy apply FILE)\n');
      return 1;
    }
    if (values.json) {
      io.out(`${JSON.stringify({ policy: current })}\n`);
      return 0;
    }
    io.out(
      `# policy version ${current.version}, applied by ${current.appliedBy} at ${current.appliedAt}, sha256 ${current.sha256}\n${current.document}${current.document.endsWith('\n') ? '' : '\n'}`,
    );
    return 0;
  });
}

async function runHistory(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parse(argv);
  if (positionals.length > 0) throw new UsageError(USAGE);
  noExtra(values, ['diff']);
  return withServices('policy', io, env, { metadata: false }, async (services) => {
    const history = await services.policy.history();
    if (values.json) {
      io.out(`${JSON.stringify({ history })}\n`);
      return 0;
    }
    if (history.length === 0) {
      io.out('no policy applied yet\n');
      return 0;
    }
    const lines: string[] = [];
    for (const v of history) {
      const changed = v.diff.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l)).length;
      lines.push(
        `version ${v.version}  ${v.appliedAt}  by ${v.appliedBy}  sha256 ${v.sha256.slice(0, 12)}  ${changed} line${changed === 1 ? '' : 's'} changed`,
      );
      if (values.diff && v.diff !== '') lines.push(v.diff.trimEnd(), '');
    }
    io.out(`${lines.join('\n')}\n`);
    return 0;
  });
}

// ---------------------------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------------------------

const DURATION = /^(\d{1,6})([mhdw])$/;
const UNIT_MS: Readonly<Record<string, number>> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** `--since`: a date, a date-time with a zone, or a duration back from now (7d). */
function since(value: string, now: Date): Date {
  const duration = DURATION.exec(value);
  if (duration) return new Date(now.getTime() - Number(duration[1]) * (UNIT_MS[duration[2] ?? ''] ?? 0));
  const t = parseInstant(value);
  if (t === null)
    throw new UsageError(
      `--since must be a date (2026-03-01), a date-time with a zone, or a duration (30m, 12h, 7d, 2w), got ${JSON.stringify(value)}`,
    );
  return new Date(t);
}

function oneOf<T extends string>(
  option: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  const found = allowed.find((a) => a === value);
  if (found === undefined)
    throw new UsageError(`--${option} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return found;
}

function limitOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const limit = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_EVENT_LIMIT))
    throw new UsageError(
      `--limit must be a whole number from 1 to ${MAX_EVENT_LIMIT}, got ${JSON.stringify(value)}`,
    );
  return limit;
}

const SEGMENT = new RegExp(SEGMENT_NAME_PATTERN);

async function runEvents(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parse(argv);
  if (positionals.length > 0) throw new UsageError(USAGE);
  noExtra(values, EVENT_OPTIONS);
  if (values.segment !== undefined && !SEGMENT.test(values.segment))
    throw new UsageError(
      `--segment must be a segment name (or default), got ${JSON.stringify(values.segment)}`,
    );
  const point = oneOf('point', values.point, POLICY_EVENT_POINTS);
  const effect = oneOf('effect', values.effect, POLICY_EVENT_EFFECTS);
  const limit = limitOf(values.limit) ?? DEFAULT_EVENT_LIMIT;
  const filter = {
    // One more than shown, to tell a full page from everything there is (the table says so).
    limit: Math.min(limit + 1, MAX_EVENT_LIMIT),
    ...(values.since === undefined ? {} : { since: since(values.since, io.now()) }),
    ...(values.segment === undefined ? {} : { segment: values.segment }),
    ...(point === undefined ? {} : { point }),
    ...(effect === undefined ? {} : { effect }),
    ...(values.person === undefined ? {} : { username: values.person }),
  };
  return withServices('policy', io, env, { metadata: false }, async (services) => {
    const found = await services.policy.events(filter);
    const events = found.slice(0, limit);
    if (values.json) {
      io.out(`${JSON.stringify({ events })}\n`);
      return 0;
    }
    if (events.length === 0) {
      io.out('no policy events\n');
      return 0;
    }
    const lines = table(
      ['at', 'person', 'point', 'segment', 'phase', 'effect', 'version', 'app', 'codes'],
      events.map((e) => [
        e.at,
        e.username,
        e.point,
        e.segment,
        e.phase,
        e.effect,
        String(e.policyVersion),
        e.clientId ?? '—',
        e.codes.join(', '),
      ]),
      Number.POSITIVE_INFINITY,
    );
    if (found.length > limit || events.length === MAX_EVENT_LIMIT)
      lines.push('', `the newest ${n(limit)} events; --limit or --since for others`);
    io.out(`${lines.join('\n')}\n`);
    return 0;
  });
}

export async function runPolicy(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
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
  if (sub === 'simulate') return runSimulate(rest, io, env);
  if (sub === 'apply') return runApply(rest, io, env);
  if (sub === 'show') return runShow(rest, io, env);
  if (sub === 'history') return runHistory(rest, io, env);
  if (sub === 'events') return runEvents(rest, io, env);
  throw new UsageError(`unknown subcommand "${sub}"\n${USAGE}`);
}
