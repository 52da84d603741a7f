/**
 * The assurance policy in the services: storage with history, groups, and enforcement.
 *
 * The policy in force is the newest stored version (`tessera policy apply`); with none, nothing is
 * checked beyond what verification and the trust layer already refuse (the built-in default:
 * allow everything that verifies). It is read per operation through `sc.policy()`, which asks
 * the database for the newest version number and parses a document only when that changes, so
 * every instance enforces the same version within one request of an apply.
 *
 * Enforcement points (pure decisions from src/policy, explained in docs/policy.md):
 * - registration and onboarding finish: `decideRegistration` (class, attestation, AAGUID or model
 *   allow/deny, level, user verification); `deny` refuses with `policy_denied` and the reasons,
 *   `warn` answers with the warnings;
 * - sign-in finish: `decideSignIn` with the credential assessed against the current metadata (a
 *   model revoked or denied since enrolment is caught) and this sign-in's level;
 * - every session lookup: `decideSession` (level, the credential that created it, the segment's
 *   lifetime and idle limits); `deny` ends the session;
 * - session lifetime: a new session gets the segment's maxSessionHours / maxIdleMinutes when they
 *   are shorter than the level's limits;
 * - apply: every live session is re-decided and those denied are ended; the survivors' idle and
 *   absolute limits are lowered to the new policy's where it is stricter (never raised).
 *
 * The event log (`recordDecision`, table policy_events): every decision at registration, sign-in
 * and the OpenID Provider's acr that is not a plain allow (deny, warn, or monitor's
 * `monitor_would_deny`), and every session the policy ends, so an operator sees in monitor phase
 * whom enforcement would block. A session is logged only when it ends: its lookups run on every
 * request, and a row per request would bury everything else.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { GROUP_NAME } from '../config/index.js';
import {
  decideAcr,
  decideBackup,
  decideRegistration,
  decideSession,
  decideSignIn,
  formatPolicyError,
  type PolicyDecision,
  type PolicyDocument,
  type Population,
  type PopulationCredential,
  parsePolicy,
  phaseAt,
  SEGMENT_NAME_PATTERN,
  type SimulationReport,
  segmentFor,
  simulate,
  unifiedDiff,
} from '../policy/index.js';
import {
  allCredentials,
  type CredentialRecord,
  findCredential,
  findCredentials,
  listCredentials,
} from '../store/credentials.js';
import {
  addMember,
  deleteGroup,
  ensureGroup,
  groupsByPerson,
  groupsOf,
  listGroups,
  membersOf,
  removeMember,
} from '../store/groups.js';
import { allPeople, findPersonByUsername } from '../store/people.js';
import {
  currentPolicy,
  currentPolicyVersion,
  insertPolicy,
  type PolicyRecord,
  policyHistory,
} from '../store/policies.js';
import {
  insertPolicyEvent,
  listPolicyEvents,
  POLICY_EVENT_EFFECTS,
  POLICY_EVENT_POINTS,
  type PolicyEventWithName,
  purgePolicyEvents,
} from '../store/policy-events.js';
import type { Schema } from '../store/schema.js';
import { deleteSession, liveSessions, narrowSessionLimits, type SessionRecord } from '../store/sessions.js';
import type { AssuranceLevel, CredentialAssessment, SignInAssessment } from '../trust/assessment.js';
import type { MetadataSnapshot } from '../trust/metadata/index.js';
import { requireAdmin } from './admin.js';
import { assess, requireSession, type ServiceContext } from './context.js';
import type {
  AcrVerdictView,
  AppliedPolicyView,
  GroupView,
  PolicyDecisionView,
  PolicyEventFilterInput,
  PolicyEventView,
  PolicyNotice,
  PolicyVersionView,
  SimulationInput,
  TesseraServices,
} from './contract.js';
import { PolicyDeniedError, PolicyInvalidError, ServiceError } from './errors.js';
import { randomToken } from './secrets.js';
import { requireUsername } from './validation.js';

const HOUR = 60 * 60_000;
const MINUTE = 60_000;

// ---------------------------------------------------------------------------------------------
// The policy in force
// ---------------------------------------------------------------------------------------------

export interface PolicyInForce {
  readonly version: number;
  readonly policy: PolicyDocument;
}

/**
 * A reader of the policy in force for one database: one `max(version)` query per call, a parse
 * only when the version changes. A stored document that no longer parses (it was valid when
 * applied) is a fault, never silently "no policy".
 */
