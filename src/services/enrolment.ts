/**
 * What onboarding (first credential) and registration (another one) share: the creation options
 * per kind, the verification expectations, and the credential row built from the evidence.
 *
 * Options per kind (WebAuthn L3 §5.4):
 * - passkey: residentKey 'required' (a discoverable credential, for sign-in without a username),
 *   userVerification 'required', hints ['client-device', 'hybrid'], attestation 'none'. Synced
 *   passkeys are capped at AAL2 whatever they attest, the main providers answer 'none' anyway, and
 *   asking for more makes some browsers show a consent prompt for no gain.
 * - security-key: authenticatorAttachment 'cross-platform', residentKey 'preferred' (keys with
 *   room keep a discoverable credential; full keys still work with a username), userVerification
 *   'required' (AAL3 needs a multi-factor authenticator, SP 800-63B-4 §2.3.2), hints
 *   ['security-key'], attestation 'direct': a trusted attestation chain is the only proof that the
 *   key is held in certified hardware, which AAL3 requires.
 * excludeCredentials lists the person's credentials so an authenticator is not enrolled twice
 * (§5.4 excludeCredentials).
 */
import {
  DEFAULT_ALGORITHMS,
  generateRegistrationOptions,
  MAX_CREDENTIAL_DESCRIPTORS,
  type RegistrationEvidence,
  type RegistrationOptions,
  type RegistrationOptionsInput,
  toBase64url,
  verifyRegistrationResponse,
} from '../core/index.js';
import type { ChallengeRecord } from '../store/challenges.js';
import { type CredentialRecord, credentialDescriptors } from '../store/credentials.js';
import type { PersonRecord } from '../store/people.js';
import { assessCredential, type CredentialAssessment } from '../trust/assessment.js';
import type { ServiceContext } from './context.js';
import type { CallContext, EnrolmentKind } from './contract.js';
import { ServiceError } from './errors.js';
import { fitName } from './validation.js';

const SELECTION: Readonly<
  Record<EnrolmentKind, Pick<RegistrationOptionsInput, 'authenticatorSelection' | 'attestation' | 'hints'>>
> = {
  passkey: {
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    attestation: 'none',
    hints: ['client-device', 'hybrid'],
  },
  'security-key': {
    authenticatorSelection: {
      authenticatorAttachment: 'cross-platform',
      residentKey: 'preferred',
      userVerification: 'required',
    },
    attestation: 'direct',
    hints: ['security-key'],
  },
};

export async function creationOptions(
  sc: ServiceContext,
  person: PersonRecord,
  kind: EnrolmentKind,
): Promise<RegistrationOptions> {
  const exclude = (await credentialDescriptors(sc.db, person.id)).slice(-MAX_CREDENTIAL_DESCRIPTORS);
  return generateRegistrationOptions({
    rp: { id: sc.config.rpId, name: sc.config.rpName },
    user: { id: person.userHandle, name: person.username, displayName: person.displayName },
    algorithms: DEFAULT_ALGORITHMS,
    timeout: sc.config.challengeTimeoutMs,
    excludeCredentials: exclude.map((d) => ({ id: d.id, transports: d.transports })),
    ...SELECTION[kind],
  });
}

/** WebAuthn L3 §7.1 by the core; its typed errors are passed on as they are. */
export function verifyEnrolment(
  sc: ServiceContext,
  response: unknown,
  challenge: ChallengeRecord,
  ctx: CallContext,
): RegistrationEvidence {
  return verifyRegistrationResponse(response, {
    challenge: challenge.challenge,
    origins: sc.config.origins,
    rpId: sc.config.rpId,
    requireUserVerification: true,
    // §7.1 step 20: only the algorithms offered in pubKeyCredParams.
    allowedAlgorithms: DEFAULT_ALGORITHMS,
    now: ctx.now,
  });
}

/** The credential judged at enrolment; a model that metadata refuses is not enrolled. */
export async function assessEnrolment(
  sc: ServiceContext,
  evidence: RegistrationEvidence,
  ctx: CallContext,
): Promise<CredentialAssessment> {
  const assessment = assessCredential(
    { ...evidence, registeredAt: ctx.now },
    { snapshot: await sc.snapshot() },
  );
  if (assessment.refused)
    throw new ServiceError(
      'credential_refused',
      `${evidence.aaguid}: ${assessment.attestation.status ?? 'refused'}`,
    );
  return assessment;
}

/** The model's name when metadata knows it, else what kind of thing it is. */
export function defaultName(assessment: CredentialAssessment, kind: string | null): string {
  const model = assessment.model === null ? null : fitName(assessment.model);
  if (model !== null) return model;
  return assessment.class === 'security-key' || kind === 'security-key' ? 'Security key' : 'Passkey';
}

export function credentialRecord(input: {
  readonly evidence: RegistrationEvidence;
  readonly assessment: CredentialAssessment;
  readonly personId: string;
  readonly name: string;
  readonly now: number;
  /** Onboarding signs the person in with the new credential: that is its first use. */
  readonly usedForSignIn?: boolean;
}): CredentialRecord {
  const { evidence } = input;
  return {
    id: Buffer.from(evidence.credentialId),
    personId: input.personId,
    publicKey: Buffer.from(evidence.publicKey),
    alg: evidence.alg,
    counter: evidence.counter,
    transports: evidence.transports,
    aaguid: evidence.aaguid,
    fmt: evidence.fmt,
    backupEligible: evidence.flags.be,
    backupState: evidence.flags.bs,
    userVerified: evidence.flags.uv,
    attachment: evidence.authenticatorAttachment,
    discoverable: evidence.extensions.credProps?.rk ?? null,
    attestation: {
      type: evidence.attestation.type,
      trustPath: evidence.attestation.trustPath.map((der) => toBase64url(der)),
      details: evidence.attestation.details,
    },
    class: input.assessment.class,
    name: input.name,
    createdAt: input.now,
    lastUsedAt: input.usedForSignIn === true ? input.now : null,
  };
}
