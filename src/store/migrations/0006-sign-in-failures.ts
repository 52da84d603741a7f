/**
 * Failed sign-ins are counted per person (SP 800-63B-4 §3.2.2; services/sign-in.ts): the
 * consecutive `failed` rows since the newest `success`. On `(person_id, at)` alone those rows are
 * interleaved with every other outcome, and each attempt refused by the count adds a `refused`
 * row that anyone can cause without limit, so reaching the failures could mean reading through any
 * number of refusals. With the outcome in the key each question is one range of the index: the
 * newest success is its first entry, the failures after it at most the rows the count needs.
 * (`sign_ins_person_at` stays: the history lists every outcome, newest first.)
 */
import type { Kysely, Migration } from 'kysely';

export const signInFailures: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('sign_ins_person_outcome_at')
      .on('sign_ins')
      .columns(['person_id', 'outcome', 'at'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('sign_ins_person_outcome_at').execute();
  },
};
