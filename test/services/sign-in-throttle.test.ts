/**
 * Consecutive failed sign-ins per account (SP 800-63B-4 §3.2.2), on both dialects, with real
 * assertions from the software authenticator: a verification that fails is recorded as a failed
 * sign-in (an unknown credential records nothing); past 100 in a row an attempt from an address
 * the person never signed in from is refused without being verified, recorded as
 * `too_many_failures` and answered like any failure, until a wait that starts at 30 s, doubles for
 * every 10 further failures and stops at an hour; an address with a previous success is never
 * held up; a success resets the count. Most of the 100 failures are seeded through the store
 * (insertSignIn), as the service would write them; a few real ones prove the service does.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  FAILURE_WAIT_DOUBLING_EVERY,
  FAILURE_WAIT_INITIAL_MS,
  FAILURE_WAIT_MAX_MS,
  MAX_CONSECUTIVE_FAILURES,
} from '../../src/config/index.js';
import type { TesseraServices } from '../../src/services/contract.js';
import { ServiceError } from '../../src/services/errors.js';
import { FAILURE_COUNT_CEILING, failedSignInWaitMs, SIGNALS } from '../../src/services/sign-in.js';
import { failuresSinceSuccess, insertSignIn, type SignInOutcome } from '../../src/store/sign-ins.js';
import type { Corruption } from '../helpers/soft-authenticator.js';
import { DIALECTS } from '../support/databases.js';
import { assertion, callContext, type Enrolled, enrol, token, useServices } from './harness.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** The harness's call contexts come from here, so enrolment makes it an address with a success. */
const KNOWN_IP = '192.0.2.10';
const NEW_IP = '198.51.100.7';
const OTHER_NEW_IP = '203.0.113.99';

describe('the wait past the limit', () => {
  it('is 30 s at 100 failures, doubles every 10 more, and stops at an hour', () => {
    expect([MAX_CONSECUTIVE_FAILURES, FAILURE_WAIT_INITIAL_MS, FAILURE_WAIT_MAX_MS]).toEqual([
      100,
      30 * SECOND,
      60 * MINUTE,
    ]);
    expect(FAILURE_WAIT_DOUBLING_EVERY).toBe(10);
    const waits = [0, 99, 100, 109, 110, 119, 120, 130, 160, 169, 170, 171, 1000, 1e9].map((n) => [
      n,
      failedSignInWaitMs(n) / SECOND,
    ]);
    expect(waits).toEqual([
      [0, 0],
      [99, 0],
      [100, 30],
      [109, 30],
      [110, 60],
      [119, 60],
      [120, 120],
      [130, 240],
      [160, 1920],
      [169, 1920],
      [170, 3600],
      [171, 3600],
      [1000, 3600],
      [1e9, 3600],
    ]);
  });

  it('reaches its cap at the count the store reads up to (170), and not before', () => {
    expect(FAILURE_COUNT_CEILING).toBe(170);
    expect(failedSignInWaitMs(FAILURE_COUNT_CEILING)).toBe(FAILURE_WAIT_MAX_MS);
    expect(failedSignInWaitMs(FAILURE_COUNT_CEILING - 1)).toBeLessThan(FAILURE_WAIT_MAX_MS);
  });
});

interface Outcome {
  readonly code: string;
  readonly error: ServiceError | null;
}

async function settle(promise: Promise<unknown>): Promise<Outcome> {
  try {
    await promise;
    return { code: 'ok', error: null };
  } catch (error) {
    if (error instanceof ServiceError) return { code: error.code, error };
    throw error;
  }
}

/** Options, an assertion for them and its verification, from `ip` at `now`. */
async function signIn(
  services: TesseraServices,
  person: Enrolled,
  input: { readonly now: Date; readonly ip: string; readonly corrupt?: Corruption; readonly uv?: boolean },
): Promise<Outcome> {
  const { ctx, response } = await assertion(services, person, {
    now: input.now,
    ...(input.corrupt === undefined ? {} : { corrupt: input.corrupt }),
    ...(input.uv === undefined ? {} : { uv: input.uv }),
  });
  return settle(services.signIn.finish({ response }, { ...ctx, ip: input.ip }));
}

