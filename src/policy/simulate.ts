/**
 * Simulation (PRODUCT C4): evaluate a proposed policy against every person and credential without
 * applying it. Per segment: who would be blocked, who would be warned, who lacks a backup, and why.
 *
 * Each credential is judged as a sign-in would judge it (`decideSignIn` with the sign-in it would
 * make: its own level, the person verified when the authenticator can), each person's backup as
 * `decideBackup` would — the same checks from the same table, run as bit masks without building
 * sentences. A person is
 *
 * - `blocked` when they have credentials and every one would be denied now;
 * - `warned` when not blocked and a credential or their backup would be warned about now;
 * - `allowed` otherwise (in monitor phase, what would be denied is allowed: see `wouldBlock`);
 * - `no-credentials` when nothing is enrolled.
 *
 * `wouldBlock` counts people every credential of whom would be denied once the segment is
 * enforced, whatever its phase today; `lackingBackup` people with fewer credentials meeting the
 * requirements than `minCredentials` (people with none included).
 *
 * Linear in people + credentials: one Map from person id to index, credentials grouped per person
 * with two typed arrays, one reused evaluation context; per-person objects only when asked for.
 */
import {
  ASSURANCE_LEVELS,
  type AssuranceLevel,
  CREDENTIAL_CLASSES,
  type CredentialClass,
  type Phase,
  type PolicyDocument,
} from './document.js';
import {
  CHECK_BIT,
  CHECKS,
  type CheckContext,
  type CompiledSegment,
  type CredentialView,
  codesOf,
  compiledSegmentFor,
  compilePolicy,
  deniedWhenEnforced,
  type Effect,
  effectOf,
  segmentPhase,
  violations,
} from './evaluate.js';
import type { PolicyCheckCode } from './reasons.js';

export interface PopulationPerson {
  readonly id: string;
  readonly username?: string;
  readonly groups: readonly string[];
}

export interface PopulationCredential extends CredentialView {
  readonly personId: string;
}

export interface Population {
  readonly people: readonly PopulationPerson[];
  readonly credentials: readonly PopulationCredential[];
}

export interface SimulationOptions {
  /** Per-person outcomes in the report: none (default), only people not simply allowed, or all. */
  readonly people?: 'none' | 'affected' | 'all';
}

export interface Counts {
  readonly people: number;
  readonly allowed: number;
  readonly warned: number;
  readonly blocked: number;
  readonly noCredentials: number;
  readonly wouldBlock: number;
  readonly lackingBackup: number;
  readonly credentials: {
    readonly total: number;
    readonly allowed: number;
    readonly warned: number;
    readonly denied: number;
  };
}

export interface ReasonCount {
  readonly code: PolicyCheckCode;
  /** People with at least one credential (or their backup) failing this check. */
  readonly people: number;
  /** Credentials failing this check. */
  readonly credentials: number;
}

export interface SegmentReport extends Counts {
  readonly name: string;
  readonly minAal: AssuranceLevel;
  readonly phase: Phase;
  /** When enforcement starts, if it is scheduled after the simulated time. */
  readonly enforceFrom: string | null;
  /** Why (whatever the phase), most people first. */
  readonly reasons: readonly ReasonCount[];
}

export type PersonStatus = 'allowed' | 'warned' | 'blocked' | 'no-credentials';

export interface CredentialOutcome {
  /** Index in `population.credentials`. */
  readonly index: number;
  readonly effect: Effect;
  /** The checks its sign-in fails, in table order. */
  readonly codes: readonly PolicyCheckCode[];
}

export interface PersonOutcome {
  readonly id: string;
  readonly username?: string;
  readonly segment: string;
  readonly phase: Phase;
  readonly status: PersonStatus;
  readonly wouldBlock: boolean;
  readonly qualifying: number;
  readonly minCredentials: number;
  readonly lacksBackup: boolean;
  readonly backup: Effect;
  readonly credentials: readonly CredentialOutcome[];
}

export interface SimulationReport {
  /** The simulated time (ISO 8601). */
  readonly at: string;
  readonly totals: Counts;
  /** In policy order, the default segment last. */
  readonly segments: readonly SegmentReport[];
  /** Credentials whose `personId` names nobody in `people` (not counted anywhere else). */
  readonly unmatchedCredentials: number;
  readonly people?: readonly PersonOutcome[];
}

