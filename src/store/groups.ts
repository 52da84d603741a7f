/** Groups and their members: the policy's segments name groups. */
import type { Kysely } from 'kysely';
import type { Schema } from './schema.js';

export interface GroupSummary {
  readonly name: string;
  readonly members: number;
  readonly createdAt: number;
}

/** Create the group unless it exists. */
export async function ensureGroup(db: Kysely<Schema>, name: string, now: number): Promise<void> {
  await db
    .insertInto('groups')
    .values({ name, created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

/** Delete the group (and every membership); false when there was none. */
export async function deleteGroup(db: Kysely<Schema>, name: string): Promise<boolean> {
  await db.deleteFrom('person_groups').where('group_name', '=', name).execute();
  const result = await db.deleteFrom('groups').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listGroups(db: Kysely<Schema>): Promise<GroupSummary[]> {
  const rows = await db
    .selectFrom('groups')
    .leftJoin('person_groups', 'person_groups.group_name', 'groups.name')
    .select((eb) => [
      'groups.name',
      'groups.created_at',
      eb.fn.count<number>('person_groups.person_id').as('members'),
    ])
    .groupBy(['groups.name', 'groups.created_at'])
    .orderBy('groups.name')
    .execute();
  return rows.map((r) => ({ name: r.name, members: Number(r.members), createdAt: Number(r.created_at) }));
}

/** Add a membership (the group must exist); nothing when already a member. */
export async function addMember(
  db: Kysely<Schema>,
  personId: string,
  group: string,
  now: number,
): Promise<void> {
  await db
    .insertInto('person_groups')
    .values({ person_id: personId, group_name: group, added_at: now })
    .onConflict((oc) => oc.columns(['person_id', 'group_name']).doNothing())
    .execute();
}

export async function removeMember(db: Kysely<Schema>, personId: string, group: string): Promise<boolean> {
  const result = await db
    .deleteFrom('person_groups')
    .where('person_id', '=', personId)
    .where('group_name', '=', group)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The person's groups, sorted. */
export async function groupsOf(db: Kysely<Schema>, personId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('person_groups')
    .select('group_name')
    .where('person_id', '=', personId)
    .orderBy('group_name')
    .execute();
  return rows.map((r) => r.group_name);
}

/** Usernames of a group's members, sorted. */
export async function membersOf(db: Kysely<Schema>, group: string): Promise<string[]> {
  const rows = await db
    .selectFrom('person_groups')
    .innerJoin('people', 'people.id', 'person_groups.person_id')
    .select('people.username')
    .where('person_groups.group_name', '=', group)
    .orderBy('people.username')
    .execute();
  return rows.map((r) => r.username);
}

/** Every person's groups in one query (people in no group are absent), for whole-population work. */
export async function groupsByPerson(db: Kysely<Schema>): Promise<Map<string, string[]>> {
  const rows = await db.selectFrom('person_groups').select(['person_id', 'group_name']).execute();
  const groups = new Map<string, string[]>();
  for (const r of rows) {
    const list = groups.get(r.person_id);
    if (list === undefined) groups.set(r.person_id, [r.group_name]);
    else list.push(r.group_name);
  }
  return groups;
}
