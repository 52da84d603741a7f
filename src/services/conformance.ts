/**
 * The FIDO conformance use cases (PRODUCT C13): the four calls of the FIDO Alliance "FIDO2: Server
 * Requirements and Transport Binding Profile", served only with TESSERA_CONFORMANCE=1 so the
 * server can be run against the FIDO conformance tools.
 *
 * They are the portal's ceremonies with the inputs the profile lets the caller choose:
 *
 * - `attestationOptions`: the username names a person, created on the fly (no onboarding pass:
 *   conformance mode only); excludeCredentials lists the person's credentials; the requested
 *   authenticatorSelection and attestation are honoured; every algorithm the core verifies is
 *   offered (the tool's test authenticators use RS1, PS256, ES384, … as well as ES256, EdDSA and
 *   RS256); requested extensions are echoed.
 * - `attestationResult`: the challenge bound to the flow cookie is consumed first (used once,
 *   even when the verification fails); every rule of the core's WebAuthn L3 §7.1 applies, user
 *   verification when the options required it; an attestation that carries a certificate chain
 *   (basic, attCA) must chain to a root of the authenticator's metadata statement (from the
 *   TESSERA_METADATA_DIR folder or the imported BLOB), and a model whose metadata reports any
 *   adverse status (revoked, compromised, UV bypass) is refused; self and none attestation are
 *   accepted as the profile requires. A credential ID already registered, to anyone, is refused.
 * - `assertionOptions`: allowCredentials lists the person's credentials; without a username the
 *   list is empty (discoverable credentials); userVerification and extensions are echoed.
 * - `assertionResult`: the challenge is consumed first; WebAuthn L3 §7.2 by the core, with the
 *   stored key, counter and backup eligibility; a counter that did not increase is refused (FIDO
 *   Assertion Resp-3 F-4), and the stored counter only ever rises (compare-and-set).
 *
 * Where the profile is looser than WebAuthn L3 the core's rule wins: an assertion with UP = 0 is
 * refused (L3 §7.2 step 16) although the FIDO tool's Assertion Resp-3 P-4 expects it accepted.
 *
 * Conformance challenges are stored like the portal's (per flow cookie and purpose) and marked
 * with `kind` = "conformance:<userVerification>", so a challenge of one API is never accepted by
 * the other.
 */
import { Buffer } from 'node:buffer';
import { Kysely } from 'kysely';
import { verifyAuthenticationResponse } from '../core/authentication.js';
import { fromBase64url } from '../core/base64url.js';
import { WebAuthnError } from '../core/errors.js';
import {
  type AuthenticationExtensionsClientInputsJSON,
  type CredentialDescriptorInput,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  MAX_CREDENTIAL_DESCRIPTORS,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type ResidentKeyRequirement,
  type UserVerificationRequirement,
} from '../core/options.js';
import { verifyRegistrationResponse } from '../core/registration.js';
import {
  type ChallengePurpose,
  type ChallengeRecord,
  consumeChallenge,
  putChallenge,
} from '../store/challenges.js';
import {
  credentialDescriptors,
  findCredential,
  insertCredential,
  raiseCounter,
  recordUse,
} from '../store/credentials.js';
import { findPersonById, findPersonByUsername, insertPerson, type PersonRecord } from '../store/people.js';
import type { Schema } from '../store/schema.js';
import {
  ADVERSE_STATUSES,
  type AdverseStatus,
  assessCredential,
  type StatusAction,
} from '../trust/assessment.js';
import { factsOf } from './context.js';
import type { CallContext } from './contract.js';
import { credentialRecord, defaultName } from './enrolment.js';
import { ServiceError } from './errors.js';
import type { ServiceDeps } from './index.js';
import { newUserHandle, randomToken, secretHash } from './secrets.js';
import { normalizeName, requireUsername } from './validation.js';

// ---------------------------------------------------------------------------------------------
// Inputs and outputs (the profile's ServerPublicKeyCredential*Options* dictionaries)
// ---------------------------------------------------------------------------------------------

