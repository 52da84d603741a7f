/**
 * The assurance policy in the services, on both dialects: storage with history and diffs, groups,
 * and enforcement with explanations at onboarding/registration (class, attestation, AAGUID deny,
 * every rollout phase), at sign-in (level, a model revoked after enrolment, a policy tightened
 * after enrolment), on sessions (apply ends those that no longer qualify; per-segment lifetimes),
 * the status the portal shows, and simulation from the database agreeing with enforcement.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { parsePolicy, simulate } from '../../src/policy/index.js';
import { PolicyDeniedError, PolicyInvalidError, ServiceError } from '../../src/services/errors.js';
import { DIALECTS } from '../support/databases.js';
import {
  assertion,
  callContext,
  enrol,
  TEST_ORIGIN,
  TEST_RP_ID,
  TestVendor,
  uniqueUsername,
  useServices,
} from './harness.js';
import { EVERY_CLASS, failure, group, onboard, policyText, SECURITY_KEYS } from './policy-fixtures.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (ms: number) => new Date(NOW.getTime() + ms);

describe.each(DIALECTS)('assurance policy on %s', (dialect) => {
  const h = useServices(dialect);
  const vendor = new TestVendor('7e57c0de-0000-4000-8000-00000000901c');
  const securityKey = (seed: string) => ({
    kind: 'security-key' as const,
    authenticator: vendor.authenticator(seed),
    attest: vendor.attest,
  });

  it('without a policy: nothing stored, the status is the built-in default, everything that verifies is allowed', async () => {
    const { services } = h();
    expect(await services.policy.current()).toBeNull();
    expect(await services.policy.history()).toEqual([]);
    const person = await enrol(services, { now: NOW });
    const status = await services.policy.status(callContext(at(MINUTE), { sessionId: person.sessionId }));
    expect(status).toEqual({ segment: 'default', phase: 'enforce', decisions: [] });
    const { ctx, response } = await assertion(services, person, { now: at(2 * MINUTE) });
    const issued = await services.signIn.finish({ response }, ctx);
    expect(issued.warnings).toBeUndefined();
    expect(issued.session.expiresAt).toBe(at(2 * MINUTE + 24 * HOUR).toISOString());
  });

  it('refuses an invalid document with every problem and its line, storing nothing', async () => {
    const { services } = h();
    const error = await failure(
      services.policy.apply(
        'version: 1\nsegments: []\ndefault:\n  requirements:\n    minAal: AAL4\n',
        { appliedBy: 'ops', fileName: 'p.yaml' },
        NOW,
      ),
    );
    expect(error).toBeInstanceOf(PolicyInvalidError);
    expect(error.code).toBe('policy_invalid');
    expect((error as PolicyInvalidError).problems.join('\n')).toMatch(
      /^p\.yaml:5:\d+: default\.requirements\.minAal/m,
    );
    expect(await services.policy.current()).toBeNull();
  });

  it('records each version with who, when, its hash and the diff from the previous one', async () => {
    const { services } = h();
    const g = group();
    const first = policyText(g, `${SECURITY_KEYS}rollout:\n  - phase: monitor\n`);
    const second = policyText(g, `${SECURITY_KEYS}rollout:\n  - phase: warn\n`);
    const a = await services.policy.apply(first, { appliedBy: 'alice' }, NOW);
    const b = await services.policy.apply(second, { appliedBy: 'bob' }, at(MINUTE));
    expect(b.unchanged).toBe(false);
    expect(b.policy.version).toBe(a.policy.version + 1);
    expect(b.policy.diff).toContain(`--- policy version ${a.policy.version}`);
    expect(b.policy.diff).toMatch(/^- +- phase: monitor$/m);
    expect(b.policy.diff).toMatch(/^\+ +- phase: warn$/m);
    expect(b.policy.diff).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@$/m);
    expect(b.policy.sha256).toMatch(/^[0-9a-f]{64}$/);
    const again = await services.policy.apply(second, { appliedBy: 'carol' }, at(2 * MINUTE));
    expect(again.unchanged).toBe(true);
    expect(again.policy.version).toBe(b.policy.version);
    const history = await services.policy.history();
    expect(history.slice(0, 2).map((v) => [v.version, v.appliedBy, v.appliedAt])).toEqual([
      [b.policy.version, 'bob', at(MINUTE).toISOString()],
      [a.policy.version, 'alice', NOW.toISOString()],
    ]);
    expect((await services.policy.current())?.document).toBe(second);
  });

  it('enforce: refuses to enrol a class the segment does not allow, with the reasons; enrols a trusted security key', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const g = group();
    await services.policy.apply(policyText(g, SECURITY_KEYS), { appliedBy: 'ops' }, NOW);
    const error = await failure(onboard(services, { now: NOW, groups: [g] }));
    expect(error).toBeInstanceOf(PolicyDeniedError);
    expect(error.status).toBe(403);
    const codes = (error as PolicyDeniedError).reasons.map((r) => r.code);
    expect(codes).toEqual(
      expect.arrayContaining(['aal_below_minimum', 'class_not_allowed', 'attestation_required']),
    );
    expect((error as PolicyDeniedError).reasons[0]?.message).toMatch(/^denied: segment admins requires/);
    const ok = await onboard(services, { now: NOW, groups: [g], ...securityKey(uniqueUsername()) });
    expect(ok.finished.warnings).toBeUndefined();
    expect(ok.finished.issued.session.aal).toBe('AAL3');
  });

  it('enforce: refuses an AAGUID on the deny list, at registration of another credential too', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const g = group();
    await services.policy.apply(
      policyText(
        g,
        `requirements:\n  minAal: AAL2\n  allowedClasses: ${EVERY_CLASS}\n  authenticators:\n    deny:\n      aaguids: [${vendor.aaguid}]\n`,
      ),
      { appliedBy: 'ops' },
      NOW,
    );
    const denied = await failure(
      onboard(services, { now: NOW, groups: [g], ...securityKey(uniqueUsername()) }),
    );
    expect((denied as PolicyDeniedError).reasons.map((r) => r.code)).toEqual(['authenticator_denied']);
    // A passkey is fine; adding the denied key afterwards is refused the same way.
    const { enrolled } = await onboard(services, { now: NOW, groups: [g] });
    const ctx = callContext(at(MINUTE), { sessionId: enrolled.sessionId });
    const creation = await services.registration.options({ kind: 'security-key' }, ctx);
    const key = vendor.authenticator(uniqueUsername());
    const credential = key.createCredential({ userHandle: Buffer.from(creation.user.id, 'base64url') });
    const response = vendor.attest(
      key.register(credential, { rpId: TEST_RP_ID, origin: TEST_ORIGIN, challenge: creation.challenge }),
    );
    const error = await failure(services.registration.finish({ response }, ctx));
    expect(error.code).toBe('policy_denied');
    expect((error as PolicyDeniedError).reasons.map((r) => r.code)).toEqual(['authenticator_denied']);
  });

  it('warn: enrols and signs in with the warnings and the deadline; the status explains them', async () => {
    const { services } = h();
    const g = group();
    await services.policy.apply(
      policyText(g, `${SECURITY_KEYS}rollout:\n  - phase: warn\n  - phase: enforce\n    from: 2026-04-01\n`),
      { appliedBy: 'ops' },
      NOW,
    );
    const { enrolled, finished } = await onboard(services, { now: NOW, groups: [g] });
    const codes = finished.warnings?.map((w) => w.code);
    expect(codes).toEqual(expect.arrayContaining(['class_not_allowed']));
    expect(finished.warnings?.[0]?.message).toMatch(
      /^warning: from 1 April 2026, segment admins will require/,
    );
    const { ctx, response } = await assertion(services, enrolled, { now: at(MINUTE) });
    const issued = await services.signIn.finish({ response }, ctx);
    expect(issued.warnings?.map((w) => w.code)).toEqual(expect.arrayContaining(['class_not_allowed']));
    const status = await services.policy.status(callContext(at(2 * MINUTE), { sessionId: issued.sessionId }));
    expect(status.segment).toBe('admins');
    expect(status.phase).toBe('warn');
    expect(status.decisions[0]).toMatchObject({
      point: 'session',
      effect: 'warn',
      deadline: '2026-04-01T00:00:00.000Z',
    });
    expect(status.decisions[0]?.reasons.some((r) => r.message.includes('1 April 2026'))).toBe(true);
    // On the enforce date the same sign-in is denied, and the session no longer qualifies.
    const later = new Date('2026-04-01T00:00:00Z');
    expect(await services.sessions.current(callContext(later, { sessionId: issued.sessionId }))).toBeNull();
    const next = await assertion(services, enrolled, { now: later });
    expect((await failure(services.signIn.finish({ response: next.response }, next.ctx))).code).toBe(
      'policy_denied',
    );
  });

  it('monitor: allows with no warning to the person', async () => {
    const { services } = h();
    const g = group();
    await services.policy.apply(
      policyText(g, `${SECURITY_KEYS}rollout:\n  - phase: monitor\n`),
      { appliedBy: 'ops' },
      NOW,
    );
    const { enrolled, finished } = await onboard(services, { now: NOW, groups: [g] });
    expect(finished.warnings).toBeUndefined();
    const { ctx, response } = await assertion(services, enrolled, { now: at(MINUTE) });
    expect((await services.signIn.finish({ response }, ctx)).warnings).toBeUndefined();
    const status = await services.policy.status(
      callContext(at(2 * MINUTE), { sessionId: enrolled.sessionId }),
    );
    expect(status).toMatchObject({ segment: 'admins', phase: 'monitor', decisions: [] });
  });

  it('apply ends the sessions that no longer qualify; sign-in is then denied and recorded', async () => {
    const { services } = h();
    const g = group();
    const person = await enrol(services, { now: NOW });
    await services.groups.add({ group: g, usernames: [person.username] }, NOW);
    const bystander = await enrol(services, { now: NOW });
    const applied = await services.policy.apply(
      policyText(g, SECURITY_KEYS),
      { appliedBy: 'ops' },
      at(MINUTE),
    );
    expect(applied.sessionsEnded).toBeGreaterThanOrEqual(1);
    expect(
      await services.sessions.current(callContext(at(2 * MINUTE), { sessionId: person.sessionId })),
    ).toBeNull();
    expect(
      await services.sessions.current(callContext(at(2 * MINUTE), { sessionId: bystander.sessionId })),
    ).not.toBeNull();
    const { ctx, response } = await assertion(services, person, { now: at(3 * MINUTE) });
    const error = await failure(services.signIn.finish({ response }, ctx));
    expect(error.code).toBe('policy_denied');
    expect((error as PolicyDeniedError).reasons.map((r) => r.code)).toEqual(
      expect.arrayContaining(['aal_below_minimum', 'class_not_allowed']),
    );
  });

  it('denies at sign-in a credential whose model metadata revoked after enrolment (model_refused)', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const g = group();
    await services.policy.apply(policyText(g, SECURITY_KEYS), { appliedBy: 'ops' }, NOW);
    const { enrolled } = await onboard(services, { now: NOW, groups: [g], ...securityKey(uniqueUsername()) });
    setMetadata(vendor.snapshotWithStatus('REVOKED', NOW));
    try {
      const { ctx, response } = await assertion(services, enrolled, { now: at(MINUTE) });
      const error = await failure(services.signIn.finish({ response }, ctx));
      expect(error.code).toBe('policy_denied');
      expect((error as PolicyDeniedError).reasons[0]).toMatchObject({ code: 'model_refused' });
      expect(
        await services.sessions.current(callContext(at(MINUTE), { sessionId: enrolled.sessionId })),
      ).toBeNull();
    } finally {
      setMetadata(vendor.snapshot());
    }
  });

  it('gives a session the segment’s shorter lifetime and idle limit', async () => {
    const { services } = h();
    const g = group();
    await services.policy.apply(
      policyText(
        g,
        `requirements:\n  minAal: AAL2\n  allowedClasses: ${EVERY_CLASS}\n  maxSessionHours: 8\n  maxIdleMinutes: 30\n`,
      ),
      { appliedBy: 'ops' },
      NOW,
    );
    const { enrolled, finished } = await onboard(services, { now: NOW, groups: [g] });
    expect(finished.issued.session.expiresAt).toBe(at(8 * HOUR).toISOString());
    const { ctx, response } = await assertion(services, enrolled, { now: at(MINUTE) });
    const issued = await services.signIn.finish({ response }, ctx);
    expect(issued.session).toMatchObject({
      expiresAt: at(MINUTE + 8 * HOUR).toISOString(),
      idleExpiresAt: at(MINUTE + 30 * MINUTE).toISOString(),
    });
    expect(
      await services.sessions.current(callContext(at(32 * MINUTE), { sessionId: issued.sessionId })),
    ).toBeNull();
  });

  it('simulation from the database agrees with enforcement on the same people and credentials', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const g = group();
    const text = policyText(g, SECURITY_KEYS);
    const withPasskey = await enrol(services, { now: NOW });
    const withKey = await enrol(services, { now: NOW, ...securityKey(uniqueUsername()) });
    await services.groups.add({ group: g, usernames: [withPasskey.username, withKey.username] }, NOW);
    const parsed = parsePolicy(text);
    if (!parsed.policy) throw new Error('the test policy is invalid');
    const report = simulate(parsed.policy, await services.policy.population(), at(MINUTE), { people: 'all' });
    const outcome = (personId: string) => report.people?.find((p) => p.id === personId);
    expect(outcome(withPasskey.personId)).toMatchObject({ segment: 'admins', status: 'blocked' });
    expect(outcome(withKey.personId)).toMatchObject({ segment: 'admins', status: 'allowed' });
    await services.policy.apply(text, { appliedBy: 'ops' }, at(MINUTE));
    for (const person of [withPasskey, withKey]) {
      const { ctx, response } = await assertion(services, person, { now: at(2 * MINUTE) });
      const effect = await services.signIn.finish({ response }, ctx).then(
        (issued) => (issued.warnings === undefined ? 'allow' : 'warn'),
        (error: unknown) =>
          error instanceof ServiceError && error.code === 'policy_denied' ? 'deny' : 'error',
      );
      expect(effect).toBe(outcome(person.personId)?.credentials[0]?.effect);
    }
  });

  it('manages groups: add creates, lists members, removes members and groups', async () => {
    const { services } = h();
    const g = group();
    const a = await enrol(services, { now: NOW });
    const b = await enrol(services, { now: NOW });
    const added = await services.groups.add({ group: g, usernames: [b.username, a.username] }, NOW);
    expect(added.members).toEqual([a.username, b.username].sort());
    expect(await services.groups.of(a.username)).toContain(g);
    await services.groups.remove({ group: g, usernames: [a.username] });
    expect((await services.groups.list()).find((x) => x.name === g)?.members).toEqual([b.username]);
    await services.groups.remove({ group: g });
    expect((await services.groups.list()).some((x) => x.name === g)).toBe(false);
    expect((await failure(services.groups.remove({ group: g }))).code).toBe('group_not_found');
    expect((await failure(services.groups.add({ group: 'has space' }, NOW))).code).toBe('group_invalid');
    expect((await failure(services.groups.add({ group: g, usernames: ['nobody-here'] }, NOW))).code).toBe(
      'person_not_found',
    );
  });
});
