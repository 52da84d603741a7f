/**
 * Policy versions and groups in the store, on both dialects: the newest version is in force, a
 * version number is taken once (two applies racing), memberships go with the person and the group.
 */
import { describe, expect, it } from 'vitest';
import {
  addMember,
  deleteGroup,
  ensureGroup,
  groupsOf,
  listGroups,
  membersOf,
} from '../../src/store/groups.js';
import { insertPerson } from '../../src/store/people.js';
import {
  currentPolicy,
  currentPolicyVersion,
  insertPolicy,
  policyHistory,
} from '../../src/store/policies.js';
import { DIALECTS, useTestDatabase } from '../support/databases.js';

const version = (n: number) => ({
  version: n,
  document: `version: 1 # ${n}\n`,
  sha256: String(n).padStart(64, '0'),
  appliedBy: 'ops',
  appliedAt: 1_900_000_000_000 + n,
  diff: '',
});

describe.each(DIALECTS)('policy store on %s', (dialect) => {
  const t = useTestDatabase(dialect);

  it('has no policy at first, then the newest version is in force; a version is taken once', async () => {
    const { db } = t().database;
    expect(await currentPolicy(db)).toBeNull();
    expect(await currentPolicyVersion(db)).toBe(0);
    expect(await insertPolicy(db, version(1))).toBe('ok');
    expect(await insertPolicy(db, version(2))).toBe('ok');
    expect(await insertPolicy(db, { ...version(2), appliedBy: 'someone else' })).toBe('conflict');
    expect(await currentPolicyVersion(db)).toBe(2);
    expect(await currentPolicy(db)).toEqual(version(2));
    expect((await policyHistory(db)).map((p) => p.version)).toEqual([2, 1]);
  });

  it('keeps memberships per person and group, and drops them with the group', async () => {
    const { db } = t().database;
    const person = {
      id: 'p-groups',
      username: 'groups',
      displayName: 'G',
      userHandle: Buffer.alloc(64, 7),
      createdAt: 1,
    };
    expect(await insertPerson(db, person)).toBe('ok');
    await ensureGroup(db, 'sre', 1);
    await ensureGroup(db, 'sre', 2);
    await ensureGroup(db, 'finance', 1);
    await addMember(db, person.id, 'sre', 1);
    await addMember(db, person.id, 'sre', 2);
    await addMember(db, person.id, 'finance', 1);
    expect(await groupsOf(db, person.id)).toEqual(['finance', 'sre']);
    expect(await membersOf(db, 'sre')).toEqual(['groups']);
    expect(await listGroups(db)).toEqual([
      { name: 'finance', members: 1, createdAt: 1 },
      { name: 'sre', members: 1, createdAt: 1 },
    ]);
    expect(await deleteGroup(db, 'sre')).toBe(true);
    expect(await deleteGroup(db, 'sre')).toBe(false);
    expect(await groupsOf(db, person.id)).toEqual(['finance']);
  });
});