export function policyReader(db: Kysely<Schema>): () => Promise<PolicyInForce | null> {
  let cached: PolicyInForce | null = null;
  return async () => {
    const version = await currentPolicyVersion(db);
    if (version === 0) return null;
    if (cached !== null && cached.version === version) return cached;
    const row = await currentPolicy(db);
    if (row === null) return null;
    const parsed = parsePolicy(row.document, `policy version ${row.version}`);
    if (!parsed.policy)
      throw new Error(
        `stored policy version ${row.version} does not parse: ${parsed.errors.map(formatPolicyError).join('; ')}`,
      );
    cached = { version: row.version, policy: parsed.policy };
    return cached;
  };
}

// ---------------------------------------------------------------------------------------------
// Enforcement helpers (used by onboarding, registration, sign-in and sessions)
// ---------------------------------------------------------------------------------------------

type Assessed = CredentialAssessment & { readonly aaguid: string };

function assessed(assessment: CredentialAssessment, aaguid: string): Assessed {
  return { ...assessment, aaguid };
}

/** Warn and deny reasons of a decision, as a client sees them. */
export function notices(decision: PolicyDecision): PolicyNotice[] {
  return decision.reasons
    .filter((r) => r.severity !== 'info')
    .map((r) => ({ code: r.code, message: r.message }));
}

/** `deny` → `policy_denied` with the reasons; else the warnings (empty when allowed). */
function outcome(decision: PolicyDecision): PolicyNotice[] {
  if (decision.effect === 'deny') throw new PolicyDeniedError(notices(decision));
  return decision.effect === 'warn' ? notices(decision) : [];
}

/** `{warnings}` when there are any, else nothing (answers without a policy stay as they were). */
export function withWarnings(warnings: readonly PolicyNotice[]): {
  readonly warnings?: readonly PolicyNotice[];
} {
  return warnings.length === 0 ? {} : { warnings };
}

// ---------------------------------------------------------------------------------------------
// The event log
// ---------------------------------------------------------------------------------------------

/**
 * Is this decision worth a row in the event log? Everything but a plain allow: a deny, a warn, or
 * an allow that monitor phase softened (`monitor_would_deny`). An allow with only notes (a
 * voluntary acr the session does not reach) is not: nothing would change when enforced.
 */
export function isNoteworthy(decision: PolicyDecision): boolean {
  return decision.effect !== 'allow' || decision.reasons.some((r) => r.code === 'monitor_would_deny');
}

/** Whom and what a decision was about. Never a secret: no session id, challenge or pass. */
export interface DecisionSubject {
  readonly personId: string;
  /** The credential judged (registration, sign-in, the session's). */
  readonly credentialId?: Uint8Array | undefined;
  /** The OpenID Connect client that asked (point acr). */
  readonly clientId?: string | undefined;
  /** The policy version that decided (`PolicyInForce.version`). */
  readonly version: number;
}

/**
 * Log the decision when it is noteworthy (see `isNoteworthy`); true when a row was written. Written
 * on its own, never inside the operation's transaction: a refusal writes nothing else, and the
 * decision was made whether or not the operation then completes.
 */
export async function recordDecision(
  sc: ServiceContext,
  decision: PolicyDecision,
  subject: DecisionSubject,
  now: Date,
): Promise<boolean> {
  if (!isNoteworthy(decision)) return false;
  const point = POLICY_EVENT_POINTS.find((p) => p === decision.point);
  // Backup reminders and recovery codes are shown to the person, not logged: a caller bug.
  if (point === undefined) throw new Error(`decisions at ${decision.point} are not logged`);
  await insertPolicyEvent(sc.db, {
    id: randomToken(16),
    at: now.getTime(),
    personId: subject.personId,
    point,
    segment: decision.segment,
    phase: decision.phase,
    effect: decision.effect,
    codes: decision.reasons.filter((r) => r.code !== 'requirements_met').map((r) => r.code),
    policyVersion: subject.version,
    credentialId: subject.credentialId === undefined ? null : Buffer.from(subject.credentialId),
    clientId: subject.clientId ?? null,
  });
  await purgeOldEvents(sc, now);
  return true;
}