export interface ConformanceAttestationOptionsInput {
  readonly username: string;
  readonly displayName: string;
  readonly authenticatorSelection?: {
    readonly authenticatorAttachment?: 'platform' | 'cross-platform';
    readonly requireResidentKey?: boolean;
    readonly residentKey?: ResidentKeyRequirement;
    readonly userVerification?: UserVerificationRequirement;
  };
  readonly attestation?: 'none' | 'indirect' | 'direct' | 'enterprise';
  readonly extensions?: Readonly<Record<string, unknown>>;
}

export interface ConformanceAssertionOptionsInput {
  readonly username?: string;
  readonly userVerification?: UserVerificationRequirement;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** Creation options, with the requested extensions echoed (any name, as the profile's tests send). */
export type ConformanceCreationOptions = Omit<PublicKeyCredentialCreationOptionsJSON, 'extensions'> & {
  readonly extensions: Readonly<Record<string, unknown>>;
};

export type ConformanceRequestOptions = Omit<PublicKeyCredentialRequestOptionsJSON, 'extensions'> & {
  readonly extensions?: Readonly<Record<string, unknown>> | AuthenticationExtensionsClientInputsJSON;
};

export interface ConformanceServices {
  attestationOptions(
    input: ConformanceAttestationOptionsInput,
    ctx: CallContext,
  ): Promise<ConformanceCreationOptions>;
  /** Throws a core `WebAuthnError` or a `ServiceError` when the credential is not registered. */
  attestationResult(credential: Readonly<Record<string, unknown>>, ctx: CallContext): Promise<void>;
  assertionOptions(
    input: ConformanceAssertionOptionsInput,
    ctx: CallContext,
  ): Promise<ConformanceRequestOptions>;
  /** Throws a core `WebAuthnError` or a `ServiceError` when the assertion is not accepted. */
  assertionResult(credential: Readonly<Record<string, unknown>>, ctx: CallContext): Promise<void>;
}

// ---------------------------------------------------------------------------------------------

/**
 * Every algorithm the core verifies, most common first: ES256, EdDSA, RS256, then ES384, ES512,
 * Ed25519, Ed448, PS256/384/512, RS384/512, ML-DSA-44/65/87 and RS1 (FIDO Resp-4 requires RS1).
 */
export const CONFORMANCE_ALGORITHMS: readonly number[] = [
  -7, -8, -257, -35, -36, -19, -53, -37, -38, -39, -258, -259, -48, -49, -50, -65535,
];

/** Every adverse metadata status refuses the credential (FIDO MDS tests F-2). */
const REFUSE_ALL: Readonly<Record<AdverseStatus, StatusAction>> = Object.fromEntries(
  ADVERSE_STATUSES.map((status) => [status, 'refuse']),
) as Record<AdverseStatus, StatusAction>;

const KIND_PREFIX = 'conformance:';
const USER_VERIFICATION: readonly UserVerificationRequirement[] = ['required', 'preferred', 'discouraged'];

function challengeKind(uv: UserVerificationRequirement): string {
  return `${KIND_PREFIX}${uv}`;
}

/** The user verification the options asked for, or null when the challenge is not a conformance one. */
function requestedUserVerification(challenge: ChallengeRecord): UserVerificationRequirement | null {
  if (challenge.kind === null || !challenge.kind.startsWith(KIND_PREFIX)) return null;
  const uv = challenge.kind.slice(KIND_PREFIX.length);
  return USER_VERIFICATION.find((v) => v === uv) ?? null;
}

/**
 * The profile's ServerPublicKeyCredential has no `rawId` and may name the extension results
 * `getClientExtensionResults`; give the core the L3 toJSON() shape. An empty userHandle is what
 * an authenticator without one sends: it is left out.
 */
function asCredentialJson(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  if (out.rawId === undefined) out.rawId = out.id;
  if (out.clientExtensionResults === undefined) {
    const alt = out.getClientExtensionResults;
    out.clientExtensionResults = typeof alt === 'object' && alt !== null && !Array.isArray(alt) ? alt : {};
  }
  delete out.getClientExtensionResults;
  const response = out.response;
  if (typeof response === 'object' && response !== null && !Array.isArray(response)) {
    const r: Record<string, unknown> = { ...response };
    if (r.userHandle === '' || r.userHandle === null) delete r.userHandle;
    out.response = r;
  }
  return out;
}

function extensionsOf(value: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  return value === undefined ? {} : { ...value };
}

export function createConformanceServices(deps: ServiceDeps): ConformanceServices {
  const db: Kysely<Schema> = deps.db instanceof Kysely ? deps.db : deps.db.db;
  const { config } = deps;
  const snapshot = async () => deps.metadata();

  const take = async (ctx: CallContext, purpose: ChallengePurpose) => {
    const taken = await consumeChallenge(db, secretHash(ctx.flowId), purpose, ctx.now.getTime());
    if (taken.status === 'missing') throw new ServiceError('challenge_missing');
    if (taken.status === 'expired') throw new ServiceError('challenge_expired');
    const uv = requestedUserVerification(taken.challenge);
    if (uv === null)
      throw new ServiceError('challenge_missing', 'the challenge was not issued by the conformance API');
    return { challenge: taken.challenge, uv };
  };

  const store = async (
    ctx: CallContext,
    purpose: ChallengePurpose,
    challenge: Uint8Array,
    person: PersonRecord | null,
    uv: UserVerificationRequirement,
  ): Promise<void> => {
    const now = ctx.now.getTime();
    await putChallenge(db, {
      flowHash: secretHash(ctx.flowId),
      purpose,
      challenge: Buffer.from(challenge),
      personId: person?.id ?? null,
      sessionHash: null,
      passHash: null,
      kind: challengeKind(uv),
      identified: person !== null,
      createdAt: now,
      expiresAt: now + config.challengeTimeoutMs,
    });
  };

  /** The person with this username, created when new (conformance mode only). */
  const personFor = async (username: string, displayName: string, now: Date): Promise<PersonRecord> => {
    const existing = await findPersonByUsername(db, username);
    if (existing !== null) return existing;
    const person: PersonRecord = {
      id: randomToken(16),
      username,
      displayName: normalizeName(displayName) ?? username,
      userHandle: newUserHandle(),
      createdAt: now.getTime(),
    };
    if ((await insertPerson(db, person)) === 'ok') return person;
    // Created by a concurrent call in between.
    const raced = await findPersonByUsername(db, username);
    if (raced === null) throw new ServiceError('username_taken');
    return raced;
  };

  const descriptors = async (person: PersonRecord): Promise<CredentialDescriptorInput[]> =>
    (await credentialDescriptors(db, person.id))
      .slice(-MAX_CREDENTIAL_DESCRIPTORS)
      .map((d) => ({ id: d.id, transports: d.transports }));

  return {
    async attestationOptions(input, ctx) {
      const username = requireUsername(input.username);
      const person = await personFor(username, input.displayName, ctx.now);
      const selection = input.authenticatorSelection ?? {};
      const residentKey: ResidentKeyRequirement =
        selection.residentKey ?? (selection.requireResidentKey === true ? 'required' : 'preferred');
      const userVerification = selection.userVerification ?? 'preferred';
      const { options, challenge } = generateRegistrationOptions({
        rp: { id: config.rpId, name: config.rpName },
        // The name as the caller wrote it (display only); the person is found by its normal form.
        user: { id: person.userHandle, name: input.username, displayName: input.displayName },
        algorithms: CONFORMANCE_ALGORITHMS,
        timeout: config.challengeTimeoutMs,
        excludeCredentials: await descriptors(person),
        authenticatorSelection: {
          ...(selection.authenticatorAttachment === undefined
            ? {}
            : { authenticatorAttachment: selection.authenticatorAttachment }),
          residentKey,
          userVerification,
        },
        attestation: input.attestation ?? 'none',
      });
      await store(ctx, 'registration', challenge, person, userVerification);
      return { ...options, extensions: { ...options.extensions, ...extensionsOf(input.extensions) } };
    },

    async attestationResult(body, ctx) {
      const { challenge, uv } = await take(ctx, 'registration');
      const person = challenge.personId === null ? null : await findPersonById(db, challenge.personId);
      if (person === null) throw new ServiceError('challenge_missing', 'the person of the challenge is gone');
      const evidence = verifyRegistrationResponse(asCredentialJson(body), {
        challenge: challenge.challenge,
        origins: config.origins,
        rpId: config.rpId,
        requireUserVerification: uv === 'required',
        allowedAlgorithms: CONFORMANCE_ALGORITHMS,
        now: ctx.now,
      });
      const assessment = assessCredential(
        { ...evidence, registeredAt: ctx.now },
        { snapshot: await snapshot(), statusPolicy: REFUSE_ALL },
      );
      if (assessment.refused) {
        throw new ServiceError(
          'credential_refused',
          `${evidence.aaguid}: ${assessment.attestation.status ?? 'refused'}`,
        );
      }
      // A certificate chain must reach a root its metadata lists (self and none carry no chain).
      if (evidence.attestation.trustPath.length > 0 && assessment.attestation.trust !== 'trusted') {
        throw new WebAuthnError(
          'attestation_untrusted',
          `${evidence.fmt} ${evidence.aaguid}: attestation ${assessment.attestation.trust}`,
        );
      }
      const record = credentialRecord({
        evidence,
        assessment,
        personId: person.id,
        name: defaultName(assessment, null),
        now: ctx.now.getTime(),
      });
      if ((await insertCredential(db, record)) === 'duplicate')
        throw new ServiceError('credential_already_registered');
    },

    async assertionOptions(input, ctx) {
      const userVerification = input.userVerification ?? 'preferred';
      let person: PersonRecord | null = null;
      if (input.username !== undefined && input.username !== '') {
        person = await findPersonByUsername(db, requireUsername(input.username));
        if (person === null) throw new ServiceError('person_not_found');
      }
      const { options, challenge } = generateAuthenticationOptions({
        rpId: config.rpId,
        allowCredentials: person === null ? [] : await descriptors(person),
        userVerification,
        timeout: config.challengeTimeoutMs,
      });
      await store(ctx, 'authentication', challenge, person, userVerification);
      return input.extensions === undefined
        ? options
        : { ...options, extensions: extensionsOf(input.extensions) };
    },

    async assertionResult(body, ctx) {
      const { challenge, uv } = await take(ctx, 'authentication');
      const json = asCredentialJson(body);
      const credentialId = fromBase64url(json.rawId, 'rawId', 1023);
      const credential = await findCredential(db, credentialId);
      if (credential === null) throw new ServiceError('authentication_failed', 'unknown credential');
      // WebAuthn L3 §7.2 step 5: with allowCredentials, only the person's credentials.
      if (challenge.identified && challenge.personId !== credential.personId) {
        throw new WebAuthnError('credential_not_allowed', 'the credential is not one the options allowed');
      }
      const person = await findPersonById(db, credential.personId);
      if (person === null) throw new ServiceError('authentication_failed', 'the credential has no owner');
      const evidence = verifyAuthenticationResponse(json, {
        challenge: challenge.challenge,
        origins: config.origins,
        rpId: config.rpId,
        requireUserVerification: uv === 'required',
        now: ctx.now,
        credential: {
          id: credential.id,
          publicKey: credential.publicKey,
          counter: credential.counter,
          backupEligible: credential.backupEligible,
        },
        userHandle: person.userHandle,
        requireUserHandle: !challenge.identified,
        onCounterRegression: 'reject',
      });
      const assessment = assessCredential(factsOf(credential), {
        snapshot: await snapshot(),
        statusPolicy: REFUSE_ALL,
      });
      if (assessment.refused)
        throw new ServiceError('credential_refused', assessment.attestation.status ?? 'refused');
      const use = { backupState: evidence.flags.bs, now: ctx.now.getTime() };
      if (evidence.counterOutcome === 'increased') {
        // Compare-and-set: a concurrent assertion that raised it first makes this one a regression.
        if (!(await raiseCounter(db, credential.id, { ...use, counter: evidence.counter }))) {
          throw new WebAuthnError(
            'counter_regression',
            'the counter was overtaken by a concurrent assertion',
          );
        }
      } else {
        await recordUse(db, credential.id, use);
      }
    },
  };
}
