/**
 * The core's vocabulary: the JSON a browser sends (WebAuthn L3 §5.1 toJSON()), the parsed
 * structures, and the evidence a verification returns. Later layers (trust, policy, services)
 * read evidence only; they never re-parse bytes.
 */
import type { KeyObject } from 'node:crypto';
import type { CborMap } from './cbor.js';

// ---------------------------------------------------------------------------------------------
// Authenticator data (WebAuthn L3 §6.1)
// ---------------------------------------------------------------------------------------------

export interface AuthenticatorFlags {
  /** User Present (bit 0). */
  readonly up: boolean;
  /** User Verified (bit 2). */
  readonly uv: boolean;
  /** Backup Eligible (bit 3): the key may be synced off the device. */
  readonly be: boolean;
  /** Backup State (bit 4): the key is currently backed up. */
  readonly bs: boolean;
  /** Attested credential data included (bit 6). */
  readonly at: boolean;
  /** Extension data included (bit 7). */
  readonly ed: boolean;
}

export interface AttestedCredentialData {
  /** 16 bytes; all zero when the authenticator does not say what it is. */
  readonly aaguid: Uint8Array;
  readonly credentialId: Uint8Array;
  /** The COSE_Key exactly as the authenticator encoded it (these bytes are what gets stored). */
  readonly credentialPublicKeyBytes: Uint8Array;
  readonly credentialPublicKey: CborMap;
}

export interface AuthenticatorData {
  /** The whole authenticator data, as signed. */
  readonly raw: Uint8Array;
  readonly rpIdHash: Uint8Array;
  readonly flags: AuthenticatorFlags;
  /** Raw flags byte (bits 1 and 5 are reserved). */
  readonly flagsByte: number;
  readonly signCount: number;
  readonly attestedCredentialData: AttestedCredentialData | undefined;
  /** Authenticator extension outputs (CBOR map), when ED is set. */
  readonly extensions: CborMap | undefined;
}

// ---------------------------------------------------------------------------------------------
// COSE keys and algorithms (RFC 9052/9053, WebAuthn L3 §5.8.5)
// ---------------------------------------------------------------------------------------------

/**
 * A credential public key, imported and validated once. `verify` is the hot path: it must
 * not allocate more than the signature check itself needs.
 */
export interface CredentialPublicKey {
  /** COSE algorithm identifier (e.g. -7 ES256). */
  readonly alg: number;
  /** COSE key type (1 OKP, 2 EC2, 3 RSA, 7 AKP). */
  readonly kty: number;
  /** Node key when the algorithm has one (everything except ML-DSA on Node 20). */
  readonly keyObject: KeyObject | undefined;
  /** Verify `signature` over `data` with this key and its algorithm. Never throws on bad input. */
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}

