/**
 * The shared conformance corpus: 154 real and W3C-vector WebAuthn responses, each run through the
 * core with the anchors, dates and options of `roots/index.json`. Positive cases must verify and
 * report what the bytes hold; negative cases must fail with the stated error code. Cases listed in
 * known-deviations.json must deviate, and only for the reason given there: a case that starts
 * behaving as expected fails this suite until it is removed from the list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isWebAuthnError } from '../../src/core/errors.js';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '../../src/core/index.js';
import {
  authenticationExpectations,
  type CorpusCase,
  loadCorpus,
  registrationExpectations,
} from '../helpers/conformance-corpus.js';

const corpus = loadCorpus();
const deviations = JSON.parse(
  readFileSync(join(import.meta.dirname, 'known-deviations.json'), 'utf8'),
) as Record<string, { readonly reason: string; readonly error: string }>;

interface Expectation {
  readonly verified: boolean;
  readonly fmt?: string;
  readonly aaguid?: string;
  readonly userVerified?: boolean;
  readonly backupEligible?: boolean;
  readonly backupState?: boolean;
  readonly counter?: number;
}

/** The error code each negative case must produce (the corpus gives only the source's wording). */
const EXPECTED_ERRORS: Readonly<Record<string, string>> = {
  'py-auth-wrong-public-key': 'signature_invalid',
  'py-auth-uv-required-not-verified': 'user_verification_required',
  'py-reg-packed-wrong-trust-anchor': 'attestation_untrusted',
  'py-reg-empty-attestation-object': 'cbor_invalid',
  'py-reg-fido-u2f-bad-tokenbinding-status': 'client_data_invalid',
  'swa-reg-none-wrong-challenge': 'challenge_mismatch',
  'swa-reg-none-wrong-origin': 'origin_mismatch',
  'swa-reg-none-origin-not-in-list': 'origin_mismatch',
  'swa-reg-none-wrong-rpid': 'rp_id_mismatch',
  'swa-reg-android-safetynet-cts-false-rejected': 'attestation_invalid',
  'swa-reg-packed-full-aaguid-ext-mismatch': 'attestation_invalid',
  'swa-reg-tpm-aaguid-ext-mismatch': 'attestation_invalid',
  'swa-auth-es256-wrong-challenge': 'challenge_mismatch',
  'swa-auth-es256-wrong-origin': 'origin_mismatch',
  'swa-auth-es256-counter-replay': 'counter_regression',
  'swa-auth-es256-origin-not-in-list': 'origin_mismatch',
  'swa-auth-es256-wrong-rpid': 'rp_id_mismatch',
};

/** Anchors override: verify against the given roots per format instead of the source's. */
function run(c: CorpusCase, anchors?: Record<string, string[]>) {
  if (c.ceremony === 'registration') {
    const expected = registrationExpectations(corpus, c);
    const trustAnchors = anchors
      ? Object.fromEntries(Object.entries(anchors).map(([fmt, files]) => [fmt, files.map(corpus.pem)]))
      : expected.trustAnchors;
    return verifyRegistrationResponse(c.response, { ...expected, ...(trustAnchors ? { trustAnchors } : {}) });
  }
  // The sources reject counter regressions; Tessera reports them unless told to reject.
  return verifyAuthenticationResponse(c.response, {
    ...authenticationExpectations(corpus, c),
    onCounterRegression: 'reject',
  });
}

function outcome(c: CorpusCase): { ok: true } | { ok: false; code: string; detail: string } {
  try {
    run(c);
    return { ok: true };
  } catch (error) {
    if (isWebAuthnError(error)) return { ok: false, code: error.code, detail: error.detail ?? '' };
    throw error;
  }
}

describe('conformance corpus', () => {
  it('holds all 154 cases with unique names', () => {
    expect(corpus.cases).toHaveLength(154);
    expect(new Set(corpus.cases.map((c) => c.name)).size).toBe(154);
  });

  it('lists only existing cases as known deviations', () => {
    const names = new Set(corpus.cases.map((c) => c.name));
    for (const name of Object.keys(deviations)) expect(names.has(name), name).toBe(true);
  });

  for (const raw of corpus.cases) {
    const entry = corpus.index[raw.name];
    const deviation = deviations[raw.name];
    const expectation = raw.expect as Expectation;
    it(`${raw.name} ${deviation ? 'deviates as documented' : raw.expect.verified ? 'verifies' : 'is rejected'}`, () => {
      if (deviation) {
        const result = outcome(raw);
        // A documented deviation must still deviate, with the documented error.
        expect(result.ok, `${raw.name} now behaves as expected: remove it from known-deviations.json`).toBe(
          !raw.expect.verified,
        );
        if (!result.ok) expect(result.code).toBe(deviation.error);
        return;
      }
      if (!raw.expect.verified) {
        const result = outcome(raw);
        expect(result.ok, `${raw.name} should be rejected`).toBe(false);
        if (!result.ok) expect(result.code).toBe(EXPECTED_ERRORS[raw.name]);
        return;
      }
      const evidence = run(raw);
      const e = expectation;
      if (e.userVerified !== undefined) expect(evidence.flags.uv).toBe(e.userVerified);
      if (e.backupEligible !== undefined) expect(evidence.flags.be).toBe(e.backupEligible);
      if (e.backupState !== undefined) expect(evidence.flags.bs).toBe(e.backupState);
      if (e.counter !== undefined) expect(evidence.counter).toBe(e.counter);
      if (evidence.ceremony === 'registration') {
        if (e.fmt !== undefined) expect(evidence.fmt).toBe(e.fmt);
        if (e.aaguid !== undefined) expect(evidence.aaguid).toBe(e.aaguid);
        const configured = (entry?.trustAnchorsUsedBySourceOrHarness?.[evidence.fmt]?.length ?? 0) > 0;
        expect(evidence.attestation.trusted).toBe(configured);
      }
    });
  }

  // Chains that reach a published root the source did not configure: with that root as the
  // anchor the attestation must be reported as trusted, and the anchor named.
  const rooted = corpus.cases.filter(
    (c) => c.expect.verified && !deviations[c.name] && (corpus.index[c.name]?.chainsToRoot?.length ?? 0) > 0,
  );
  for (const raw of rooted) {
    it(`${raw.name} is trusted when its root is the anchor`, () => {
      const entry = corpus.index[raw.name];
      const evidence = run(raw, { [entry?.fmt ?? '']: [...(entry?.chainsToRoot ?? [])] });
      expect(evidence.ceremony).toBe('registration');
      if (evidence.ceremony === 'registration') {
        expect(evidence.attestation.trusted).toBe(true);
        expect(evidence.attestation.root).toBeTruthy();
      }
    });
  }
});
