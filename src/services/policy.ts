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
 * - apply: every live session is re-decided and those denied are ended.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
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
  segmentFor,
  unifiedDiff,
} from '../policy/index.js';
import {
  allCredentials,
  type CredentialRecord,
  findCredential,
  listCredentials,
} from '../store/credentials.js';
import {
  addMember,
  allMemberships,
  deleteGroup,
  ensureGroup,
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
import type { Schema } from '../store/schema.js';
import { deleteSession, liveSessions, type SessionRecord } from '../store/sessions.js';
import type { AssuranceLevel, CredentialAssessment, SignInAssessment } from '../trust/assessment.js';
import type { MetadataSnapshot } from '../trust/metadata/index.js';
import { assess, requireSession, type ServiceContext } from './context.js';
import type {
  AcrVerdictView,
  AppliedPolicyView,
  GroupView,
  PolicyDecisionView,
  PolicyNotice,
  PolicyVersionView,
  TesseraServices,
} from './contract.js';
import { PolicyDeniedError, PolicyInvalidError, ServiceError } from './errors.js';
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

/** May this person enrol this credential? Throws `policy_denied`; returns the warnings. */
export async function enforceRegistration(
  sc: ServiceContext,
  personId: string,
  assessment: CredentialAssessment,
  aaguid: string,
  now: Date,
): Promise<PolicyNotice[]> {
  const inForce = await sc.policy();
  if (inForce === null) return [];
  const groups = await groupsOf(sc.db, personId);
  return outcome(decideRegistration(inForce.policy, { groups }, assessed(assessment, aaguid), now));
}

export interface SignInVerdict {
  /** The decision, or null without a policy. */
  readonly decision: PolicyDecision | null;
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
  if (inForce === null) return { decision: null, limits: levelLimits(signIn.aal) };
  const groups = await groupsOf(sc.db, personId);
  const decision = decideSignIn(inForce.policy, { groups }, assessed(assessment, aaguid), signIn, now);
  return { decision, limits: limitsFor(inForce.policy, groups, signIn.aal) };
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

async function sessionDecision(
  sc: ServiceContext,
  policy: PolicyDocument,
  session: SessionRecord,
  groups: readonly string[],
  snapshot: MetadataSnapshot,
  now: Date,
): Promise<PolicyDecision> {
  const credential = await findCredential(sc.db, session.credentialId);
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

/**
 * Does this live session still qualify? False means the caller ends it. `lastActiveAt` is the
 * previous activity when the caller knows it (the lookup has just refreshed the row).
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
  return decision.effect !== 'deny';
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

/** Who applied a version: 1 to 64 printable characters, like a credential name (`name_invalid`). */
const APPLIED_BY = /^[^\p{Cc}\p{Zl}\p{Zp}]{1,64}$/u;

export function policyService(sc: ServiceContext): TesseraServices['policy'] {
  /** End every live session the policy now denies; returns how many. */
  async function endSessionsThatNoLongerQualify(policy: PolicyDocument, now: Date): Promise<number> {
    const snapshot = await sc.snapshot();
    const groupsByPerson = new Map<string, readonly string[]>();
    let ended = 0;
    for (const session of await liveSessions(sc.db, now.getTime())) {
      let groups = groupsByPerson.get(session.personId);
      if (groups === undefined) {
        groups = await groupsOf(sc.db, session.personId);
        groupsByPerson.set(session.personId, groups);
      }
      const decision = await sessionDecision(sc, policy, session, groups, snapshot, now);
      if (decision.effect === 'deny') {
        await deleteSession(sc.db, session.hash);
        ended++;
      }
    }
    return ended;
  }

  return {
    async apply(text, input, now) {
      const appliedBy = input.appliedBy.trim();
      if (!APPLIED_BY.test(appliedBy)) throw new ServiceError('name_invalid', 'appliedBy');
      const parsed = parsePolicy(text, input.fileName ?? 'policy');
      if (!parsed.policy) throw new PolicyInvalidError(parsed.errors.map(formatPolicyError));
      const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
      for (let attempt = 0; attempt < 5; attempt++) {
        const previous = await currentPolicy(sc.db);
        if (previous !== null && previous.sha256 === sha256) {
          const sessionsEnded = await endSessionsThatNoLongerQualify(parsed.policy, now);
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
        const sessionsEnded = await endSessionsThatNoLongerQualify(parsed.policy, now);
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
      const decision = decideAcr(inForce.policy, { groups }, request, { aal: levelOf(session.aal) }, ctx.now);
      return {
        ...decisionView(decision),
        segment: decision.segment,
        phase: decision.phase,
        summary: decision.summary,
        stepUpTo: decision.stepUpTo,
      };
    },

    async population(): Promise<Population> {
      const snapshot = await sc.snapshot();
      const groups = new Map<string, string[]>();
      for (const m of await allMemberships(sc.db)) {
        const list = groups.get(m.personId) ?? [];
        list.push(m.group);
        groups.set(m.personId, list);
      }
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
    },
  };
}

const GROUP = /^[\p{L}\p{N}._@:-]{1,128}$/u;

function requireGroup(value: unknown): string {
  if (typeof value !== 'string' || !GROUP.test(value)) throw new ServiceError('group_invalid');
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
