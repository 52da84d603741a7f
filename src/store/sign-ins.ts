/**
 * The sign-in history: one row per sign-in, per refused one and per failed one, with its level and
 * signals; and the count of failed sign-ins the throttle reads (SP 800-63B-4 §3.2.2).
 */
import type { Kysely } from 'kysely';
import { fromFlag, stringArray, toBuffer, toFlag } from './codec.js';
import type { Schema } from './schema.js';

/**
 * success: a session was issued. refused: the attempt was turned down by a rule (the assurance
 * policy, metadata status, a counter regression, too many failures) — after verification or
 * without it. failed: the assertion, for a credential the person holds, did not verify.
 */
export type SignInOutcome = 'success' | 'refused' | 'failed';

const OUTCOMES: readonly SignInOutcome[] = ['success', 'refused', 'failed'];

/**
 * The stored text as an outcome. A value this version does not know (written by a newer one) is
 * shown as refused, never as a success: the history must not make an attempt look like a sign-in.
 */
function outcomeOf(text: string): SignInOutcome {
  return OUTCOMES.find((o) => o === text) ?? 'refused';
}

export interface SignInRecord {
  readonly id: string;
  readonly personId: string;
  readonly credentialId: Buffer;
  readonly at: number;
  readonly outcome: SignInOutcome;
  readonly aal: string | null;
  readonly userVerified: boolean;
  readonly signals: readonly string[];
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export interface SignInWithName extends SignInRecord {
  /** The credential's current name, or null when it has been removed. */
  readonly credentialName: string | null;
}

export async function insertSignIn(db: Kysely<Schema>, signIn: SignInRecord): Promise<void> {
  await db
    .insertInto('sign_ins')
    .values({
      id: signIn.id,
      person_id: signIn.personId,
      credential_id: toBuffer(signIn.credentialId),
      at: signIn.at,
      outcome: signIn.outcome,
      aal: signIn.aal,
      user_verified: toFlag(signIn.userVerified),
      signals: JSON.stringify(signIn.signals),
      ip: signIn.ip,
      user_agent: signIn.userAgent,
    })
    .execute();
}

/** Most recent first. */
export async function recentSignIns(
  db: Kysely<Schema>,
  personId: string,
  limit: number,
): Promise<SignInWithName[]> {
  const rows = await db
    .selectFrom('sign_ins as s')
    .leftJoin('credentials as c', 'c.id', 's.credential_id')
    .selectAll('s')
    .select('c.name as credential_name')
    .where('s.person_id', '=', personId)
    .orderBy('s.at', 'desc')
    .orderBy('s.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    personId: row.person_id,
    credentialId: row.credential_id,
    at: row.at,
    outcome: outcomeOf(row.outcome),
    aal: row.aal,
    userVerified: fromFlag(row.user_verified),
    signals: stringArray(row.signals),
    ip: row.ip,
    userAgent: row.user_agent,
    credentialName: row.credential_name,
  }));
}

/** The person's consecutive failed sign-ins since their newest success. */
export interface FailureStreak {
  /** How many, counted up to the `ceiling` asked for. */
  readonly count: number;
  /** When the newest of them happened; null when there is none. */
  readonly lastAt: number | null;
}

/**
 * The `failed` rows newer than the person's newest `success`, newest first, at most `ceiling`
 * read. Refusals neither count nor reset (they are not failed verifications, and a success
 * is what proves the person is back). Both reads are ranges of `sign_ins_person_outcome_at`
 * (migration 0006): the newest success is one entry, the failures at most `ceiling`, however
 * many refusals lie between. A failure in the very millisecond of the success is not counted.
 */
export async function failuresSinceSuccess(
  db: Kysely<Schema>,
  personId: string,
  ceiling: number,
): Promise<FailureStreak> {
  const success = await db
    .selectFrom('sign_ins')
    .select('at')
    .where('person_id', '=', personId)
    .where('outcome', '=', 'success')
    .orderBy('at', 'desc')
    .limit(1)
    .executeTakeFirst();
  let failures = db
    .selectFrom('sign_ins')
    .select('at')
    .where('person_id', '=', personId)
    .where('outcome', '=', 'failed');
  if (success !== undefined) failures = failures.where('at', '>', success.at);
  const rows = await failures.orderBy('at', 'desc').limit(ceiling).execute();
  const newest = rows[0];
  return { count: rows.length, lastAt: newest === undefined ? null : newest.at };
}

/**
 * Whether the person has ever signed in successfully from this address (exactly this text, as
 * `ctx.ip` gives it). Reads the person's successes in `sign_ins_person_outcome_at`: as many as
 * they have made, which nobody else can add to.
 */
export async function hasSucceededFrom(db: Kysely<Schema>, personId: string, ip: string): Promise<boolean> {
  const row = await db
    .selectFrom('sign_ins')
    .select('id')
    .where('person_id', '=', personId)
    .where('outcome', '=', 'success')
    .where('ip', '=', ip)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