/** Old events are deleted at most this often per services instance (an indexed delete). */
export const EVENT_PURGE_EVERY_MS = 60 * 60_000;
const lastPurge = new WeakMap<ServiceContext, number>();

/** TESSERA_POLICY_EVENTS_RETENTION_DAYS: events older than that go, checked as new ones come. */
async function purgeOldEvents(sc: ServiceContext, now: Date): Promise<void> {
  const t = now.getTime();
  const last = lastPurge.get(sc);
  if (last !== undefined && t - last < EVENT_PURGE_EVERY_MS && t >= last) return;
  lastPurge.set(sc, t);
  await purgePolicyEvents(sc.db, t - sc.config.policyEventsRetentionDays * 24 * HOUR);
}

// ---------------------------------------------------------------------------------------------
// Enforcement points
// ---------------------------------------------------------------------------------------------

/**
 * May this person enrol this credential? Throws `policy_denied`; returns the warnings. A decision
 * that is not a plain allow is logged first, the refusal included (nothing else is written then).
 */
export async function enforceRegistration(
  sc: ServiceContext,
  personId: string,
  assessment: CredentialAssessment,
  credential: { readonly aaguid: string; readonly credentialId: Uint8Array },
  now: Date,
): Promise<PolicyNotice[]> {
  const inForce = await sc.policy();
  if (inForce === null) return [];
  const groups = await groupsOf(sc.db, personId);
  const decision = decideRegistration(
    inForce.policy,
    { groups },
    assessed(assessment, credential.aaguid),
    now,
  );
  await recordDecision(
    sc,
    decision,
    { personId, credentialId: credential.credentialId, version: inForce.version },
    now,
  );
  return outcome(decision);
}

export interface SignInVerdict {
  /** The decision, or null without a policy. */
  readonly decision: PolicyDecision | null;
  /** The version of the policy that decided, or null without a policy (for `recordDecision`). */
  readonly version: number | null;
  /** The session limits for this person's segment at this level. */
  readonly limits: SessionLimits;
}

/** Is this sign-in allowed (level, credential still allowed)? Does not throw: the caller records a refusal first. */
export async function judgeSignIn(
  sc: ServiceContext,
  personId: string,
  assessment: CredentialAssessment,
  aaguid: string,
  signIn: SignInAssessment,
  now: Date,
): Promise<SignInVerdict> {
  const inForce = await sc.policy();
  if (inForce === null) return { decision: null, version: null, limits: levelLimits(signIn.aal) };
  const groups = await groupsOf(sc.db, personId);
  const decision = decideSignIn(inForce.policy, { groups }, assessed(assessment, aaguid), signIn, now);
  return { decision, version: inForce.version, limits: limitsFor(inForce.policy, groups, signIn.aal) };
}

/** The warnings of an allowed sign-in, or `policy_denied`. */
export function signInOutcome(verdict: SignInVerdict): PolicyNotice[] {
  return verdict.decision === null ? [] : outcome(verdict.decision);
}

export interface SessionLimits {
  readonly absoluteMs: number;
  readonly idleMs: number;
}

/** SP 800-63B-4 limits per level: AAL3 12 h / 15 min; AAL2 (and AAL1) 24 h / 1 h. */
export function levelLimits(aal: AssuranceLevel | null): SessionLimits {
  return aal === 'AAL3'
    ? { absoluteMs: 12 * HOUR, idleMs: 15 * MINUTE }
    : { absoluteMs: 24 * HOUR, idleMs: HOUR };
}

