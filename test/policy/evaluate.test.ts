/**
 * Decisions at each enforcement point: every requirement and every rollout phase, each with the
 * sentence a person reads, and the credential whose model is revoked after enrolment.
 */
import { describe, expect, it } from 'vitest';
import { parseInstant, phaseAt } from '../../src/policy/document.js';
import {
  type CredentialView,
  decideAcr,
  decideBackup,
  decideRecoveryCode,
  decideRegistration,
  decideSession,
  decideSignIn,
  expectedSignIn,
  type PolicyDecision,
  segmentFor,
} from '../../src/policy/evaluate.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { POLICY_REASONS } from '../../src/policy/reasons.js';
import { assessSignIn, type CredentialAssessment } from '../../src/trust/assessment.js';
import { because } from '../../src/trust/reasons.js';

const POLICY_TEXT = `version: 1
segments:
  - name: admins
    groups: [admins, sre]
    requirements:
      minAal: AAL3
      allowedClasses: [security-key, device-bound-passkey]
      attestationRequired: true
      authenticators:
        deny:
          aaguids: [11111111-1111-4111-8111-111111111111]
          models: [old key]
      minCredentials: 2
      maxSessionHours: 12
      maxIdleMinutes: 15
    rollout:
      - phase: monitor
      - phase: warn
        from: 2026-02-01
      - phase: enforce
        from: 2026-03-01
  - name: contractors
    groups: [contractors]
    requirements:
      minAal: AAL2
      allowedClasses: [security-key]
      authenticators:
        allow:
          models: [YubiKey 5 Series with NFC]
  - name: kiosk
    groups: [kiosk]
    requirements:
      minAal: AAL1
      allowedClasses: [security-key]
      recoveryCodes: true
    rollout:
      - phase: warn
default:
  requirements:
    minAal: AAL2
    allowedClasses: [synced-passkey, device-bound-passkey, security-key, device-bound-unverified]
    recoveryCodes: true
`;

const parsed = parsePolicy(POLICY_TEXT, 'test.yaml');
if (!parsed.policy) throw new Error(JSON.stringify(parsed.errors));
const policy = parsed.policy;

const MONITOR = new Date('2026-01-15T00:00:00Z');
const WARN = new Date('2026-02-15T00:00:00Z');
const ENFORCE = new Date('2026-06-01T00:00:00Z');

const ADMIN = { groups: ['admins'] };
const CONTRACTOR = { groups: ['contractors'] };
const KIOSK = { groups: ['kiosk'] };
const STAFF = { groups: ['staff'] };

const YUBIKEY: CredentialView = {
  class: 'security-key',
  aal: 'AAL3',
  aaguid: 'fa2b99dc-9e39-4257-8f92-4a30d23c4118',
  model: 'YubiKey 5 Series with NFC',
  attestationTrust: 'trusted',
  uvCapable: true,
  refused: false,
};
const SYNCED: CredentialView = {
  class: 'synced-passkey',
  aal: 'AAL2',
  aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4',
  model: 'Google Password Manager',
  attestationTrust: 'unverifiable',
  uvCapable: true,
  refused: false,
};
const HELLO: CredentialView = {
  class: 'device-bound-passkey',
  aal: 'AAL3',
  aaguid: '08987058-cadc-4b81-b6e1-30de50dcbe96',
  model: 'Windows Hello',
  attestationTrust: 'trusted',
  uvCapable: true,
  refused: false,
};
const UNATTESTED: CredentialView = {
  class: 'device-bound-unverified',
  aal: 'AAL2',
  aaguid: '00000000-0000-0000-0000-000000000000',
  model: null,
  attestationTrust: 'unverifiable',
  uvCapable: true,
  refused: false,
};
const FEITIAN: CredentialView = {
  ...YUBIKEY,
  aaguid: 'ee041bce-25e5-4cdb-8f86-897fd6418464',
  model: 'Feitian ePass FIDO2-NFC Authenticator',
};
const U2F_ONLY: CredentialView = { ...YUBIKEY, aal: 'AAL1', uvCapable: false, model: 'Plain U2F Key' };

