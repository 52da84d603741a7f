/**
 * Onboarding: a person follows the one-time link from `tessera people add` and enrols a first
 * passkey or security key; no password exists at any point (PRODUCT C5).
 *
 * The pass is only read by `describe` and `options`; `finish` uses it up in the same transaction
 * that stores the credential and opens the session, so a pass enrols at most one credential even
 * when two browsers race (the conditional UPDATE lets exactly one through). The ceremony's
 * challenge is bound to the flow and to the pass it was asked for.
 */
import { consumeChallenge, putChallenge } from '../store/challenges.js';
import { insertCredential } from '../store/credentials.js';
import { consumePass, findUsablePass, type PassRecord } from '../store/passes.js';
import { findPersonById, type PersonRecord } from '../store/people.js';
import { assessSignIn } from '../trust/assessment.js';
import type { ServiceContext } from './context.js';
import type { OnboardingPassView, TesseraServices } from './contract.js';
import {
  assessEnrolment,
  creationOptions,
  credentialRecord,
  defaultName,
  verifyEnrolment,
} from './enrolment.js';
import { ServiceError } from './errors.js';
import { enforceRegistration, sessionLimits, withWarnings } from './policy.js';
import { sameBytes, secretHash } from './secrets.js';
import { amrFor, newSession, startSession } from './sessions.js';
import { requireKind, requireName } from './validation.js';
import { credentialView, sessionView } from './views.js';

/** The pass and its person when the pass is unused and unexpired. */
async function usablePass(
  sc: ServiceContext,
  pass: unknown,
  now: number,
): Promise<{ readonly pass: PassRecord; readonly person: PersonRecord }> {
  if (typeof pass !== 'string' || pass === '' || pass.length > 512) throw new ServiceError('pass_invalid');
  const held = await findUsablePass(sc.db, secretHash(pass), now);
  const person = held === null ? null : await findPersonById(sc.db, held.personId);
  if (held === null || person === null) throw new ServiceError('pass_invalid');
  return { pass: held, person };
}

export function onboardingService(sc: ServiceContext): TesseraServices['onboarding'] {
  return {
    async describe(pass, now): Promise<OnboardingPassView> {
      const { pass: held, person } = await usablePass(sc, pass, now.getTime());
      return {
        username: person.username,
        displayName: person.displayName,
        expiresAt: new Date(held.expiresAt).toISOString(),
      };
    },

    async options(input, ctx) {
      const kind = requireKind(input.kind);
      const now = ctx.now.getTime();
      const { person } = await usablePass(sc, input.pass, now);
      const { options, challenge } = await creationOptions(sc, person, kind);
      await putChallenge(sc.db, {
        flowHash: secretHash(ctx.flowId),
        purpose: 'onboarding',
        challenge: Buffer.from(challenge),
        personId: person.id,
        sessionHash: null,
        passHash: secretHash(input.pass),
        kind,
        identified: true,
        createdAt: now,
        expiresAt: now + sc.config.challengeTimeoutMs,
      });
      return options;
    },

    async finish(input, ctx) {
      const name = input.name === undefined ? null : requireName(input.name);
      if (typeof input.pass !== 'string' || input.pass === '') throw new ServiceError('pass_invalid');
      const now = ctx.now.getTime();
      const passHash = secretHash(input.pass);
      // The challenge first and on its own: a failed verification still burns it.
      const taken = await consumeChallenge(sc.db, secretHash(ctx.flowId), 'onboarding', now);
      if (taken.status === 'missing') throw new ServiceError('challenge_missing');
      if (taken.status === 'expired') throw new ServiceError('challenge_expired');
      const challenge = taken.challenge;
      if (!sameBytes(challenge.passHash, passHash) || challenge.personId === null)
        throw new ServiceError('pass_invalid', 'the ceremony was started with another pass');
      const person = await findPersonById(sc.db, challenge.personId);
      if (person === null) throw new ServiceError('pass_invalid', 'the person no longer exists');

      const evidence = verifyEnrolment(sc, input.response, challenge, ctx);
      const assessment = await assessEnrolment(sc, evidence, ctx);
      // The assurance policy: a denied credential is not enrolled (policy_denied, with the reasons).
      const warnings = await enforceRegistration(sc, person.id, assessment, evidence, ctx.now);
      const level = assessSignIn(assessment, { uv: evidence.flags.uv });
      const aal = level.aal ?? 'AAL1';
      const credential = credentialRecord({
        evidence,
        assessment,
        personId: person.id,
        name: name ?? defaultName(assessment, challenge.kind),
        now,
        usedForSignIn: true,
      });
      const issued = newSession({
        personId: person.id,
        credentialId: credential.id,
        aal,
        amr: amrFor(assessment, evidence.flags.uv),
        now,
        limits: await sessionLimits(sc, person.id, aal),
      });

      await sc.db.transaction().execute(async (trx) => {
        const pass = await consumePass(trx, passHash, now);
        if (pass === null || pass.personId !== person.id) throw new ServiceError('pass_invalid');
        if ((await insertCredential(trx, credential)) === 'duplicate')
          throw new ServiceError('credential_already_registered');
        await startSession(trx, issued.record, { userVerified: evidence.flags.uv, signals: [] }, ctx);
      });
      return {
        issued: { sessionId: issued.sessionId, session: sessionView(issued.record, person) },
        credential: credentialView(credential, assessment),
        ...withWarnings(warnings),
      };
    },
  };
}
