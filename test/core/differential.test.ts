/**
 * Differential test: Tessera and @simplewebauthn/server see the same responses and must reach the
 * same verdict (accept / reject), except for the differences listed below, each with its reason.
 *
 * Two sources of responses:
 *   1. generated: the soft authenticator's valid responses and every corruption it supports, for
 *      registration (fmt none and packed self) and authentication, with ES256, EdDSA and RS256;
 *   2. the shared corpus of real responses (vectors/*.json), with the trust anchors, verification
 *      dates and options its roots/index.json gives, both libraries configured alike.
 *
 * A listed difference must occur exactly as listed (both verdicts, and Tessera's error code when it
 * rejects): when one disappears the list is stale and the test says so.
 */
import { Buffer } from 'node:buffer';
import {
  SettingsService,
  type AuthenticationResponseJSON as SwaAuthenticationResponseJSON,
  type RegistrationResponseJSON as SwaRegistrationResponseJSON,
  verifyAuthenticationResponse as swaVerifyAuthentication,
  verifyRegistrationResponse as swaVerifyRegistration,
} from '@simplewebauthn/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CoreErrorCode, WebAuthnError } from '../../src/core/errors.js';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '../../src/core/index.js';
import type { AuthenticationExpectations, RegistrationExpectations } from '../../src/core/types.js';
import {
  authenticationExpectations,
  type CorpusCase,
  corpusAnchors,
  corpusDate,
  corpusOrigins,
  DEFAULT_OFFERED_ALGORITHMS,
  loadCorpus,
  registrationExpectations,
} from '../helpers/conformance-corpus.js';
import {
  base64url,
  type Corruption,
  type CreateCredentialOptions,
  credProtectExtension,
  type SoftAlgorithm,
  SoftAuthenticator,
} from '../helpers/soft-authenticator.js';

// ---------------------------------------------------------------------------------------------
// Verdicts
// ---------------------------------------------------------------------------------------------

/** Accepted, or rejected with Tessera's error code (SimpleWebAuthn: its message, for failures). */
type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Tessera rejects only by throwing a WebAuthnError; anything else thrown is a bug and propagates. */
function tesseraVerdict(run: () => unknown): Verdict {
  try {
    run();
    return { ok: true };
  } catch (err) {
    if (err instanceof WebAuthnError) return { ok: false, reason: err.code };
    throw err;
  }
}

