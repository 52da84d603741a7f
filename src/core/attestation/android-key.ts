/**
 * The `android-key` attestation statement format (WebAuthn L3 §8.4, certificate requirements
 * §8.4.1): Android Keystore key attestation. The credential key itself signs authData ||
 * clientDataHash, and its certificate (x5c[0]) carries the Android key description extension,
 * in which the secure environment states the challenge it was given and the key's properties.
 *
 * Checks run cheapest first (structure and the extension, then the key and signature, then the
 * chain); all of them must pass, so the order changes only which error a broken statement reports.
 */
import { Buffer } from 'node:buffer';
import { children, DER, type DerNode, decodeSmallInteger, isUniversal, parseDer } from '../asn1.js';
import type { CborMap } from '../cbor.js';
import { publicKeyMatches, verifyWithCertificateKey } from '../cose/index.js';
import { fail } from '../errors.js';
import type { AttestationContext, AttestationResult } from '../types.js';
import { attestationChain, chainEvidence, type ParsedCertificate } from './x509.js';

/** Android key attestation extension ("android key attestation certificate extension data", §8.4.1). */
export const OID_ANDROID_KEY_DESCRIPTION = '1.3.6.1.4.1.11129.2.1.17';

/** AuthorizationList tags (Android Keystore / KeyMint Tag numbers without their type bits). */
const TAG_PURPOSE = 1;
const TAG_ALL_APPLICATIONS = 600;
const TAG_ORIGIN = 702;
/** KM_ORIGIN_GENERATED / KeyOrigin::GENERATED. */
const KM_ORIGIN_GENERATED = 0;
/** KM_PURPOSE_SIGN / KeyPurpose::SIGN. */
const KM_PURPOSE_SIGN = 2;

const DER_ENUMERATED = 10;
const STATEMENT_KEYS: ReadonlySet<string> = new Set(['alg', 'sig', 'x5c']);
const MAX_SIG = 1024;
/** Enough for any real AuthorizationList (about 40 tags are defined). */
const MAX_AUTHORIZATIONS = 128;

export type SecurityLevel = 'software' | 'tee' | 'strongbox';
const SECURITY_LEVELS: readonly SecurityLevel[] = ['software', 'tee', 'strongbox'];

export interface KeyDescription {
  readonly attestationVersion: number;
  readonly attestationSecurityLevel: SecurityLevel;
  readonly keymasterVersion: number;
  readonly keymasterSecurityLevel: SecurityLevel;
  readonly attestationChallenge: Buffer;
  readonly uniqueId: Buffer;
  /** Entries by tag number; each value is the single TLV inside the EXPLICIT tag. */
  readonly softwareEnforced: ReadonlyMap<number, DerNode>;
  readonly teeEnforced: ReadonlyMap<number, DerNode>;
}

function bad(detail: string): never {
  return fail('attestation_invalid', `android-key: ${detail}`);
}

function integer(node: DerNode | undefined, what: string): number {
  if (!node || !isUniversal(node, DER.INTEGER) || node.constructed) bad(`${what} is not an INTEGER`);
  return decodeSmallInteger(node);
}

function securityLevel(node: DerNode | undefined, what: string): SecurityLevel {
  const isEnumerated =
    node !== undefined && node.cls === 0 && node.tag === DER_ENUMERATED && !node.constructed;
  if (!isEnumerated) bad(`${what} is not an ENUMERATED`);
  const level = SECURITY_LEVELS[decodeSmallInteger(node)];
  if (level === undefined) bad(`${what} has an unknown value`);
  return level;
}

function octets(node: DerNode | undefined, what: string): Buffer {
  if (!node || !isUniversal(node, DER.OCTET_STRING) || node.constructed)
    bad(`${what} is not an OCTET STRING`);
  return node.content;
}

/** AuthorizationList ::= SEQUENCE { [tag] EXPLICIT ... OPTIONAL, ... }: each tag at most once. */
function authorizationList(node: DerNode | undefined, what: string): Map<number, DerNode> {
  if (!node || !isUniversal(node, DER.SEQUENCE) || !node.constructed) bad(`${what} is not a SEQUENCE`);
  const entries = children(node);
  if (entries.length > MAX_AUTHORIZATIONS) bad(`${what} has ${entries.length} entries`);
  const out = new Map<number, DerNode>();
  for (const entry of entries) {
    if (entry.cls !== 2 || !entry.constructed) bad(`${what} holds an entry that is not an explicit tag`);
    if (out.has(entry.tag)) bad(`${what} has tag [${entry.tag}] twice`);
    const [inner, extra] = children(entry);
    if (inner === undefined || extra !== undefined)
      bad(`${what} [${entry.tag}] does not hold exactly one value`);
    out.set(entry.tag, inner);
  }
  return out;
}

