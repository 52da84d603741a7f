/**
 * Adding a credential to a signed-in person. Binding an authenticator to an existing account
 * needs a recent authentication (SP 800-63B-4 §4.2.2 / PRODUCT C5 guardrails): the session's
 * sign-in must be at most `config.reauthenticationWindowMs` old when the ceremony starts, else
 * `reauthentication_required`. The challenge is bound to the flow and to that session.
 */
import { consumeChallenge, putChallenge } from '../store/challenges.js';
import { insertCredential } from '../store/credentials.js';
import { requireSession, type ServiceContext } from './context.js';
import type { CredentialView, TesseraServices, Warned } from './contract.js';
import {
  assessEnrolment,
  creationOptions,
  credentialRecord,
  defaultName,
  verifyEnrolment,
} from './enrolment.js';
import { ServiceError } from './errors.js';
import { enforceRegistration, withWarnings } from './policy.js';
import { sameBytes, secretHash } from './secrets.js';
import { requireKind, requireName } from './validation.js';
import { credentialView } from './views.js';

export function registrationService(sc: ServiceContext): TesseraServices['registration'] {
  return {
    async options(input, ctx) {
      const kind = requireKind(input.kind);
      const now = ctx.now.getTime();
      const { session, person } = await requireSession(sc, ctx);
      if (now - session.authTime > sc.config.reauthenticationWindowMs)
        throw new ServiceError(
          'reauthentication_required',
          `signed in ${Math.round((now - session.authTime) / 1000)} s ago`,
        );
      const { options, challenge } = await creationOptions(sc, person, kind);
      await putChallenge(sc.db, {
        flowHash: secretHash(ctx.flowId),
        purpose: 'registration',
        challenge: Buffer.from(challenge),
        personId: person.id,
        sessionHash: session.hash,
        passHash: null,
        kind,
        identified: true,
        createdAt: now,
        expiresAt: now + sc.config.challengeTimeoutMs,
      });
      return options;
    },

    async finish(input, ctx): Promise<Warned<CredentialView>> {
      const name = input.name === undefined ? null : requireName(input.name);
      const now = ctx.now.getTime();
      const { session, person } = await requireSession(sc, ctx);
      // The challenge first and on its own: a failed verification still burns it.
      const taken = await consumeChallenge(sc.db, secretHash(ctx.flowId), 'registration', now);
      if (taken.status === 'missing') throw new ServiceError('challenge_missing');
      if (taken.status === 'expired') throw new ServiceError('challenge_expired');
      const challenge = taken.challenge;
      if (!sameBytes(challenge.sessionHash, session.hash) || challenge.personId !== person.id)
        throw new ServiceError('challenge_missing', 'the ceremony was started in another session');

      const evidence = verifyEnrolment(sc, input.response, challenge, ctx);
      const assessment = await assessEnrolment(sc, evidence, ctx);
      // The assurance policy: a denied credential is not enrolled (policy_denied, with the reasons).
      const warnings = await enforceRegistration(sc, person.id, assessment, evidence, ctx.now);
      const credential = credentialRecord({
        evidence,
        assessment,
        personId: person.id,
        name: name ?? defaultName(assessment, challenge.kind),
        now,
      });
      await sc.db.transaction().execute(async (trx) => {
        if ((await insertCredential(trx, credential)) === 'duplicate')
          throw new ServiceError('credential_already_registered');
      });
      return { ...credentialView(credential, assessment), ...withWarnings(warnings) };
    },
  };
}