/** The shorter of the level's limits and the segment's maxSessionHours / maxIdleMinutes. */
export function limitsFor(
  policy: PolicyDocument,
  groups: readonly string[],
  aal: AssuranceLevel | null,
): SessionLimits {
  const level = levelLimits(aal);
  const r = segmentFor(policy, groups).requirements;
  return {
    absoluteMs: Math.min(level.absoluteMs, r.maxSessionHours * HOUR),
    idleMs: Math.min(level.idleMs, r.maxIdleMinutes * MINUTE),
  };
}

/** The session limits for a person signing in at this level (the level's own without a policy). */
export async function sessionLimits(
  sc: ServiceContext,
  personId: string,
  aal: AssuranceLevel | null,
): Promise<SessionLimits> {
  const inForce = await sc.policy();
  if (inForce === null) return levelLimits(aal);
  return limitsFor(inForce.policy, await groupsOf(sc.db, personId), aal);
}

function levelOf(value: string): AssuranceLevel | null {
  return value === 'AAL1' || value === 'AAL2' || value === 'AAL3' ? value : null;
}

/** decideSession for a stored session and its credential (null when it has since been removed). */
function decideStoredSession(
  policy: PolicyDocument,
  session: SessionRecord,
  groups: readonly string[],
  credential: CredentialRecord | null,
  snapshot: MetadataSnapshot,
  now: Date,
): PolicyDecision {
  return decideSession(
    policy,
    { groups },
    {
      aal: levelOf(session.aal),
      authenticatedAt: new Date(session.authTime),
      lastActiveAt: new Date(session.lastSeenAt),
      ...(credential === null
        ? {}
        : { credential: assessed(assess(credential, snapshot), credential.aaguid) }),
    },
    now,
  );
}

async function sessionDecision(
  sc: ServiceContext,
  policy: PolicyDocument,
  session: SessionRecord,
  groups: readonly string[],
  snapshot: MetadataSnapshot,
  now: Date,
): Promise<PolicyDecision> {
  const credential = await findCredential(sc.db, session.credentialId);
  return decideStoredSession(policy, session, groups, credential, snapshot, now);
}

/**
 * End a session the policy denies, logging the decision: only the call that removed the row logs
 * it, so two requests racing with the same cookie (or a lookup racing an apply) log one end.
 */
async function endSession(
  sc: ServiceContext,
  session: SessionRecord,
  decision: PolicyDecision,
  version: number,
  now: Date,
): Promise<boolean> {
  if (!(await deleteSession(sc.db, session.hash))) return false;
  await recordDecision(
    sc,
    decision,
    { personId: session.personId, credentialId: session.credentialId, version },
    now,
  );
  return true;
}

/**
 * Does this live session still qualify? When it does not, it is ended here (and the decision
 * logged) and the caller treats it as gone. The lookup has just restarted the idle clock, so the
 * idle limit is enforced by the row's own `idle_timeout_ms` (which apply narrows), not here.
 */
export async function sessionQualifies(
  sc: ServiceContext,
  session: SessionRecord,
  now: Date,
): Promise<boolean> {
  const inForce = await sc.policy();
  if (inForce === null) return true;
  const groups = await groupsOf(sc.db, session.personId);
  const decision = await sessionDecision(sc, inForce.policy, session, groups, await sc.snapshot(), now);
  if (decision.effect !== 'deny') return true;
  await endSession(sc, session, decision, inForce.version, now);
  return false;
}

// ---------------------------------------------------------------------------------------------
// The services
// ---------------------------------------------------------------------------------------------

const iso = (ms: number): string => new Date(ms).toISOString();

function versionView(r: PolicyRecord): PolicyVersionView {
  return {
    version: r.version,
    sha256: r.sha256,
    appliedBy: r.appliedBy,
    appliedAt: iso(r.appliedAt),
    diff: r.diff,
  };
}

function appliedView(r: PolicyRecord): AppliedPolicyView {
  return { ...versionView(r), document: r.document };
}

function decisionView(d: PolicyDecision): PolicyDecisionView {
  return { point: d.point, effect: d.effect, reasons: notices(d), deadline: d.deadline ?? null };
}

