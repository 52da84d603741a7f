/**
 * Sign-in (WebAuthn L3 §7.2).
 *
 * options: with a username, allowCredentials lists that person's credentials; for a username
 * that does not exist (or has no credential) the list is made up, deterministically from an HMAC
 * of the username under a server key kept in the database, so the answer has the same shape and
 * does not change between requests, and cannot be told apart from a real one (L3 §14.6.2
 * "Username Enumeration"). Without a username the list is empty (discoverable credentials,
 * conditional mediation). User verification is required: a sign-in must be multi-factor to reach
 * AAL2 (SP 800-63B-4 §2.2.2).
 *
 * finish: 1. the challenge for this flow is consumed on its own, first, so a failed verification
 * still burns it and of concurrent attempts exactly one proceeds; 2. the credential is found by
 * its ID and verified by the core (pure) with the stored key, counter and BE; 3. it is assessed
 * against the current metadata (trust); 4. one transaction raises the counter, creates the
 * session and records the sign-in. An unknown credential and every verification failure give the
 * same `authentication_failed` (the detail, for the log, says which).
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { fromBase64url } from '../core/base64url.js';
import { isWebAuthnError } from '../core/errors.js';
import {
  type AuthenticationEvidence,
  type AuthenticatorTransport,
  type CredentialDescriptorInput,
  generateAuthenticationOptions,
  MAX_CREDENTIAL_DESCRIPTORS,
  verifyAuthenticationResponse,
} from '../core/index.js';
import { consumeChallenge, putChallenge } from '../store/challenges.js';
import {
  type CredentialRecord,
  credentialDescriptors,
  findCredential,
  raiseCounter,
  recordUse,
} from '../store/credentials.js';
import { findPersonById, findPersonByUsername, type PersonRecord } from '../store/people.js';
import { insertSignIn } from '../store/sign-ins.js';
import { assessSignIn, type CredentialAssessment } from '../trust/assessment.js';
import { assess, type ServiceContext } from './context.js';
import type { CallContext, IssuedSession, TesseraServices, Warned } from './contract.js';
import { ServiceError } from './errors.js';
import { judgeSignIn, recordDecision, signInOutcome, withWarnings } from './policy.js';
import { randomToken, secretHash } from './secrets.js';
import { amrFor, newSession, startSession } from './sessions.js';
import { normalizeUsername } from './validation.js';
import { sessionView } from './views.js';

/** Signal codes recorded on sign-ins. */
export const SIGNALS = {
  /** The signature counter did not increase (WebAuthn L3 §6.1.1): a cloned authenticator, or a race. */
  counterRegression: 'counter_regression',
  /** Metadata status reports made the credential's model unacceptable. */
  credentialRefused: 'credential_refused',
  /** The assurance policy denied the sign-in (docs/policy.md). */
  policyDenied: 'policy_denied',
} as const;

// ---------------------------------------------------------------------------------------------
// Plausible allowCredentials for unknown usernames
// ---------------------------------------------------------------------------------------------

/** Credential ID lengths seen in practice (platform passkeys 16-32 bytes, security keys 48-64+). */
const FAKE_ID_LENGTHS = [16, 20, 32, 32, 48, 64, 64, 64] as const;
const FAKE_TRANSPORTS: readonly (readonly AuthenticatorTransport[])[] = [
  ['hybrid', 'internal'],
  ['internal'],
  ['usb'],
  ['nfc', 'usb'],
  ['hybrid', 'internal'],
  ['nfc', 'usb'],
];

