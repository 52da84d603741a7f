/**
 * Ceremony challenges, kept on the server (WebAuthn L3 §13.5.3) and bound to a purpose and to the
 * browser's flow id (stored as its SHA-256). One outstanding challenge per flow and purpose: new
 * options replace the previous ones.
 *
 * `consumeChallenge` is a single `DELETE … RETURNING`: the row is gone the moment one caller has
 * it, so of N concurrent verifications of one response exactly one gets the challenge (SQLite
 * serialises writers; PostgreSQL makes the second DELETE wait on the row lock and then find it
 * deleted). An expired challenge is deleted the same way but not handed out.
 */
import type { Kysely, Selectable } from 'kysely';
import { toBuffer } from './codec.js';
import type { ChallengesTable, Schema } from './schema.js';

export type ChallengePurpose = 'authentication' | 'onboarding' | 'registration';

export interface ChallengeRecord {
  readonly flowHash: Buffer;
  readonly purpose: ChallengePurpose;
  readonly challenge: Buffer;
  readonly personId: string | null;
  readonly sessionHash: Buffer | null;
  readonly passHash: Buffer | null;
  readonly kind: string | null;
  /** Sign-in: the options named a username. */
  readonly identified: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export type ConsumeResult =
  | { readonly status: 'ok'; readonly challenge: ChallengeRecord }
  | { readonly status: 'expired' }
  | { readonly status: 'missing' };

function record(row: Selectable<ChallengesTable>): ChallengeRecord {
  return {
    flowHash: row.flow_hash,
    purpose: row.purpose as ChallengePurpose,
    challenge: row.challenge,
    personId: row.person_id,
    sessionHash: row.session_hash,
    passHash: row.pass_hash,
    kind: row.kind,
    identified: Number(row.identified) !== 0,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/** Store a challenge, replacing any outstanding one for the same flow and purpose; purge expired ones. */
export async function putChallenge(db: Kysely<Schema>, challenge: ChallengeRecord): Promise<void> {
  const values = {
    flow_hash: toBuffer(challenge.flowHash),
    purpose: challenge.purpose,
    challenge: toBuffer(challenge.challenge),
    person_id: challenge.personId,
    session_hash: challenge.sessionHash === null ? null : toBuffer(challenge.sessionHash),
    pass_hash: challenge.passHash === null ? null : toBuffer(challenge.passHash),
    kind: challenge.kind,
    identified: challenge.identified ? 1 : 0,
    created_at: challenge.createdAt,
    expires_at: challenge.expiresAt,
  };
  await db
    .insertInto('challenges')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['flow_hash', 'purpose']).doUpdateSet({
        challenge: values.challenge,
        person_id: values.person_id,
        session_hash: values.session_hash,
        pass_hash: values.pass_hash,
        kind: values.kind,
        identified: values.identified,
        created_at: values.created_at,
        expires_at: values.expires_at,
      }),
    )
    .execute();
  await purgeExpiredChallenges(db, challenge.createdAt);
}

/** Take the challenge for this flow and purpose, atomically: at most one caller ever gets it. */
export async function consumeChallenge(
  db: Kysely<Schema>,
  flowHash: Uint8Array,
  purpose: ChallengePurpose,
  now: number,
): Promise<ConsumeResult> {
  const row = await db
    .deleteFrom('challenges')
    .where('flow_hash', '=', toBuffer(flowHash))
    .where('purpose', '=', purpose)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) return { status: 'missing' };
  if (row.expires_at <= now) return { status: 'expired' };
  return { status: 'ok', challenge: record(row) };
}

export async function purgeExpiredChallenges(db: Kysely<Schema>, now: number): Promise<number> {
  const result = await db.deleteFrom('challenges').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
