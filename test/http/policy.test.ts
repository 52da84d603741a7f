/**
 * The assurance policy over HTTP, on both dialects: GET /api/policy/status (session required)
 * with the warn-phase notice and its deadline, warnings on a sign-in answer, and `policy_denied`
 * (403) with the policy's reasons in the error body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import {
  answerCreation,
  answerRequest,
  arr,
  errorCode,
  type Harness,
  newAuthenticator,
  obj,
  onboard,
  startHarness,
} from './support.js';

const policy = (rollout: string) => `version: 1
segments:
  - name: admins
    groups: [sre]
    requirements:
      minAal: AAL3
      allowedClasses: [security-key]
${rollout}default:
  requirements:
    minAal: AAL2
    allowedClasses: [synced-passkey, device-bound-passkey, security-key, device-bound-unverified]
`;

const WARN = `    rollout:
      - phase: warn
      - phase: enforce
        from: 2099-03-01
`;

describe.each(DIALECTS)('policy over HTTP on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(async () => {
    await h.close();
  });

  it('GET /api/policy/status needs a session; without a policy it is the default, with nothing to say', async () => {
    expect(errorCode(await h.browser().get('/api/policy/status'))).toBe('unauthenticated');
    const ada = await onboard(h, 'ada');
    const status = await ada.browser.get('/api/policy/status');
    expect(status.status).toBe(200);
    expect(status.json).toEqual({ segment: 'default', phase: 'enforce', decisions: [] });
  });

  it('explains a warn-phase requirement with its deadline, on the status and on a sign-in', async () => {
    const grace = await onboard(h, 'grace');
    await h.services.groups.add({ group: 'sre', usernames: ['grace'] }, h.clock.now);
    await h.services.policy.apply(policy(WARN), { appliedBy: 'ops' }, h.clock.now);
    const status = obj((await grace.browser.get('/api/policy/status')).json);
    expect(status).toMatchObject({ segment: 'admins', phase: 'warn' });
    const [decision] = arr(status.decisions);
    expect(obj(decision)).toMatchObject({
      point: 'session',
      effect: 'warn',
      deadline: '2099-03-01T00:00:00.000Z',
    });
    const reasons = arr(obj(decision).reasons).map((r) => obj(r));
    expect(reasons.map((r) => r.code)).toContain('class_not_allowed');
    expect(String(reasons[0]?.message)).toMatch(/^warning: from 1 March 2099, segment admins will require/);

    const options = await grace.browser.post('/api/authentication/options', { username: 'grace' });
    const response = answerRequest(grace.authenticator, grace.credential, options.json);
    const signedIn = await grace.browser.post('/api/authentication/verify', { response });
    expect(signedIn.status).toBe(200);
    expect(arr(obj(signedIn.json).warnings).map((w) => obj(w).code)).toContain('class_not_allowed');
  });

  it('refuses an enrolment the policy denies with 403 policy_denied and the reasons', async () => {
    await h.services.policy.apply(policy(''), { appliedBy: 'ops' }, h.clock.now);
    const { pass } = await h.services.people.add({ username: 'linus' }, h.clock.now);
    await h.services.groups.add({ group: 'sre', usernames: ['linus'] }, h.clock.now);
    const browser = h.browser();
    const options = await browser.post('/api/onboarding/options', { pass, kind: 'passkey' });
    const { response } = answerCreation(newAuthenticator(), options.json);
    const refused = await browser.post('/api/onboarding/verify', { pass, response });
    expect(refused.status).toBe(403);
    const error = obj(obj(refused.json).error);
    expect(error.code).toBe('policy_denied');
    const codes = arr(error.reasons).map((r) => obj(r).code);
    expect(codes).toEqual(expect.arrayContaining(['aal_below_minimum', 'class_not_allowed']));
    expect(String(obj(arr(error.reasons)[0]).message)).toMatch(/^denied: segment admins requires/);
  });
});