/**
 * Parse the key description (Android "certificate_schema"): KeyDescription ::= SEQUENCE {
 * attestationVersion INTEGER, attestationSecurityLevel SecurityLevel, keymasterVersion INTEGER,
 * keymasterSecurityLevel SecurityLevel, attestationChallenge OCTET STRING, uniqueId OCTET STRING,
 * softwareEnforced AuthorizationList, teeEnforced AuthorizationList }.
 */
export function parseKeyDescription(der: Uint8Array): KeyDescription {
  const root = parseDer(der);
  if (!isUniversal(root, DER.SEQUENCE) || !root.constructed) bad('key description is not a SEQUENCE');
  const f = children(root);
  // Eight fields in every schema version (1 … 400); later fields, if a version adds any, are not read.
  if (f.length < 8) bad(`key description has ${f.length} fields, not 8`);
  return {
    attestationVersion: integer(f[0], 'attestationVersion'),
    attestationSecurityLevel: securityLevel(f[1], 'attestationSecurityLevel'),
    keymasterVersion: integer(f[2], 'keymasterVersion'),
    keymasterSecurityLevel: securityLevel(f[3], 'keymasterSecurityLevel'),
    attestationChallenge: octets(f[4], 'attestationChallenge'),
    uniqueId: octets(f[5], 'uniqueId'),
    softwareEnforced: authorizationList(f[6], 'softwareEnforced'),
    teeEnforced: authorizationList(f[7], 'teeEnforced'),
  };
}

/** origin [702] EXPLICIT INTEGER, when present. */
function originOf(list: ReadonlyMap<number, DerNode>, what: string): number | undefined {
  const node = list.get(TAG_ORIGIN);
  return node === undefined ? undefined : integer(node, `${what}.origin`);
}

/** purpose [1] EXPLICIT SET OF INTEGER, when present. */
function purposesOf(list: ReadonlyMap<number, DerNode>, what: string): number[] | undefined {
  const node = list.get(TAG_PURPOSE);
  if (node === undefined) return undefined;
  if (!isUniversal(node, DER.SET) || !node.constructed) bad(`${what}.purpose is not a SET`);
  return children(node).map((p) => integer(p, `${what}.purpose`));
}

/**
 * §8.4: "Verify the following using the appropriate authorization list from the attestation
 * certificate extension data". Returns what the considered lists report.
 */
function checkAuthorizations(
  desc: KeyDescription,
  requireTee: boolean,
): { origin: 'generated' | null; purpose: 'sign' | null } {
  // "The AuthorizationList.allApplications field is not present on either authorization list
  // (softwareEnforced nor teeEnforced), since PublicKeyCredential MUST be scoped to the RP ID."
  if (desc.softwareEnforced.has(TAG_ALL_APPLICATIONS) || desc.teeEnforced.has(TAG_ALL_APPLICATIONS))
    bad('allApplications is present: the key is not scoped to one application');

  // "For the following, use only the teeEnforced authorization list if the RP wants to accept only
  // keys from a trusted execution environment, otherwise use the union of teeEnforced and
  // softwareEnforced."
  if (requireTee && desc.attestationSecurityLevel === 'software')
    bad('attestationSecurityLevel is Software but the policy requires a TEE-backed key');
  const lists: [ReadonlyMap<number, DerNode>, string][] = requireTee
    ? [[desc.teeEnforced, 'teeEnforced']]
    : [
        [desc.teeEnforced, 'teeEnforced'],
        [desc.softwareEnforced, 'softwareEnforced'],
      ];

  // "The value in the AuthorizationList.origin field is equal to KM_ORIGIN_GENERATED."
  // Every list that states an origin must state GENERATED (a union cannot hold two origins).
  const origins = lists.map(([l, w]) => originOf(l, w)).filter((o): o is number => o !== undefined);
  if (origins.some((o) => o !== KM_ORIGIN_GENERATED)) bad('origin is not KM_ORIGIN_GENERATED');
  // "The value in the AuthorizationList.purpose field is equal to KM_PURPOSE_SIGN." purpose is a
  // SET OF: the union of the considered sets must include SIGN.
  const purposeSets = lists.map(([l, w]) => purposesOf(l, w)).filter((p): p is number[] => p !== undefined);
  const purposes = purposeSets.flat();
  if (purposeSets.length > 0 && !purposes.includes(KM_PURPOSE_SIGN))
    bad('purpose does not include KM_PURPOSE_SIGN');

  // An absent origin or purpose cannot be checked. With the TEE-only policy both must be stated by
  // the TEE. With the union they are tolerated when neither list states them (the W3C L3 android-key
  // test vector has empty authorization lists); the evidence then reports null.
  if (requireTee && origins.length === 0) bad('teeEnforced does not state the key origin');
  if (requireTee && purposeSets.length === 0) bad('teeEnforced does not state the key purpose');
  return {
    origin: origins.length > 0 ? 'generated' : null,
    purpose: purposeSets.length > 0 ? 'sign' : null,
  };
}

