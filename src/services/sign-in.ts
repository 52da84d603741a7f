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
 * its ID, its owner's consecutive failed sign-ins are counted (SP 800-63B-4 §3.2.2: past the
 * limit, only a known address or the end of a wait lets an attempt be verified), and it is
 * verified by the core (pure) with the stored key, counter and BE; a verification that fails is
 * recorded as a failed sign-in; 3. it is assessed against the current metadata (trust); 4. one
 * transaction raises the counter, creates the session and records the sign-in. An unknown
 * credential, every verification failure and an attempt refused for too many failures give the
 * same `authentication_failed` (the detail, for the log, says which).
 */
import { createHmac, hkdfSync } from 'node:crypto';
import {
  FAILURE_WAIT_DOUBLING_EVERY,
  FAILURE_WAIT_INITIAL_MS,
  FAILURE_WAIT_MAX_MS,
  MAX_CONSECUTIVE_FAILURES,
} from '../config/index.js';
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
import {
  failuresSinceSuccess,
  hasSucceededFrom,
  insertSignIn,
  type SignInOutcome,
} from '../store/sign-ins.js';
import { assessSignIn } from '../trust/assessment.js';
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
  /**
   * A failed sign-in: the assertion for one of the person's credentials did not verify (signature,
   * origin, user verification, user handle…). Counted against SP 800-63B-4 §3.2.2's limit.
   */
  verificationFailed: 'verification_failed',
  /**
   * Refused without being verified: too many consecutive failures (SP 800-63B-4 §3.2.2), from an
   * address the person has never signed in from, before the wait since the last failure ended.
   * Not a failure itself: it neither counts nor restarts the wait.
   */
  tooManyFailures: 'too_many_failures',
} as const;

// ---------------------------------------------------------------------------------------------
// Consecutive failed sign-ins (SP 800-63B-4 §3.2.2; the figures and why: config/defaults.ts)
// ---------------------------------------------------------------------------------------------

/**
 * How long attempts from an unknown address wait after the last failure, given the consecutive
 * failures: 0 below the limit, then 30 s, doubled for every 10 further failures (60 s at 110,
 * 120 s at 120…), at most an hour (from 170 on).
 */
export function failedSignInWaitMs(failures: number): number {
  if (failures < MAX_CONSECUTIVE_FAILURES) return 0;
  const doublings = Math.floor((failures - MAX_CONSECUTIVE_FAILURES) / FAILURE_WAIT_DOUBLING_EVERY);
  return Math.min(FAILURE_WAIT_INITIAL_MS * 2 ** doublings, FAILURE_WAIT_MAX_MS);
}

/**
 * The count from which the wait is at its cap (170): past it nothing changes, so the failures are
 * read up to this many rows and no further.
 */
export const FAILURE_COUNT_CEILING =
  MAX_CONSECUTIVE_FAILURES +
  FAILURE_WAIT_DOUBLING_EVERY * Math.ceil(Math.log2(FAILURE_WAIT_MAX_MS / FAILURE_WAIT_INITIAL_MS));

/**
 * Whether this attempt for the person may be verified; when not, the detail for the log. Under
 * the limit, yes. Past it (§3.2.2 lets a verifier go on accepting attempts in ways that do not
 * hand an attacker a lockout): from an address the person has signed in from successfully before,
 * yes, so the person at their usual place is never held up; from any other once the wait since
 * the newest failure is over. The failures are counted before the signature is checked, so a
 * refused attempt costs no verification.
 */
async function throttled(sc: ServiceContext, personId: string, ctx: CallContext): Promise<string | null> {
  const streak = await failuresSinceSuccess(sc.db, personId, FAILURE_COUNT_CEILING);
  if (streak.count < MAX_CONSECUTIVE_FAILURES || streak.lastAt === null) return null;
  const until = streak.lastAt + failedSignInWaitMs(streak.count);
  if (ctx.now.getTime() >= until) return null;
  if (ctx.ip !== null && (await hasSucceededFrom(sc.db, personId, ctx.ip))) return null;
  const counted =
    streak.count >= FAILURE_COUNT_CEILING ? `${FAILURE_COUNT_CEILING} or more` : `${streak.count}`;
  return `too_many_failures: ${counted} consecutive failed sign-ins, an address never signed in from, verification resumes at ${new Date(until).toISOString()}`;
}

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
  readonly signal: string;
}

/**
 * A sign-in row for an attempt that made no session: a failed verification or one refused for too
 * many failures (nothing verified: no user verification), or a verified one refused afterwards.
 * No level either way: none was granted.
 */
async function recordUnsuccessful(
  sc: ServiceContext,
  credential: CredentialRecord,
  attempt: { readonly outcome: SignInOutcome; readonly signal: string; readonly userVerified: boolean },
  ctx: CallContext,
): Promise<void> {
  await insertSignIn(sc.db, {
    id: randomToken(16),
    personId: credential.personId,
    credentialId: credential.id,
    at: ctx.now.getTime(),
    outcome: attempt.outcome,
    aal: null,
    userVerified: attempt.userVerified,
    signals: [attempt.signal],
    ip: ctx.ip,
    userAgent: ctx.userAgent,
  });
}

/** A verified sign-in refused (policy, metadata status, counter regression). */
function recordRefusal(sc: ServiceContext, r: Refusal, ctx: CallContext): Promise<void> {
  const attempt = { outcome: 'refused', signal: r.signal, userVerified: r.evidence.flags.uv } as const;
  return recordUnsuccessful(sc, r.credential, attempt, ctx);
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
      // SP 800-63B-4 §3.2.2: past the limit of consecutive failures, refused without verifying,
      // recorded for the person to see, and answered like any other failure.
      const held = await throttled(sc, person.id, ctx);
      if (held !== null) {
        await recordUnsuccessful(
          sc,
          credential,
          { outcome: 'refused', signal: SIGNALS.tooManyFailures, userVerified: false },
          ctx,
        );
        throw failed(held);
      }
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
        if (!isWebAuthnError(error)) throw error;
        // A failed sign-in of this person's (§3.2.2 counts them; the history shows them).
        await recordUnsuccessful(
          sc,
          credential,
          { outcome: 'failed', signal: SIGNALS.verificationFailed, userVerified: false },
          ctx,
        );
        throw failed(`${error.code}: ${error.detail ?? error.message}`, error);
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
        await recordRefusal(sc, { credential, evidence, signal: SIGNALS.policyDenied }, ctx);
      // policy_denied with the reasons on deny, else the warnings (none without a policy).
      const warnings = signInOutcome(verdict);
      if (level.refused || level.aal === null) {
        await recordRefusal(sc, { credential, evidence, signal: SIGNALS.credentialRefused }, ctx);
        throw new ServiceError('credential_refused', `${assessment.attestation.status ?? 'refused'}`);
      }
      const aal = level.aal;
      const refuseRegression = config.counterRegression[assessment.class] === 'refuse';
      const refusal: Refusal = { credential, evidence, signal: SIGNALS.counterRegression };
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
