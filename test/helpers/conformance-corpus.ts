/**
 * Read-only access to the shared conformance corpus (real registration and authentication
 * responses, trust anchors and per-case verification settings; see its README): the cases, the
 * roots/index.json entry of each, and the PEM anchors, plus the Tessera expectations a case calls
 * for. The corpus is kept in test/corpus (a copy of the shared corpus, data only).
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAuthenticatorData } from '../../src/core/authenticator-data.js';
import { type CborMap, type CborValue, decodeCbor, isCborMap } from '../../src/core/cbor.js';
import { importCredentialPublicKey } from '../../src/core/cose/index.js';
import type {
  AttestationContext,
  AttestationPolicy,
  AuthenticationExpectations,
  AuthenticatorData,
  RegistrationExpectations,
} from '../../src/core/types.js';

export interface CorpusCase {
  readonly name: string;
  readonly ceremony: 'registration' | 'authentication';
  readonly rpId: string;
  readonly origin: string | readonly string[];
  readonly challenge: string;
  /** PublicKeyCredential JSON exactly as the corpus has it. */
  readonly response: unknown;
  readonly credential?: { readonly id: string; readonly publicKey: string; readonly counter: number };
  readonly requireUserVerification: boolean;
  readonly expect: { readonly verified: boolean };
}

/** One roots/index.json entry (only the members the tests read). */
export interface CorpusIndexEntry {
  readonly fmt?: string | null;
  readonly verificationDate?: string | null;
  readonly trustAnchorsUsedBySourceOrHarness?: Readonly<Record<string, readonly string[]>> | null;
  /** SimpleWebAuthn option names. */
  readonly extraVerifierOptions?: {
    readonly supportedAlgorithmIDs?: readonly number[];
    readonly attestationSafetyNetEnforceCTSCheck?: boolean;
    readonly requireUserPresence?: boolean;
    readonly expectedTopOrigin?: string;
  } | null;
  /** Roots in roots/ that the attestation chain reaches (whether or not the source configured them). */
  readonly chainsToRoot?: readonly string[] | null;
}

/**
 * Embedding that the W3C vectors describe in prose (the case shape has no member for it): the
 * crossOrigin vectors were made in a cross-origin iframe without a topOrigin member, and the
 * topOrigin vectors were embedded by https://example.com.
 */
const EMBEDDING: Readonly<
  Record<string, { readonly allowCrossOrigin?: boolean; readonly topOrigins?: readonly string[] }>
> = {
  'w3c-reg-none-es256-crossOrigin': { allowCrossOrigin: true },
  'w3c-auth-none-es256-crossOrigin': { allowCrossOrigin: true },
  'w3c-reg-none-es256-topOrigin': { topOrigins: ['https://example.com'] },
};