function eventView(e: PolicyEventWithName): PolicyEventView {
  return {
    id: e.id,
    at: iso(e.at),
    username: e.username,
    point: e.point,
    segment: e.segment,
    phase: e.phase,
    effect: e.effect,
    codes: e.codes,
    policyVersion: e.policyVersion,
    credentialId: e.credentialId === null ? null : e.credentialId.toString('base64url'),
    clientId: e.clientId,
  };
}

export const DEFAULT_EVENT_LIMIT = 100;
export const MAX_EVENT_LIMIT = 10_000;
/** Segment names as the schema allows them (`default` among them). */
const SEGMENT_NAME = new RegExp(SEGMENT_NAME_PATTERN);

function filterInvalid(detail: string): ServiceError {
  return new ServiceError('event_filter_invalid', detail);
}

const SIMULATED_PEOPLE = ['none', 'affected', 'all'] as const;

/** Who applied a version: 1 to 64 printable characters, like a credential name (`name_invalid`). */
const APPLIED_BY = /^[^\p{Cc}\p{Zl}\p{Zp}]{1,64}$/u;

export function policyService(sc: ServiceContext): TesseraServices['policy'] {
  /**
   * Re-decide every live session under a newly applied policy: end those it denies (logged, point
   * `session`), and lower the idle and absolute limits of the others to the new segment's where
   * they are shorter (a session keeps the limits it was issued with otherwise, and since every
   * lookup restarts the idle clock before deciding, decideSession alone never sees idleness).
   * Memberships in one query and the sessions' credentials in a few, whatever the number of
   * sessions. Returns how many ended.
   */
  async function endSessionsThatNoLongerQualify(
    policy: PolicyDocument,
    version: number,
    now: Date,
  ): Promise<number> {
    const sessions = await liveSessions(sc.db, now.getTime());
    if (sessions.length === 0) return 0;
    const snapshot = await sc.snapshot();
    const groupsOfPerson = await groupsByPerson(sc.db);
    const ids = new Map<string, Buffer>();
    for (const session of sessions) ids.set(session.credentialId.toString('hex'), session.credentialId);
    const credentials = new Map<string, CredentialRecord>();
    for (const c of await findCredentials(sc.db, [...ids.values()])) credentials.set(c.id.toString('hex'), c);

    let ended = 0;
    for (const session of sessions) {
      const groups = groupsOfPerson.get(session.personId) ?? [];
      const credential = credentials.get(session.credentialId.toString('hex')) ?? null;
      const decision = decideStoredSession(policy, session, groups, credential, snapshot, now);
      if (decision.effect === 'deny') {
        if (await endSession(sc, session, decision, version, now)) ended++;
        continue;
      }
      const limits = limitsFor(policy, groups, levelOf(session.aal));
      const expiresAt = session.authTime + limits.absoluteMs;
      if (limits.idleMs < session.idleTimeoutMs || expiresAt < session.expiresAt)
        await narrowSessionLimits(sc.db, session.hash, limits.idleMs, expiresAt);
    }
    return ended;
  }

  async function events(filter: PolicyEventFilterInput = {}): Promise<readonly PolicyEventView[]> {
    const limit = filter.limit ?? DEFAULT_EVENT_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_EVENT_LIMIT)
      throw filterInvalid(`limit must be 1 to ${MAX_EVENT_LIMIT}`);
    if (filter.since !== undefined && !Number.isFinite(filter.since.getTime()))
      throw filterInvalid('since is not a valid time');
    if (filter.point !== undefined && !POLICY_EVENT_POINTS.includes(filter.point))
      throw filterInvalid(`point must be one of ${POLICY_EVENT_POINTS.join(', ')}`);
    if (filter.effect !== undefined && !POLICY_EVENT_EFFECTS.includes(filter.effect))
      throw filterInvalid(`effect must be one of ${POLICY_EVENT_EFFECTS.join(', ')}`);
    if (filter.segment !== undefined && !SEGMENT_NAME.test(filter.segment))
      throw filterInvalid('segment is not a segment name');
    let personId: string | undefined;
    if (filter.username !== undefined) {
      const person = await findPersonByUsername(sc.db, requireUsername(filter.username));
      if (person === null) throw new ServiceError('person_not_found', filter.username);
      personId = person.id;
    }
    const found = await listPolicyEvents(sc.db, {
      limit,
      ...(filter.since === undefined ? {} : { since: filter.since.getTime() }),
      ...(filter.segment === undefined ? {} : { segment: filter.segment }),
      ...(filter.point === undefined ? {} : { point: filter.point }),
      ...(filter.effect === undefined ? {} : { effect: filter.effect }),
      ...(personId === undefined ? {} : { personId }),
    });
    return found.map(eventView);
  }

  async function population(): Promise<Population> {
    const snapshot = await sc.snapshot();
    const groups = await groupsByPerson(sc.db);
    const people = (await allPeople(sc.db)).map((p) => ({
      id: p.id,
      username: p.username,
      groups: (groups.get(p.id) ?? []).sort(),
    }));
    const credentials: PopulationCredential[] = (await allCredentials(sc.db)).map((c) => {
      const a = assess(c, snapshot);
      return {
        personId: c.personId,
        class: a.class,
        aal: a.refused ? null : a.aal,
        aaguid: c.aaguid,
        model: a.model,
        attestationTrust: a.attestation.trust,
        uvCapable: a.evidence.userVerificationCapable,
        refused: a.refused,
      };
    });
    return { people, credentials };
  }

  return {
    async apply(text, input, now) {
      const appliedBy = input.appliedBy.trim();
      if (!APPLIED_BY.test(appliedBy)) throw new ServiceError('name_invalid', 'appliedBy');
      const parsed = parsePolicy(text, input.fileName ?? 'policy');
      if (!parsed.policy) throw new PolicyInvalidError(parsed.errors);
      const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
      for (let attempt = 0; attempt < 5; attempt++) {
        const previous = await currentPolicy(sc.db);
        if (previous !== null && previous.sha256 === sha256) {
          const sessionsEnded = await endSessionsThatNoLongerQualify(parsed.policy, previous.version, now);
          return { policy: appliedView(previous), unchanged: true, sessionsEnded };
        }
        const version = (previous?.version ?? 0) + 1;
        const record: PolicyRecord = {
          version,
          document: text,
          sha256,
          appliedBy,
          appliedAt: now.getTime(),
          diff: unifiedDiff(
            previous?.document ?? '',
            text,
            previous === null ? '/dev/null' : `policy version ${previous.version}`,
            `policy version ${version}`,
          ),
        };
        if ((await insertPolicy(sc.db, record)) === 'conflict') continue;
        const sessionsEnded = await endSessionsThatNoLongerQualify(parsed.policy, version, now);
        return { policy: appliedView(record), unchanged: false, sessionsEnded };
      }
      throw new Error('could not store the policy: other versions kept being applied at the same time');
    },

    async current() {
      const row = await currentPolicy(sc.db);
      return row === null ? null : appliedView(row);
    },

    async history() {
      return (await policyHistory(sc.db)).map(versionView);
    },

    events,

    async eventsFor(ctx, filter = {}) {
      // The guard first: nothing about the filter (an unknown person included) is answered to
      // someone who may not read the log.
      await requireAdmin(sc, ctx);
      return events(filter);
    },

    async simulateProposed(ctx, input: SimulationInput): Promise<SimulationReport> {
      await requireAdmin(sc, ctx);
      const at = input.at ?? ctx.now;
      if (!Number.isFinite(at.getTime())) throw new ServiceError('simulation_invalid', 'at is not a time');
      const people = input.people ?? 'none';
      if (!SIMULATED_PEOPLE.includes(people))
        throw new ServiceError('simulation_invalid', `people must be one of ${SIMULATED_PEOPLE.join(', ')}`);
      // Refused exactly as apply refuses it, so what simulates is what applies.
      const parsed = parsePolicy(input.document, input.fileName ?? 'policy');
      if (!parsed.policy) throw new PolicyInvalidError(parsed.errors);
      return simulate(parsed.policy, await population(), at, { people });
    },

    async status(ctx) {
      const { session, person } = await requireSession(sc, ctx);
      const inForce = await sc.policy();
      if (inForce === null) return { segment: 'default', phase: 'enforce', decisions: [] };
      const groups = await groupsOf(sc.db, person.id);
      const snapshot = await sc.snapshot();
      const segment = segmentFor(inForce.policy, groups);
      const credentials = (await listCredentials(sc.db, person.id)).map((c: CredentialRecord) =>
        assessed(assess(c, snapshot), c.aaguid),
      );
      const decisions = [
        await sessionDecision(sc, inForce.policy, session, groups, snapshot, ctx.now),
        decideBackup(inForce.policy, { groups }, credentials, ctx.now),
      ]
        .filter((d) => d.effect !== 'allow')
        .map(decisionView);
      return { segment: segment.name, phase: phaseAt(segment.rollout, ctx.now).phase, decisions };
    },

    async acr(ctx, request): Promise<AcrVerdictView | null> {
      const { session, person } = await requireSession(sc, ctx);
      const inForce = await sc.policy();
      if (inForce === null) return null;
      const groups = await groupsOf(sc.db, person.id);
      const decision = decideAcr(
        inForce.policy,
        { groups },
        { values: request.values, essential: request.essential },
        { aal: levelOf(session.aal) },
        ctx.now,
      );
      // No credential here: the decision is about the session's level and the app's acr.
      await recordDecision(
        sc,
        decision,
        { personId: person.id, clientId: request.clientId, version: inForce.version },
        ctx.now,
      );
      return {
        ...decisionView(decision),
        segment: decision.segment,
        phase: decision.phase,
        summary: decision.summary,
        stepUpTo: decision.stepUpTo,
      };
    },

    async refreshAllowed(personId, signIn, now) {
      const inForce = await sc.policy();
      if (inForce === null) return true;
      const groups = await groupsOf(sc.db, personId);
      // An app refreshing its tokens is active: only the level and the segment's lifetime count.
      const decision = decideSession(
        inForce.policy,
        { groups },
        { aal: signIn.aal, authenticatedAt: signIn.authTime, lastActiveAt: now },
        now,
      );
      if (decision.effect !== 'deny') return true;
      await recordDecision(
        sc,
        decision,
        { personId, clientId: signIn.clientId, version: inForce.version },
        now,
      );
      return false;
    },

    population,
  };
}

