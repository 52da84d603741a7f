/**
 * The admin API over HTTP, on both dialects, through the real app: POST /api/admin/policy/simulate
 * and GET /api/admin/policy/events answer only an administrator (a member of TESSERA_ADMIN_GROUPS,
 * default `tessera-admins`) whose session is at AAL3 — a security key with trusted attestation,
 * enrolled in a browser here — and refuse everyone else with 401 `unauthenticated`, 403
 * `admin_required` or 403 `admin_aal3_required`. Bodies and query strings are checked by their
 * schemas (4xx, never a 500); the POST needs an allowed Origin like every other.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy, simulate } from '../../src/policy/index.js';
import { TestVendor } from '../services/harness.js';
import { DIALECTS } from '../support/databases.js';
import {
  type Answer,
  answerCreation,
  answerRequest,
  arr,
  b64u,
  type Enrolled,
  errorCode,
  type Harness,
  newAuthenticator,
  obj,
  startHarness,
} from './support.js';

const SIMULATE = '/api/admin/policy/simulate';
const EVENTS = '/api/admin/policy/events';

/** Security keys at AAL3 for everyone, warned about now, enforced from 1 March 2099. */
const PROPOSED = `version: 1
segments:
  - name: admins
    groups: [tessera-admins]
    requirements:
      minAal: AAL3
      allowedClasses: [security-key]
    rollout:
      - phase: warn
      - phase: enforce
        from: 2099-03-01
default:
  requirements:
    minAal: AAL3
    allowedClasses: [security-key]
  rollout:
    - phase: warn
    - phase: enforce
      from: 2099-03-01
`;

const vendor = new TestVendor('7e57c0de-0000-4000-8000-00000000ad02', 'Tessera Admin Test Key');

type Kind = 'security-key' | 'synced-passkey';

/** `tessera people add --group …`, then onboarding in a browser with a security key or a synced passkey. */
async function onboardWith(h: Harness, username: string, kind: Kind, groups: readonly string[]) {
  const { pass } = await h.services.people.add({ username }, h.clock.now);
  for (const group of groups) await h.services.groups.add({ group, usernames: [username] }, h.clock.now);
  const browser = h.browser();
  const options = await browser.post('/api/onboarding/options', {
    pass,
    kind: kind === 'security-key' ? 'security-key' : 'passkey',
  });
  const authenticator =
    kind === 'security-key' ? vendor.authenticator(`admin-http-${username}`) : newAuthenticator();
  const { credential, response } = answerCreation(authenticator, options.json, {
    backupEligible: kind === 'synced-passkey',
  });
  const verified = await browser.post('/api/onboarding/verify', {
    pass,
    response: kind === 'security-key' ? vendor.attest(response) : response,
  });
  if (verified.status !== 200) throw new Error(`onboarding verify: ${verified.status} ${verified.text}`);
  const enrolled: Enrolled = {
    browser,
    authenticator,
    credential,
    credentialId: b64u(credential.id),
    username,
  };
  return { ...enrolled, aal: obj(obj(verified.json).session).aal };
}

function expectRefused(answer: Answer, status: number, code: string): void {
  expect({ status: answer.status, code: errorCode(answer) }).toEqual({ status, code });
}

