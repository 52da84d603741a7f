/**
 * The policy document (PRODUCT C4), version 1: who needs what, and from when.
 *
 * People belong to groups. Segments are ordered; a person's segment is the first whose `groups`
 * names one of theirs, else the default segment (named `default`). Each segment has requirements
 * and a rollout schedule.
 *
 * Rollout schedule. `rollout` is a list of steps `{phase, from}`:
 *
 *   rollout:
 *     - phase: monitor            # the first step has no `from`: it applies from the start
 *     - phase: warn
 *       from: 2026-02-01          # a date (00:00 UTC) or an RFC 3339 date-time with an offset
 *     - phase: enforce
 *       from: 2026-03-01
 *
 * The phase at time t is the phase of the last step whose `from` is at or before t (the first step
 * counts as "since always"). Phases only move forward (monitor → warn → enforce, each at most once,
 * any may be skipped) and the dates strictly increase, so a plan can be written in advance and read
 * back unambiguously. Without `rollout`, a segment is enforced from the start.
 *
 * - monitor: nothing is blocked; what would be denied is allowed with a `monitor_would_deny` reason
 *   (for the log and the simulation), and the person is told nothing.
 * - warn: what would be denied is allowed with a warning that tells the person what to do and by
 *   when (the `from` of the enforce step, if one is scheduled).
 * - enforce: the requirements apply.
 *
 * The types below are the *normalized* document `parsePolicy` returns: every optional field of the
 * written document is filled with its default, AAGUIDs are lower case.
 */
import type { AssuranceLevel, CredentialClass } from '../trust/assessment.js';

export type { AssuranceLevel, CredentialClass };

export const POLICY_VERSION = 1;

export const CREDENTIAL_CLASSES = [
  'synced-passkey',
  'device-bound-passkey',
  'security-key',
  'device-bound-unverified',
] as const satisfies readonly CredentialClass[];

export const ASSURANCE_LEVELS = ['AAL1', 'AAL2', 'AAL3'] as const satisfies readonly AssuranceLevel[];

export const PHASES = ['monitor', 'warn', 'enforce'] as const;
export type Phase = (typeof PHASES)[number];

/** Name of the segment that applies when no segment names one of a person's groups. */
export const DEFAULT_SEGMENT = 'default';

/**
 * Session limits per level (NIST SP 800-63B-4 §2.2 and §2.3): AAL3 overall ≤ 12 h, inactivity
 * ≤ 15 min; AAL2 overall ≤ 24 h, inactivity ≤ 1 h. Tessera applies the AAL2 limits to AAL1
 * segments too (the standard would allow 30 days there; Tessera is stricter).
 */
export const SESSION_LIMITS: Readonly<
  Record<AssuranceLevel, { readonly maxSessionHours: number; readonly maxIdleMinutes: number }>
> = {
  AAL1: { maxSessionHours: 24, maxIdleMinutes: 60 },
  AAL2: { maxSessionHours: 24, maxIdleMinutes: 60 },
  AAL3: { maxSessionHours: 12, maxIdleMinutes: 15 },
};

/**
 * The highest level each class can reach (trust/assessment.ts): a synced key is exportable and an
 * unattested device-bound key proves nothing about its hardware, so both stop at AAL2.
 */
export const CLASS_CEILING: Readonly<Record<CredentialClass, AssuranceLevel>> = {
  'synced-passkey': 'AAL2',
  'device-bound-unverified': 'AAL2',
  'device-bound-passkey': 'AAL3',
  'security-key': 'AAL3',
};

export const MAX_MIN_CREDENTIALS = 10;

export interface AuthenticatorList {
  /** Lower-case AAGUIDs. */
  readonly aaguids: readonly string[];
  /** Model names as metadata gives them (`describe(aaguid).name`); matched case-insensitively. */
  readonly models: readonly string[];
}

