/**
 * Policy evaluation: decisions at each enforcement point, as ordered named checks.
 *
 * `CHECKS` is the table. Each check has a stable code, the points where it runs, and
 * `applies(ctx)` / `evaluate(ctx)` / `explain(ctx)`. A decision runs the point's checks in order,
 * then lets the segment's rollout phase at `now` decide what a failure does:
 *
 * | failure of…                         | monitor                    | warn                  | enforce |
 * | ----------------------------------- | -------------------------- | --------------------- | ------- |
 * | a blocking check                    | allow + monitor_would_deny | warn (with the date)  | deny    |
 * | a non-blocking check (backup)       | allow (info)               | warn (with the date)  | warn    |
 * | a hard check (metadata refused it)  | deny                       | deny                  | deny    |
 *
 * Every decision explains itself: its reasons carry a code from POLICY_REASONS and a sentence
 * naming the segment, the requirement and the fact that fails it; a warning adds what to do and
 * by when. `simulate.ts` runs the same checks (as bit masks, without the sentences) over a whole
 * population, and a property test keeps the two in agreement.
 *
 * Pure: no clock (`now` is a parameter), no I/O.
 */
import type { CredentialAssessment, SignInAssessment } from '../trust/assessment.js';
import {
  type AssuranceLevel,
  CLASS_CEILING,
  type CredentialClass,
  DEFAULT_SEGMENT,
  humanDate,
  type Phase,
  type PolicyDocument,
  type PolicyPerson,
  parseInstant,
  type Requirements,
  type RolloutStep,
} from './document.js';
import type { PolicyCheckCode, PolicyReason, PolicyReasonCode, Severity } from './reasons.js';

export type EnforcementPoint = 'registration' | 'sign-in' | 'session' | 'backup' | 'recovery' | 'acr';
export type Effect = 'allow' | 'warn' | 'deny';

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/** What policy needs to know about a credential: a lighter `CredentialAssessment` plus its AAGUID. */
export interface CredentialView {
  readonly class: CredentialClass;
  /** The highest level a sign-in with it can reach; null when refused. */
  readonly aal: AssuranceLevel | null;
  readonly aaguid: string;
  /** Model name from metadata (`describe(aaguid).name`), or null. */
  readonly model: string | null;
  readonly attestationTrust: 'trusted' | 'untrusted' | 'unverifiable';
  readonly uvCapable: boolean;
  readonly refused: boolean;
}

/** A full assessment from the trust layer, with the credential's AAGUID. */
export type AssessedCredential = CredentialAssessment & { readonly aaguid: string };
export type CredentialInput = CredentialView | AssessedCredential;

export interface SignInView {
  readonly aal: AssuranceLevel | null;
  readonly refused: boolean;
  readonly userVerified: boolean;
}
export type SignInInput = SignInView | SignInAssessment;

export interface SessionInput {
  /** The level of the authentication that created the session. */
  readonly aal: AssuranceLevel | null;
  readonly authenticatedAt: Date;
  readonly lastActiveAt: Date;
  /** The credential that created it, assessed now: a session ends when its credential is no longer allowed. */
  readonly credential?: CredentialInput;
}

/**
 * acr values Tessera understands and the level each needs (OpenID Connect EAP ACR Values 1.0).
 * `phr` (phishing-resistant) asks for no second factor, and every WebAuthn sign-in is bound to the
 * origin (the origin check of WebAuthn L3 §7.2), so any level reaches it; `phrh` adds a hardware-protected key,
 * which Tessera asserts only at AAL3. src/oidc/acr.ts maps levels the same way (a test holds them
 * together).
 */
export const ACR_LEVELS: Readonly<Record<string, AssuranceLevel>> = {
  phr: 'AAL1',
  phrh: 'AAL3',
};

export interface AcrRequest {
  /** In order of preference: the request's `acr_values`, or the application's configured acr. */
  readonly values: readonly string[];
  /** Essential (the claims parameter, or an application that requires it): unmet fails (OIDC Core §5.5.1.1). */
  readonly essential: boolean;
}

function isAssessment(c: CredentialInput): c is AssessedCredential {
  return 'evidence' in c;
}

/** The view of an assessed credential (or the view itself). */
export function credentialView(c: CredentialInput): CredentialView {
  if (!isAssessment(c)) return c;
  return {
    class: c.class,
    aal: c.aal,
    aaguid: c.aaguid,
    model: c.model,
    attestationTrust: c.attestation.trust,
    uvCapable: c.evidence.userVerificationCapable,
    refused: c.refused,
  };
}

export function signInView(s: SignInInput): SignInView {
  if ('userVerified' in s) return s;
  return {
    aal: s.aal,
    refused: s.refused,
    userVerified: !s.reasons.some((r) => r.code === 'no_user_verification'),
  };
}