describe.each(DIALECTS)('failed sign-ins on %s', (dialect) => {
  const h = useServices(dialect);

  const db = () => h().t.database.db;

  /** `count` failed sign-ins of the person's, one millisecond apart, the newest at `lastAt`. */
  async function seedFailures(person: Enrolled, count: number, lastAt: Date): Promise<void> {
    for (let i = 0; i < count; i++)
      await insertSignIn(db(), {
        id: token(),
        personId: person.personId,
        credentialId: Buffer.from(person.credential.id),
        at: lastAt.getTime() - (count - 1 - i),
        outcome: 'failed',
        aal: null,
        userVerified: false,
        signals: [SIGNALS.verificationFailed],
        ip: '203.0.113.1',
        userAgent: 'attacker',
      });
  }

  async function rows(personId: string) {
    return db()
      .selectFrom('sign_ins')
      .select(['outcome', 'signals', 'ip', 'user_agent', 'aal', 'user_verified', 'at'])
      .where('person_id', '=', personId)
      .orderBy('at', 'desc')
      .execute();
  }

  const streak = (person: Enrolled) => failuresSinceSuccess(db(), person.personId, FAILURE_COUNT_CEILING);

  it('records a failed sign-in for each assertion of the person’s that does not verify', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const failures: readonly Outcome[] = [
      await signIn(services, person, { now: later(1000), ip: NEW_IP, corrupt: { signature: 'flip-bit' } }),
      await signIn(services, person, {
        now: later(2000),
        ip: NEW_IP,
        corrupt: { origin: 'https://evil.example' },
      }),
      await signIn(services, person, { now: later(3000), ip: OTHER_NEW_IP, uv: false }),
    ];
    expect(failures.map((f) => f.code)).toEqual(Array(3).fill('authentication_failed'));
    expect(failures.map((f) => f.error?.detail?.split(':')[0])).toEqual([
      'signature_invalid',
      'origin_mismatch',
      'user_verification_required',
    ]);
    expect(await streak(person)).toEqual({ count: 3, lastAt: later(3000).getTime() });

    // The person sees them in their history: failed, with the signal, where from.
    const history = await services.signIns.recent(callContext(later(4000), { sessionId: person.sessionId }));
    expect(history.map((s) => [s.outcome, s.signals, s.ip, s.aal, s.userVerified])).toEqual([
      ['failed', ['verification_failed'], OTHER_NEW_IP, null, false],
      ['failed', ['verification_failed'], NEW_IP, null, false],
      ['failed', ['verification_failed'], NEW_IP, null, false],
      ['success', [], KNOWN_IP, 'AAL2', true],
    ]);
    expect(history[0]).toMatchObject({ credentialId: person.credentialId, userAgent: 'vitest' });
  });

  it('records nothing for an unknown credential ID: there is no account to count against', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const stranger = person.authenticator.createCredential({ userHandle: person.credential.userHandle });
    const count = async () =>
      Number(
        (
          await db()
            .selectFrom('sign_ins')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const outcome = await signIn(
      services,
      { ...person, credential: stranger },
      { now: later(1000), ip: NEW_IP },
    );
    expect(outcome.code).toBe('authentication_failed');
    expect(outcome.error?.detail).toMatch(/^unknown credential/);
    expect(await count()).toBe(before);
    expect(await streak(person)).toEqual({ count: 0, lastAt: null });
  });

  it('verifies attempts from anywhere below 100 failures in a row', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    await seedFailures(person, MAX_CONSECUTIVE_FAILURES - 1, later(MINUTE));
    expect((await signIn(services, person, { now: later(MINUTE + 1), ip: NEW_IP })).code).toBe('ok');
  });

  it('past 100 failures, refuses a new address without verifying, and lets a known one sign in', async () => {
    const { services, t } = h();
    const person = await enrol(services, { now: NOW });
    // 97 seeded, then 3 real failures from the service: together the 100 that reach the limit.
    await seedFailures(person, MAX_CONSECUTIVE_FAILURES - 3, later(MINUTE));
    for (const ms of [1, 2, 3])
      expect(
        (
          await signIn(services, person, {
            now: later(MINUTE + ms),
            ip: NEW_IP,
            corrupt: { signature: 'flip-bit' },
          })
        ).code,
      ).toBe('authentication_failed');
    expect(await streak(person)).toEqual({ count: 100, lastAt: later(MINUTE + 3).getTime() });

    // A correct assertion from an address the person never signed in from: refused, unverified.
    const sessions = async () =>
      Number(
        (
          await t.database.db
            .selectFrom('sessions')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('person_id', '=', person.personId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const sessionsBefore = await sessions();
    const held = await signIn(services, person, { now: later(MINUTE + 10 * SECOND), ip: NEW_IP });
    expect(held.code).toBe('authentication_failed');
    expect(held.error?.detail).toMatch(/^too_many_failures: 100 consecutive failed sign-ins/);
    expect(await sessions()).toBe(sessionsBefore);
    // A bad signature now is not verified either: refused, not failed, and the count stays 100.
    const heldBad = await signIn(services, person, {
      now: later(MINUTE + 11 * SECOND),
      ip: OTHER_NEW_IP,
      corrupt: { signature: 'flip-bit' },
    });
    expect(heldBad.error?.detail).toMatch(/^too_many_failures/);
    const [newest, previous] = await rows(person.personId);
    expect(newest).toMatchObject({ outcome: 'refused', ip: OTHER_NEW_IP, aal: null });
    expect(JSON.parse(newest?.signals ?? '')).toEqual(['too_many_failures']);
    expect(previous).toMatchObject({ outcome: 'refused', ip: NEW_IP, user_agent: 'vitest' });
    expect(JSON.parse(previous?.signals ?? '')).toEqual(['too_many_failures']);
    // Refusals neither count nor restart the wait.
    expect(await streak(person)).toEqual({ count: 100, lastAt: later(MINUTE + 3).getTime() });

    // The same kind of correct assertion from where the person signed in before (their
    // enrolment) is verified at once, and the success resets the count.
    expect((await signIn(services, person, { now: later(MINUTE + 12 * SECOND), ip: KNOWN_IP })).code).toBe(
      'ok',
    );
    expect(await streak(person)).toEqual({ count: 0, lastAt: null });
    expect((await signIn(services, person, { now: later(MINUTE + 13 * SECOND), ip: NEW_IP })).code).toBe(
      'ok',
    );
  });

  it('after the wait, verifies a new address; its success resets the count', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const last = later(MINUTE);
    await seedFailures(person, MAX_CONSECUTIVE_FAILURES, last);
    const at = (ms: number) => new Date(last.getTime() + ms);
    expect((await signIn(services, person, { now: at(30 * SECOND - 1), ip: NEW_IP })).code).toBe(
      'authentication_failed',
    );
    expect((await signIn(services, person, { now: at(30 * SECOND), ip: NEW_IP })).code).toBe('ok');
    expect(await streak(person)).toEqual({ count: 0, lastAt: null });
    // Counting starts again from the success: one failure, then another new address is verified.
    expect(
      (
        await signIn(services, person, {
          now: at(31 * SECOND),
          ip: OTHER_NEW_IP,
          corrupt: { signature: 'flip-bit' },
        })
      ).code,
    ).toBe('authentication_failed');
    expect(await streak(person)).toEqual({ count: 1, lastAt: at(31 * SECOND).getTime() });
    expect((await signIn(services, person, { now: at(32 * SECOND), ip: OTHER_NEW_IP })).code).toBe('ok');
  });

  it('after the wait, a failure from a new address starts the next wait', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const last = later(MINUTE);
    await seedFailures(person, MAX_CONSECUTIVE_FAILURES, last);
    const failedAt = new Date(last.getTime() + 30 * SECOND);
    const bad = await signIn(services, person, {
      now: failedAt,
      ip: NEW_IP,
      corrupt: { signature: 'flip-bit' },
    });
    expect(bad.error?.detail).toMatch(/^signature_invalid/);
    expect(await streak(person)).toEqual({ count: 101, lastAt: failedAt.getTime() });
    const since = (ms: number) => new Date(failedAt.getTime() + ms);
    expect((await signIn(services, person, { now: since(30 * SECOND - 1), ip: NEW_IP })).code).toBe(
      'authentication_failed',
    );
    expect((await signIn(services, person, { now: since(30 * SECOND), ip: NEW_IP })).code).toBe('ok');
  });

  it('waits 60 s after 110 failures, and an hour, no longer, after 200', async () => {
    const { services } = h();
    for (const [failures, waitMs] of [
      [110, 60 * SECOND],
      [200, 60 * MINUTE],
    ] as const) {
      const person = await enrol(services, { now: NOW });
      const last = later(MINUTE);
      await seedFailures(person, failures, last);
      const at = (ms: number) => new Date(last.getTime() + ms);
      const early = await signIn(services, person, { now: at(waitMs - 1), ip: NEW_IP });
      expect(early.error?.detail, `${failures}`).toMatch(/^too_many_failures/);
      expect((await signIn(services, person, { now: at(waitMs), ip: NEW_IP })).code, `${failures}`).toBe(
        'ok',
      );
    }
  });

  it('answers a refused attempt exactly like an unknown credential and a bad signature', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    await seedFailures(person, MAX_CONSECUTIVE_FAILURES, later(MINUTE));
    const stranger = person.authenticator.createCredential({ userHandle: person.credential.userHandle });
    const answers = [
      await signIn(services, person, { now: later(MINUTE + SECOND), ip: NEW_IP }),
      await signIn(
        services,
        { ...person, credential: stranger },
        { now: later(MINUTE + SECOND), ip: NEW_IP },
      ),
      await signIn(services, person, {
        now: later(MINUTE + SECOND),
        ip: KNOWN_IP,
        corrupt: { signature: 'flip-bit' },
      }),
    ];
    expect(answers.map((a) => a.error?.detail?.split(':')[0])).toEqual([
      'too_many_failures',
      expect.stringMatching(/^unknown credential/),
      'signature_invalid',
    ]);
    expect(answers.map((a) => [a.error?.code, a.error?.message, a.error?.status])).toEqual(
      Array(3).fill(['authentication_failed', 'The sign-in could not be verified.', 400]),
    );
  });

  it('counts failed rows since the newest success only, up to the ceiling, skipping refusals', async () => {
    const { services } = h();
    const person = await enrol(services, { now: NOW });
    const add = (outcome: SignInOutcome, at: number) =>
      insertSignIn(db(), {
        id: token(),
        personId: person.personId,
        credentialId: Buffer.from(person.credential.id),
        at: NOW.getTime() + at,
        outcome,
        aal: outcome === 'success' ? 'AAL2' : null,
        userVerified: outcome === 'success',
        signals: [],
        ip: null,
        userAgent: null,
      });
    await add('failed', 10);
    await add('success', 20);
    // Failures in the millisecond of the success are not counted (the success may be the later).
    await add('failed', 20);
    await add('failed', 30);
    await add('refused', 40);
    await add('failed', 50);
    await add('refused', 60);
    expect(await failuresSinceSuccess(db(), person.personId, 10)).toEqual({
      count: 2,
      lastAt: NOW.getTime() + 50,
    });
    expect(await failuresSinceSuccess(db(), person.personId, 1)).toEqual({
      count: 1,
      lastAt: NOW.getTime() + 50,
    });
    // Another person's rows are not counted.
    const other = await enrol(services, { now: NOW });
    expect(await failuresSinceSuccess(db(), other.personId, 10)).toEqual({ count: 0, lastAt: null });
  });
});