/** SimpleWebAuthn rejects by throwing or by returning `verified: false`. */
async function swaVerdict(run: () => Promise<{ verified: boolean }>): Promise<Verdict> {
  try {
    const result = await run();
    return result.verified ? { ok: true } : { ok: false, reason: 'verified: false' };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

const show = (v: Verdict): string => (v.ok ? 'accept' : `reject (${v.reason})`);

interface KnownDifference {
  /** Tessera's verdict: true = accepts, otherwise the error code it rejects with. */
  readonly tessera: true | CoreErrorCode;
  /** SimpleWebAuthn's verdict (accepts or rejects). */
  readonly simplewebauthn: boolean;
  readonly why: string;
}

function checkAgreement(label: string, tessera: Verdict, swa: Verdict, known: KnownDifference | undefined) {
  if (known === undefined) {
    expect(
      tessera.ok,
      `${label}: Tessera ${show(tessera)}, SimpleWebAuthn ${show(swa)} (not a listed difference)`,
    ).toBe(swa.ok);
    return;
  }
  const tesseraNow: true | string = tessera.ok ? true : tessera.reason;
  expect(
    { tessera: tesseraNow, simplewebauthn: swa.ok },
    `${label}: listed difference no longer occurs as listed (Tessera ${show(tessera)}, SimpleWebAuthn ${show(swa)})`,
  ).toEqual({ tessera: known.tessera, simplewebauthn: known.simplewebauthn });
}

const asSwaRegistration = (json: unknown): SwaRegistrationResponseJSON => json as SwaRegistrationResponseJSON;
const asSwaAuthentication = (json: unknown): SwaAuthenticationResponseJSON =>
  json as SwaAuthenticationResponseJSON;

/*
 * SimpleWebAuthn downloads the CRLs named in attestation certificates with global fetch. Tests run
 * offline: make every download fail at once (SimpleWebAuthn then skips the revocation check), as
 * the corpus' own SimpleWebAuthn run did ("offline: CRL downloads disabled").
 */
const realFetch = globalThis.fetch;
beforeAll(() => {
  globalThis.fetch = () => Promise.reject(new Error('offline test: no CRL downloads'));
});
afterAll(() => {
  globalThis.fetch = realFetch;
});

const ATTESTATION_FORMATS = [
  'packed',
  'tpm',
  'android-key',
  'android-safetynet',
  'apple',
  'fido-u2f',
] as const;

/** Give SimpleWebAuthn exactly these anchors per format (none for a format not named). */
function setSwaAnchors(anchors: Readonly<Record<string, readonly string[]>>): void {
  for (const fmt of ATTESTATION_FORMATS) {
    SettingsService.setRootCertificates({ identifier: fmt, certificates: [...(anchors[fmt] ?? [])] });
  }
}

// =============================================================================================
// 1. Generated responses: the soft authenticator, valid and with exactly one corruption
// =============================================================================================

const RP_ID = 'example.com';
const ORIGIN = 'https://example.com';
const TOP_ORIGIN = 'https://top.example.org';
/** SimpleWebAuthn's default supportedAlgorithmIDs; Tessera is given the same list. */
const OFFERED_ALGORITHMS = [...DEFAULT_OFFERED_ALGORITHMS];
const ALGORITHMS: readonly SoftAlgorithm[] = [-7, -8, -257];
const ALG_NAME: Readonly<Record<SoftAlgorithm, string>> = { [-7]: 'ES256', [-8]: 'EdDSA', [-257]: 'RS256' };

type Ceremony = 'registration' | 'authentication';

interface Scenario {
  /** Unique name; known differences refer to it. */
  readonly name: string;
  readonly ceremonies: readonly Ceremony[];
  readonly corrupt?: Corruption;
  readonly credential?: CreateCredentialOptions;
  /** Only for these registration formats (default both). */
  readonly fmts?: readonly ('none' | 'packed')[];
  /** Only for these algorithms (default all three). */
  readonly algs?: readonly SoftAlgorithm[];
  readonly uv?: boolean;
  /** Expectation overrides given to both libraries alike (both have these options). */
  readonly topOrigin?: string;
  /** Tessera-only expectation (SimpleWebAuthn has no such option): the account's user handle. */
  readonly tesseraUserHandle?: 'own';
  /** Tessera onCounterRegression: 'reject' (SimpleWebAuthn always rejects a regression). */
  readonly tesseraRejectRegression?: boolean;
  readonly requireUserVerification?: boolean;
}

const BOTH: readonly Ceremony[] = ['registration', 'authentication'];
const REG: readonly Ceremony[] = ['registration'];
const AUTH: readonly Ceremony[] = ['authentication'];
const OTHER_ID = base64url(Buffer.alloc(32, 0x5a));

/** Every scenario: the valid baseline, then each corruption the soft authenticator supports. */
const SCENARIOS: readonly Scenario[] = [
  { name: 'valid', ceremonies: BOTH },
  {
    name: 'valid, UV not required and not done',
    ceremonies: BOTH,
    uv: false,
    requireUserVerification: false,
  },
  {
    name: 'valid, backup eligible and backed up',
    ceremonies: BOTH,
    credential: { backupEligible: true, backupState: true },
  },
  // --- authenticator data: flags
  { name: 'flags: UP cleared', ceremonies: BOTH, corrupt: { flags: { up: false } } },
  { name: 'flags: UV cleared (UV required)', ceremonies: BOTH, corrupt: { flags: { uv: false } } },
  { name: 'flags: BS set without BE', ceremonies: BOTH, corrupt: { flags: { bs: true } } },
  { name: 'flags: BE set', ceremonies: BOTH, corrupt: { flags: { be: true } } },
  { name: 'flags: AT toggled', ceremonies: BOTH, corrupt: { flags: { at: true } } },
  { name: 'flags: AT cleared', ceremonies: REG, corrupt: { flags: { at: false } } },
  { name: 'flags: ED set without data', ceremonies: BOTH, corrupt: { flags: { ed: true } } },
  {
    name: 'flags: UV cleared (UV not required)',
    ceremonies: BOTH,
    corrupt: { flags: { uv: false } },
    requireUserVerification: false,
  },
  // --- authenticator data: contents
  { name: 'rpIdHash of another RP ID', ceremonies: BOTH, corrupt: { rpId: 'evil.example' } },
  {
    name: 'counter regression (stored 5, sent 5)',
    ceremonies: AUTH,
    credential: { counter: 5 },
    corrupt: { counter: 5 },
  },
  {
    name: 'counter regression (stored 5, sent 0)',
    ceremonies: AUTH,
    credential: { counter: 5 },
    corrupt: { counter: 0 },
  },
  {
    name: 'counter regression, RP rejects regressions',
    ceremonies: AUTH,
    credential: { counter: 5 },
    corrupt: { counter: 5 },
    tesseraRejectRegression: true,
  },
  { name: 'counter zero, stored zero', ceremonies: AUTH, corrupt: { counter: 0 } },
  { name: 'counter 2^32-1', ceremonies: BOTH, corrupt: { counter: 0xffffffff } },
  { name: 'attested credential data left out', ceremonies: REG, corrupt: { omitAttestedData: true } },
  {
    name: 'attested credential data in an assertion',
    ceremonies: AUTH,
    corrupt: { includeAttestedData: true },
  },
  {
    name: 'authenticator extensions (credProtect)',
    ceremonies: BOTH,
    corrupt: { extensions: credProtectExtension() },
  },
  { name: 'ED set, no extension data', ceremonies: BOTH, corrupt: { edWithoutData: true } },
  {
    name: 'trailing bytes after authenticator data',
    ceremonies: BOTH,
    corrupt: { trailingAuthData: Buffer.from([0x00]) },
  },
  {
    name: 'COSE alg changed to RS256 on another key type',
    ceremonies: REG,
    algs: [-7, -8],
    corrupt: { coseAlg: -257 },
  },
  { name: 'COSE alg changed to ES512 (not offered)', ceremonies: REG, corrupt: { coseAlg: -36 } },
  { name: 'credential ID of 1024 bytes', ceremonies: REG, credential: { idLength: 1024 } },
  { name: 'credential ID of 1023 bytes', ceremonies: BOTH, credential: { idLength: 1023 } },
  // --- client data
  { name: 'clientData type of the other ceremony', ceremonies: BOTH, corrupt: { type: '@other-ceremony' } },
  { name: 'clientData type unknown', ceremonies: BOTH, corrupt: { type: 'webauthn.other' } },
  {
    name: 'clientData challenge differs',
    ceremonies: BOTH,
    corrupt: { challenge: base64url(Buffer.alloc(32, 0x77)) },
  },
  { name: 'clientData origin differs', ceremonies: BOTH, corrupt: { origin: 'https://evil.example' } },
  {
    name: 'clientData origin differs only in case',
    ceremonies: BOTH,
    corrupt: { origin: 'https://Example.com' },
  },
  { name: 'clientData crossOrigin true, no topOrigin', ceremonies: BOTH, corrupt: { crossOrigin: true } },
  { name: 'clientData crossOrigin is a string', ceremonies: BOTH, corrupt: { crossOrigin: 'true' } },
  { name: 'clientData crossOrigin left out', ceremonies: BOTH, corrupt: { omitCrossOrigin: true } },
  { name: 'clientData topOrigin without crossOrigin', ceremonies: BOTH, corrupt: { topOrigin: TOP_ORIGIN } },
  {
    name: 'clientData crossOrigin + expected topOrigin',
    ceremonies: AUTH,
    corrupt: { crossOrigin: true, topOrigin: TOP_ORIGIN },
    topOrigin: TOP_ORIGIN,
  },
  {
    name: 'clientData crossOrigin + unexpected topOrigin',
    ceremonies: AUTH,
    corrupt: { crossOrigin: true, topOrigin: 'https://evil.example' },
    topOrigin: TOP_ORIGIN,
  },
  {
    name: 'clientData extra members',
    ceremonies: BOTH,
    corrupt: {
      clientDataExtra: { other_keys_can_be_added_here: 'do not compare clientDataJSON against a template' },
    },
  },
  {
    name: 'clientData tokenBinding present',
    ceremonies: BOTH,
    corrupt: { clientDataExtra: { tokenBinding: { status: 'present', id: 'AAAA' } } },
  },
  {
    name: 'clientData tokenBinding "not-supported"',
    ceremonies: BOTH,
    corrupt: { clientDataExtra: { tokenBinding: { status: 'not-supported' } } },
  },
  {
    name: 'clientData duplicate challenge, same value',
    ceremonies: BOTH,
    corrupt: { duplicate: { key: 'challenge', value: '@challenge' } },
  },
  {
    name: 'clientData duplicate challenge, first wrong',
    ceremonies: BOTH,
    corrupt: { challenge: 'd3Jvbmc', duplicate: { key: 'challenge', value: '@challenge' } },
  },
  {
    name: 'clientData duplicate origin, last wrong',
    ceremonies: BOTH,
    corrupt: { duplicate: { key: 'origin', value: 'https://evil.example' } },
  },
  { name: 'clientData with a UTF-8 BOM', ceremonies: BOTH, corrupt: { bom: true } },
  { name: 'clientData not JSON', ceremonies: BOTH, corrupt: { clientDataJSON: Buffer.from('not json') } },
  { name: 'clientData a JSON array', ceremonies: BOTH, corrupt: { clientDataJSON: Buffer.from('[]') } },
  // --- signatures and envelopes
  {
    name: 'signature: one bit flipped',
    ceremonies: BOTH,
    fmts: ['packed'],
    corrupt: { signature: 'flip-bit' },
  },
  {
    name: 'signature: ES256 as raw r||s',
    ceremonies: BOTH,
    fmts: ['packed'],
    algs: [-7],
    corrupt: { signature: 'raw' },
  },
  {
    name: 'after signing: UV flag toggled',
    ceremonies: BOTH,
    corrupt: { mutateAfterSigning: 'flags' },
    requireUserVerification: false,
  },
  { name: 'after signing: counter changed', ceremonies: BOTH, corrupt: { mutateAfterSigning: 'counter' } },
  { name: 'after signing: rpIdHash changed', ceremonies: BOTH, corrupt: { mutateAfterSigning: 'rpIdHash' } },
  {
    name: 'after signing: clientDataJSON changed',
    ceremonies: AUTH,
    corrupt: { mutateAfterSigning: 'clientData' },
  },
  {
    name: 'trailing bytes after the attestation object',
    ceremonies: REG,
    corrupt: { trailingAttestationObject: Buffer.from([0x00]) },
  },
  {
    name: 'packed attStmt alg differs from the key',
    ceremonies: REG,
    fmts: ['packed'],
    corrupt: { attStmtAlg: -36 },
  },
  { name: 'fmt "Packed" (case differs)', ceremonies: REG, fmts: ['packed'], corrupt: { fmt: 'Packed' } },
  { name: 'fmt "none" with a packed statement', ceremonies: REG, fmts: ['packed'], corrupt: { fmt: 'none' } },
  { name: 'fmt unknown', ceremonies: REG, fmts: ['none'], corrupt: { fmt: 'x-unknown' } },
  { name: 'id differs from rawId', ceremonies: BOTH, corrupt: { id: OTHER_ID } },
  {
    name: 'id and rawId name another credential',
    ceremonies: BOTH,
    corrupt: { id: OTHER_ID, rawId: OTHER_ID },
  },
  { name: 'id and rawId padded base64', ceremonies: BOTH, corrupt: { id: '@id=', rawId: '@id=' } },
  { name: 'credential type not public-key', ceremonies: BOTH, corrupt: { credentialType: 'password' } },
  { name: 'userHandle left out', ceremonies: AUTH, corrupt: { userHandle: null } },
  {
    name: 'userHandle of another account (RP checks it)',
    ceremonies: AUTH,
    corrupt: { userHandle: Buffer.alloc(16, 0x01) },
    tesseraUserHandle: 'own',
  },
  { name: 'userHandle of 65 bytes', ceremonies: AUTH, corrupt: { userHandle: Buffer.alloc(65, 0x01) } },
  {
    name: 'clientExtensionResults credProps',
    ceremonies: BOTH,
    corrupt: { clientExtensionResults: { credProps: { rk: false } } },
  },
  {
    name: 'clientExtensionResults over 4 KiB',
    ceremonies: BOTH,
    corrupt: { clientExtensionResults: { big: 'x'.repeat(5000) } },
  },
  {
    name: 'authenticatorAttachment unknown value',
    ceremonies: BOTH,
    corrupt: { authenticatorAttachment: 'bluetooth-ish' },
  },
  { name: 'authenticatorAttachment null', ceremonies: BOTH, corrupt: { authenticatorAttachment: null } },
  {
    name: 'transports with unknown strings',
    ceremonies: REG,
    corrupt: { transports: ['usb', 'future-transport'] },
  },
  { name: 'transports with a non-string', ceremonies: REG, corrupt: { transports: ['usb', 5] } },
];

/**
 * Each Corruption member and the scenarios that exercise it: adding a member to the soft
 * authenticator without a scenario here is a type error.
 */
const CORRUPTION_COVERAGE: Record<keyof Corruption, readonly string[]> = {
  flags: ['flags: UP cleared', 'flags: BS set without BE', 'flags: AT toggled', 'flags: ED set without data'],
  rpId: ['rpIdHash of another RP ID'],
  counter: ['counter regression (stored 5, sent 5)', 'counter zero, stored zero'],
  omitAttestedData: ['attested credential data left out'],
  includeAttestedData: ['attested credential data in an assertion'],
  extensions: ['authenticator extensions (credProtect)'],
  edWithoutData: ['ED set, no extension data'],
  trailingAuthData: ['trailing bytes after authenticator data'],
  coseAlg: ['COSE alg changed to RS256 on another key type', 'COSE alg changed to ES512 (not offered)'],
  type: ['clientData type of the other ceremony'],
  challenge: ['clientData challenge differs'],
  origin: ['clientData origin differs'],
  crossOrigin: ['clientData crossOrigin true, no topOrigin', 'clientData crossOrigin is a string'],
  omitCrossOrigin: ['clientData crossOrigin left out'],
  topOrigin: ['clientData topOrigin without crossOrigin', 'clientData crossOrigin + expected topOrigin'],
  clientDataExtra: ['clientData extra members', 'clientData tokenBinding "not-supported"'],
  duplicate: ['clientData duplicate challenge, same value', 'clientData duplicate origin, last wrong'],
  bom: ['clientData with a UTF-8 BOM'],
  clientDataJSON: ['clientData not JSON'],
  signature: ['signature: one bit flipped', 'signature: ES256 as raw r||s'],
  mutateAfterSigning: ['after signing: counter changed', 'after signing: clientDataJSON changed'],
  trailingAttestationObject: ['trailing bytes after the attestation object'],
  attStmtAlg: ['packed attStmt alg differs from the key'],
  fmt: ['fmt "Packed" (case differs)', 'fmt unknown'],
  id: ['id differs from rawId'],
  rawId: ['id and rawId name another credential'],
  credentialType: ['credential type not public-key'],
  userHandle: ['userHandle left out', 'userHandle of 65 bytes'],
  clientExtensionResults: ['clientExtensionResults over 4 KiB'],
  authenticatorAttachment: ['authenticatorAttachment unknown value'],
  transports: ['transports with a non-string'],
};

/**
 * Known differences on generated responses, by scenario name (they hold for every algorithm and
 * format the scenario runs with, unless `only` narrows them to labels containing that text).
 */
const KNOWN_GENERATED: Readonly<Record<string, KnownDifference & { readonly only?: string }>> = {
  // --- authenticator data
  'counter regression (stored 5, sent 5)': {
    tessera: true,
    simplewebauthn: false,
    why: 'A signCount that does not grow is a signal of a cloned authenticator, not proof (§6.1.1), and §7.2 step 22 leaves the response to RP policy. Tessera reports counterOutcome "regressed" by default and throws only with onCounterRegression: "reject" (see the next-but-one scenario); SimpleWebAuthn always throws.',
  },
  'counter regression (stored 5, sent 0)': {
    tessera: true,
    simplewebauthn: false,
    why: 'As above: a regression to 0 after a non-zero counter is reported, not thrown, by default.',
  },
  'attested credential data in an assertion': {
    tessera: 'authenticator_data_invalid',
    simplewebauthn: true,
    why: 'authenticatorGetAssertion builds authenticator data without attestedCredentialData (§6.3.3 step 9), so AT must be clear in an assertion (§6.1). SimpleWebAuthn parses the attested data and ignores it.',
  },
  'COSE alg changed to RS256 on another key type': {
    tessera: 'public_key_invalid',
    simplewebauthn: true,
    why: 'An EC2 or OKP COSE_Key labelled alg -257 (RS256, defined for kty RSA only: RFC 8812 / RFC 9053) is not a valid credential public key (§5.8.5). SimpleWebAuthn never checks alg against kty: it verifies by kty, and for packed self attestation it never compares attStmt.alg with the key either.',
  },
  'credential ID of 1024 bytes': {
    tessera: 'credential_id_too_long',
    simplewebauthn: true,
    why: 'L3 §7.1 step 25: the RP must reject a credentialId longer than 1023 bytes. SimpleWebAuthn has no length check.',
  },
  // --- client data
  'clientData crossOrigin true, no topOrigin': {
    tessera: 'cross_origin_not_allowed',
    simplewebauthn: true,
    why: 'crossOrigin true means the ceremony ran in a cross-origin iframe; §7.1 step 10 / §7.2 step 13 require the RP to expect that, and these expectations do not (Tessera: allowCrossOrigin or topOrigins). SimpleWebAuthn registration ignores crossOrigin, and its authentication accepts crossOrigin without topOrigin.',
  },
  'clientData crossOrigin is a string': {
    tessera: 'client_data_invalid',
    simplewebauthn: true,
    why: 'CollectedClientData.crossOrigin is a boolean (§5.8.1). SimpleWebAuthn only tests truthiness (and not at all at registration), so "true" passes as not-cross-origin-checked.',
  },
  'clientData topOrigin without crossOrigin': {
    only: 'registration',
    tessera: 'cross_origin_not_allowed',
    simplewebauthn: true,
    why: 'A topOrigin needs an RP that expects to be framed (§7.1 step 11). SimpleWebAuthn registration never reads topOrigin; at authentication both reject.',
  },
  'clientData tokenBinding "not-supported"': {
    only: 'registration',
    tessera: 'client_data_invalid',
    simplewebauthn: true,
    why: 'tokenBinding.status "not-supported" is an L1-draft value that no published level defines (L2 §5.8.1: "present" | "supported"). SimpleWebAuthn registration lists it as valid; its authentication does not, so both reject there.',
  },
  'clientData duplicate challenge, same value': {
    tessera: 'client_data_invalid',
    simplewebauthn: true,
    why: 'JSON with a repeated member has no single meaning (RFC 8259 §4: names SHOULD be unique); Tessera refuses repeated type/challenge/origin/crossOrigin/topOrigin outright. SimpleWebAuthn JSON.parse keeps the last.',
  },
  'clientData duplicate challenge, first wrong': {
    tessera: 'client_data_invalid',
    simplewebauthn: true,
    why: 'The first "challenge" is wrong and the last is right: SimpleWebAuthn (JSON.parse: last wins) accepts, while a reader that takes the first member (e.g. the §5.8.1.2 limited verification algorithm) would reject. Tessera refuses the ambiguity.',
  },
  // --- envelopes and attestation
  'trailing bytes after the attestation object': {
    tessera: 'cbor_invalid',
    simplewebauthn: true,
    why: 'attestationObject is one CBOR map (§6.5.4); bytes after it are not something an authenticator produced. SimpleWebAuthn decodes the first item and ignores the rest.',
  },
  'packed attStmt alg differs from the key': {
    only: 'EdDSA',
    tessera: 'attestation_invalid',
    simplewebauthn: true,
    why: 'Packed self attestation: "Validate that alg matches the algorithm of the credentialPublicKey in authenticatorData" (§8.2). SimpleWebAuthn never compares them and only uses attStmt.alg to pick a hash, which Ed25519 ignores, so an EdDSA self attestation with alg -36 verifies (ES256/RS256 fail on the wrong hash, so both reject those).',
  },
  'id and rawId name another credential': {
    tessera: 'credential_id_mismatch',
    simplewebauthn: true,
    why: 'Registration: rawId is the credential ID (§5.1) and must equal the one in authData; SimpleWebAuthn only checks id === rawId and uses authData. Authentication: the stored credential passed in has a different ID than the response; §7.2 step 6 requires they match, which SimpleWebAuthn leaves to its caller (it looks the credential up by response.id).',
  },
  'id and rawId padded base64': {
    tessera: 'malformed_input',
    simplewebauthn: true,
    why: 'toJSON() encodes id/rawId as unpadded base64url (§5.1.3/§5.1.4); padded standard base64 is not what a client sends, and Tessera wants one text per credential ID. SimpleWebAuthn never decodes id at registration nor compares it at authentication.',
  },
  'userHandle of another account (RP checks it)': {
    tessera: 'user_handle_mismatch',
    simplewebauthn: true,
    why: "Tessera was told the account's user handle (§7.2 step 6); SimpleWebAuthn has no such option and leaves the check to the caller.",
  },
  'userHandle of 65 bytes': {
    tessera: 'user_handle_mismatch',
    simplewebauthn: true,
    why: 'A user handle is at most 64 bytes (§5.4.3), so a longer one cannot belong to any account. SimpleWebAuthn does not read userHandle.',
  },
  'clientExtensionResults over 4 KiB': {
    tessera: 'extension_invalid',
    simplewebauthn: true,
    why: 'clientExtensionResults is unsigned client input that Tessera keeps as evidence, so it is bounded (16 members, 4 KiB). SimpleWebAuthn ignores it.',
  },
  'transports with a non-string': {
    tessera: 'malformed_input',
    simplewebauthn: true,
    why: 'getTransports() returns a sequence of DOMString (§5.2.1); a number is not a client response. SimpleWebAuthn copies transports into its result unchecked.',
  },
};

// ---------------------------------------------------------------------------------------------

const REG_CHALLENGE = Buffer.alloc(32, 0x11);
const AUTH_CHALLENGE = Buffer.alloc(32, 0x22);

/**
 * '@challenge', '@id=' and '@other-ceremony' in a scenario stand for values only known once the
 * case is built: the issued challenge, the padded standard base64 of the credential ID, and the
 * clientData type of the other ceremony.
 */
function resolveCorruption(
  corrupt: Corruption | undefined,
  ceremony: Ceremony,
  challenge: Uint8Array,
  id: Uint8Array,
): Corruption | undefined {
  if (corrupt === undefined) return undefined;
  const out: Record<string, unknown> = { ...corrupt };
  if (corrupt.type === '@other-ceremony') {
    out.type = ceremony === 'registration' ? 'webauthn.get' : 'webauthn.create';
  }
  if (corrupt.duplicate?.value === '@challenge') {
    out.duplicate = { key: corrupt.duplicate.key, value: base64url(challenge) };
  }
  const padded = Buffer.from(id).toString('base64');
  if (corrupt.id === '@id=') out.id = padded;
  if (corrupt.rawId === '@id=') out.rawId = padded;
  return out as Corruption;
}

interface GeneratedCase {
  readonly label: string;
  readonly scenario: Scenario;
  readonly run: () => Promise<{ tessera: Verdict; swa: Verdict }>;
}

function registrationCase(scenario: Scenario, alg: SoftAlgorithm, fmt: 'none' | 'packed'): GeneratedCase {
  return {
    label: `registration ${fmt} ${ALG_NAME[alg]}: ${scenario.name}`,
    scenario,
    run: async () => {
      const authenticator = new SoftAuthenticator(`differential-${scenario.name}`);
      const credential = authenticator.createCredential({ ...scenario.credential, alg });
      const corrupt = resolveCorruption(scenario.corrupt, 'registration', REG_CHALLENGE, credential.id);
      const response = authenticator.register(credential, {
        rpId: RP_ID,
        origin: ORIGIN,
        challenge: REG_CHALLENGE,
        fmt,
        ...(scenario.uv === undefined ? {} : { uv: scenario.uv }),
        ...(corrupt === undefined ? {} : { corrupt }),
      });
      const requireUserVerification = scenario.requireUserVerification ?? true;
      const expected: RegistrationExpectations = {
        challenge: REG_CHALLENGE,
        origins: [ORIGIN],
        rpId: RP_ID,
        requireUserVerification,
        allowedAlgorithms: OFFERED_ALGORITHMS,
        now: new Date(),
      };
      const tessera = tesseraVerdict(() => verifyRegistrationResponse(response, expected));
      const swa = await swaVerdict(() =>
        swaVerifyRegistration({
          response: asSwaRegistration(response),
          expectedChallenge: base64url(REG_CHALLENGE),
          expectedOrigin: ORIGIN,
          expectedRPID: RP_ID,
          requireUserVerification,
          supportedAlgorithmIDs: OFFERED_ALGORITHMS,
        }),
      );
      return { tessera, swa };
    },
  };
}

function authenticationCase(scenario: Scenario, alg: SoftAlgorithm): GeneratedCase {
  return {
    label: `authentication ${ALG_NAME[alg]}: ${scenario.name}`,
    scenario,
    run: async () => {
      const authenticator = new SoftAuthenticator(`differential-${scenario.name}`);
      const credential = authenticator.createCredential({ ...scenario.credential, alg });
      // What the server stored: the counter before this assertion.
      const storedCounter = credential.counter;
      const corrupt = resolveCorruption(scenario.corrupt, 'authentication', AUTH_CHALLENGE, credential.id);
      const response = authenticator.authenticate(credential, {
        rpId: RP_ID,
        origin: ORIGIN,
        challenge: AUTH_CHALLENGE,
        ...(scenario.uv === undefined ? {} : { uv: scenario.uv }),
        ...(corrupt === undefined ? {} : { corrupt }),
      });
      const requireUserVerification = scenario.requireUserVerification ?? true;
      const expected: AuthenticationExpectations = {
        challenge: AUTH_CHALLENGE,
        origins: [ORIGIN],
        rpId: RP_ID,
        requireUserVerification,
        now: new Date(),
        credential: { id: credential.id, publicKey: credential.publicKey, counter: storedCounter },
        ...(scenario.topOrigin === undefined ? {} : { topOrigins: [scenario.topOrigin] }),
        ...(scenario.tesseraUserHandle === 'own' ? { userHandle: credential.userHandle } : {}),
        ...(scenario.tesseraRejectRegression === true ? { onCounterRegression: 'reject' as const } : {}),
      };
      const tessera = tesseraVerdict(() => verifyAuthenticationResponse(response, expected));
      const swa = await swaVerdict(() =>
        swaVerifyAuthentication({
          response: asSwaAuthentication(response),
          expectedChallenge: base64url(AUTH_CHALLENGE),
          expectedOrigin: ORIGIN,
          expectedRPID: RP_ID,
          requireUserVerification,
          credential: {
            id: base64url(credential.id),
            publicKey: new Uint8Array(credential.publicKey),
            counter: storedCounter,
          },
          ...(scenario.topOrigin === undefined ? {} : { expectedTopOrigin: scenario.topOrigin }),
        }),
      );
      return { tessera, swa };
    },
  };
}

function generatedCases(): GeneratedCase[] {
  const cases: GeneratedCase[] = [];
  for (const scenario of SCENARIOS) {
    const algs = scenario.algs ?? ALGORITHMS;
    for (const alg of algs) {
      if (scenario.ceremonies.includes('registration')) {
        for (const fmt of scenario.fmts ?? (['none', 'packed'] as const)) {
          cases.push(registrationCase(scenario, alg, fmt));
        }
      }
      if (scenario.ceremonies.includes('authentication')) cases.push(authenticationCase(scenario, alg));
    }
  }
  return cases;
}

describe('differential: generated responses (soft authenticator)', () => {
  beforeAll(() => setSwaAnchors({}));

  it('covers every corruption the soft authenticator supports with a scenario that exists', () => {
    const names = new Set(SCENARIOS.map((s) => s.name));
    expect(names.size).toBe(SCENARIOS.length);
    for (const [member, scenarios] of Object.entries(CORRUPTION_COVERAGE)) {
      expect(scenarios.length, member).toBeGreaterThan(0);
      for (const name of scenarios) expect(names.has(name), `${member} → ${name}`).toBe(true);
    }
    for (const name of Object.keys(KNOWN_GENERATED)) expect(names.has(name), name).toBe(true);
  });

  for (const c of generatedCases()) {
    it(c.label, async () => {
      const { tessera, swa } = await c.run();
      if (c.scenario.name.startsWith('valid')) {
        // A broken generator would make every verdict "reject" and agreement vacuous.
        expect(tessera, `${c.label}: Tessera`).toEqual({ ok: true });
        expect(swa, `${c.label}: SimpleWebAuthn`).toEqual({ ok: true });
      }
      const known = KNOWN_GENERATED[c.scenario.name];
      checkAgreement(
        c.label,
        tessera,
        swa,
        known && (known.only === undefined || c.label.includes(known.only)) ? known : undefined,
      );
    });
  }
});

// =============================================================================================
// 2. The shared corpus of real responses
// =============================================================================================

const CORPUS = loadCorpus();

/**
 * Where the two libraries disagree on the corpus. The first group is 18 of the README's 19 cases
 * on which SimpleWebAuthn 14 (on Node 20) deviates from the source's expected result; Tessera
 * agrees with the source on each of them. The second group is where Tessera is stricter than
 * SimpleWebAuthn (and than the source test, which expects success).
 */
const CORPUS_DIFFERENCES: Readonly<Record<string, KnownDifference>> = {
  // --- SimpleWebAuthn deviations listed in the corpus README (Tessera matches expect.verified)
  ...Object.fromEntries(
    [
      'py-auth-ml-dsa-44',
      'py-auth-ml-dsa-65',
      'py-auth-ml-dsa-87',
      'py-reg-none-ml-dsa-44',
      'py-reg-none-ml-dsa-65',
      'py-reg-none-ml-dsa-87',
      'yubico-reg-ml-dsa-44',
      'yubico-auth-ml-dsa-44',
      'yubico-reg-ml-dsa-65',
      'yubico-auth-ml-dsa-65',
      'yubico-reg-ml-dsa-87',
      'yubico-auth-ml-dsa-87',
    ].map((name) => [
      name,
      {
        tessera: true,
        simplewebauthn: false,
        why: 'ML-DSA (COSE -48/-49/-50): SimpleWebAuthn verifies through WebCrypto, which has no ML-DSA on Node 20, and throws; Tessera verifies with @noble/post-quantum. The signatures are valid.',
      } satisfies KnownDifference,
    ]),
  ),
  'w3c-auth-packed-ed448': {
    tessera: true,
    simplewebauthn: false,
    why: 'Ed448 (COSE -53): SimpleWebAuthn has no Ed448 ("Public key had invalid alg -53"); Node verifies it and Tessera supports it. The signature is valid.',
  },
  'w3c-reg-tpm-es256': {
    tessera: true,
    simplewebauthn: false,
    why: 'The AIK certificate names TPM manufacturer "id:00000000". SimpleWebAuthn only accepts vendor IDs from the TCG list; WebAuthn §8.3.1 only requires the TCG manufacturer attribute to be present, and the chain reaches the configured anchor.',
  },
  'w3c-reg-android-key-es256': {
    tessera: true,
    simplewebauthn: false,
    why: "x5c holds only the leaf, issued by the configured anchor. SimpleWebAuthn's android-key path assumes x5c ends with the root and fails path validation; WebAuthn §8.4 only requires a valid path to an anchor.",
  },
  'w3c-reg-fido-u2f-es256': {
    tessera: true,
    simplewebauthn: false,
    why: 'Non-zero AAGUID under fmt fido-u2f. SimpleWebAuthn requires an all-zero AAGUID; the fido-u2f verification procedure (§8.6) never reads the AAGUID.',
  },
  'py-reg-fido-u2f-bad-tokenbinding-status': {
    tessera: 'client_data_invalid',
    simplewebauthn: true,
    why: 'clientData tokenBinding.status "not-supported" is an L1-draft value no published level defines (L2 §5.8.1: "present" or "supported"); py_webauthn and Tessera reject it, SimpleWebAuthn accepts it.',
  },
  'py-reg-fido-u2f-tokenbinding-string': {
    tessera: true,
    simplewebauthn: false,
    why: 'clientData tokenBinding is the bare string "unused" (early Edge/Firefox). It claims no binding; py_webauthn and Tessera tolerate it, SimpleWebAuthn throws.',
  },
  // (The README's 19th, swa-reg-android-safetynet-revoked-gsr1-crosssign, needs CRL downloads to be
  // rejected; offline neither library has them, so both accept it: see AGREED_AGAINST_SOURCE.)

  // --- Tessera stricter than SimpleWebAuthn and the source
  'swa-reg-packed-self-es256': {
    tessera: 'malformed_input',
    simplewebauthn: true,
    why: 'id/rawId are the placeholder "aaa" (not canonical base64url, and not the credential ID in authData). SimpleWebAuthn only checks id === rawId; Tessera requires canonical base64url (§5.1: rawId is the credential ID) and a match with authData.',
  },
  'swa-reg-packed-full-yubikey': {
    tessera: 'malformed_input',
    simplewebauthn: true,
    why: 'id/rawId are the placeholder "bbb", as in swa-reg-packed-self-es256.',
  },
  'swa-auth-es256-custom-challenge': {
    tessera: 'malformed_input',
    simplewebauthn: true,
    why: 'userHandle is "internalUserId", which is not canonical base64url (non-zero trailing bits): it does not name one byte string. SimpleWebAuthn does not read userHandle.',
  },
  'swa-auth-es256-counter-replay': {
    tessera: true,
    simplewebauthn: false,
    why: 'signCount 144 with 144 stored. SimpleWebAuthn always throws; Tessera by default reports counterOutcome "regressed" and leaves the decision to the caller (§6.1.1: a regression is a signal of a possible clone, and §7.2 step 22 leaves the response to RP policy); onCounterRegression: "reject" makes it throw.',
  },
};

async function runCorpusCase(c: CorpusCase): Promise<{ tessera: Verdict; swa: Verdict }> {
  const extra = CORPUS.index[c.name]?.extraVerifierOptions ?? {};
  const date = corpusDate(CORPUS, c);
  const anchors = corpusAnchors(CORPUS, c);
  const origins = corpusOrigins(c);

  // Tessera: the same settings, mapped to its options (test/helpers/conformance-corpus.ts), on the same clock.
  const tessera =
    c.ceremony === 'registration'
      ? tesseraVerdict(() =>
          verifyRegistrationResponse(c.response, { ...registrationExpectations(CORPUS, c), now: date }),
        )
      : tesseraVerdict(() =>
          verifyAuthenticationResponse(c.response, { ...authenticationExpectations(CORPUS, c), now: date }),
        );

  // SimpleWebAuthn reads the system clock: fake only Date, so its promises still run.
  setSwaAnchors(anchors);
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(date);
  let swa: Verdict;
  try {
    if (c.ceremony === 'registration') {
      swa = await swaVerdict(() =>
        swaVerifyRegistration({
          response: asSwaRegistration(c.response),
          expectedChallenge: c.challenge,
          expectedOrigin: origins,
          expectedRPID: c.rpId,
          requireUserVerification: c.requireUserVerification,
          supportedAlgorithmIDs: [...(extra.supportedAlgorithmIDs ?? DEFAULT_OFFERED_ALGORITHMS)],
          ...(extra.requireUserPresence === undefined
            ? {}
            : { requireUserPresence: extra.requireUserPresence }),
          ...(extra.attestationSafetyNetEnforceCTSCheck === undefined
            ? {}
            : { attestationSafetyNetEnforceCTSCheck: extra.attestationSafetyNetEnforceCTSCheck }),
        }),
      );
    } else {
      const credential = c.credential;
      if (credential === undefined) throw new Error(`${c.name}: authentication case without a credential`);
      swa = await swaVerdict(() =>
        swaVerifyAuthentication({
          response: asSwaAuthentication(c.response),
          expectedChallenge: c.challenge,
          expectedOrigin: origins,
          expectedRPID: c.rpId,
          requireUserVerification: c.requireUserVerification,
          credential: {
            id: credential.id,
            publicKey: Buffer.from(credential.publicKey, 'base64url'),
            counter: credential.counter,
          },
          ...(extra.expectedTopOrigin === undefined ? {} : { expectedTopOrigin: extra.expectedTopOrigin }),
        }),
      );
    }
  } finally {
    vi.useRealTimers();
  }
  return { tessera, swa };
}

/** Cases where both libraries agree with each other but not with the source test, and why. */
const AGREED_AGAINST_SOURCE: Readonly<Record<string, string>> = {
  'swa-reg-android-safetynet-revoked-gsr1-crosssign':
    'The source expects rejection because a chain certificate is revoked, which only a CRL download shows; both libraries run offline here and accept it.',
};

describe('differential: the shared corpus of real responses', () => {
  it('has the cases the README describes and lists only existing cases as differences', () => {
    expect(CORPUS.cases.length).toBe(154);
    const names = new Set(CORPUS.cases.map((c) => c.name));
    for (const name of Object.keys(CORPUS_DIFFERENCES)) expect(names.has(name), name).toBe(true);
    for (const name of Object.keys(AGREED_AGAINST_SOURCE)) expect(names.has(name), name).toBe(true);
  });

  for (const c of CORPUS.cases) {
    it(c.name, async () => {
      const { tessera, swa } = await runCorpusCase(c);
      const known = CORPUS_DIFFERENCES[c.name];
      checkAgreement(c.name, tessera, swa, known);
      // Guard against a harness that makes both libraries reject (or accept) everything alike:
      // where they agree, they agree with the source's own expectation.
      if (known === undefined && !(c.name in AGREED_AGAINST_SOURCE)) {
        expect(
          tessera.ok,
          `${c.name}: both libraries ${show(tessera)}, the source expects ${c.expect.verified}`,
        ).toBe(c.expect.verified);
      }
    });
  }
});