function requireGroup(value: unknown): string {
  if (typeof value !== 'string' || !GROUP_NAME.test(value)) throw new ServiceError('group_invalid');
  return value;
}

export function groupsService(sc: ServiceContext): TesseraServices['groups'] {
  async function personId(username: string): Promise<string> {
    const person = await findPersonByUsername(sc.db, requireUsername(username));
    if (person === null) throw new ServiceError('person_not_found', username);
    return person.id;
  }

  return {
    async add(input, now): Promise<GroupView> {
      const group = requireGroup(input.group);
      const ids: string[] = [];
      for (const u of input.usernames ?? []) ids.push(await personId(u));
      await sc.db.transaction().execute(async (trx) => {
        await ensureGroup(trx, group, now.getTime());
        for (const id of ids) await addMember(trx, id, group, now.getTime());
      });
      return { name: group, members: await membersOf(sc.db, group) };
    },

    async remove(input): Promise<void> {
      const group = requireGroup(input.group);
      const exists = (await listGroups(sc.db)).some((g) => g.name === group);
      if (!exists) throw new ServiceError('group_not_found', group);
      if (input.usernames === undefined || input.usernames.length === 0) {
        await sc.db.transaction().execute(async (trx) => {
          await deleteGroup(trx, group);
        });
        return;
      }
      for (const u of input.usernames) await removeMember(sc.db, await personId(u), group);
    },

    async list(): Promise<readonly GroupView[]> {
      const out: GroupView[] = [];
      for (const g of await listGroups(sc.db))
        out.push({ name: g.name, members: await membersOf(sc.db, g.name) });
      return out;
    },

    async of(username): Promise<readonly string[]> {
      return groupsOf(sc.db, await personId(username));
    },
  };
}