export interface Requirements {
  /** Minimum assurance level of a sign-in (and the least a credential must be able to reach). */
  readonly minAal: AssuranceLevel;
  readonly allowedClasses: readonly CredentialClass[];
  /** The credential's attestation must reach a trusted root (metadata or vendor). Default false. */
  readonly attestationRequired: boolean;
  /** `required`: the authenticator must verify the person (PIN, biometric). Default `required`. */
  readonly userVerification: 'required' | 'preferred';
  /** Allow list (empty = any model) and deny list (wins over the allow list). */
  readonly authenticators: { readonly allow: AuthenticatorList; readonly deny: AuthenticatorList };
  /** Enrolled credentials meeting these requirements a person should have (2 = one backup). Default 1. */
  readonly minCredentials: number;
  /** Recovery codes as a fallback. Default false; never with `minAal: AAL3`. */
  readonly recoveryCodes: boolean;
  /** Default and upper bound: the level's limit in SESSION_LIMITS. */
  readonly maxSessionHours: number;
  readonly maxIdleMinutes: number;
}

export interface RolloutStep {
  readonly phase: Phase;
  /** As written (`2026-03-01` or a date-time); absent on the first step only. */
  readonly from?: string;
}

export interface Segment {
  readonly name: string;
  readonly description?: string;
  readonly groups: readonly string[];
  readonly requirements: Requirements;
  readonly rollout: readonly RolloutStep[];
}

export interface DefaultSegment {
  readonly description?: string;
  readonly requirements: Requirements;
  readonly rollout: readonly RolloutStep[];
}

export interface PolicyDocument {
  readonly version: typeof POLICY_VERSION;
  readonly description?: string;
  readonly segments: readonly Segment[];
  readonly default: DefaultSegment;
}

/** A person as policy sees them: the groups they belong to. */
export interface PolicyPerson {
  readonly groups: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Dates and phases
// ---------------------------------------------------------------------------------------------

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** Shape of a `from` value, for the schema. */
export const DATE_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$';

function validCalendar(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

/**
 * Milliseconds since the epoch of a `from` value: a date is 00:00 UTC that day; a date-time must
 * carry `Z` or an offset. Null when the value is not a real date (2026-02-30, 24:00, +25:00).
 */
export function parseInstant(value: string): number | null {
  const date = DATE.exec(value);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    return validCalendar(y, m, d) ? Date.UTC(y, m - 1, d) : null;
  }
  const dt = DATE_TIME.exec(value);
  if (!dt) return null;
  const [y, mo, d, h, mi, s] = [dt[1], dt[2], dt[3], dt[4], dt[5], dt[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (!validCalendar(y, mo, d) || h > 23 || mi > 59 || s > 59) return null;
  const fraction = dt[7] ? Number(`0.${dt[7]}`) * 1000 : 0;
  let offset = 0;
  const zone = dt[8] ?? 'Z';
  if (zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offset = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return Date.UTC(y, mo - 1, d, h, mi, s) + Math.floor(fraction) - offset;
}

export interface PhaseAt {
  readonly phase: Phase;
  /** When the enforce step starts, if one is scheduled after `now` (ISO 8601), else null. */
  readonly enforceFrom: string | null;
  /** The step that applies and the next one, as written. */
  readonly step: RolloutStep;
  readonly next: RolloutStep | null;
}

/** The phase of a rollout schedule at `now` (see the module comment). */
export function phaseAt(rollout: readonly RolloutStep[], now: Date): PhaseAt {
  const t = now.getTime();
  let index = 0;
  for (let i = 1; i < rollout.length; i++) {
    const from = rollout[i]?.from;
    const at = from === undefined ? null : parseInstant(from);
    if (at !== null && at <= t) index = i;
  }
  const step = rollout[index] ?? { phase: 'enforce' };
  let enforceFrom: string | null = null;
  for (let i = index + 1; i < rollout.length; i++) {
    const s = rollout[i];
    const at = s?.from === undefined ? null : parseInstant(s.from);
    if (s?.phase === 'enforce' && at !== null) enforceFrom = new Date(at).toISOString();
  }
  return { phase: step.phase, enforceFrom, step, next: rollout[index + 1] ?? null };
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "1 March 2026", or "1 March 2026 09:30 UTC" when the instant is not midnight UTC. */
export function humanDate(iso: string | number): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const day = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  const h = d.getUTCHours();
  const m = d.getUTCMinutes();
  if (h === 0 && m === 0 && d.getUTCSeconds() === 0) return day;
  return `${day} ${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')} UTC`;
}