function messages(d: PolicyDecision): string[] {
  return d.reasons.map((r) => r.message);
}
function codes(d: PolicyDecision): string[] {
  return d.reasons.map((r) => r.code);
}

describe('segments', () => {
  it('the first segment naming one of the groups applies, else the default', () => {
    expect(segmentFor(policy, ['contractors', 'sre']).name).toBe('admins');
    expect(segmentFor(policy, ['contractors']).name).toBe('contractors');
    expect(segmentFor(policy, ['Admins']).name).toBe('default');
    expect(segmentFor(policy, []).name).toBe('default');
  });

  it('a schedule gives one phase at every instant', () => {
    const rollout = policy.segments[0]?.rollout ?? [];
    expect(phaseAt(rollout, new Date('2000-01-01T00:00:00Z')).phase).toBe('monitor');
    expect(phaseAt(rollout, new Date('2026-01-31T23:59:59.999Z')).phase).toBe('monitor');
    expect(phaseAt(rollout, new Date('2026-02-01T00:00:00Z')).phase).toBe('warn');
    expect(phaseAt(rollout, new Date('2026-02-01T00:00:00Z')).enforceFrom).toBe('2026-03-01T00:00:00.000Z');
    expect(phaseAt(rollout, new Date('2026-03-01T00:00:00Z'))).toMatchObject({
      phase: 'enforce',
      enforceFrom: null,
    });
    expect(parseInstant('2026-03-01T09:30:00+01:00')).toBe(Date.UTC(2026, 2, 1, 8, 30));
    expect(parseInstant('2026-02-29')).toBeNull();
    expect(parseInstant('2028-02-29')).toBe(Date.UTC(2028, 1, 29));
  });
});

describe('rollout phases', () => {
  it('monitor: allowed, logged as monitor_would_deny, the person told nothing', () => {
    const d = decideRegistration(policy, ADMIN, SYNCED, MONITOR);
    expect(d).toMatchObject({
      effect: 'allow',
      phase: 'monitor',
      segment: 'admins',
      deadline: '2026-03-01T00:00:00.000Z',
    });
    expect(d.reasons.map((r) => r.severity)).toEqual(['info', 'info', 'info', 'info']);
    expect(messages(d)).toEqual([
      'monitor: this would be denied once segment admins is enforced (from 1 March 2026); for now it is only logged',
      'monitor: segment admins requires AAL3; this credential is a synced passkey',
      'monitor: segment admins allows only security keys and device-bound passkeys; this credential is a synced passkey',
      "monitor: segment admins requires authenticators whose attestation proves their model; this credential's attestation cannot be verified",
    ]);
  });

  it('warn: allowed with a warning that says what to do and by when', () => {
    const d = decideRegistration(policy, ADMIN, SYNCED, WARN);
    expect(d).toMatchObject({ effect: 'warn', phase: 'warn', deadline: '2026-03-01T00:00:00.000Z' });
    expect(d.reasons.map((r) => r.severity)).toEqual(['warn', 'warn', 'warn']);
    expect(d.summary).toBe(
      'warning: from 1 March 2026, segment admins will require AAL3; this credential is a synced passkey. Enroll a security key or a device-bound passkey before 1 March 2026.',
    );
    expect(messages(d).slice(1)).toEqual([
      'warning: from 1 March 2026, segment admins will allow only security keys and device-bound passkeys; this credential is a synced passkey. Enroll a security key or a device-bound passkey before 1 March 2026.',
      "warning: from 1 March 2026, segment admins will require authenticators whose attestation proves their model; this credential's attestation cannot be verified. Enroll an authenticator your organization issues or approves before 1 March 2026.",
    ]);
  });

  it('warn with no enforce date scheduled: a warning without a date', () => {
    const d = decideRegistration(policy, KIOSK, SYNCED, ENFORCE);
    expect(d.effect).toBe('warn');
    expect(d.deadline).toBeUndefined();
    expect(messages(d)).toEqual([
      'warning: segment kiosk will allow only security keys; this credential is a synced passkey. Enroll a security key.',
    ]);
  });

  it('enforce: denied, from the first instant of the enforce date', () => {
    const before = decideRegistration(policy, ADMIN, SYNCED, new Date('2026-02-28T23:59:59.999Z'));
    expect(before.effect).toBe('warn');
    const d = decideRegistration(policy, ADMIN, SYNCED, new Date('2026-03-01T00:00:00Z'));
    expect(d).toMatchObject({ effect: 'deny', phase: 'enforce', segment: 'admins' });
    expect(d.deadline).toBeUndefined();
    expect(d.summary).toBe('denied: segment admins requires AAL3; this credential is a synced passkey');
    expect(d.reasons.map((r) => r.severity)).toEqual(['deny', 'deny', 'deny']);
  });

  it('a credential that meets every requirement is allowed, in every phase, and says so', () => {
    for (const now of [MONITOR, WARN, ENFORCE]) {
      const d = decideRegistration(policy, ADMIN, YUBIKEY, now);
      expect(d.effect).toBe('allow');
      expect(d.deadline).toBeUndefined();
      expect(d.reasons).toEqual([
        {
          code: 'requirements_met',
          severity: 'info',
          message: 'allowed: meets the requirements of segment admins',
        },
      ]);
    }
  });
});

