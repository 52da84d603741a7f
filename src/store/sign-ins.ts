/** The sign-in history: one row per sign-in (and per refused one), with its level and signals. */
import type { Kysely } from 'kysely';
import { fromFlag, stringArray, toBuffer, toFlag } from './codec.js';
import type { Schema } from './schema.js';

export type SignInOutcome = 'success' | 'refused';

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
    outcome: row.outcome === 'refused' ? 'refused' : 'success',
    aal: row.aal,
    userVerified: fromFlag(row.user_verified),
    signals: stringArray(row.signals),
    ip: row.ip,
    userAgent: row.user_agent,
    credentialName: row.credential_name,
  }));
}
