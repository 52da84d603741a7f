/**
 * The admin guard (services/admin.ts) and the policy use cases behind it, on both dialects:
 * `policy.simulateProposed` and `policy.eventsFor` answer only a member of TESSERA_ADMIN_GROUPS
 * whose session is at AAL3 now (PRODUCT.md: "Admin actions themselves require an AAL3 session"),
 * refuse everyone else before looking at their request, and otherwise do exactly what
 * `simulate()` over `population()` and `events()` do.
 */
import { describe, expect, it } from 'vitest';
import { parsePolicy, simulate } from '../../src/policy/index.js';
import type { TesseraServices } from '../../src/services/contract.js';
import { PolicyInvalidError } from '../../src/services/errors.js';
import { emptyMetadata } from '../../src/services/index.js';
import { DIALECTS } from '../support/databases.js';
import { assertion, callContext, enrol, TestVendor, uniqueUsername, useServices } from './harness.js';
import { failure } from './policy-fixtures.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const MINUTE = 60_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);

/** Security keys at AAL3 for everyone, enforced from a date: simulated before and after it. */
const PROPOSED = `version: 1
segments: []
default:
  requirements:
    minAal: AAL3
    allowedClasses: [security-key]
  rollout:
    - phase: warn
    - phase: enforce
      from: 2026-06-01
`;

const vendor = new TestVendor('7e57c0de-0000-4000-8000-00000000ad01');

async function securityKeyPerson(services: TesseraServices, groups: readonly string[]) {
  return enrol(services, {
    now: NOW,
    groups,
    kind: 'security-key',
    authenticator: vendor.authenticator(uniqueUsername('key')),
    attest: vendor.attest,
  });
}

async function syncedPasskeyPerson(services: TesseraServices, groups: readonly string[]) {
  return enrol(services, { now: NOW, groups, credential: { backupEligible: true, backupState: true } });
}