/** WebAuthn L3 §8.4 verification procedure. Attestation type Basic, trust path x5c. */
export function verifyAndroidKey(attStmt: CborMap, ctx: AttestationContext): AttestationResult {
  // §8.4: "Verify that attStmt is valid CBOR conforming to the syntax defined above and perform CBOR
  // decoding on it to extract the contained fields." androidStmtFormat = { alg, sig, x5c }.
  for (const key of attStmt.keys()) {
    if (typeof key !== 'string' || !STATEMENT_KEYS.has(key)) bad(`unexpected attStmt member ${String(key)}`);
  }
  const alg = attStmt.get('alg');
  if (typeof alg !== 'number' || !Number.isSafeInteger(alg)) bad('alg must be an integer');
  const sigValue = attStmt.get('sig');
  if (!(sigValue instanceof Uint8Array) || sigValue.length === 0 || sigValue.length > MAX_SIG)
    bad('sig must be a non-empty byte string');
  const chain = attestationChain(attStmt.get('x5c'));
  const credCert = chain[0] as ParsedCertificate;

  // §8.4.1: the extension data identified by OID 1.3.6.1.4.1.11129.2.1.17.
  const ext = credCert.extensions.get(OID_ANDROID_KEY_DESCRIPTION);
  if (!ext) bad('x5c[0] has no key description extension (1.3.6.1.4.1.11129.2.1.17)');
  const desc = parseKeyDescription(ext.value);

  // §8.4: "Verify that the attestationChallenge field in the attestation certificate extension data
  // is identical to clientDataHash."
  if (!desc.attestationChallenge.equals(ctx.clientDataHash))
    bad('attestationChallenge is not clientDataHash');

  // §8.4: authorization lists (allApplications; origin and purpose per policy).
  const authorizations = checkAuthorizations(desc, ctx.policy.androidKeyRequireTee);

  // §8.4: "Verify that the public key in the first certificate in x5c matches the
  // credentialPublicKey in the attestedCredentialData in authenticatorData."
  if (!publicKeyMatches(ctx.credentialPublicKey, credCert.publicKey))
    bad('the x5c[0] public key is not the credential public key');

  // §8.4: "Verify that sig is a valid signature over the concatenation of authenticatorData and
  // clientDataHash using the public key in the first certificate in x5c with the algorithm
  // specified in alg."
  const signed = Buffer.concat([ctx.authData.raw, ctx.clientDataHash]);
  if (!verifyWithCertificateKey(alg, credCert.publicKey, signed, sigValue))
    bad('sig does not verify over authenticatorData || clientDataHash with the x5c[0] key');

  // §7.1 steps 22-23: the trust path x5c must be a valid chain (to a configured anchor, if any).
  // x5c may stop below the root (the W3C vector has only the leaf): validateChain accepts a chain
  // whose last certificate is issued by an anchor.
  const evidence = chainEvidence(chain, ctx);
  return {
    type: 'basic',
    ...evidence,
    details: {
      attestationVersion: desc.attestationVersion,
      attestationSecurityLevel: desc.attestationSecurityLevel,
      keymasterVersion: desc.keymasterVersion,
      keymasterSecurityLevel: desc.keymasterSecurityLevel,
      authorizationsChecked: ctx.policy.androidKeyRequireTee ? 'teeEnforced' : 'teeEnforced+softwareEnforced',
      origin: authorizations.origin,
      purpose: authorizations.purpose,
    },
  };
}