class Counter {
  people = 0;
  allowed = 0;
  warned = 0;
  blocked = 0;
  noCredentials = 0;
  wouldBlock = 0;
  lackingBackup = 0;
  credTotal = 0;
  credAllowed = 0;
  credWarned = 0;
  credDenied = 0;
  readonly reasonPeople = new Int32Array(CHECKS.length);
  readonly reasonCredentials = new Int32Array(CHECKS.length);

  counts(): Counts {
    return {
      people: this.people,
      allowed: this.allowed,
      warned: this.warned,
      blocked: this.blocked,
      noCredentials: this.noCredentials,
      wouldBlock: this.wouldBlock,
      lackingBackup: this.lackingBackup,
      credentials: {
        total: this.credTotal,
        allowed: this.credAllowed,
        warned: this.credWarned,
        denied: this.credDenied,
      },
    };
  }

  reasons(): ReasonCount[] {
    const out: ReasonCount[] = [];
    CHECKS.forEach((check, i) => {
      const people = this.reasonPeople[i] ?? 0;
      const credentials = this.reasonCredentials[i] ?? 0;
      if (people > 0 || credentials > 0) out.push({ code: check.code, people, credentials });
    });
    return out.sort((a, b) => b.people - a.people || b.credentials - a.credentials);
  }
}

function addBits(target: Int32Array, mask: number): void {
  for (let i = 0; mask !== 0 && i < target.length; i++) {
    if ((mask & (1 << i)) !== 0) {
      target[i] = (target[i] ?? 0) + 1;
      mask &= ~(1 << i);
    }
  }
}