export function fakeAllowCredentials(key: Uint8Array, username: string): CredentialDescriptorInput[] {
  const seed = createHmac('sha256', key)
    .update('tessera allowCredentials\0')
    .update(username, 'utf8')
    .digest();
  // Most people have one credential; about a quarter have two.
  const count = (seed[0] ?? 0) < 64 ? 2 : 1;
  const out: CredentialDescriptorInput[] = [];
  for (let i = 0; i < count; i++) {
    const length = FAKE_ID_LENGTHS[(seed[1 + 2 * i] ?? 0) % FAKE_ID_LENGTHS.length] ?? 32;
    const transports = FAKE_TRANSPORTS[(seed[2 + 2 * i] ?? 0) % FAKE_TRANSPORTS.length] ?? ['internal'];
    const id = new Uint8Array(hkdfSync('sha256', seed, new Uint8Array(0), `credential ${i}`, length));
    out.push({ id, transports });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

function failed(detail: string, cause?: unknown): ServiceError {
  return new ServiceError('authentication_failed', detail, cause === undefined ? undefined : { cause });
}

/** The credential ID the response names (its `rawId`), before anything is verified. */
function credentialIdOf(response: unknown): Buffer {
  if (typeof response !== 'object' || response === null || Array.isArray(response))
    throw failed('the response is not an object');
  try {
    return fromBase64url((response as Record<string, unknown>).rawId, 'rawId', 1023);
  } catch (error) {
    if (isWebAuthnError(error)) throw failed(`${error.code}: ${error.detail ?? error.message}`, error);
    throw error;
  }
}

class RegressionRefused extends Error {}

interface Refusal {
  readonly credential: CredentialRecord;
  readonly evidence: AuthenticationEvidence;
  readonly assessment: CredentialAssessment;
  readonly signal: string;
}

async function recordRefusal(sc: ServiceContext, r: Refusal, ctx: CallContext): Promise<void> {
  await insertSignIn(sc.db, {
    id: randomToken(16),
    personId: r.credential.personId,
    credentialId: r.credential.id,
    at: ctx.now.getTime(),
    outcome: 'refused',
    aal: null,
    userVerified: r.evidence.flags.uv,
    signals: [r.signal],
    ip: ctx.ip,
    userAgent: ctx.userAgent,
  });
}

export function signInService(sc: ServiceContext): TesseraServices['signIn'] {
  const { config } = sc;

  return {
    async options(input, ctx) {
      const now = ctx.now.getTime();
      let personId: string | null = null;
      let allowCredentials: CredentialDescriptorInput[] = [];
      const identified = input.username !== undefined;
      if (input.username !== undefined) {
        const username = normalizeUsername(input.username);
        const person = username === null ? null : await findPersonByUsername(sc.db, username);
        if (person !== null) {
          personId = person.id;
          allowCredentials = (await credentialDescriptors(sc.db, person.id))
            .slice(-MAX_CREDENTIAL_DESCRIPTORS)
            .map((d) => ({ id: d.id, transports: d.transports }));
        }
        if (allowCredentials.length === 0)
          allowCredentials = fakeAllowCredentials(
            await sc.allowCredentialsKey(),
            username ?? String(input.username),
          );
      }
      const { options, challenge } = generateAuthenticationOptions({
        rpId: config.rpId,
        allowCredentials,
        userVerification: 'required',
        timeout: config.challengeTimeoutMs,
      });
      await putChallenge(sc.db, {
        flowHash: secretHash(ctx.flowId),
        purpose: 'authentication',
        challenge: Buffer.from(challenge),
        personId,
        sessionHash: null,
        passHash: null,
        kind: null,
        identified,
        createdAt: now,
        expiresAt: now + config.challengeTimeoutMs,
      });
      return options;
    },

    async finish(input, ctx): Promise<Warned<IssuedSession>> {
      const now = ctx.now.getTime();
      // 1. The challenge, on its own: whatever happens next, it cannot be used again.
      const taken = await consumeChallenge(sc.db, secretHash(ctx.flowId), 'authentication', now);
      if (taken.status === 'missing') throw new ServiceError('challenge_missing');
      if (taken.status === 'expired') throw new ServiceError('challenge_expired');
      const challenge = taken.challenge;

      // 2. The credential by ID (primary key), its owner, and the core's verification.
      const credentialId = credentialIdOf(input.response);
      const credential = await findCredential(sc.db, credentialId);
      if (credential === null) throw failed(`unknown credential ${credentialId.toString('base64url')}`);
      // §7.2 step 5: with allowCredentials, the credential must be one of the person's.
      if (challenge.identified && challenge.personId !== credential.personId)
        throw failed('credential_not_allowed: the credential is not one the options allowed');
      const person: PersonRecord | null = await findPersonById(sc.db, credential.personId);
      if (person === null) throw failed('the credential has no owner');
      let evidence: AuthenticationEvidence;
      try {
        evidence = verifyAuthenticationResponse(input.response, {
          challenge: challenge.challenge,
          origins: config.origins,
          rpId: config.rpId,
          requireUserVerification: true,
          now: ctx.now,
          credential: {
            id: credential.id,
            publicKey: credential.publicKey,
            counter: credential.counter,
            // §7.2 step 19: BE is fixed at registration.
            backupEligible: credential.backupEligible,
          },
          // §7.2 step 6: the user handle, when given, must name the owner; without a username the
          // response must carry one.
          userHandle: person.userHandle,
          requireUserHandle: !challenge.identified,
          onCounterRegression: 'report',
        });
      } catch (error) {
        if (isWebAuthnError(error)) throw failed(`${error.code}: ${error.detail ?? error.message}`, error);
        throw error;
      }

      // 3. What the credential is worth today, and this sign-in's level.
      const assessment = assess(credential, await sc.snapshot());
      const level = assessSignIn(assessment, { uv: evidence.flags.uv });
      // The assurance policy, when one is applied: this sign-in's level, and whether the credential
      // (assessed now: a model revoked or denied since enrolment) is still allowed.
      const verdict = await judgeSignIn(sc, person.id, assessment, credential.aaguid, level, ctx.now);
      // The event log: a deny, a warn, or what monitor phase let through, before anything else can
      // end the request, so a refusal is logged as surely as an allowed sign-in.
      if (verdict.decision !== null && verdict.version !== null)
        await recordDecision(
          sc,
          verdict.decision,
          { personId: person.id, credentialId: credential.id, version: verdict.version },
          ctx.now,
        );
      if (verdict.decision?.effect === 'deny')
        await recordRefusal(sc, { credential, evidence, assessment, signal: SIGNALS.policyDenied }, ctx);
      // policy_denied with the reasons on deny, else the warnings (none without a policy).
      const warnings = signInOutcome(verdict);
      if (level.refused || level.aal === null) {
        await recordRefusal(sc, { credential, evidence, assessment, signal: SIGNALS.credentialRefused }, ctx);
        throw new ServiceError('credential_refused', `${assessment.attestation.status ?? 'refused'}`);
      }
      const aal = level.aal;
      const refuseRegression = config.counterRegression[assessment.class] === 'refuse';
      const refusal: Refusal = { credential, evidence, assessment, signal: SIGNALS.counterRegression };
      if (evidence.counterOutcome === 'regressed' && refuseRegression) {
        await recordRefusal(sc, refusal, ctx);
        throw failed(`counter_regression: stored ${credential.counter}, received ${evidence.counter}`);
      }

      // 4. One transaction for every write.
      const issued = newSession({
        personId: person.id,
        credentialId: credential.id,
        aal,
        amr: amrFor(assessment, evidence.flags.uv),
        now,
        limits: verdict.limits,
      });
      try {
        await sc.db.transaction().execute(async (trx) => {
          let regressed = evidence.counterOutcome === 'regressed';
          const use = { backupState: evidence.flags.bs, now };
          if (evidence.counterOutcome === 'increased') {
            // Compare-and-set: raised only if still below; else another sign-in got there first.
            if (!(await raiseCounter(trx, credential.id, { ...use, counter: evidence.counter }))) {
              regressed = true;
              if (refuseRegression) throw new RegressionRefused();
              await recordUse(trx, credential.id, use);
            }
          } else {
            await recordUse(trx, credential.id, use);
          }
          // A sign-in replaces the session the browser had (no session fixation).
          const signals = regressed ? [SIGNALS.counterRegression] : [];
          await startSession(trx, issued.record, { userVerified: evidence.flags.uv, signals }, ctx);
        });
      } catch (error) {
        if (!(error instanceof RegressionRefused)) throw error;
        await recordRefusal(sc, refusal, ctx);
        throw failed(`counter_regression: counter ${evidence.counter} was overtaken by a concurrent sign-in`);
      }
      return {
        sessionId: issued.sessionId,
        session: sessionView(issued.record, person),
        ...withWarnings(warnings),
      };
    },
  };
}