describe('each requirement, explained', () => {
  it('minimum AAL: a credential that cannot reach it, a sign-in that did not, a session that is below it', () => {
    expect(messages(decideRegistration(policy, ADMIN, UNATTESTED, ENFORCE))[0]).toBe(
      'denied: segment admins requires AAL3; this credential is a device-bound credential without trusted attestation and reaches AAL2 at most',
    );
    const noUv = decideSignIn(
      policy,
      STAFF,
      SYNCED,
      { aal: 'AAL1', refused: false, userVerified: false },
      ENFORCE,
    );
    expect(noUv.effect).toBe('deny');
    expect(messages(noUv)).toEqual([
      'denied: segment default requires AAL2; this sign-in did not verify the user (no PIN or biometric), so it reached AAL1',
      'denied: segment default requires user verification (a PIN or biometric); this sign-in did not verify the user',
    ]);
    const session = decideSession(
      policy,
      ADMIN,
      { aal: 'AAL2', authenticatedAt: new Date(ENFORCE.getTime() - 3_600_000), lastActiveAt: ENFORCE },
      ENFORCE,
    );
    expect(messages(session)).toEqual(['denied: segment admins requires AAL3; this session is at AAL2']);
  });

  it('allowed classes', () => {
    const d = decideRegistration(policy, CONTRACTOR, HELLO, ENFORCE);
    expect(codes(d)).toEqual(['class_not_allowed', 'authenticator_not_allowed']);
    expect(messages(d)[0]).toBe(
      'denied: segment contractors allows only security keys; this credential is a device-bound passkey',
    );
  });

  it('attestation required', () => {
    const attestedButUntrusted: CredentialView = { ...HELLO, attestationTrust: 'untrusted' };
    const d = decideRegistration(policy, ADMIN, attestedButUntrusted, ENFORCE);
    expect(codes(d)).toEqual(['attestation_required']);
    expect(d.summary).toBe(
      "denied: segment admins requires authenticators whose attestation proves their model; this credential's attestation does not reach a trusted root",
    );
  });

  it('AAGUID deny list, by AAGUID and by model name (any case)', () => {
    const byAaguid = decideRegistration(
      policy,
      ADMIN,
      { ...YUBIKEY, aaguid: '11111111-1111-4111-8111-111111111111', model: null },
      ENFORCE,
    );
    expect(messages(byAaguid)).toEqual([
      'denied: segment admins does not allow this authenticator model; this credential is an authenticator with AAGUID 11111111-1111-4111-8111-111111111111',
    ]);
    const byModel = decideRegistration(policy, ADMIN, { ...YUBIKEY, model: 'Old Key' }, ENFORCE);
    expect(messages(byModel)).toEqual([
      'denied: segment admins does not allow this authenticator model; this credential is Old Key (AAGUID fa2b99dc-9e39-4257-8f92-4a30d23c4118)',
    ]);
  });

  it('AAGUID allow list, by model name', () => {
    expect(decideRegistration(policy, CONTRACTOR, YUBIKEY, ENFORCE).effect).toBe('allow');
    const d = decideRegistration(policy, CONTRACTOR, FEITIAN, ENFORCE);
    expect(messages(d)).toEqual([
      'denied: segment contractors allows only these authenticator models: YubiKey 5 Series with NFC; this credential is Feitian ePass FIDO2-NFC Authenticator (AAGUID ee041bce-25e5-4cdb-8f86-897fd6418464)',
    ]);
  });

  it('user verification: an authenticator that cannot, a sign-in that did not', () => {
    const reg = decideRegistration(policy, KIOSK, U2F_ONLY, ENFORCE);
    expect(reg.effect).toBe('warn');
    expect(messages(reg)).toEqual([
      'warning: segment kiosk will require user verification (a PIN or biometric); this authenticator cannot verify the user. Set up a PIN or biometric on the authenticator, or enroll one that has one.',
    ]);
    const signIn = decideSignIn(
      policy,
      KIOSK,
      YUBIKEY,
      { aal: 'AAL1', refused: false, userVerified: false },
      ENFORCE,
    );
    expect(codes(signIn)).toEqual(['user_verification_missing']);
    expect(messages(signIn)).toEqual([
      'warning: segment kiosk will require user verification (a PIN or biometric); this sign-in did not verify the user. Sign in with your PIN or biometric.',
    ]);
  });

  it('a backup: warns in warn and enforce phases, never denies, is only logged in monitor', () => {
    const enrolled = [YUBIKEY, SYNCED];
    const enforce = decideBackup(policy, ADMIN, enrolled, ENFORCE);
    expect(enforce.effect).toBe('warn');
    expect(messages(enforce)).toEqual([
      'warning: segment admins requires 2 enrolled credentials meeting its requirements (a backup); 2 are enrolled, 1 meeting them. Enroll a security key or a device-bound passkey.',
    ]);
    const warn = decideBackup(policy, ADMIN, enrolled, WARN);
    expect(warn).toMatchObject({ effect: 'warn', deadline: '2026-03-01T00:00:00.000Z' });
    expect(warn.summary).toBe(
      'warning: from 1 March 2026, segment admins will require 2 enrolled credentials meeting its requirements (a backup); 2 are enrolled, 1 meeting them. Enroll a security key or a device-bound passkey before 1 March 2026.',
    );
    const monitor = decideBackup(policy, ADMIN, enrolled, MONITOR);
    expect(monitor.effect).toBe('allow');
    expect(codes(monitor)).toEqual(['backup_missing']);
    expect(decideBackup(policy, ADMIN, [YUBIKEY, HELLO], ENFORCE).effect).toBe('allow');
    expect(messages(decideBackup(policy, ADMIN, [], ENFORCE))[0]).toBe(
      'warning: segment admins requires 2 enrolled credentials meeting its requirements (a backup); none is enrolled. Enroll a security key or a device-bound passkey (2 more).',
    );
  });

  it('session lifetime and idle time, when a policy is applied', () => {
    const d = decideSession(
      policy,
      ADMIN,
      {
        aal: 'AAL3',
        authenticatedAt: new Date(ENFORCE.getTime() - 13 * 3_600_000),
        lastActiveAt: new Date(ENFORCE.getTime() - 20 * 60_000),
        credential: YUBIKEY,
      },
      ENFORCE,
    );
    expect(d.effect).toBe('deny');
    expect(messages(d)).toEqual([
      'denied: segment admins limits sessions to 12 hours; this session started 13 hours ago',
      'denied: segment admins ends sessions idle for more than 15 minutes; this session has been idle for 20 minutes',
    ]);
    const fresh = decideSession(
      policy,
      STAFF,
      { aal: 'AAL2', authenticatedAt: new Date(ENFORCE.getTime() - 13 * 3_600_000), lastActiveAt: ENFORCE },
      ENFORCE,
    );
    expect(fresh.effect).toBe('allow');
  });

  it('a session whose credential the new policy no longer allows ends', () => {
    const d = decideSession(
      policy,
      ADMIN,
      {
        aal: 'AAL3',
        authenticatedAt: ENFORCE,
        lastActiveAt: ENFORCE,
        credential: { ...YUBIKEY, model: 'OLD KEY' },
      },
      ENFORCE,
    );
    expect(d.effect).toBe('deny');
    expect(codes(d)).toEqual(['authenticator_denied']);
  });

  it('recovery codes', () => {
    expect(decideRecoveryCode(policy, STAFF, ENFORCE).effect).toBe('allow');
    const d = decideRecoveryCode(policy, ADMIN, ENFORCE);
    expect(d.effect).toBe('deny');
    expect(d.summary).toBe('denied: segment admins does not allow recovery codes; this is a recovery code');
  });

  it("an app's or a request's acr at the OpenID Provider", () => {
    const stepUp = decideAcr(policy, STAFF, { values: ['phrh'], essential: true }, { aal: 'AAL2' }, ENFORCE);
    expect(stepUp).toMatchObject({ effect: 'deny', stepUpTo: 'AAL3', acr: 'phr' });
    expect(stepUp.summary).toBe(
      'denied: the application asked for acr "phrh" (AAL3) and this session is at AAL2',
    );
    // The phase of the person's segment does not soften an application's essential acr.
    expect(
      decideAcr(policy, ADMIN, { values: ['phrh'], essential: true }, { aal: 'AAL2' }, MONITOR).effect,
    ).toBe('deny');
    expect(
      decideAcr(policy, STAFF, { values: ['phrh', 'phr'], essential: true }, { aal: 'AAL2' }, ENFORCE),
    ).toMatchObject({ effect: 'allow', acr: 'phr', stepUpTo: null });
    expect(
      decideAcr(policy, ADMIN, { values: ['phr'], essential: true }, { aal: 'AAL3' }, ENFORCE),
    ).toMatchObject({
      effect: 'allow',
      acr: 'phr',
    });
    const voluntary = decideAcr(
      policy,
      STAFF,
      { values: ['phrh'], essential: false },
      { aal: 'AAL2' },
      ENFORCE,
    );
    expect(voluntary).toMatchObject({ effect: 'allow', acr: 'phr', stepUpTo: null });
    expect(voluntary.reasons.map((r) => [r.code, r.severity])).toEqual([
      ['requirements_met', 'info'],
      ['acr_not_satisfied', 'info'],
    ]);
    const unknown = decideAcr(
      policy,
      STAFF,
      { values: ['urn:example:loa:4'], essential: true },
      { aal: 'AAL3' },
      ENFORCE,
    );
    expect(unknown.effect).toBe('deny');
    expect(unknown.summary).toBe(
      'denied: the application asked for "urn:example:loa:4", which Tessera does not know',
    );
    // An AAL2 session of an admin, once admins are enforced, is below the segment's level.
    expect(
      codes(decideAcr(policy, ADMIN, { values: [], essential: false }, { aal: 'AAL2' }, ENFORCE)),
    ).toEqual(['aal_below_minimum']);
  });
});