/** Evaluate `policy` against `population` at `now`, applying nothing. */
export function simulate(
  policy: PolicyDocument,
  population: Population,
  now: Date,
  options: SimulationOptions = {},
): SimulationReport {
  const compiled = compilePolicy(policy);
  const t = now.getTime();
  const all: readonly CompiledSegment[] = [...compiled.segments, compiled.fallback];
  const phases = all.map((s) => segmentPhase(s, t));
  const counters = all.map(() => new Counter());
  const slot = (s: CompiledSegment) => (s.index === -1 ? all.length - 1 : s.index);

  const { people, credentials } = population;
  const index = new Map<string, number>();
  for (let i = 0; i < people.length; i++) {
    const id = people[i]?.id;
    if (id !== undefined && !index.has(id)) index.set(id, i);
  }
  // Credentials grouped per person: start offsets (prefix sums of counts) and the order.
  const start = new Int32Array(people.length + 1);
  const owner = new Int32Array(credentials.length);
  let unmatched = 0;
  for (let j = 0; j < credentials.length; j++) {
    const p = index.get((credentials[j] as PopulationCredential).personId);
    owner[j] = p ?? -1;
    if (p === undefined) unmatched++;
    else start[p + 1] = (start[p + 1] ?? 0) + 1;
  }
  for (let i = 0; i < people.length; i++) start[i + 1] = (start[i + 1] ?? 0) + (start[i] ?? 0);
  const fill = start.slice(0, people.length);
  const order = new Int32Array(credentials.length - unmatched);
  for (let j = 0; j < credentials.length; j++) {
    const p = owner[j] ?? -1;
    if (p < 0) continue;
    const at = fill[p] ?? 0;
    order[at] = j;
    fill[p] = at + 1;
  }

  const want = options.people ?? 'none';
  const outcomes: PersonOutcome[] | undefined = want === 'none' ? undefined : [];
  const signIn = { aal: null as AssuranceLevel | null, refused: false, userVerified: false };
  const ctx: CheckContext = {
    point: 'sign-in',
    segment: compiled.fallback,
    credential: null,
    signIn: null,
    session: null,
    enrolled: 0,
    qualifying: 0,
    acr: null,
  };

  for (let i = 0; i < people.length; i++) {
    const person = people[i] as PopulationPerson;
    const segment = compiledSegmentFor(compiled, person.groups);
    const s = slot(segment);
    const phase = (phases[s] as { phase: Phase }).phase;
    const counter = counters[s] as Counter;
    ctx.segment = segment;
    const from = start[i] ?? 0;
    const to = start[i + 1] ?? 0;
    let qualifying = 0;
    let denied = 0;
    let deniedEnforced = 0;
    let warned = false;
    let personMask = 0;
    const credentialOutcomes: CredentialOutcome[] | null = outcomes ? [] : null;
    for (let k = from; k < to; k++) {
      const j = order[k] ?? 0;
      const credential = credentials[j] as PopulationCredential;
      ctx.point = 'sign-in';
      ctx.credential = credential;
      signIn.aal = credential.refused ? null : credential.aal;
      signIn.refused = credential.refused;
      signIn.userVerified = credential.uvCapable;
      ctx.signIn = signIn;
      const mask = violations(ctx);
      const effect = effectOf(mask, phase);
      ctx.point = 'registration';
      ctx.signIn = null;
      if (violations(ctx) === 0) qualifying++;
      counter.credTotal++;
      if (effect === 'deny') {
        denied++;
        counter.credDenied++;
      } else if (effect === 'warn') {
        warned = true;
        counter.credWarned++;
      } else counter.credAllowed++;
      if (deniedWhenEnforced(mask)) deniedEnforced++;
      if (mask !== 0) {
        addBits(counter.reasonCredentials, mask);
        personMask |= mask;
      }
      credentialOutcomes?.push({ index: j, effect, codes: codesOf(mask) });
    }
    ctx.point = 'backup';
    ctx.credential = null;
    ctx.enrolled = to - from;
    ctx.qualifying = qualifying;
    const backupMask = violations(ctx);
    const backup = effectOf(backupMask, phase);
    if (backupMask !== 0) {
      personMask |= backupMask;
      if ((backupMask & CHECK_BIT.backup_missing) !== 0) counter.lackingBackup++;
    }
    addBits(counter.reasonPeople, personMask);

    const total = to - from;
    const status: PersonStatus =
      total === 0
        ? 'no-credentials'
        : denied === total
          ? 'blocked'
          : warned || backup === 'warn'
            ? 'warned'
            : 'allowed';
    const wouldBlock = total > 0 && deniedEnforced === total;
    counter.people++;
    if (status === 'no-credentials') counter.noCredentials++;
    else if (status === 'blocked') counter.blocked++;
    else if (status === 'warned') counter.warned++;
    else counter.allowed++;
    if (wouldBlock) counter.wouldBlock++;

    if (outcomes && credentialOutcomes && (want === 'all' || status !== 'allowed' || personMask !== 0)) {
      outcomes.push({
        id: person.id,
        ...(person.username === undefined ? {} : { username: person.username }),
        segment: segment.name,
        phase,
        status,
        wouldBlock,
        qualifying,
        minCredentials: segment.requirements.minCredentials,
        lacksBackup: (backupMask & CHECK_BIT.backup_missing) !== 0,
        backup,
        credentials: credentialOutcomes,
      });
    }
  }

  const total = new Counter();
  for (const c of counters) {
    total.people += c.people;
    total.allowed += c.allowed;
    total.warned += c.warned;
    total.blocked += c.blocked;
    total.noCredentials += c.noCredentials;
    total.wouldBlock += c.wouldBlock;
    total.lackingBackup += c.lackingBackup;
    total.credTotal += c.credTotal;
    total.credAllowed += c.credAllowed;
    total.credWarned += c.credWarned;
    total.credDenied += c.credDenied;
  }
  return {
    at: now.toISOString(),
    totals: total.counts(),
    segments: all.map((segment, s) => {
      const counter = counters[s] as Counter;
      const p = phases[s] as { phase: Phase; enforceAt: number | null };
      return {
        name: segment.name,
        minAal: segment.requirements.minAal,
        phase: p.phase,
        enforceFrom: p.enforceAt === null ? null : new Date(p.enforceAt).toISOString(),
        ...counter.counts(),
        reasons: counter.reasons(),
      };
    }),
    unmatchedCredentials: unmatched,
    ...(outcomes === undefined ? {} : { people: outcomes }),
  };
}

// ---------------------------------------------------------------------------------------------
// The population file
// ---------------------------------------------------------------------------------------------

