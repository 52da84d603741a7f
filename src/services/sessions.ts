/**
 * Sessions: issued by a sign-in or an onboarding, looked up by the SHA-256 of the cookie value.
 *
 * Lifetimes follow the reauthentication requirements of NIST SP 800-63B-4: AAL2 (§2.2.3) at
 * least every 24 hours and after at most 1 hour of inactivity; AAL3 (§2.3.3) every 12 hours and
 * after 15 minutes of inactivity. An AAL1 session gets the AAL2 limits (stricter than AAL1's own).
 *
 * `amr` uses the RFC 8176 §2 registry: `hwk` when the key is proven (trusted attestation and
 * hardware key protection, not backup eligible) to live in hardware, otherwise `swk`; `user`
 * because WebAuthn always tests user presence (L3 §7.2 step 16); `mfa` when the authenticator
 * verified the user, which makes the possession factor and the PIN or biometric two factors.
 */

import type { Kysely } from 'kysely';
import type { Schema } from '../store/schema.js';
import { deleteSession, insertSession, purgeExpiredSessions, type SessionRecord } from '../store/sessions.js';
import { insertSignIn } from '../store/sign-ins.js';
import type { AssuranceLevel, CredentialAssessment } from '../trust/assessment.js';
import { liveSession, type ServiceContext } from './context.js';
import type { CallContext, SessionView, TesseraServices } from './contract.js';
import { randomToken, secretHash } from './secrets.js';
import { sessionView } from './views.js';

const HOUR = 60 * 60_000;
const MINUTE = 60_000;

export const SESSION_LIMITS: Readonly<
  Record<AssuranceLevel, { readonly absoluteMs: number; readonly idleMs: number }>
> = {
  AAL1: { absoluteMs: 24 * HOUR, idleMs: HOUR },
  AAL2: { absoluteMs: 24 * HOUR, idleMs: HOUR },
  AAL3: { absoluteMs: 12 * HOUR, idleMs: 15 * MINUTE },
};

/** RFC 8176 authentication method references for a WebAuthn sign-in. */
export function amrFor(assessment: CredentialAssessment, userVerified: boolean): string[] {
  const hardware = !assessment.evidence.backupEligible && assessment.evidence.hardwareProtected;
  return [hardware ? 'hwk' : 'swk', 'user', ...(userVerified ? ['mfa'] : [])];
}

/** A new session row and the secret for its cookie. */
export function newSession(input: {
  readonly personId: string;
  readonly credentialId: Buffer;
  readonly aal: AssuranceLevel;
  readonly amr: readonly string[];
  readonly now: number;
  /** The person's segment's limits when a policy makes them shorter than the level's. */
  readonly limits?: { readonly absoluteMs: number; readonly idleMs: number };
}): { readonly sessionId: string; readonly record: SessionRecord } {
  const sessionId = randomToken();
  const limits = input.limits ?? SESSION_LIMITS[input.aal];
  return {
    sessionId,
    record: {
      hash: secretHash(sessionId),
      personId: input.personId,
      credentialId: input.credentialId,
      aal: input.aal,
      amr: input.amr,
      authTime: input.now,
      createdAt: input.now,
      lastSeenAt: input.now,
      expiresAt: input.now + limits.absoluteMs,
      idleTimeoutMs: limits.idleMs,
    },
  };
}

/**
 * Inside the caller's transaction: the browser's previous session ends (no session fixation), the
 * new one is stored, and the successful sign-in is recorded with its signals; expired sessions are
 * cleared on the way.
 */
export async function startSession(
  trx: Kysely<Schema>,
  record: SessionRecord,
  signIn: { readonly userVerified: boolean; readonly signals: readonly string[] },
  ctx: CallContext,
): Promise<void> {
  if (ctx.sessionId !== null && ctx.sessionId !== '') await deleteSession(trx, secretHash(ctx.sessionId));
  await purgeExpiredSessions(trx, record.createdAt);
  await insertSession(trx, record);
  await insertSignIn(trx, {
    id: randomToken(16),
    personId: record.personId,
    credentialId: record.credentialId,
    at: record.createdAt,
    outcome: 'success',
    aal: record.aal,
    userVerified: signIn.userVerified,
    signals: [...signIn.signals],
    ip: ctx.ip,
    userAgent: ctx.userAgent,
  });
}

export function sessionsService(sc: ServiceContext): TesseraServices['sessions'] {
  return {
    async current(ctx): Promise<SessionView | null> {
      const live = await liveSession(sc, ctx);
      return live === null ? null : sessionView(live.session, live.person);
    },
    async signOut(ctx): Promise<void> {
      if (ctx.sessionId === null || ctx.sessionId === '') return;
      await deleteSession(sc.db, secretHash(ctx.sessionId));
    },
  };
}