describe('a model revoked after enrolment', () => {
  const assessment = (refused: boolean): CredentialAssessment & { aaguid: string } => ({
    aaguid: YUBIKEY.aaguid,
    class: 'security-key',
    model: 'YubiKey 5 Series with NFC',
    icon: null,
    aal: refused ? null : 'AAL3',
    refused,
    reasons: refused
      ? [
          because('device_bound'),
          because('attestation_trusted'),
          because('status_revoked'),
          because('refused_by_status'),
        ]
      : [because('device_bound'), because('attestation_trusted'), because('hardware_key_protection')],
    attestation: {
      trust: refused ? 'untrusted' : 'trusted',
      root: null,
      source: 'metadata',
      status: refused ? 'REVOKED' : 'FIDO_CERTIFIED',
      statusDate: null,
      certificationLevel: null,
    },
    evidence: {
      backupEligible: false,
      backupState: false,
      attachment: 'roaming',
      keyProtection: ['hardware', 'secure_element'],
      hardwareProtected: true,
      userVerificationCapable: true,
      transports: ['usb', 'nfc'],
      fmt: 'packed',
      attestationType: 'basic',
    },
  });

  it('was allowed at enrolment and is denied at the next sign-in, whatever the phase', () => {
    const enrolled = assessment(false);
    expect(decideRegistration(policy, ADMIN, enrolled, ENFORCE).effect).toBe('allow');
    expect(decideSignIn(policy, ADMIN, enrolled, assessSignIn(enrolled, { uv: true }), ENFORCE).effect).toBe(
      'allow',
    );

    const revoked = assessment(true);
    for (const now of [MONITOR, WARN, ENFORCE]) {
      const d = decideSignIn(policy, ADMIN, revoked, assessSignIn(revoked, { uv: true }), now);
      expect(d.effect).toBe('deny');
      expect(d.summary).toBe(
        'denied: authenticator metadata reports YubiKey 5 Series with NFC revoked or compromised, so this credential is refused',
      );
    }
    // The default segment too: refusal is the trust layer's, not a segment's.
    const staff = decideSignIn(policy, STAFF, revoked, assessSignIn(revoked, { uv: true }), ENFORCE);
    expect(codes(staff)).toEqual(['model_refused']);
    // Sessions it created end when re-evaluated.
    expect(
      decideSession(
        policy,
        STAFF,
        { aal: 'AAL2', authenticatedAt: ENFORCE, lastActiveAt: ENFORCE, credential: revoked },
        ENFORCE,
      ).effect,
    ).toBe('deny');
  });

  it('the sign-in an assessment implies: no user verification lowers it to AAL1', () => {
    const enrolled = assessment(false);
    const d = decideSignIn(policy, STAFF, enrolled, assessSignIn(enrolled, { uv: false }), ENFORCE);
    expect(codes(d)).toEqual(['aal_below_minimum', 'user_verification_missing']);
    expect(expectedSignIn(YUBIKEY)).toEqual({ aal: 'AAL3', refused: false, userVerified: true });
  });
});

describe('every decision explains itself', () => {
  it('with codes from the one table and a sentence', () => {
    const decisions = [
      decideRegistration(policy, ADMIN, SYNCED, MONITOR),
      decideRegistration(policy, ADMIN, SYNCED, WARN),
      decideSignIn(policy, ADMIN, SYNCED, expectedSignIn(SYNCED), ENFORCE),
      decideBackup(policy, STAFF, [SYNCED], ENFORCE),
      decideRecoveryCode(policy, KIOSK, ENFORCE),
      decideAcr(policy, STAFF, { values: ['phr'], essential: true }, { aal: 'AAL1' }, ENFORCE),
    ];
    for (const d of decisions) {
      expect(d.reasons.length).toBeGreaterThan(0);
      expect(d.summary.length).toBeGreaterThan(10);
      for (const r of d.reasons) {
        expect(Object.keys(POLICY_REASONS)).toContain(r.code);
        expect(r.message).toMatch(/^(allowed|denied|warning|monitor|note): /);
      }
    }
  });
});