describe.each(DIALECTS)('the admin API on %s', (dialect) => {
  let h: Harness;
  let metadataDir: string;
  let admin: Awaited<ReturnType<typeof onboardWith>>;
  let syncedAdmin: Awaited<ReturnType<typeof onboardWith>>;
  let member: Awaited<ReturnType<typeof onboardWith>>;

  beforeAll(async () => {
    metadataDir = await mkdtemp(join(tmpdir(), 'tessera-admin-metadata-'));
    await writeFile(join(metadataDir, 'admin-key.json'), JSON.stringify(vendor.statement()));
    h = await startHarness(dialect, { metadataDir });
    admin = await onboardWith(h, 'ada', 'security-key', ['tessera-admins']);
    syncedAdmin = await onboardWith(h, 'grace', 'synced-passkey', ['tessera-admins']);
    member = await onboardWith(h, 'linus', 'security-key', ['sre']);
  });
  afterAll(async () => {
    await h?.close();
    if (metadataDir !== undefined) await rm(metadataDir, { recursive: true, force: true });
  });

  it('enrols the people of these tests at the levels they need', () => {
    expect([admin.aal, syncedAdmin.aal, member.aal]).toEqual(['AAL3', 'AAL2', 'AAL3']);
  });

  it('answers 401 unauthenticated without a session', async () => {
    const browser = h.browser();
    expectRefused(await browser.post(SIMULATE, { document: PROPOSED }), 401, 'unauthenticated');
    expectRefused(await browser.get(EVENTS), 401, 'unauthenticated');
  });

  it('answers 403 admin_required to someone outside the admin groups, even at AAL3, whatever they ask', async () => {
    expectRefused(await member.browser.post(SIMULATE, { document: PROPOSED }), 403, 'admin_required');
    // An administrator would get 400 policy_invalid and 404 person_not_found here.
    expectRefused(await member.browser.post(SIMULATE, { document: 'version: 2\n' }), 403, 'admin_required');
    expectRefused(await member.browser.get(`${EVENTS}?person=nobody`), 403, 'admin_required');
  });

  it('answers 403 admin_aal3_required to an administrator signed in with a synced passkey (AAL2)', async () => {
    const refused = await syncedAdmin.browser.post(SIMULATE, { document: PROPOSED });
    expectRefused(refused, 403, 'admin_aal3_required');
    expect(String(obj(obj(refused.json).error).message)).toMatch(/sign in again with your security key/);
    expectRefused(await syncedAdmin.browser.get(EVENTS), 403, 'admin_aal3_required');
  });

  it('simulates for an administrator at AAL3 exactly as simulate() on the same population, applying nothing', async () => {
    const policy = parsePolicy(PROPOSED, 'proposed').policy;
    if (!policy) throw new Error('the proposed policy does not parse');
    const before = await h.services.policy.current();

    const today = await admin.browser.post(SIMULATE, { document: PROPOSED });
    expect(today.status).toBe(200);
    expect(today.headers['cache-control']).toBe('no-store');
    const expected = simulate(policy, await h.services.policy.population(), h.clock.now);
    expect(today.json).toEqual(JSON.parse(JSON.stringify({ population: 'database', ...expected })));
    expect(obj(today.json).at).toBe(h.clock.now.toISOString());
    // Three people: the synced passkey is warned about today…
    expect(obj(obj(today.json).totals)).toMatchObject({ people: 3, warned: 1, blocked: 0, wouldBlock: 1 });

    // …and blocked on the enforce date; the date alone is 00:00 UTC.
    const enforced = await admin.browser.post(SIMULATE, {
      document: PROPOSED,
      at: '2099-03-01',
      people: 'affected',
    });
    expect(enforced.status).toBe(200);
    const later = simulate(policy, await h.services.policy.population(), new Date('2099-03-01T00:00:00Z'), {
      people: 'affected',
    });
    expect(enforced.json).toEqual(JSON.parse(JSON.stringify({ population: 'database', ...later })));
    expect(obj(obj(enforced.json).totals).blocked).toBe(1);
    expect(arr(obj(enforced.json).people).map((p) => obj(p).username)).toEqual(['grace']);

    const withOffset = await admin.browser.post(SIMULATE, {
      document: PROPOSED,
      at: '2099-02-28T23:30:00-01:00',
      people: 'none',
    });
    expect(obj(withOffset.json).at).toBe('2099-03-01T00:30:00.000Z');
    expect(obj(withOffset.json).people).toBeUndefined();

    expect(await h.services.policy.current()).toEqual(before);
  });

  it('answers 400 policy_invalid with every problem, its line and column, for a bad document', async () => {
    const answer = await admin.browser.post(SIMULATE, {
      document:
        'version: 1\nsegments: []\ndefault:\n  requirements:\n    minAal: AAL4\n    allowedClasses: [floppy]\n',
    });
    expectRefused(answer, 400, 'policy_invalid');
    const problems = arr(obj(obj(answer.json).error).problems).map((p) => obj(p));
    expect(problems.map((p) => [p.code, p.line, p.path])).toEqual([
      ['policy_value', 5, 'default.requirements.minAal'],
      ['policy_value', 6, 'default.requirements.allowedClasses[0]'],
    ]);
    for (const p of problems) {
      expect(Object.keys(p).sort()).toEqual(['code', 'column', 'line', 'message', 'path']);
      expect(p.column).toBeGreaterThan(0);
    }
    const syntax = await admin.browser.post(SIMULATE, { document: 'version: 1\nsegments: [\n' });
    expectRefused(syntax, 400, 'policy_invalid');
    expect(arr(obj(obj(syntax.json).error).problems).length).toBeGreaterThan(0);
  });

  it.each([
    ['a document that is not a string', { document: 42 }, 400, 'invalid_request'],
    ['no document', { at: '2099-03-01' }, 400, 'invalid_request'],
    ['an unknown member', { document: PROPOSED, apply: true }, 400, 'invalid_request'],
    ['an unknown people option', { document: PROPOSED, people: 'some' }, 400, 'invalid_request'],
    ['people that is not a string', { document: PROPOSED, people: ['all'] }, 400, 'invalid_request'],
    ['a time that is not a date', { document: PROPOSED, at: 'next tuesday' }, 400, 'invalid_request'],
    ['a date-time without a zone', { document: PROPOSED, at: '2099-03-01T10:00:00' }, 400, 'invalid_request'],
    ['a time that is a number', { document: PROPOSED, at: 1_700_000_000_000 }, 400, 'invalid_request'],
    ['a day that does not exist', { document: PROPOSED, at: '2099-02-30' }, 400, 'simulation_invalid'],
    [
      'an hour that does not exist',
      { document: PROPOSED, at: '2099-03-01T24:00:00Z' },
      400,
      'simulation_invalid',
    ],
    ['an array', [PROPOSED], 400, 'invalid_request'],
  ])('answers %s with %i %s', async (_what, body, status, code) => {
    expectRefused(await admin.browser.post(SIMULATE, body), status, code);
  });

  it('refuses bodies that are too large, not JSON, or not application/json', async () => {
    const big = await admin.browser.post(SIMULATE, { document: `# ${'x'.repeat(70_000)}\n${PROPOSED}` });
    expectRefused(big, 413, 'payload_too_large');
    expectRefused(
      await admin.browser.post(SIMULATE, undefined, { raw: '{"document": ' }),
      400,
      'invalid_json',
    );
    expectRefused(
      await admin.browser.post(SIMULATE, undefined, {
        raw: PROPOSED,
        headers: { 'content-type': 'application/yaml' },
      }),
      415,
      'unsupported_media_type',
    );
  });

  it('refuses a POST without an allowed Origin, as every state-changing request', async () => {
    expectRefused(
      await admin.browser.post(SIMULATE, { document: PROPOSED }, { noOrigin: true }),
      403,
      'origin_not_allowed',
    );
    expectRefused(
      await admin.browser.post(
        SIMULATE,
        { document: PROPOSED },
        { headers: { origin: 'https://evil.example' } },
      ),
      403,
      'origin_not_allowed',
    );
  });

  it('lists the event log for an administrator, filtered, newest first', async () => {
    await h.services.policy.apply(PROPOSED, { appliedBy: 'ops' }, h.clock.now);
    // Warn phase: grace's sign-in with the synced passkey is allowed, warned about, and logged.
    h.clock.advance(60_000);
    const options = await syncedAdmin.browser.post('/api/authentication/options', { username: 'grace' });
    const response = answerRequest(syncedAdmin.authenticator, syncedAdmin.credential, options.json);
    const signedIn = await syncedAdmin.browser.post('/api/authentication/verify', { response });
    expect(signedIn.status).toBe(200);

    // A GET needs no Origin.
    const all = await admin.browser.get(EVENTS, { noOrigin: true });
    expect(all.status).toBe(200);
    expect(all.headers['cache-control']).toBe('no-store');
    const events = arr(obj(all.json).events).map((e) => obj(e));
    expect(events).toEqual(JSON.parse(JSON.stringify(await h.services.policy.events())));
    expect(events[0]).toMatchObject({
      username: 'grace',
      point: 'sign-in',
      segment: 'admins',
      phase: 'warn',
      effect: 'warn',
      credentialId: syncedAdmin.credentialId,
    });
    expect(arr(events[0]?.codes)).toContain('class_not_allowed');

    const since = new Date(h.clock.now.getTime() - 1000).toISOString();
    const filtered = await admin.browser.get(
      `${EVENTS}?since=${encodeURIComponent(since)}&segment=admins&point=sign-in&effect=warn&person=grace&limit=1`,
    );
    expect(filtered.status).toBe(200);
    expect(arr(obj(filtered.json).events)).toEqual([events[0]]);
    const none = await admin.browser.get(`${EVENTS}?point=acr&person=ada`);
    expect(obj(none.json)).toEqual({ events: [] });
    const future = await admin.browser.get(`${EVENTS}?since=2099-12-31`);
    expect(obj(future.json)).toEqual({ events: [] });
  });

  it.each([
    ['limit=0', 400, 'event_filter_invalid'],
    ['limit=10001', 400, 'event_filter_invalid'],
    ['limit=ten', 400, 'invalid_request'],
    ['limit=-1', 400, 'invalid_request'],
    ['since=last%20week', 400, 'invalid_request'],
    ['since=2026-02-30', 400, 'event_filter_invalid'],
    ['point=login', 400, 'invalid_request'],
    ['point=sign-in&point=acr', 400, 'invalid_request'],
    ['effect=block', 400, 'invalid_request'],
    ['segment=Admins%20Team', 400, 'invalid_request'],
    ['person=', 400, 'invalid_request'],
    ['person=nobody', 404, 'person_not_found'],
    ['person=a%20b', 400, 'username_invalid'],
    ['username=ada', 400, 'invalid_request'],
  ])('answers ?%s with %i %s', async (query, status, code) => {
    expectRefused(await admin.browser.get(`${EVENTS}?${query}`), status, code);
  });
});