describe.each(DIALECTS)('the admin API use cases on %s', (dialect) => {
  const h = useServices(dialect);

  it('answers an administrator at AAL3 with simulate() over the population, applying nothing', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const admin = await securityKeyPerson(services, ['tessera-admins']);
    expect(admin.finished.issued.session.aal).toBe('AAL3');
    await syncedPasskeyPerson(services, []);
    await syncedPasskeyPerson(services, ['sre']);
    const ctx = callContext(at(MINUTE), { sessionId: admin.sessionId });
    const policy = parsePolicy(PROPOSED, 'p').policy;
    if (!policy) throw new Error('the proposed policy does not parse');

    const today = await services.policy.simulateProposed(ctx, { document: PROPOSED });
    expect(today).toEqual(simulate(policy, await services.policy.population(), ctx.now));
    expect(today.at).toBe(ctx.now.toISOString());

    const later = new Date('2026-06-02T00:00:00Z');
    const enforced = await services.policy.simulateProposed(ctx, {
      document: PROPOSED,
      at: later,
      people: 'affected',
    });
    expect(enforced).toEqual(
      simulate(policy, await services.policy.population(), later, { people: 'affected' }),
    );
    // The synced passkeys are blocked once enforced; the administrator's security key is not.
    expect(enforced.totals.blocked).toBeGreaterThanOrEqual(2);
    expect(enforced.people?.map((p) => p.username)).not.toContain(admin.username);
    expect(await services.policy.current()).toBeNull();
  });

  it('refuses without a session, a non-administrator, and an administrator below AAL3, before reading the request', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const stranger = callContext(NOW);
    const member = await securityKeyPerson(services, ['sre']);
    const synced = await syncedPasskeyPerson(services, ['tessera-admins']);
    expect(synced.finished.issued.session.aal).toBe('AAL2');
    const memberCtx = callContext(NOW, { sessionId: member.sessionId });
    const syncedCtx = callContext(NOW, { sessionId: synced.sessionId });
    // An invalid document and an unknown person would be 400 and 404 for an administrator: nobody
    // else learns either.
    const invalid = { document: 'version: 2\n' };
    for (const [ctx, code] of [
      [stranger, 'unauthenticated'],
      [callContext(NOW, { sessionId: 'x'.repeat(43) }), 'unauthenticated'],
      [memberCtx, 'admin_required'],
      [syncedCtx, 'admin_aal3_required'],
    ] as const) {
      expect((await failure(services.policy.simulateProposed(ctx, invalid))).code).toBe(code);
      expect((await failure(services.policy.eventsFor(ctx, { username: 'nobody-here' }))).code).toBe(code);
    }
    const refusal = await failure(services.policy.eventsFor(syncedCtx));
    expect(refusal.status).toBe(403);
    expect(refusal.message).toMatch(/security key/);
  });

  it('ends with the AAL3 session: 15 idle minutes, then unauthenticated', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const admin = await securityKeyPerson(services, ['tessera-admins']);
    await services.policy.eventsFor(callContext(at(14 * MINUTE), { sessionId: admin.sessionId }));
    const idle = callContext(at(30 * MINUTE), { sessionId: admin.sessionId });
    expect((await failure(services.policy.eventsFor(idle))).code).toBe('unauthenticated');
  });

  it('judges the session’s credential against the metadata of now: a model revoked since sign-in is not AAL3', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const admin = await securityKeyPerson(services, ['tessera-admins']);
    const ctx = callContext(at(MINUTE), { sessionId: admin.sessionId });
    await services.policy.eventsFor(ctx);
    setMetadata(vendor.snapshotWithStatus('USER_KEY_PHYSICAL_COMPROMISE', NOW));
    expect((await failure(services.policy.eventsFor(ctx))).code).toBe('admin_aal3_required');
    setMetadata(vendor.snapshotWithStatus('REVOKED', NOW));
    expect((await failure(services.policy.eventsFor(ctx))).code).toBe('admin_aal3_required');
    setMetadata(vendor.snapshot());
    expect(await services.policy.eventsFor(ctx)).toBeInstanceOf(Array);
  });

  it('goes by the level the session’s sign-in proved: a key trusted only since then needs a new sign-in', async () => {
    const { services, setMetadata } = h();
    // No statement for the model yet: the enrolment's session is at AAL2.
    setMetadata(emptyMetadata());
    const admin = await securityKeyPerson(services, ['tessera-admins']);
    expect(admin.finished.issued.session.aal).toBe('AAL2');
    setMetadata(vendor.snapshot());
    const [credential] = await services.credentials.list(callContext(NOW, { sessionId: admin.sessionId }));
    expect(credential?.aal).toBe('AAL3');
    const ctx = callContext(at(MINUTE), { sessionId: admin.sessionId });
    expect((await failure(services.policy.eventsFor(ctx))).code).toBe('admin_aal3_required');

    const { ctx: signInCtx, response } = await assertion(services, admin, { now: at(2 * MINUTE) });
    const again = await services.signIn.finish({ response }, signInCtx);
    expect(again.session.aal).toBe('AAL3');
    expect(
      await services.policy.eventsFor(callContext(at(3 * MINUTE), { sessionId: again.sessionId })),
    ).toBeInstanceOf(Array);
  });

  it('refuses an invalid document with every problem and its line, and bad options', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const admin = await securityKeyPerson(services, ['tessera-admins']);
    const ctx = callContext(at(MINUTE), { sessionId: admin.sessionId });
    const error = await failure(
      services.policy.simulateProposed(ctx, {
        document: `version: 1\nsegments: []\ndefault:\n  requirements:\n    minAal: AAL4\n    allowedClasses: [floppy]\n`,
        fileName: 'proposed.yaml',
      }),
    );
    expect(error).toBeInstanceOf(PolicyInvalidError);
    const invalid = error as PolicyInvalidError;
    expect(invalid.code).toBe('policy_invalid');
    expect(invalid.errors.map((e) => [e.line, e.path])).toEqual([
      [5, 'default.requirements.minAal'],
      [6, 'default.requirements.allowedClasses[0]'],
    ]);
    expect(invalid.problems[0]).toMatch(/^proposed\.yaml:5:\d+: default\.requirements\.minAal: /);

    const bad = [
      { document: PROPOSED, at: new Date(Number.NaN) },
      // A caller outside TypeScript's reach (the HTTP layer checks this with its schema).
      { document: PROPOSED, people: 'some' as 'all' },
    ];
    for (const input of bad)
      expect((await failure(services.policy.simulateProposed(ctx, input))).code).toBe('simulation_invalid');
  });

  it('lists the event log for an administrator exactly as events() does, with its filter checks', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const admin = await securityKeyPerson(services, ['tessera-admins']);
    const ctx = callContext(at(MINUTE), { sessionId: admin.sessionId });
    // Warn phase: the synced passkey enrolled next is warned about (and logged), nobody is refused.
    await services.policy.apply(PROPOSED, { appliedBy: 'ops' }, NOW);
    const warned = await syncedPasskeyPerson(services, []);
    expect(warned.finished.warnings?.map((w) => w.code)).toContain('class_not_allowed');
    const filter = { point: 'registration', effect: 'warn', limit: 5 } as const;
    const listed = await services.policy.eventsFor(ctx, filter);
    expect(listed).toEqual(await services.policy.events(filter));
    expect(listed.map((e) => e.username)).toContain(warned.username);
    expect((await failure(services.policy.eventsFor(ctx, { limit: 0 }))).code).toBe('event_filter_invalid');
    expect((await failure(services.policy.eventsFor(ctx, { username: 'nobody-here' }))).code).toBe(
      'person_not_found',
    );
  });
});

describe.each(DIALECTS)('TESSERA_ADMIN_GROUPS on %s', (dialect) => {
  const h = useServices(dialect, { adminGroups: ['ops', 'security@example.com'] });

  it('makes administrators of the configured groups only', async () => {
    const { services, setMetadata } = h();
    setMetadata(vendor.snapshot());
    const defaultGroup = await securityKeyPerson(services, ['tessera-admins']);
    const ops = await securityKeyPerson(services, ['security@example.com']);
    expect(
      (await failure(services.policy.eventsFor(callContext(NOW, { sessionId: defaultGroup.sessionId }))))
        .code,
    ).toBe('admin_required');
    expect(await services.policy.eventsFor(callContext(NOW, { sessionId: ops.sessionId }))).toBeInstanceOf(
      Array,
    );
  });
});