/** One entry of the COSE algorithm table: one file per algorithm under `cose/`. */
export interface CoseAlgorithm {
  readonly id: number;
  /** IANA COSE name, e.g. "ES256". */
  readonly name: string;
  /** COSE key type this algorithm uses. */
  readonly kty: number;
  /**
   * Validate a COSE_Key map for this algorithm (curve, point on curve, key size, no stray
   * parameters that contradict the algorithm) and import it. Throws `public_key_invalid`.
   */
  importCoseKey(key: CborMap): CredentialPublicKey;
  /**
   * Verify with a key that came from an X.509 certificate (attestation statements).
   * Returns false on a bad signature; never throws on bad input.
   */
  verifyWithKeyObject(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean;
}

// ---------------------------------------------------------------------------------------------
// Attestation (WebAuthn L3 §6.5, §8)
// ---------------------------------------------------------------------------------------------

/** Attestation types (WebAuthn L3 §6.5.3). */
export type AttestationType = 'none' | 'self' | 'basic' | 'attca' | 'anonca';

/** A trust anchor: a PEM string or DER bytes of a CA certificate. */
export type TrustAnchorInput = string | Uint8Array;

export interface AttestationContext {
  readonly authData: AuthenticatorData;
  /** SHA-256 of clientDataJSON. */
  readonly clientDataHash: Uint8Array;
  /** The imported credential public key from authData. */
  readonly credentialPublicKey: CredentialPublicKey;
  /** Anchors for this format; empty means "no anchor configured": the chain is still checked. */
  readonly trustAnchors: readonly TrustAnchorInput[];
  /** The clock for certificate validity and timestamps (the core never reads the clock). */
  readonly now: Date;
  readonly policy: AttestationPolicy;
}

export interface AttestationPolicy {
  /** android-safetynet: require ctsProfileMatch = true (default true). */
  readonly safetyNetRequireCtsProfileMatch: boolean;
  /** android-safetynet: how old the JWS timestamp may be, in ms (default 60 000). */
  readonly safetyNetMaxAgeMs: number;
  /** android-key: accept only keys whose properties the TEE enforces (default false). */
  readonly androidKeyRequireTee: boolean;
}

/** What an attestation statement proved. */
export interface AttestationResult {
  readonly type: AttestationType;
  /** DER certificates from the statement, leaf first (empty for none/self). */
  readonly trustPath: readonly Uint8Array[];
  /** True when the chain reached one of the configured anchors. */
  readonly trusted: boolean;
  /** Subject of the anchor reached, or null. */
  readonly root: string | null;
  /** Certificates that Node's strict parser refused and the lenient DER path accepted. */
  readonly lenientCertificates: number;
  /** Format-specific facts worth keeping as evidence (e.g. TPM manufacturer, SafetyNet CTS). */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

/** One entry of the attestation format table: one file per format under `attestation/`. */
export type AttestationVerifier = (attStmt: CborMap, ctx: AttestationContext) => AttestationResult;

// ---------------------------------------------------------------------------------------------
// Client data (WebAuthn L3 §5.8.1)
// ---------------------------------------------------------------------------------------------

export interface CollectedClientData {
  readonly type: string;
  readonly challenge: string;
  readonly origin: string;
  readonly crossOrigin: boolean;
  readonly topOrigin: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Evidence
// ---------------------------------------------------------------------------------------------

export type AuthenticatorTransport = 'usb' | 'nfc' | 'ble' | 'smart-card' | 'hybrid' | 'internal';

export interface RegistrationEvidence {
  readonly ceremony: 'registration';
  readonly fmt: string;
  /** Canonical UUID text, lower case. */
  readonly aaguid: string;
  readonly credentialId: Uint8Array;
  /** COSE_Key bytes to store. */
  readonly publicKey: Uint8Array;
  readonly alg: number;
  readonly flags: AuthenticatorFlags;
  readonly counter: number;
  readonly transports: readonly AuthenticatorTransport[];
  readonly authenticatorAttachment: 'platform' | 'cross-platform' | null;
  readonly attestation: AttestationResult;
  readonly origin: string;
  readonly topOrigin: string | null;
  readonly extensions: ExtensionOutputs;
}

export interface ExtensionOutputs {
  /** clientExtensionResults.credProps.rk when reported. */
  readonly credProps: { readonly rk: boolean } | null;
  /** Client extension outputs as sent (bounded JSON). */
  readonly client: Readonly<Record<string, unknown>>;
  /** Authenticator extension outputs (decoded CBOR map), or null when ED = 0. */
  readonly authenticator: CborMap | null;
}

/** How the signature counter moved (WebAuthn L3 §6.1.1, §7.2 step 22). */
export type CounterOutcome =
  /** Both counters zero: the authenticator keeps no counter. */
  | 'not_supported'
  /** The new counter is greater than the stored one. */
  | 'increased'
  /** Either is non-zero and the new one is not greater: a signal of cloning or a race. */
  | 'regressed';

export interface AuthenticationEvidence {
  readonly ceremony: 'authentication';
  readonly credentialId: Uint8Array;
  readonly alg: number;
  readonly flags: AuthenticatorFlags;
  readonly counter: number;
  readonly counterOutcome: CounterOutcome;
  readonly userHandle: Uint8Array | null;
  readonly origin: string;
  readonly topOrigin: string | null;
  readonly authenticatorAttachment: 'platform' | 'cross-platform' | null;
  readonly extensions: ExtensionOutputs;
}

// ---------------------------------------------------------------------------------------------
// What the relying party expects (inputs to verification)
// ---------------------------------------------------------------------------------------------

export interface CeremonyExpectations {
  /** The challenge the server issued: its bytes, or the base64url text clientData must carry. */
  readonly challenge: Uint8Array | string;
  /** Allowed origins, compared exactly (related origins: several entries). */
  readonly origins: readonly string[];
  /** The RP ID; authData.rpIdHash must equal SHA-256 of it. */
  readonly rpId: string;
  /**
   * Allowed embedding pages. When absent or empty, a response made in a cross-origin iframe
   * (`crossOrigin: true` or any `topOrigin`) is rejected (WebAuthn L3 §7.1 steps 10-11).
   */
  readonly topOrigins?: readonly string[];
  /** Accept `crossOrigin: true` with no `topOrigin` member (older clients). Default false. */
  readonly allowCrossOrigin?: boolean;
  readonly requireUserVerification: boolean;
  /** The verification clock. */
  readonly now: Date;
}

export interface RegistrationExpectations extends CeremonyExpectations {
  /** False only for conditional create (WebAuthn L3 §7.1 step 15). Default true. */
  readonly requireUserPresence?: boolean;
  /** The `alg` values offered in pubKeyCredParams (§7.1 step 20). Default: every supported alg. */
  readonly allowedAlgorithms?: readonly number[];
  /** Trust anchors per attestation format. A format with anchors must chain to one of them. */
  readonly trustAnchors?: Readonly<Partial<Record<string, readonly TrustAnchorInput[]>>>;
  readonly attestationPolicy?: Partial<AttestationPolicy>;
}

export interface StoredCredential {
  readonly id: Uint8Array;
  /** COSE_Key bytes as stored at registration. */
  readonly publicKey: Uint8Array;
  readonly counter: number;
  /** BE at registration; when given, BE in the assertion must match (§7.2 step 19). */
  readonly backupEligible?: boolean;
}

export interface AuthenticationExpectations extends CeremonyExpectations {
  readonly credential: StoredCredential;
  /** The credential IDs the options allowed; when non-empty the response must use one (§7.2 step 5). */
  readonly allowCredentials?: readonly Uint8Array[];
  /** The account's user handle; when given, a userHandle in the response must equal it (§7.2 step 6). */
  readonly userHandle?: Uint8Array;
  /** Discoverable flow: the response must carry a userHandle (§7.2 step 6). Default false. */
  readonly requireUserHandle?: boolean;
  /** What a counter regression does: throw `counter_regression`, or report it. Default 'report'. */
  readonly onCounterRegression?: 'reject' | 'report';
}