/** The sign-in a credential would make with its authenticator verifying the person when it can. */
export function expectedSignIn(c: CredentialView): SignInView {
  return { aal: c.refused ? null : c.aal, refused: c.refused, userVerified: c.uvCapable };
}

// ---------------------------------------------------------------------------------------------
// The compiled policy (cached per document object)
// ---------------------------------------------------------------------------------------------

export interface CompiledSegment {
  readonly name: string;
  /** Position in `segments`, or -1 for the default segment. */
  readonly index: number;
  readonly requirements: Requirements;
  readonly rollout: readonly RolloutStep[];
  readonly minRank: number;
  readonly classes: ReadonlySet<CredentialClass>;
  readonly allowAaguids: ReadonlySet<string>;
  readonly allowModels: ReadonlySet<string>;
  readonly denyAaguids: ReadonlySet<string>;
  readonly denyModels: ReadonlySet<string>;
  readonly hasAllow: boolean;
  readonly hasDeny: boolean;
  /** Step start times (ms; the first is -Infinity). */
  readonly starts: readonly number[];
}

export interface CompiledPolicy {
  readonly segments: readonly CompiledSegment[];
  readonly fallback: CompiledSegment;
  /** Group → index of the first segment that names it. */
  readonly groups: ReadonlyMap<string, number>;
}

const RANK: Readonly<Record<AssuranceLevel, number>> = { AAL1: 1, AAL2: 2, AAL3: 3 };
const rankOf = (level: AssuranceLevel | null): number => (level === null ? 0 : RANK[level]);

function compileSegment(
  name: string,
  index: number,
  requirements: Requirements,
  rollout: readonly RolloutStep[],
): CompiledSegment {
  const { allow, deny } = requirements.authenticators;
  const lower = (xs: readonly string[]) => new Set(xs.map((x) => x.toLowerCase()));
  return {
    name,
    index,
    requirements,
    rollout,
    minRank: RANK[requirements.minAal],
    classes: new Set(requirements.allowedClasses),
    allowAaguids: lower(allow.aaguids),
    allowModels: lower(allow.models),
    denyAaguids: lower(deny.aaguids),
    denyModels: lower(deny.models),
    hasAllow: allow.aaguids.length + allow.models.length > 0,
    hasDeny: deny.aaguids.length + deny.models.length > 0,
    starts: rollout.map((step, i) =>
      i === 0 ? Number.NEGATIVE_INFINITY : (parseInstant(step.from ?? '') ?? Number.POSITIVE_INFINITY),
    ),
  };
}

const cache = new WeakMap<PolicyDocument, CompiledPolicy>();

/** Sets and indexes for evaluation, built once per document object. */
export function compilePolicy(policy: PolicyDocument): CompiledPolicy {
  const cached = cache.get(policy);
  if (cached) return cached;
  const segments = policy.segments.map((s, i) => compileSegment(s.name, i, s.requirements, s.rollout));
  const groups = new Map<string, number>();
  policy.segments.forEach((s, i) => {
    for (const g of s.groups) if (!groups.has(g)) groups.set(g, i);
  });
  const compiled: CompiledPolicy = {
    segments,
    fallback: compileSegment(DEFAULT_SEGMENT, -1, policy.default.requirements, policy.default.rollout),
    groups,
  };
  cache.set(policy, compiled);
  return compiled;
}

/** The first segment naming one of the groups, else the default segment. */
export function compiledSegmentFor(compiled: CompiledPolicy, groups: readonly string[]): CompiledSegment {
  let best = Number.POSITIVE_INFINITY;
  for (const g of groups) {
    const i = compiled.groups.get(g);
    if (i !== undefined && i < best) best = i;
  }
  return compiled.segments[best] ?? compiled.fallback;
}

export interface ResolvedSegment {
  readonly name: string;
  /** Position in `segments`, or -1 for the default segment. */
  readonly index: number;
  readonly requirements: Requirements;
  readonly rollout: readonly RolloutStep[];
}

/** The segment a person with these groups belongs to. */
export function segmentFor(policy: PolicyDocument, groups: readonly string[]): ResolvedSegment {
  const s = compiledSegmentFor(compilePolicy(policy), groups);
  return { name: s.name, index: s.index, requirements: s.requirements, rollout: s.rollout };
}

