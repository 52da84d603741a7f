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
import {
  authenticationExpectations,
  type CaseSettings,
  parseCase,
  registrationExpectations,
  type WebAuthnCase,
} from '../../src/cli/case-file.js';
import { isWebAuthnError } from '../../src/core/errors.js';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '../../src/core/index.js';

const here = import.meta.dirname;
const FILES = [
  'simplewebauthn.json',
  'py_webauthn.json',
  'w3c-l3.json',
  'yubico-java-webauthn-server.json',
  'go-webauthn.json',
];

/** The date the corpus was collected: "any / today" cases are verified at it, so results never drift. */
const CORPUS_DATE = new Date('2026-11-24T00:00:00Z');

interface RawCase {
  readonly name: string;
  readonly expect: {
    readonly verified: boolean;
    readonly fmt?: string;
    readonly aaguid?: string;
    readonly userVerified?: boolean;
    readonly backupEligible?: boolean;
    readonly backupState?: boolean;
    readonly counter?: number;
  };
}

interface IndexEntry {
  readonly trustAnchorsUsedBySourceOrHarness?: Record<string, string[]>;
  readonly verificationDate?: string;
  readonly extraVerifierOptions?: {
    readonly supportedAlgorithmIDs?: number[];
    readonly attestationSafetyNetEnforceCTSCheck?: boolean;
    readonly requireUserPresence?: boolean;
    readonly expectedTopOrigin?: string;
  };
  readonly chainsToRoot?: string[];
}

const index = JSON.parse(readFileSync(join(here, 'roots/index.json'), 'utf8')) as Record<string, IndexEntry>;
const deviations = JSON.parse(readFileSync(join(here, 'known-deviations.json'), 'utf8')) as Record<
  string,
  { readonly reason: string; readonly error: string }
>;
const pem = (file: string) => readFileSync(join(here, 'roots', file), 'utf8');

/**
 * Embedding that the W3C vectors describe in prose (the case shape has no member for it):
 * the crossOrigin vector was made in a cross-origin iframe without a topOrigin member, and the
 * topOrigin registration vector was embedded by https://example.com.
 */
const EMBEDDING: Readonly<Record<string, Partial<CaseSettings>>> = {
  'w3c-reg-none-es256-crossOrigin': { allowCrossOrigin: true },
  'w3c-auth-none-es256-crossOrigin': { allowCrossOrigin: true },
  'w3c-reg-none-es256-topOrigin': { topOrigins: ['https://example.com'] },
};

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

function settingsFor(
  name: string,
  entry: IndexEntry | undefined,
  anchorsOverride?: Record<string, string[]>,
): CaseSettings {
  const extra = entry?.extraVerifierOptions;
  const anchorFiles = anchorsOverride ?? entry?.trustAnchorsUsedBySourceOrHarness ?? {};
  const trustAnchors = Object.fromEntries(
    Object.entries(anchorFiles).map(([fmt, files]) => [fmt, files.map(pem)]),
  );
  return {
    now: entry?.verificationDate ? new Date(entry.verificationDate) : CORPUS_DATE,
    trustAnchors,
    // The sources reject counter regressions; Tessera reports them unless told to reject.
    onCounterRegression: 'reject',
    ...(extra?.supportedAlgorithmIDs ? { allowedAlgorithms: extra.supportedAlgorithmIDs } : {}),
    ...(extra?.attestationSafetyNetEnforceCTSCheck === false
      ? { safetyNetRequireCtsProfileMatch: false }
      : {}),
    ...(extra?.requireUserPresence === false ? { requireUserPresence: false } : {}),
    ...(extra?.expectedTopOrigin ? { topOrigins: [extra.expectedTopOrigin] } : {}),
    ...EMBEDDING[name],
  };
}

function run(c: WebAuthnCase, settings: CaseSettings) {
  return c.ceremony === 'registration'
    ? verifyRegistrationResponse(c.response, registrationExpectations(c, settings))
    : verifyAuthenticationResponse(c.response, authenticationExpectations(c, settings));
}

function outcome(
  c: WebAuthnCase,
  settings: CaseSettings,
): { ok: true } | { ok: false; code: string; detail: string } {
  try {
    run(c, settings);
    return { ok: true };
  } catch (error) {
    if (isWebAuthnError(error)) return { ok: false, code: error.code, detail: error.detail ?? '' };
    throw error;
  }
}

const corpus = FILES.flatMap((file) =>
  (JSON.parse(readFileSync(join(here, 'vectors', file), 'utf8')) as unknown[]).map((raw) => ({
    raw: raw as RawCase,
    parsed: parseCase(raw, file),
  })),
);

describe('conformance corpus', () => {
  it('holds all 154 cases with unique names', () => {
    expect(corpus).toHaveLength(154);
    expect(new Set(corpus.map((c) => c.raw.name)).size).toBe(154);
  });

  it('lists only existing cases as known deviations', () => {
    const names = new Set(corpus.map((c) => c.raw.name));
    for (const name of Object.keys(deviations)) expect(names.has(name), name).toBe(true);
  });

  for (const { raw, parsed } of corpus) {
    const entry = index[raw.name];
    const deviation = deviations[raw.name];
    it(`${raw.name} ${deviation ? 'deviates as documented' : raw.expect.verified ? 'verifies' : 'is rejected'}`, () => {
      const settings = settingsFor(raw.name, entry);
      if (deviation) {
        const result = outcome(parsed, settings);
        // A documented deviation must still deviate, with the documented error.
        expect(result.ok, `${raw.name} now behaves as expected: remove it from known-deviations.json`).toBe(
          !raw.expect.verified,
        );
        if (!result.ok) expect(result.code).toBe(deviation.error);
        return;
      }
      if (!raw.expect.verified) {
        const result = outcome(parsed, settings);
        expect(result.ok, `${raw.name} should be rejected`).toBe(false);
        if (!result.ok) expect(result.code).toBe(EXPECTED_ERRORS[raw.name]);
        return;
      }
      const evidence = run(parsed, settings);
      const e = raw.expect;
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
  const rooted = corpus.filter(
    ({ raw }) =>
      raw.expect.verified && !deviations[raw.name] && (index[raw.name]?.chainsToRoot?.length ?? 0) > 0,
  );
  for (const { raw, parsed } of rooted) {
    it(`${raw.name} is trusted when its root is the anchor`, () => {
      const entry = index[raw.name];
      const roots = entry?.chainsToRoot ?? [];
      const fmt = entry && 'fmt' in entry ? String((entry as { fmt: unknown }).fmt) : '';
      const evidence = run(parsed, settingsFor(raw.name, entry, { [fmt]: roots }));
      expect(evidence.ceremony).toBe('registration');
      if (evidence.ceremony === 'registration') {
        expect(evidence.attestation.trusted).toBe(true);
        expect(evidence.attestation.root).toBeTruthy();
      }
    });
  }
});