const MAX_POPULATION_ERRORS = 20;
const TRUST = ['trusted', 'untrusted', 'unverifiable'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A person, or the error "path: message". */
function readPerson(p: unknown, at: string, ids: Set<string>): PopulationPerson | string {
  if (!isRecord(p)) return `${at}: expected an object`;
  const { id, username, groups } = p;
  if (typeof id !== 'string' || id === '') return `${at}.id: expected a non-empty string`;
  if (ids.has(id)) return `${at}.id: ${JSON.stringify(id)} appears twice`;
  ids.add(id);
  if (username !== undefined && typeof username !== 'string') return `${at}.username: expected a string`;
  if (!Array.isArray(groups) || !groups.every((g): g is string => typeof g === 'string'))
    return `${at}.groups: expected a list of strings`;
  return username === undefined ? { id, groups } : { id, username, groups };
}

/** A credential, or the error "path: message". */
function readCredential(c: unknown, at: string, ids: ReadonlySet<string>): PopulationCredential | string {
  if (!isRecord(c)) return `${at}: expected an object`;
  const { personId, aaguid, model, uvCapable, refused, attestationTrust, aal } = c;
  const cls = c.class;
  if (typeof personId !== 'string') return `${at}.personId: expected a string`;
  if (!ids.has(personId)) return `${at}.personId: ${JSON.stringify(personId)} is not in people`;
  if (typeof cls !== 'string' || !(CREDENTIAL_CLASSES as readonly string[]).includes(cls))
    return `${at}.class: expected one of ${CREDENTIAL_CLASSES.join(', ')}`;
  if (aal !== null && (typeof aal !== 'string' || !(ASSURANCE_LEVELS as readonly string[]).includes(aal)))
    return `${at}.aal: expected AAL1, AAL2, AAL3 or null`;
  if (typeof aaguid !== 'string') return `${at}.aaguid: expected a string`;
  if (model !== null && typeof model !== 'string') return `${at}.model: expected a string or null`;
  if (typeof attestationTrust !== 'string' || !(TRUST as readonly string[]).includes(attestationTrust))
    return `${at}.attestationTrust: expected one of ${TRUST.join(', ')}`;
  if (typeof uvCapable !== 'boolean') return `${at}.uvCapable: expected true or false`;
  if (typeof refused !== 'boolean') return `${at}.refused: expected true or false`;
  if ((aal === null) !== refused) return `${at}.aal: null exactly when the credential is refused`;
  return {
    personId,
    class: cls as CredentialClass,
    aal: aal as AssuranceLevel | null,
    aaguid: aaguid.toLowerCase(),
    model,
    attestationTrust: attestationTrust as (typeof TRUST)[number],
    uvCapable,
    refused,
  };
}

/**
 * Check the JSON input of `simulate` (people and credentials as `Population` describes them;
 * extra fields are ignored, AAGUIDs are lower-cased). Errors name the field: `credentials[3].class`.
 */
export function parsePopulation(
  value: unknown,
):
  | { readonly population: Population; readonly errors?: undefined }
  | { readonly population?: undefined; readonly errors: readonly string[] } {
  const errors: string[] = [];
  const fail = (message: string) => {
    if (errors.length < MAX_POPULATION_ERRORS) errors.push(message);
    else if (errors.length === MAX_POPULATION_ERRORS) errors.push('… and more');
  };
  if (!isRecord(value)) return { errors: ['(file): expected an object with "people" and "credentials"'] };
  const rawPeople = value.people;
  const rawCredentials = value.credentials;
  if (!Array.isArray(rawPeople)) fail('people: expected a list');
  if (!Array.isArray(rawCredentials)) fail('credentials: expected a list');
  if (!Array.isArray(rawPeople) || !Array.isArray(rawCredentials)) return { errors };

  const people: PopulationPerson[] = [];
  const ids = new Set<string>();
  rawPeople.forEach((p: unknown, i) => {
    const read = readPerson(p, `people[${i}]`, ids);
    if (typeof read === 'string') fail(read);
    else people.push(read);
  });
  const credentials: PopulationCredential[] = [];
  rawCredentials.forEach((c: unknown, i) => {
    const read = readCredential(c, `credentials[${i}]`, ids);
    if (typeof read === 'string') fail(read);
    else credentials.push(read);
  });
  return errors.length > 0 ? { errors } : { population: { people, credentials } };
}