export function findCorpus(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../corpus');
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

export interface Corpus {
  readonly dir: string;
  readonly cases: readonly CorpusCase[];
  readonly index: Readonly<Record<string, CorpusIndexEntry>>;
  /** PEM text of a file in roots/. */
  pem(file: string): string;
}

let cached: Corpus | undefined;

export function loadCorpus(): Corpus {
  if (cached !== undefined) return cached;
  const dir = findCorpus();
  const cases = readdirSync(join(dir, 'vectors'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => readJson(join(dir, 'vectors', f)) as CorpusCase[]);
  const index = readJson(join(dir, 'roots/index.json')) as Readonly<Record<string, CorpusIndexEntry>>;
  cached = { dir, cases, index, pem: (file) => readFileSync(join(dir, 'roots', file), 'utf8') };
  return cached;
}

/** SimpleWebAuthn's default supportedAlgorithmIDs, used when a case names no other list. */
export const DEFAULT_OFFERED_ALGORITHMS: readonly number[] = [-8, -7, -257];

/** When the corpus was collected: cases valid "any / today" are checked then, so results never drift. */
export const CORPUS_DATE = new Date('2026-11-24T00:00:00Z');

/** The case's verification clock: its verification date, else the corpus date. */
export function corpusDate(corpus: Corpus, c: CorpusCase): Date {
  const date = corpus.index[c.name]?.verificationDate;
  return date ? new Date(date) : CORPUS_DATE;
}

/** Trust anchors (PEM text) per attestation format, as the source or the corpus harness set them. */
export function corpusAnchors(corpus: Corpus, c: CorpusCase): Record<string, string[]> {
  const configured = corpus.index[c.name]?.trustAnchorsUsedBySourceOrHarness ?? {};
  return Object.fromEntries(Object.entries(configured).map(([fmt, files]) => [fmt, files.map(corpus.pem)]));
}

export const corpusOrigins = (c: CorpusCase): string[] =>
  typeof c.origin === 'string' ? [c.origin] : [...c.origin];

/** Tessera expectations for a registration case, mapped from the corpus' settings. */
export function registrationExpectations(corpus: Corpus, c: CorpusCase): RegistrationExpectations {
  const extra = corpus.index[c.name]?.extraVerifierOptions ?? {};
  return {
    challenge: c.challenge,
    origins: corpusOrigins(c),
    rpId: c.rpId,
    requireUserVerification: c.requireUserVerification,
    now: corpusDate(corpus, c),
    allowedAlgorithms: extra.supportedAlgorithmIDs ?? DEFAULT_OFFERED_ALGORITHMS,
    trustAnchors: corpusAnchors(corpus, c),
    ...(extra.requireUserPresence === undefined ? {} : { requireUserPresence: extra.requireUserPresence }),
    ...(extra.attestationSafetyNetEnforceCTSCheck === undefined
      ? {}
      : {
          attestationPolicy: { safetyNetRequireCtsProfileMatch: extra.attestationSafetyNetEnforceCTSCheck },
        }),
    ...EMBEDDING[c.name],
  };
}

/** Tessera expectations for an authentication case (the stored credential comes with the case). */
export function authenticationExpectations(corpus: Corpus, c: CorpusCase): AuthenticationExpectations {
  const extra = corpus.index[c.name]?.extraVerifierOptions ?? {};
  const credential = c.credential;
  if (credential === undefined) throw new Error(`${c.name}: authentication case without a credential`);
  return {
    challenge: c.challenge,
    origins: corpusOrigins(c),
    rpId: c.rpId,
    requireUserVerification: c.requireUserVerification,
    now: corpusDate(corpus, c),
    credential: {
      id: Buffer.from(credential.id, 'base64url'),
      publicKey: Buffer.from(credential.publicKey, 'base64url'),
      counter: credential.counter,
    },
    ...(extra.expectedTopOrigin === undefined ? {} : { topOrigins: [extra.expectedTopOrigin] }),
    ...EMBEDDING[c.name],
  };
}

// ---------------------------------------------------------------------------------------------
// Attestation statements of one format, ready for a format verifier
// ---------------------------------------------------------------------------------------------

/** The attestation policy the corpus sources use (SafetyNet CTS check per case). */
export const CORPUS_ATTESTATION_POLICY: AttestationPolicy = {
  safetyNetRequireCtsProfileMatch: true,
  safetyNetMaxAgeMs: 60_000,
  androidKeyRequireTee: false,
};

export interface AttestationCase {
  readonly name: string;
  readonly verified: boolean;
  readonly attStmt: CborMap;
  readonly authData: AuthenticatorData;
  readonly clientDataHash: Buffer;
  /** Anchor files the source configured for this format. */
  readonly anchorFiles: readonly string[];
  /** Roots in roots/ the chain reaches. */
  readonly chainsToRoot: readonly string[];
  readonly now: Date;
  readonly policy: AttestationPolicy;
}

/** Every registration case of the corpus whose attestation object decodes and has this `fmt`. */
export function attestationCases(fmt: string, corpus: Corpus = loadCorpus()): AttestationCase[] {
  const out: AttestationCase[] = [];
  for (const c of corpus.cases) {
    const response = c.response as { response?: { clientDataJSON?: string; attestationObject?: string } };
    const ao = response.response?.attestationObject;
    if (c.ceremony !== 'registration' || !ao) continue;
    let obj: CborValue;
    try {
      obj = decodeCbor(Buffer.from(ao, 'base64url'));
    } catch {
      continue; // the undecodable negative case belongs to the ceremony suites
    }
    if (!isCborMap(obj) || obj.get('fmt') !== fmt) continue;
    const attStmt = obj.get('attStmt');
    const authData = obj.get('authData');
    if (!isCborMap(attStmt) || !(authData instanceof Uint8Array)) throw new Error(`${c.name}: bad shape`);
    const entry = corpus.index[c.name] ?? {};
    const extra = entry.extraVerifierOptions ?? {};
    out.push({
      name: c.name,
      verified: c.expect.verified,
      attStmt,
      authData: parseAuthenticatorData(authData),
      clientDataHash: createHash('sha256')
        .update(Buffer.from(response.response?.clientDataJSON ?? '', 'base64url'))
        .digest(),
      anchorFiles: entry.trustAnchorsUsedBySourceOrHarness?.[fmt] ?? [],
      chainsToRoot: entry.chainsToRoot ?? [],
      now: corpusDate(corpus, c),
      policy: {
        ...CORPUS_ATTESTATION_POLICY,
        safetyNetRequireCtsProfileMatch: extra.attestationSafetyNetEnforceCTSCheck !== false,
      },
    });
  }
  return out;
}

/** The verifier context for a case, with its anchors and date; `overrides` replace members. */
export function attestationContext(
  c: AttestationCase,
  overrides: Partial<AttestationContext> = {},
  corpus: Corpus = loadCorpus(),
): AttestationContext {
  const acd = c.authData.attestedCredentialData;
  if (!acd) throw new Error(`${c.name}: no attested credential data`);
  return {
    authData: c.authData,
    clientDataHash: c.clientDataHash,
    credentialPublicKey: importCredentialPublicKey(acd.credentialPublicKey),
    trustAnchors: c.anchorFiles.map(corpus.pem),
    now: c.now,
    policy: c.policy,
    ...overrides,
  };
}
