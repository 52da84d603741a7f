/** Stored rows and assessments → the views of ./contract.ts (ISO dates, base64url IDs). */
import { toBase64url } from '../core/base64url.js';
import type { CredentialRecord } from '../store/credentials.js';
import type { PersonRecord } from '../store/people.js';
import type { SessionRecord } from '../store/sessions.js';
import type { SignInWithName } from '../store/sign-ins.js';
import type { AssuranceLevel, CredentialAssessment } from '../trust/assessment.js';
import type { CredentialView, PersonView, SessionView, SignInView } from './contract.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function assuranceLevel(value: string | null): AssuranceLevel | null {
  return value === 'AAL1' || value === 'AAL2' || value === 'AAL3' ? value : null;
}

export function personView(person: PersonRecord): PersonView {
  return { id: person.id, username: person.username, displayName: person.displayName };
}

export function credentialView(
  credential: CredentialRecord,
  assessment: CredentialAssessment,
): CredentialView {
  return {
    id: toBase64url(credential.id),
    name: credential.name,
    model: assessment.model,
    icon: assessment.icon,
    class: assessment.class,
    aal: assessment.aal,
    reasons: assessment.reasons.map((r) => ({ code: r.code, message: r.message })),
    fmt: credential.fmt,
    aaguid: credential.aaguid,
    transports: credential.transports,
    backupEligible: credential.backupEligible,
    backupState: credential.backupState,
    attestation: { trust: assessment.attestation.trust, status: assessment.attestation.status },
    createdAt: iso(credential.createdAt),
    lastUsedAt: credential.lastUsedAt === null ? null : iso(credential.lastUsedAt),
  };
}

export function sessionView(session: SessionRecord, person: PersonRecord): SessionView {
  return {
    person: personView(person),
    aal: assuranceLevel(session.aal) ?? 'AAL1',
    amr: session.amr,
    authTime: iso(session.authTime),
    expiresAt: iso(session.expiresAt),
    idleExpiresAt: iso(Math.min(session.expiresAt, session.lastSeenAt + session.idleTimeoutMs)),
    credentialId: toBase64url(session.credentialId),
  };
}

export function signInView(signIn: SignInWithName): SignInView {
  return {
    at: iso(signIn.at),
    outcome: signIn.outcome,
    credentialId: toBase64url(signIn.credentialId),
    credentialName: signIn.credentialName,
    aal: assuranceLevel(signIn.aal),
    userVerified: signIn.userVerified,
    signals: signIn.signals,
    ip: signIn.ip,
    userAgent: signIn.userAgent,
  };
}
