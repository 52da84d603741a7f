/**
 * Tessera policy (PRODUCT C4): the versioned document, its schema and validation, decisions at
 * each enforcement point with explanations, and simulation. Pure: no I/O, no clock reads.
 */

export { unifiedDiff } from './diff.js';
export {
  ASSURANCE_LEVELS,
  type AssuranceLevel,
  type AuthenticatorList,
  CLASS_CEILING,
  CREDENTIAL_CLASSES,
  type CredentialClass,
  DATE_PATTERN,
  DEFAULT_SEGMENT,
  type DefaultSegment,
  humanDate,
  PHASES,
  type Phase,
  type PhaseAt,
  POLICY_VERSION,
  type PolicyDocument,
  type PolicyPerson,
  parseInstant,
  phaseAt,
  type Requirements,
  type RolloutStep,
  SESSION_LIMITS,
  type Segment,
} from './document.js';
export {
  formatPolicyError,
  POLICY_DOCUMENT_ERRORS,
  type PolicyDocumentErrorCode,
  type PolicyError,
} from './errors.js';
export {
  ACR_LEVELS,
  type AcrDecision,
  type AcrRequest,
  type AssessedCredential,
  acrForLevel,
  CHECKS,
  type CheckContext,
  type CredentialInput,
  type CredentialView,
  compilePolicy,
  credentialView,
  decideAcr,
  decideBackup,
  decideRecoveryCode,
  decideRegistration,
  decideSession,
  decideSignIn,
  type Effect,
  type EnforcementPoint,
  type Explanation,
  expectedSignIn,
  type PolicyCheck,
  type PolicyDecision,
  type ResolvedSegment,
  type SessionInput,
  type SignInInput,
  type SignInView,
  segmentFor,
  signInView,
} from './evaluate.js';
export { MAX_POLICY_BYTES, MAX_POLICY_DEPTH, type ParseResult, parsePolicy } from './parse.js';
export {
  POLICY_REASONS,
  type PolicyCheckCode,
  type PolicyReason,
  type PolicyReasonCode,
  type Severity,
} from './reasons.js';
export { POLICY_SCHEMA, type RootSchema, type SchemaNode, SEGMENT_NAME_PATTERN } from './schema.js';
export {
  type Counts,
  type CredentialOutcome,
  type PersonOutcome,
  type PersonStatus,
  type Population,
  type PopulationCredential,
  type PopulationPerson,
  parsePopulation,
  type ReasonCount,
  type SegmentReport,
  type SimulationOptions,
  type SimulationReport,
  simulate,
} from './simulate.js';