/** The segment's phase at `t` (ms), and when enforcement starts if it is scheduled later. */
export function segmentPhase(
  segment: CompiledSegment,
  t: number,
): { readonly phase: Phase; readonly enforceAt: number | null } {
  let index = 0;
  for (let i = 1; i < segment.starts.length; i++)
    if ((segment.starts[i] ?? Number.POSITIVE_INFINITY) <= t) index = i;
  const phase = segment.rollout[index]?.phase ?? 'enforce';
  let enforceAt: number | null = null;
  for (let i = index + 1; i < segment.rollout.length; i++)
    if (segment.rollout[i]?.phase === 'enforce') enforceAt = segment.starts[i] ?? null;
  return { phase, enforceAt };
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

/** Mutable on purpose: the simulation reuses one context for a whole population. */
export interface CheckContext {
  point: EnforcementPoint;
  segment: CompiledSegment;
  credential: CredentialView | null;
  signIn: SignInView | null;
  session: { aal: AssuranceLevel | null; ageMs: number; idleMs: number } | null;
  /** Enrolled credentials, and those that meet the segment's requirements (point `backup`). */
  enrolled: number;
  qualifying: number;
  acr: { values: readonly string[]; essential: boolean; sessionAal: AssuranceLevel | null } | null;
}

export interface Explanation {
  /** The requirement, present tense: "requires AAL3". */
  readonly present: string;
  /** The same, future: "will require AAL3". */
  readonly future: string;
  /** What fails it: "this credential is a synced passkey". */
  readonly fact: string;
  /** What the person can do: "Enroll a security key or a device-bound passkey". */
  readonly action: string;
}

export interface PolicyCheck {
  readonly code: PolicyCheckCode;
  readonly points: readonly EnforcementPoint[];
  /** Not softened by the rollout phase (the trust layer refused the credential; an app's essential acr). */
  readonly hard: boolean;
  /** A failure denies in enforce phase; a non-blocking one only warns. */
  readonly blocking: boolean;
  /** When true for this context, a failure is only reported (a voluntary acr). */
  readonly advisory?: (ctx: CheckContext) => boolean;
  applies(ctx: CheckContext): boolean;
  evaluate(ctx: CheckContext): 'pass' | 'fail';
  explain(ctx: CheckContext): Explanation;
}

const CLASS_ONE: Readonly<Record<CredentialClass, string>> = {
  'synced-passkey': 'a synced passkey',
  'device-bound-passkey': 'a device-bound passkey',
  'security-key': 'a security key',
  'device-bound-unverified': 'a device-bound credential without trusted attestation',
};
const CLASS_MANY: Readonly<Record<CredentialClass, string>> = {
  'synced-passkey': 'synced passkeys',
  'device-bound-passkey': 'device-bound passkeys',
  'security-key': 'security keys',
  'device-bound-unverified': 'device-bound credentials without trusted attestation',
};
/** Strongest first, for suggestions. */
const CLASS_ORDER: readonly CredentialClass[] = [
  'security-key',
  'device-bound-passkey',
  'synced-passkey',
  'device-bound-unverified',
];

function join(words: readonly string[], conjunction: 'or' | 'and'): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words[words.length - 1]}`;
}

/** Allowed classes that can reach the segment's level, strongest first. */
function suitableClasses(s: CompiledSegment): CredentialClass[] {
  return CLASS_ORDER.filter((c) => s.classes.has(c) && RANK[CLASS_CEILING[c]] >= s.minRank);
}

function enrollSuitable(s: CompiledSegment): string {
  const classes = suitableClasses(s);
  return classes.length > 0
    ? `Enroll ${join(
        classes.map((c) => CLASS_ONE[c]),
        'or',
      )}`
    : 'Ask your administrator which authenticator to enroll';
}

function credentialName(c: CredentialView): string {
  return c.model !== null ? `${c.model} (AAGUID ${c.aaguid})` : `an authenticator with AAGUID ${c.aaguid}`;
}

/** Why a credential cannot reach a level, as a person reads it: "this credential is a synced passkey". */
function credentialShortfall(c: CredentialView): string {
  if (c.class === 'synced-passkey') return 'this credential is a synced passkey';
  if (!c.uvCapable)
    return 'this authenticator cannot verify the user (no PIN or biometric), so it reaches AAL1 at most';
  return `this credential is ${CLASS_ONE[c.class]} and reaches ${c.aal ?? 'no level'} at most`;
}

const verb = (present: string, future: string, object: string) => ({
  present: `${present} ${object}`,
  future: `${future} ${object}`,
});

function inAllowList(s: CompiledSegment, c: CredentialView): boolean {
  return (
    s.allowAaguids.has(c.aaguid.toLowerCase()) ||
    (c.model !== null && s.allowModels.has(c.model.toLowerCase()))
  );
}
function inDenyList(s: CompiledSegment, c: CredentialView): boolean {
  return (
    s.denyAaguids.has(c.aaguid.toLowerCase()) || (c.model !== null && s.denyModels.has(c.model.toLowerCase()))
  );
}

function levelOf(ctx: CheckContext): AssuranceLevel | null {
  if (ctx.point === 'session' || ctx.point === 'acr') return ctx.session?.aal ?? ctx.acr?.sessionAal ?? null;
  if (ctx.point === 'sign-in') return ctx.signIn?.aal ?? null;
  return ctx.credential?.aal ?? null;
}

function known(values: readonly string[]): { value: string; level: AssuranceLevel }[] {
  const out: { value: string; level: AssuranceLevel }[] = [];
  for (const value of values) {
    const level = ACR_LEVELS[value];
    if (level !== undefined) out.push({ value, level });
  }
  return out;
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 10 ? `${Math.floor(h)} hours` : `${Math.round(h * 10) / 10} hours`;
}
function minutes(ms: number): string {
  return `${Math.floor(ms / 60_000)} minutes`;
}

const CREDENTIAL_POINTS: readonly EnforcementPoint[] = ['registration', 'sign-in', 'session'];

export const CHECKS: readonly PolicyCheck[] = [
  {
    code: 'model_refused',
    points: CREDENTIAL_POINTS,
    hard: true,
    blocking: true,
    applies: (ctx) => ctx.credential !== null || ctx.signIn !== null,
    evaluate: (ctx) => (ctx.credential?.refused || ctx.signIn?.refused ? 'fail' : 'pass'),
    explain: (ctx) => ({
      ...verb('refuses', 'will refuse', 'credentials of revoked or compromised models'),
      fact: `authenticator metadata reports ${ctx.credential?.model ?? "this credential's model"} revoked or compromised, so this credential is refused`,
      action: 'Enroll a different authenticator',
    }),
  },
  {
    code: 'aal_below_minimum',
    points: ['registration', 'sign-in', 'session', 'acr'],
    hard: false,
    blocking: true,
    // A refused credential has no level; model_refused explains it. Any other missing level fails.
    applies: (ctx) => !ctx.credential?.refused && !ctx.signIn?.refused,
    evaluate: (ctx) => (rankOf(levelOf(ctx)) < ctx.segment.minRank ? 'fail' : 'pass'),
    explain: (ctx) => {
      const s = ctx.segment;
      const required = s.requirements.minAal;
      const c = ctx.credential;
      const level = levelOf(ctx);
      let fact: string;
      let action = enrollSuitable(s);
      if (ctx.point === 'session' || ctx.point === 'acr') {
        fact = `this session is at ${level ?? 'no level'}`;
        const classes = suitableClasses(s).map((x) => CLASS_ONE[x]);
        action = classes.length > 0 ? `Sign in again with ${join(classes, 'or')}` : 'Sign in again';
      } else if (ctx.point === 'sign-in' && c !== null && rankOf(c.aal) >= s.minRank) {
        // The credential could reach the level; this sign-in did not.
        fact = ctx.signIn?.userVerified
          ? `this sign-in reached ${level ?? 'no level'}`
          : `this sign-in did not verify the user (no PIN or biometric), so it reached ${level ?? 'no level'}`;
        action = 'Sign in with your PIN or biometric';
      } else fact = c === null ? `this reaches ${level ?? 'no level'}` : credentialShortfall(c);
      return { ...verb('requires', 'will require', required), fact, action };
    },
  },
  {
    code: 'class_not_allowed',
    points: CREDENTIAL_POINTS,
    hard: false,
    blocking: true,
    applies: (ctx) => ctx.credential !== null,
    evaluate: (ctx) => (ctx.credential && !ctx.segment.classes.has(ctx.credential.class) ? 'fail' : 'pass'),
    explain: (ctx) => {
      const allowed = CLASS_ORDER.filter((c) => ctx.segment.classes.has(c));
      return {
        ...verb(
          'allows only',
          'will allow only',
          join(
            allowed.map((c) => CLASS_MANY[c]),
            'and',
          ),
        ),
        fact: ctx.credential ? `this credential is ${CLASS_ONE[ctx.credential.class]}` : 'this credential',
        action: enrollSuitable(ctx.segment),
      };
    },
  },
  {
    code: 'attestation_required',
    points: CREDENTIAL_POINTS,
    hard: false,
    blocking: true,
    applies: (ctx) => ctx.credential !== null && ctx.segment.requirements.attestationRequired,
    evaluate: (ctx) => (ctx.credential?.attestationTrust === 'trusted' ? 'pass' : 'fail'),
    explain: (ctx) => ({
      ...verb('requires', 'will require', 'authenticators whose attestation proves their model'),
      fact:
        ctx.credential?.attestationTrust === 'untrusted'
          ? "this credential's attestation does not reach a trusted root"
          : "this credential's attestation cannot be verified",
      action: 'Enroll an authenticator your organization issues or approves',
    }),
  },
  {
    code: 'authenticator_denied',
    points: CREDENTIAL_POINTS,
    hard: false,
    blocking: true,
    applies: (ctx) => ctx.credential !== null && ctx.segment.hasDeny,
    evaluate: (ctx) => (ctx.credential && inDenyList(ctx.segment, ctx.credential) ? 'fail' : 'pass'),
    explain: (ctx) => ({
      ...verb('does not allow', 'will not allow', 'this authenticator model'),
      fact: ctx.credential ? `this credential is ${credentialName(ctx.credential)}` : 'this credential',
      action: 'Enroll a different authenticator model',
    }),
  },
  {
    code: 'authenticator_not_allowed',
    points: CREDENTIAL_POINTS,
    hard: false,
    blocking: true,
    applies: (ctx) => ctx.credential !== null && ctx.segment.hasAllow,
    evaluate: (ctx) => (ctx.credential && !inAllowList(ctx.segment, ctx.credential) ? 'fail' : 'pass'),
    explain: (ctx) => {
      const models = ctx.segment.requirements.authenticators.allow.models;
      const listed =
        models.length === 0
          ? 'listed authenticator models'
          : `these authenticator models: ${models.slice(0, 3).join(', ')}${models.length > 3 ? ', …' : ''}`;
      return {
        ...verb('allows only', 'will allow only', listed),
        fact: ctx.credential ? `this credential is ${credentialName(ctx.credential)}` : 'this credential',
        action: 'Enroll one of the allowed authenticator models',
      };
    },
  },
  {
    code: 'user_verification_missing',
    points: ['registration', 'sign-in'],
    hard: false,
    blocking: true,
    applies: (ctx) =>
      ctx.segment.requirements.userVerification === 'required' &&
      (ctx.point === 'sign-in' ? ctx.signIn !== null && !ctx.signIn.refused : ctx.credential !== null),
    evaluate: (ctx) => {
      const verified = ctx.point === 'sign-in' ? ctx.signIn?.userVerified : ctx.credential?.uvCapable;
      return verified ? 'pass' : 'fail';
    },
    explain: (ctx) => ({
      ...verb('requires', 'will require', 'user verification (a PIN or biometric)'),
      fact:
        ctx.point === 'sign-in' && ctx.credential?.uvCapable !== false
          ? 'this sign-in did not verify the user'
          : 'this authenticator cannot verify the user',
      action:
        ctx.point === 'sign-in' && ctx.credential?.uvCapable !== false
          ? 'Sign in with your PIN or biometric'
          : 'Set up a PIN or biometric on the authenticator, or enroll one that has one',
    }),
  },
  {
    code: 'backup_missing',
    points: ['backup'],
    hard: false,
    blocking: false,
    applies: () => true,
    evaluate: (ctx) => (ctx.qualifying < ctx.segment.requirements.minCredentials ? 'fail' : 'pass'),
    explain: (ctx) => {
      const min = ctx.segment.requirements.minCredentials;
      const missing = Math.max(0, min - ctx.qualifying);
      return {
        ...verb(
          'requires',
          'will require',
          `${min} enrolled credential${min === 1 ? '' : 's'} meeting its requirements${min > 1 ? ' (a backup)' : ''}`,
        ),
        fact:
          ctx.enrolled === 0
            ? 'none is enrolled'
            : `${ctx.enrolled} ${ctx.enrolled === 1 ? 'is' : 'are'} enrolled, ${ctx.qualifying === 0 ? 'none' : ctx.qualifying} meeting them`,
        action: `${enrollSuitable(ctx.segment)}${missing > 1 ? ` (${missing} more)` : ''}`,
      };
    },
  },
  {
    code: 'session_lifetime_exceeded',
    points: ['session'],
    hard: false,
    blocking: true,
    applies: (ctx) => ctx.session !== null,
    evaluate: (ctx) =>
      (ctx.session?.ageMs ?? 0) > ctx.segment.requirements.maxSessionHours * 3_600_000 ? 'fail' : 'pass',
    explain: (ctx) => ({
      ...verb('limits', 'will limit', `sessions to ${ctx.segment.requirements.maxSessionHours} hours`),
      fact: `this session started ${hours(ctx.session?.ageMs ?? 0)} ago`,
      action: 'Sign in again',
    }),
  },
  {
    code: 'session_idle_exceeded',
    points: ['session'],
    hard: false,
    blocking: true,
    applies: (ctx) => ctx.session !== null,
    evaluate: (ctx) =>
      (ctx.session?.idleMs ?? 0) > ctx.segment.requirements.maxIdleMinutes * 60_000 ? 'fail' : 'pass',
    explain: (ctx) => ({
      ...verb(
        'ends',
        'will end',
        `sessions idle for more than ${ctx.segment.requirements.maxIdleMinutes} minutes`,
      ),
      fact: `this session has been idle for ${minutes(ctx.session?.idleMs ?? 0)}`,
      action: 'Sign in again',
    }),
  },
  {
    code: 'recovery_codes_not_allowed',
    points: ['recovery'],
    hard: false,
    blocking: true,
    applies: () => true,
    evaluate: (ctx) => (ctx.segment.requirements.recoveryCodes ? 'pass' : 'fail'),
    explain: () => ({
      ...verb('does not allow', 'will not allow', 'recovery codes'),
      fact: 'this is a recovery code',
      action: 'Use a backup credential, or ask the help desk to recover the account',
    }),
  },
  {
    code: 'acr_unsupported',
    points: ['acr'],
    hard: true,
    blocking: true,
    advisory: (ctx) => !ctx.acr?.essential,
    applies: (ctx) => ctx.acr !== null && ctx.acr.values.length > 0,
    evaluate: (ctx) => (known(ctx.acr?.values ?? []).length === 0 ? 'fail' : 'pass'),
    explain: (ctx) => ({
      ...verb('supports', 'will support', `the acr values ${Object.keys(ACR_LEVELS).join(', ')}`),
      fact: `the application asked for ${join(
        (ctx.acr?.values ?? []).map((v) => JSON.stringify(v)),
        'or',
      )}, which Tessera does not know`,
      action: 'Ask the application’s developers to request a supported acr value',
    }),
  },
  {
    code: 'acr_not_satisfied',
    points: ['acr'],
    hard: true,
    blocking: true,
    advisory: (ctx) => !ctx.acr?.essential,
    applies: (ctx) => ctx.acr !== null && known(ctx.acr.values).length > 0,
    evaluate: (ctx) => {
      const session = rankOf(ctx.acr?.sessionAal ?? null);
      return known(ctx.acr?.values ?? []).some((k) => RANK[k.level] <= session) ? 'pass' : 'fail';
    },
    explain: (ctx) => {
      const wanted = known(ctx.acr?.values ?? []);
      const lowest = wanted.reduce<AssuranceLevel>((m, k) => (RANK[k.level] < RANK[m] ? k.level : m), 'AAL3');
      return {
        ...verb('requires', 'will require', lowest),
        fact: `the application asked for ${join(
          wanted.map((k) => `acr "${k.value}" (${k.level})`),
          'or',
        )} and this session is at ${ctx.acr?.sessionAal ?? 'no level'}`,
        action: `Sign in again with ${lowest === 'AAL3' ? 'a security key or a device-bound passkey' : 'a passkey, verifying with your PIN or biometric'}`,
      };
    },
  },
];

/** Bit of each check in a violation mask (its index in CHECKS). */
export const CHECK_BIT: Readonly<Record<PolicyCheckCode, number>> = Object.fromEntries(
  CHECKS.map((c, i) => [c.code, 1 << i]),
) as Record<PolicyCheckCode, number>;

const at = (point: EnforcementPoint) => CHECKS.filter((c) => c.points.includes(point));

/** The checks of each point, in table order. */
export const CHECKS_AT: Readonly<Record<EnforcementPoint, readonly PolicyCheck[]>> = {
  registration: at('registration'),
  'sign-in': at('sign-in'),
  session: at('session'),
  backup: at('backup'),
  recovery: at('recovery'),
  acr: at('acr'),
};

const HARD_MASK = CHECKS.reduce((mask, c, i) => (c.hard ? mask | (1 << i) : mask), 0);
const BLOCKING_MASK = CHECKS.reduce((mask, c, i) => (c.blocking ? mask | (1 << i) : mask), 0);

/**
 * The checks of the context's point that fail, as a mask of CHECK_BIT values. Advisory failures
 * (a voluntary acr) are left out; `advisoryViolations` returns those.
 */
export function violations(ctx: CheckContext): number {
  let mask = 0;
  const checks = CHECKS_AT[ctx.point];
  for (let i = 0; i < checks.length; i++) {
    const check = checks[i];
    if (check === undefined || !check.applies(ctx)) continue;
    if (check.evaluate(ctx) === 'fail' && !check.advisory?.(ctx)) mask |= CHECK_BIT[check.code];
  }
  return mask;
}

function advisoryViolations(ctx: CheckContext): PolicyCheck[] {
  return CHECKS_AT[ctx.point].filter(
    (c) => c.advisory?.(ctx) && c.applies(ctx) && c.evaluate(ctx) === 'fail',
  );
}

/** What a violation mask does in a phase (the table in the module comment). */
export function effectOf(mask: number, phase: Phase): Effect {
  if (mask === 0) return 'allow';
  if ((mask & HARD_MASK) !== 0) return 'deny';
  if (phase === 'monitor') return 'allow';
  if (phase === 'warn') return 'warn';
  return (mask & BLOCKING_MASK) !== 0 ? 'deny' : 'warn';
}

/** Would this mask be denied once the segment is enforced? */
export function deniedWhenEnforced(mask: number): boolean {
  return (mask & (HARD_MASK | BLOCKING_MASK)) !== 0;
}

/** Codes of a mask, in table order. */
export function codesOf(mask: number): PolicyCheckCode[] {
  const out: PolicyCheckCode[] = [];
  for (let i = 0; i < CHECKS.length; i++)
    if ((mask & (1 << i)) !== 0) out.push((CHECKS[i] as PolicyCheck).code);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------

export interface PolicyDecision {
  readonly point: EnforcementPoint;
  readonly effect: Effect;
  readonly phase: Phase;
  readonly segment: string;
  readonly reasons: readonly PolicyReason[];
  /** When enforcement starts (ISO 8601), on a monitor or warn decision that something would change. */
  readonly deadline?: string;
  /** The first deny or warn sentence, else the first reason's. */
  readonly summary: string;
}

export interface AcrDecision extends PolicyDecision {
  /** The acr to assert: the first requested value the session satisfies, else the session's own. */
  readonly acr: string | null;
  /** The level a step-up must reach, when the session falls short of an essential acr. */
  readonly stepUpTo: AssuranceLevel | null;
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warn: 1, deny: 2 };

function sentence(
  check: PolicyCheck,
  e: Explanation,
  segment: string,
  severity: Severity,
  phase: Phase,
  date: string | null,
): string {
  if (check.advisory !== undefined) return `${severity === 'deny' ? 'denied' : 'note'}: ${e.fact}`;
  if (check.hard) return `denied: ${e.fact}`;
  if (severity === 'deny') return `denied: segment ${segment} ${e.present}; ${e.fact}`;
  if (phase === 'monitor') return `monitor: segment ${segment} ${e.present}; ${e.fact}`;
  if (phase === 'warn')
    return date === null
      ? `warning: segment ${segment} ${e.future}; ${e.fact}. ${e.action}.`
      : `warning: from ${date}, segment ${segment} ${e.future}; ${e.fact}. ${e.action} before ${date}.`;
  return `warning: segment ${segment} ${e.present}; ${e.fact}. ${e.action}.`;
}

function decide(ctx: CheckContext, now: Date): PolicyDecision {
  const segment = ctx.segment;
  const { phase, enforceAt } = segmentPhase(segment, now.getTime());
  const date = enforceAt === null ? null : humanDate(enforceAt);
  const mask = violations(ctx);
  const effect = effectOf(mask, phase);
  const reasons: PolicyReason[] = [];
  for (const check of CHECKS_AT[ctx.point]) {
    if ((mask & CHECK_BIT[check.code]) === 0) continue;
    const severity: Severity = check.hard
      ? 'deny'
      : phase === 'monitor'
        ? 'info'
        : phase === 'warn'
          ? 'warn'
          : check.blocking
            ? 'deny'
            : 'warn';
    reasons.push({
      code: check.code,
      severity,
      message: sentence(check, check.explain(ctx), segment.name, severity, phase, date),
    });
  }
  for (const check of advisoryViolations(ctx))
    reasons.push({
      code: check.code,
      severity: 'info',
      message: sentence(check, check.explain(ctx), segment.name, 'info', phase, date),
    });
  if (phase === 'monitor' && effect === 'allow' && deniedWhenEnforced(mask))
    reasons.unshift({
      code: 'monitor_would_deny',
      severity: 'info',
      message: `monitor: this would be denied once segment ${segment.name} is enforced${date === null ? '' : ` (from ${date})`}; for now it is only logged`,
    });
  if (mask === 0)
    reasons.unshift({
      code: 'requirements_met',
      severity: 'info',
      message: `allowed: meets the requirements of segment ${segment.name}`,
    });
  let headline = reasons[0];
  for (const r of reasons)
    if (headline === undefined || SEVERITY_RANK[r.severity] > SEVERITY_RANK[headline.severity]) headline = r;
  const deadline =
    mask !== 0 && phase !== 'enforce' && enforceAt !== null ? new Date(enforceAt).toISOString() : null;
  return {
    point: ctx.point,
    effect,
    phase,
    segment: segment.name,
    reasons,
    ...(deadline === null ? {} : { deadline }),
    summary: headline?.message ?? '',
  };
}

function context(policy: PolicyDocument, person: PolicyPerson, point: EnforcementPoint): CheckContext {
  return {
    point,
    segment: compiledSegmentFor(compilePolicy(policy), person.groups),
    credential: null,
    signIn: null,
    session: null,
    enrolled: 0,
    qualifying: 0,
    acr: null,
  };
}

/** At registration: may this person enroll this credential (class, attestation, model, level, UV)? */
export function decideRegistration(
  policy: PolicyDocument,
  person: PolicyPerson,
  credential: CredentialInput,
  now: Date,
): PolicyDecision {
  const ctx = context(policy, person, 'registration');
  ctx.credential = credentialView(credential);
  return decide(ctx, now);
}

/**
 * At sign-in: is this sign-in's level enough, and is the credential still allowed? The credential
 * is assessed now, so a model revoked after enrolment (a refused assessment) or a model the
 * policy has since denied is caught here.
 */
export function decideSignIn(
  policy: PolicyDocument,
  person: PolicyPerson,
  credential: CredentialInput,
  signIn: SignInInput,
  now: Date,
): PolicyDecision {
  const ctx = context(policy, person, 'sign-in');
  ctx.credential = credentialView(credential);
  ctx.signIn = signInView(signIn);
  return decide(ctx, now);
}

/**
 * When a policy is applied (or a phase begins): does an existing session still qualify? `deny`
 * means end it.
 */
export function decideSession(
  policy: PolicyDocument,
  person: PolicyPerson,
  session: SessionInput,
  now: Date,
): PolicyDecision {
  const ctx = context(policy, person, 'session');
  const t = now.getTime();
  ctx.session = {
    aal: session.aal,
    ageMs: Math.max(0, t - session.authenticatedAt.getTime()),
    idleMs: Math.max(0, t - session.lastActiveAt.getTime()),
  };
  if (session.credential !== undefined) ctx.credential = credentialView(session.credential);
  return decide(ctx, now);
}

/** Does this credential count toward the segment's minimum number of credentials? */
function qualifies(ctx: CheckContext, credential: CredentialView): boolean {
  const point = ctx.point;
  ctx.point = 'registration';
  ctx.credential = credential;
  const ok = violations(ctx) === 0;
  ctx.point = point;
  ctx.credential = null;
  return ok;
}

/**
 * Does the person have enough credentials meeting the segment's requirements (a backup)? A
 * shortfall warns (the portal nags) and never denies.
 */
export function decideBackup(
  policy: PolicyDocument,
  person: PolicyPerson,
  credentials: readonly CredentialInput[],
  now: Date,
): PolicyDecision {
  const ctx = context(policy, person, 'backup');
  let n = 0;
  for (const c of credentials) if (qualifies(ctx, credentialView(c))) n++;
  ctx.enrolled = credentials.length;
  ctx.qualifying = n;
  return decide(ctx, now);
}

/** May this person use a recovery code? */
export function decideRecoveryCode(policy: PolicyDocument, person: PolicyPerson, now: Date): PolicyDecision {
  return decide(context(policy, person, 'recovery'), now);
}

/** The acr a session of this level asserts on its own. */
export function acrForLevel(level: AssuranceLevel | null): string | null {
  let best: string | null = null;
  let bestRank = 0;
  for (const [value, needs] of Object.entries(ACR_LEVELS)) {
    const r = RANK[needs];
    if (r <= rankOf(level) && r > bestRank) {
      best = value;
      bestRank = r;
    }
  }
  return best;
}

/**
 * At the OpenID Provider: does the session satisfy the acr the application asked for (and the
 * person's segment)? An essential acr the session does not reach denies with `stepUpTo`, whatever
 * the rollout phase: the application's requirement is not the segment's to soften.
 */
export function decideAcr(
  policy: PolicyDocument,
  person: PolicyPerson,
  request: AcrRequest,
  session: { readonly aal: AssuranceLevel | null },
  now: Date,
): AcrDecision {
  const ctx = context(policy, person, 'acr');
  ctx.acr = { values: request.values, essential: request.essential, sessionAal: session.aal };
  const decision = decide(ctx, now);
  const wanted = known(request.values);
  const satisfied = wanted.find((k) => RANK[k.level] <= rankOf(session.aal));
  const lowest = wanted.reduce<AssuranceLevel | null>(
    (m, k) => (m === null || RANK[k.level] < RANK[m] ? k.level : m),
    null,
  );
  return {
    ...decision,
    acr: satisfied?.value ?? acrForLevel(session.aal),
    stepUpTo: request.essential && satisfied === undefined && lowest !== null ? lowest : null,
  };
}

export type { PolicyCheckCode, PolicyReason, PolicyReasonCode };
