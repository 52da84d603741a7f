/**
 * The repositories on both dialects, including the race-sensitive statements run concurrently
 * from two instances (two connections or pools on one database): challenge consumption, pass
 * consumption, the counter's conditional update, and the shared server key.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ChallengeRecord, consumeChallenge, putChallenge } from '../../src/store/challenges.js';
import {
  type CredentialRecord,
  credentialDescriptors,
  findCredential,
  findCredentials,
  insertCredential,
  listCredentials,
  raiseCounter,
  recordUse,
  removeCredentialUnlessLast,
  renameCredential,
} from '../../src/store/credentials.js';
import type { Database } from '../../src/store/database.js';
import { consumePass, findUsablePass, insertPass, revokeUnusedPasses } from '../../src/store/passes.js';
import {
  findPersonById,
  findPersonByUserHandle,
  findPersonByUsername,
  insertPerson,
  type PersonRecord,
} from '../../src/store/people.js';
import {
  insertPolicyEvent,
  listPolicyEvents,
  type PolicyEventRecord,
} from '../../src/store/policy-events.js';
import {
  deleteSession,
  findSession,
  insertSession,
  narrowSessionLimits,
  purgeExpiredSessions,
  type SessionRecord,
  touchSession,
} from '../../src/store/sessions.js';
import { ensureSetting } from '../../src/store/settings.js';
import { insertSignIn, recentSignIns } from '../../src/store/sign-ins.js';
import { DIALECTS, useTestDatabase } from '../support/databases.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const bytes = (n: number) => randomBytes(n);

function person(overrides: Partial<PersonRecord> = {}): PersonRecord {
  const id = bytes(8).toString('hex');
  return {
    id,
    username: `user-${id}`,
    displayName: 'Test',
    userHandle: bytes(64),
    createdAt: T0,
    ...overrides,
  };
}

function credential(personId: string, overrides: Partial<CredentialRecord> = {}): CredentialRecord {
  return {
    id: bytes(32),
    personId,
    publicKey: bytes(77),
    alg: -7,
    counter: 0,
    transports: ['usb', 'nfc'],
    aaguid: '00000000-0000-0000-0000-000000000000',
    fmt: 'packed',
    backupEligible: false,
    backupState: false,
    userVerified: true,
    attachment: 'cross-platform',
    discoverable: true,
    attestation: {
      type: 'basic',
      trustPath: [bytes(300).toString('base64url')],
      details: { tee: true, n: 1, s: 'x', z: null },
    },
    class: 'security-key',
    name: 'Key',
    createdAt: T0,
    lastUsedAt: null,
    ...overrides,
  };
}

function challenge(flowHash: Buffer, overrides: Partial<ChallengeRecord> = {}): ChallengeRecord {
  return {
    flowHash,
    purpose: 'authentication',
    challenge: bytes(32),
    personId: null,
    sessionHash: null,
    passHash: null,
    kind: null,
    identified: false,
    createdAt: T0,
    expiresAt: T0 + 300_000,
    ...overrides,
  };
}

function session(personId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    hash: bytes(32),
    personId,
    credentialId: bytes(32),
    aal: 'AAL2',
    amr: ['swk', 'user', 'mfa'],
    authTime: T0,
    createdAt: T0,
    lastSeenAt: T0,
    expiresAt: T0 + 24 * 3600_000,
    idleTimeoutMs: 3600_000,
    ...overrides,
  };
}

describe.each(DIALECTS)('repositories on %s', (dialect) => {
  const t = useTestDatabase(dialect);
  const db = () => t().database.db;
  let second: Database | undefined;
  const other = () => {
    second ??= t().openAnother();
    return second.db;
  };

  it('people: unique username, lookups by username, id and user handle', async () => {
    const p = person();
    expect(await insertPerson(db(), p)).toBe('ok');
    expect(await insertPerson(db(), person({ username: p.username }))).toBe('username_taken');
    expect(await findPersonByUsername(db(), p.username)).toEqual(p);
    expect(await findPersonById(db(), p.id)).toEqual(p);
    expect((await findPersonByUserHandle(db(), p.userHandle))?.id).toBe(p.id);
    expect(await findPersonByUsername(db(), 'nobody')).toBeNull();
  });

  it('credentials: stored and read back whole; an ID is unique across people', async () => {
    const a = person();
    const b = person();
    await insertPerson(db(), a);
    await insertPerson(db(), b);
    const c = credential(a.id);
    expect(await insertCredential(db(), c)).toBe('ok');
    expect(await insertCredential(db(), credential(b.id, { id: c.id }))).toBe('duplicate');
    expect(await findCredential(db(), c.id)).toEqual(c);
    expect(await listCredentials(db(), a.id)).toEqual([c]);
    expect(await credentialDescriptors(db(), a.id)).toEqual([{ id: c.id, transports: ['usb', 'nfc'] }]);
    expect(await listCredentials(db(), b.id)).toEqual([]);
  });

  it('credentials: the counter is only raised, and a lost race reports itself', async () => {
    const p = person();
    await insertPerson(db(), p);
    const c = credential(p.id, { counter: 5 });
    await insertCredential(db(), c);
    expect(await raiseCounter(db(), c.id, { counter: 12, backupState: false, now: T0 + 1 })).toBe(true);
    expect(await raiseCounter(db(), c.id, { counter: 11, backupState: false, now: T0 + 2 })).toBe(false);
    expect(await raiseCounter(db(), c.id, { counter: 12, backupState: false, now: T0 + 3 })).toBe(false);
    const stored = await findCredential(db(), c.id);
    expect([stored?.counter, stored?.lastUsedAt]).toEqual([12, T0 + 1]);
    await recordUse(db(), c.id, { backupState: true, now: T0 + 4 });
    expect(await findCredential(db(), c.id)).toMatchObject({
      counter: 12,
      backupState: true,
      lastUsedAt: T0 + 4,
    });
    // Many writers with different counters, from two instances: the highest wins.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        raiseCounter(i % 2 ? db() : other(), c.id, { counter: 100 + i, backupState: true, now: T0 + 5 }),
      ),
    );
    expect(results).toContain(true);
    expect((await findCredential(db(), c.id))?.counter).toBe(119);
  });

  it('credentials: rename and remove only the owner’s, never the last', async () => {
    const p = person();
    const q = person();
    await insertPerson(db(), p);
    await insertPerson(db(), q);
    const one = credential(p.id);
    const two = credential(p.id, { createdAt: T0 + 1 });
    await insertCredential(db(), one);
    await insertCredential(db(), two);
    expect((await renameCredential(db(), p.id, one.id, 'Renamed'))?.name).toBe('Renamed');
    expect(await renameCredential(db(), q.id, one.id, 'Stolen')).toBeNull();
    expect(await removeCredentialUnlessLast(db(), q.id, one.id)).toBe('not_found');
    expect(await removeCredentialUnlessLast(db(), p.id, one.id)).toBe('removed');
    expect(await removeCredentialUnlessLast(db(), p.id, two.id)).toBe('last');
    expect(await removeCredentialUnlessLast(db(), p.id, one.id)).toBe('not_found');
  });

  it('challenges: one per flow and purpose, replaced by new options, consumed once', async () => {
    const flow = bytes(32);
    const first = challenge(flow);
    const replaced = challenge(flow, { identified: true });
    await putChallenge(db(), first);
    await putChallenge(db(), replaced);
    await putChallenge(db(), challenge(flow, { purpose: 'registration' }));
    const taken = await consumeChallenge(db(), flow, 'authentication', T0 + 1000);
    expect(taken).toEqual({ status: 'ok', challenge: replaced });
    expect(await consumeChallenge(db(), flow, 'authentication', T0 + 1000)).toEqual({ status: 'missing' });
    expect((await consumeChallenge(db(), flow, 'registration', T0 + 1000)).status).toBe('ok');
  });

  it('challenges: an expired one is not handed out and is deleted; expired ones are purged', async () => {
    const flow = bytes(32);
    await putChallenge(db(), challenge(flow));
    expect(await consumeChallenge(db(), flow, 'authentication', T0 + 300_000)).toEqual({ status: 'expired' });
    expect(await consumeChallenge(db(), flow, 'authentication', T0)).toEqual({ status: 'missing' });
    const stale = bytes(32);
    await putChallenge(db(), challenge(stale));
    await putChallenge(db(), challenge(bytes(32), { createdAt: T0 + 400_000, expiresAt: T0 + 700_000 }));
    expect(await consumeChallenge(db(), stale, 'authentication', T0)).toEqual({ status: 'missing' });
  });

  it('challenges: of 20 concurrent consumers on two instances exactly one gets it', async () => {
    for (let round = 0; round < 5; round++) {
      const flow = bytes(32);
      await putChallenge(db(), challenge(flow));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          consumeChallenge(i % 2 ? db() : other(), flow, 'authentication', T0 + 1),
        ),
      );
      expect(results.filter((r) => r.status === 'ok')).toHaveLength(1);
    }
  });

  it('passes: usable until used or expired; consumed exactly once under concurrency', async () => {
    const p = person();
    await insertPerson(db(), p);
    const hash = bytes(32);
    await insertPass(db(), { hash, personId: p.id, createdAt: T0, expiresAt: T0 + 900_000, usedAt: null });
    expect((await findUsablePass(db(), hash, T0))?.personId).toBe(p.id);
    expect(await findUsablePass(db(), hash, T0 + 900_000)).toBeNull();
    expect(await consumePass(db(), hash, T0 + 900_000)).toBeNull();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => consumePass(i % 2 ? db() : other(), hash, T0 + 1)),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await findUsablePass(db(), hash, T0 + 2)).toBeNull();
    const unused = bytes(32);
    await insertPass(db(), {
      hash: unused,
      personId: p.id,
      createdAt: T0,
      expiresAt: T0 + 900_000,
      usedAt: null,
    });
    expect(await revokeUnusedPasses(db(), p.id)).toBe(1);
    expect(await findUsablePass(db(), unused, T0)).toBeNull();
  });

  it('sessions: touched within both limits, refused and deleted outside them', async () => {
    const p = person();
    await insertPerson(db(), p);
    const live = session(p.id);
    await insertSession(db(), live);
    expect(await touchSession(db(), live.hash, T0 + 59 * 60_000)).toMatchObject({
      lastSeenAt: T0 + 59 * 60_000,
    });
    expect(await touchSession(db(), live.hash, T0 + 118 * 60_000)).not.toBeNull();
    expect(await touchSession(db(), live.hash, T0 + 179 * 60_000)).toBeNull();
    expect(await findSession(db(), live.hash)).toBeNull();
    const old = session(p.id, { expiresAt: T0 + 1000 });
    await insertSession(db(), old);
    expect(await purgeExpiredSessions(db(), T0 + 1000)).toBeGreaterThanOrEqual(1);
    expect(await findSession(db(), old.hash)).toBeNull();
  });

  it('settings: instances starting together agree on one generated value', async () => {
    const key = `k-${bytes(4).toString('hex')}`;
    const values = await Promise.all(
      Array.from({ length: 6 }, (_, i) => ensureSetting(i % 2 ? db() : other(), key, () => bytes(32), T0)),
    );
    for (const v of values) expect(v.equals(values[0] ?? Buffer.alloc(0))).toBe(true);
  });

  it('sign-ins: most recent first, with the credential’s current name (null once removed)', async () => {
    const p = person();
    await insertPerson(db(), p);
    const c = credential(p.id, { name: 'Yubi' });
    await insertCredential(db(), c);
    const gone = bytes(32);
    for (const [i, id] of [c.id, gone, c.id].entries())
      await insertSignIn(db(), {
        id: `s-${p.id}-${i}`,
        personId: p.id,
        credentialId: id,
        at: T0 + i * 1000,
        outcome: i === 1 ? 'refused' : 'success',
        aal: i === 1 ? null : 'AAL3',
        userVerified: true,
        signals: i === 1 ? ['counter_regression'] : [],
        ip: null,
        userAgent: null,
      });
    const recent = await recentSignIns(db(), p.id, 10);
    expect(recent.map((s) => [s.at - T0, s.credentialName, s.outcome, s.signals])).toEqual([
      [2000, 'Yubi', 'success', []],
      [1000, null, 'refused', ['counter_regression']],
      [0, 'Yubi', 'success', []],
    ]);
    expect(await recentSignIns(db(), p.id, 1)).toHaveLength(1);
  });

  it('sessions: narrowing lowers each limit only where the new one is shorter, never raises one', async () => {
    const p = person();
    await insertPerson(db(), p);
    const s = session(p.id);
    await insertSession(db(), s);
    // Longer on both counts: nothing changes.
    expect(await narrowSessionLimits(db(), s.hash, 2 * 3600_000, s.expiresAt + 1)).toBe(false);
    expect(await findSession(db(), s.hash)).toMatchObject({
      idleTimeoutMs: 3600_000,
      expiresAt: s.expiresAt,
    });
    // A shorter idle limit with a later end: only the idle limit is lowered.
    expect(await narrowSessionLimits(db(), s.hash, 15 * 60_000, s.expiresAt + 3600_000)).toBe(true);
    expect(await findSession(db(), s.hash)).toMatchObject({
      idleTimeoutMs: 15 * 60_000,
      expiresAt: s.expiresAt,
    });
    // A shorter end with a longer idle limit: only the end is lowered.
    expect(await narrowSessionLimits(db(), s.hash, 3600_000, T0 + 2 * 3600_000)).toBe(true);
    expect(await findSession(db(), s.hash)).toMatchObject({
      idleTimeoutMs: 15 * 60_000,
      expiresAt: T0 + 2 * 3600_000,
    });
    // Two instances narrowing at once keep the lesser of each.
    await Promise.all([
      narrowSessionLimits(db(), s.hash, 10 * 60_000, T0 + 3600_000),
      narrowSessionLimits(other(), s.hash, 12 * 60_000, T0 + 1800_000),
    ]);
    expect(await findSession(db(), s.hash)).toMatchObject({
      idleTimeoutMs: 10 * 60_000,
      expiresAt: T0 + 1800_000,
    });
    expect(await deleteSession(db(), s.hash)).toBe(true);
    expect(await deleteSession(other(), s.hash)).toBe(false);
  });

  it('credentials: found by many IDs at once, across chunks of the IN list', async () => {
    const p = person();
    await insertPerson(db(), p);
    const first = credential(p.id);
    const last = credential(p.id);
    await insertCredential(db(), first);
    await insertCredential(db(), last);
    // 2,500 IDs: the stored ones in the first and the third chunk, unknown ones ignored.
    const ids = [first.id, ...Array.from({ length: 2498 }, () => bytes(16)), last.id];
    const found = await findCredentials(db(), ids);
    expect(found.map((c) => c.id.toString('hex')).sort()).toEqual(
      [first.id, last.id].map((id) => id.toString('hex')).sort(),
    );
    expect(found.find((c) => c.id.equals(first.id))).toEqual(first);
    expect(await findCredentials(db(), [])).toEqual([]);
  });

  it('policy events: stored whole, filtered, newest first, with the username', async () => {
    const a = person();
    const b = person();
    await insertPerson(db(), a);
    await insertPerson(db(), b);
    const base: Omit<PolicyEventRecord, 'id' | 'at' | 'personId'> = {
      point: 'sign-in',
      segment: 'admins',
      phase: 'monitor',
      effect: 'allow',
      codes: ['monitor_would_deny', 'class_not_allowed'],
      policyVersion: 3,
      credentialId: bytes(16),
      clientId: null,
    };
    const events: PolicyEventRecord[] = [
      { ...base, id: `e-${a.id}-1`, at: T0, personId: a.id },
      {
        ...base,
        id: `e-${a.id}-2`,
        at: T0 + 1000,
        personId: a.id,
        point: 'acr',
        effect: 'deny',
        credentialId: null,
        clientId: 'app-1',
        segment: 'default',
        phase: 'enforce',
        codes: ['acr_not_satisfied'],
      },
      { ...base, id: `e-${b.id}-3`, at: T0 + 2000, personId: b.id, effect: 'warn', phase: 'warn' },
    ];
    for (const e of events) await insertPolicyEvent(db(), e);
    const mine = await listPolicyEvents(db(), { personId: a.id, limit: 10 });
    expect(mine).toEqual([
      { ...events[1], username: a.username },
      { ...events[0], username: a.username },
    ]);
    const ids = async (filter: Omit<Parameters<typeof listPolicyEvents>[1], 'limit'>) =>
      (await listPolicyEvents(db(), { ...filter, limit: 10 }))
        .map((e) => e.id)
        .filter((id) => id.includes(a.id) || id.includes(b.id));
    expect(await ids({ since: T0 + 1000 })).toEqual([`e-${b.id}-3`, `e-${a.id}-2`]);
    expect(await ids({ point: 'acr' })).toEqual([`e-${a.id}-2`]);
    expect(await ids({ effect: 'warn' })).toEqual([`e-${b.id}-3`]);
    expect(await ids({ segment: 'default' })).toEqual([`e-${a.id}-2`]);
    expect(await ids({ personId: a.id, effect: 'allow' })).toEqual([`e-${a.id}-1`]);
    expect(await listPolicyEvents(db(), { personId: a.id, limit: 1 })).toHaveLength(1);
    // They go with their person, like the sign-in history.
    await db().deleteFrom('people').where('id', '=', a.id).execute();
    expect(await listPolicyEvents(db(), { personId: a.id, limit: 10 })).toEqual([]);
  });

  it('deleting a person removes what belongs to them (foreign keys are enforced)', async () => {
    const p = person();
    await insertPerson(db(), p);
    const c = credential(p.id);
    await insertCredential(db(), c);
    await expect(insertCredential(db(), credential('no-such-person'))).rejects.toThrow();
    await db().deleteFrom('people').where('id', '=', p.id).execute();
    expect(await findCredential(db(), c.id)).toBeNull();
  });
});
