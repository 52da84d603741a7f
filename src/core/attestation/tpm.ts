/**
 * The `tpm` attestation statement format (WebAuthn L3 §8.3; certificate requirements §8.3.1).
 *
 * The statement proves that a TPM attestation identity key (AIK, certified by `x5c`) certified
 * the credential key: `certInfo` (a TPMS_ATTEST) names `pubArea` (the key's TPMT_PUBLIC) and binds
 * the ceremony through `extraData`, and `sig` is the AIK's signature over `certInfo`.
 *
 * Checks run cheapest first (structure, then certificate requirements, then signatures, then the
 * chain); all of them must pass, so the order never changes the outcome, only which error a
 * broken statement reports.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { children, DER, type DerNode, decodeOid, expectUniversal, isUniversal, parseDer } from '../asn1.js';
import type { CborMap, CborValue } from '../cbor.js';
import { verifyWithCertificateKey } from '../cose/index.js';
import { fail } from '../errors.js';
import type { AttestationContext, AttestationResult } from '../types.js';
import {
  computeTpmName,
  parseTpmsAttest,
  parseTpmsCertifyInfo,
  parseTpmtPublic,
  TPM_ALG,
  TPM_ECC_CURVE,
  TPM_GENERATED_VALUE,
  TPM_ST_ATTEST_CERTIFY,
  TPMA_OBJECT_SIGN_ENCRYPT,
  type TpmtPublic,
} from './tpm-structures.js';
import {
  attestationChain,
  chainEvidence,
  type ParsedCertificate,
  readAaguidExtension,
  OID as X509_OID,
} from './x509.js';

/** tcg-kp-AIKCertificate (WebAuthn L3 §8.3.1). */
const OID_TCG_KP_AIK_CERTIFICATE = '2.23.133.8.3';
/** TPMv2-EK-Profile §3.1.2 / §3.2.9 subject alternative name attributes. */
const OID_TPM_MANUFACTURER = '2.23.133.2.1';
const OID_TPM_MODEL = '2.23.133.2.2';
const OID_TPM_VERSION = '2.23.133.2.3';

/** The members tpmStmtFormat defines (§8.3 syntax); `ecdaaKeyId` was removed in Level 2. */
const STATEMENT_KEYS: ReadonlySet<string> = new Set(['ver', 'alg', 'x5c', 'sig', 'certInfo', 'pubArea']);

/** Bounds on byte strings in the statement (real ones: sig ≤ 512, certInfo ≈ 160, pubArea ≈ 310). */
const MAX_SIG = 1024;
const MAX_STRUCTURE = 2048;
/** Longest SAN attribute value kept (EK profile values are short: "id:xxxxxxxx", a model name). */
const MAX_SAN_VALUE = 256;

/**
 * The hash "employed in alg" (§8.3 certInfo check: extraData = hash(attToBeSigned)), for every
 * COSE signature algorithm a TPM AIK can use (RFC 9053, RFC 8812 incl. RS1).
 */
const COSE_ALG_HASH: ReadonlyMap<number, string> = new Map([
  [-7, 'sha256'], // ES256
  [-35, 'sha384'], // ES384
  [-36, 'sha512'], // ES512
  [-37, 'sha256'], // PS256
  [-38, 'sha384'], // PS384
  [-39, 'sha512'], // PS512
  [-257, 'sha256'], // RS256
  [-258, 'sha384'], // RS384
  [-259, 'sha512'], // RS512
  [-65535, 'sha1'], // RS1
]);

/**
 * TPM vendor IDs: TCG "TPM Vendor ID Registry" (Family 1.2 and 2.0), as "id:" + the 4-byte vendor
 * ID in hex (TPMv2-EK-Profile §3.1.2). Used to name the vendor in the evidence only: the §8.3 /
 * §8.3.1 procedure does not require the manufacturer to be registered, and the W3C test vector
 * uses "id:00000000". Keys are upper-case.
 */
export const TPM_VENDORS: ReadonlyMap<string, string> = new Map([
  ['id:414D4400', 'AMD'],
  ['id:414E5400', 'Ant Group'],
  ['id:41544D4C', 'Atmel'],
  ['id:4252434D', 'Broadcom'],
  ['id:4353434F', 'Cisco'],
  ['id:464C5953', 'Flyslice Technologies'],
  ['id:474F4F47', 'Google'],
  ['id:48504500', 'HPE'],
  ['id:48504900', 'HP Inc.'],
  ['id:48495349', 'Huawei'],
  ['id:49424D00', 'IBM'],
  ['id:49465800', 'Infineon'],
  ['id:494E5443', 'Intel'],
  ['id:4C454E00', 'Lenovo'],
  ['id:4D534654', 'Microsoft'],
  ['id:4E534D20', 'National Semiconductor'],
  ['id:4E545A00', 'Nationz'],
  ['id:4E544300', 'Nuvoton Technology'],
  ['id:51434F4D', 'Qualcomm'],
  ['id:524F4343', 'Fuzhou Rockchip'],
  ['id:534D5343', 'SMSC'],
  ['id:534D534E', 'Samsung'],
  ['id:534E5300', 'Sinosun'],
  ['id:53544D20', 'STMicroelectronics'],
  ['id:54584E00', 'Texas Instruments'],
  ['id:57454300', 'Winbond'],
]);
/** Not a TCG vendor: the ID the FIDO Alliance conformance tools put in their test AIK certificates. */
export const FIDO_CONFORMANCE_TPM_MANUFACTURER = 'id:FFFFF1D0';

/** TPM_ECC_CURVE → COSE crv (RFC 9053 §7.1) and coordinate size, for the curves COSE keys use. */
const ECC_CURVES: ReadonlyMap<number, { readonly crv: number; readonly size: number }> = new Map([
  [TPM_ECC_CURVE.NIST_P256, { crv: 1, size: 32 }],
  [TPM_ECC_CURVE.NIST_P384, { crv: 2, size: 48 }],
  [TPM_ECC_CURVE.NIST_P521, { crv: 3, size: 66 }],
]);

function bytesMember(attStmt: CborMap, key: string, max: number): Buffer {
  const value = attStmt.get(key);
  if (!(value instanceof Uint8Array)) fail('attestation_invalid', `tpm: ${key} must be a byte string`);
  if (value.length === 0 || value.length > max)
    fail('attestation_invalid', `tpm: ${key} has ${value.length} bytes`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function withoutLeadingZeros(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + i, bytes.byteLength - i);
}

/** Two unsigned big-endian integers are equal (leading zero octets do not count). */
function sameUnsigned(a: Uint8Array, b: Uint8Array): boolean {
  return withoutLeadingZeros(a).equals(withoutLeadingZeros(b));
}

function coseBytes(key: CborMap, label: number, what: string): Uint8Array {
  const v: CborValue = key.get(label);
  if (!(v instanceof Uint8Array)) fail('attestation_invalid', `tpm: credential public key has no ${what}`);
  return v;
}

/**
 * §8.3: "Verify that the public key specified by the parameters and unique fields of pubArea is
 * identical to the credentialPublicKey in the attestedCredentialData in authenticatorData."
 */
function checkPubAreaKey(pubArea: TpmtPublic, credentialKey: CborMap): void {
  const kty = credentialKey.get(1);
  const { parameters, unique } = pubArea;
  if (parameters.type === 'rsa' && unique.type === 'rsa') {
    if (kty !== 3)
      fail('attestation_invalid', 'tpm: pubArea holds an RSA key but the credential key is not RSA');
    const n = coseBytes(credentialKey, -1, 'RSA modulus');
    const e = coseBytes(credentialKey, -2, 'RSA exponent');
    // TPMS_RSA_PARMS.exponent: zero selects the default exponent 2^16 + 1 (TPM 2.0 Part 2 §12.2.3.5).
    const exponent = BigInt(parameters.exponent === 0 ? 65537 : parameters.exponent);
    const coseExponent = withoutLeadingZeros(e);
    if (coseExponent.length > 8 || BigInt(`0x${coseExponent.toString('hex') || '0'}`) !== exponent)
      fail('attestation_invalid', 'tpm: pubArea RSA exponent differs from the credential public key');
    if (!sameUnsigned(unique.n, n))
      fail('attestation_invalid', 'tpm: pubArea.unique (RSA modulus) differs from the credential public key');
    return;
  }
  if (parameters.type === 'ecc' && unique.type === 'ecc') {
    if (kty !== 2)
      fail('attestation_invalid', 'tpm: pubArea holds an ECC key but the credential key is not EC2');
    const curve = ECC_CURVES.get(parameters.curveId);
    if (!curve)
      fail('attestation_invalid', `tpm: pubArea curve 0x${parameters.curveId.toString(16)} is not supported`);
    if (credentialKey.get(-1) !== curve.crv)
      fail('attestation_invalid', 'tpm: pubArea curve differs from the credential public key curve');
    if (unique.x.length > curve.size || unique.y.length > curve.size)
      fail('attestation_invalid', 'tpm: pubArea ECC point coordinate longer than the curve');
    if (
      !sameUnsigned(unique.x, coseBytes(credentialKey, -2, 'x')) ||
      !sameUnsigned(unique.y, coseBytes(credentialKey, -3, 'y'))
    )
      fail('attestation_invalid', 'tpm: pubArea.unique (ECC point) differs from the credential public key');
    return;
  }
  fail('attestation_invalid', 'tpm: pubArea parameters and unique disagree');
}

// ---------------------------------------------------------------------------------------------
// AIK certificate (§8.3.1)
// ---------------------------------------------------------------------------------------------

export interface TpmDeviceAttributes {
  readonly manufacturer: string;
  readonly model: string;
  readonly version: string;
  /** 'rdn-per-attribute' (as TPMv2-EK-Profile §3.2.9 shows) or 'multi-valued-rdn'. */
  readonly layout: 'rdn-per-attribute' | 'multi-valued-rdn';
}

function decodeSanString(node: DerNode, what: string): string {
  if (node.cls !== 0 || node.constructed) fail('attestation_invalid', `tpm: ${what} is not a string`);
  if (node.content.length === 0 || node.content.length > MAX_SAN_VALUE)
    fail('attestation_invalid', `tpm: ${what} has ${node.content.length} bytes`);
  if (node.tag === DER.UTF8_STRING) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(node.content);
    } catch {
      return fail('attestation_invalid', `tpm: ${what} is not valid UTF-8`);
    }
  }
  if (node.tag === DER.PRINTABLE_STRING || node.tag === DER.IA5_STRING) {
    for (const b of node.content)
      if (b > 0x7e || b < 0x20) fail('attestation_invalid', `tpm: ${what} is not ASCII`);
    return node.content.toString('latin1');
  }
  return fail('attestation_invalid', `tpm: ${what} has string type ${node.tag}`);
}

/**
 * Read TPMManufacturer, TPMModel and TPMVersion from the AIK certificate's subjectAltName
 * directoryName (TPMv2-EK-Profile §3.2.9, referenced by §8.3.1).
 *
 * Two encodings occur in real AIK certificates: one RDN per attribute (as the EK profile shows,
 * e.g. STMicroelectronics and Intel TPMs) and a single multi-valued RDN holding all three
 * (Nuvoton TPMs, the FIDO conformance and W3C test certificates). Both name the same three
 * attributes, so both are read; each attribute must occur exactly once across the directoryName(s).
 */
export function readTpmSubjectAltName(cert: ParsedCertificate): TpmDeviceAttributes {
  const ext = cert.extensions.get(X509_OID.subjectAltName);
  if (!ext) fail('attestation_invalid', 'tpm: aikCert has no subjectAltName extension');
  const generalNames = expectUniversal(parseDer(ext.value), DER.SEQUENCE, 'GeneralNames');
  const found = new Map<string, string>();
  let multiValued = false;
  let directoryNames = 0;
  for (const gn of children(generalNames)) {
    // GeneralName directoryName [4] Name: Name is a CHOICE, so the tag is explicit (X.680 §31.2.7).
    if (gn.cls !== 2 || gn.tag !== 4) continue;
    directoryNames++;
    const [name, extra] = children(gn);
    if (extra !== undefined) fail('attestation_invalid', 'tpm: SAN directoryName holds more than one Name');
    for (const rdn of children(expectUniversal(name, DER.SEQUENCE, 'SAN directoryName Name'))) {
      const atvs = children(expectUniversal(rdn, DER.SET, 'SAN RelativeDistinguishedName'));
      if (atvs.length === 0) fail('attestation_invalid', 'tpm: empty RDN in the SAN directoryName');
      if (atvs.length > 1) multiValued = true;
      for (const atv of atvs) {
        const [type, value, more] = children(expectUniversal(atv, DER.SEQUENCE, 'SAN AttributeTypeAndValue'));
        if (!type || !isUniversal(type, DER.OID) || value === undefined || more !== undefined)
          fail('attestation_invalid', 'tpm: malformed AttributeTypeAndValue in the SAN');
        const oid = decodeOid(type.content);
        if (oid !== OID_TPM_MANUFACTURER && oid !== OID_TPM_MODEL && oid !== OID_TPM_VERSION) continue;
        if (found.has(oid)) fail('attestation_invalid', `tpm: SAN names ${oid} more than once`);
        found.set(oid, decodeSanString(value, `SAN ${oid}`));
      }
    }
  }
  if (directoryNames === 0) fail('attestation_invalid', 'tpm: aikCert SAN has no directoryName');
  const manufacturer = found.get(OID_TPM_MANUFACTURER);
  const model = found.get(OID_TPM_MODEL);
  const version = found.get(OID_TPM_VERSION);
  if (manufacturer === undefined || model === undefined || version === undefined)
    fail('attestation_invalid', 'tpm: aikCert SAN lacks TPM manufacturer, model or version');
  return { manufacturer, model, version, layout: multiValued ? 'multi-valued-rdn' : 'rdn-per-attribute' };
}

/** §8.3.1: the requirements on the AIK certificate. Returns the TPM attributes from its SAN. */
function checkAikCertificate(aik: ParsedCertificate): TpmDeviceAttributes {
  // §8.3.1: "Version MUST be set to 3."
  if (aik.version !== 3) fail('attestation_invalid', `tpm: aikCert version is ${aik.version}, not 3`);
  // §8.3.1: "Subject field MUST be set to empty."
  if (!aik.subjectEmpty) fail('attestation_invalid', 'tpm: aikCert subject is not empty');
  // §8.3.1: "The Subject Alternative Name extension MUST be set as defined in [TPMv2-EK-Profile]
  // section 3.2.9": a directoryName with TPM manufacturer, model and version.
  const attributes = readTpmSubjectAltName(aik);
  // TPMv2-EK-Profile §3.1.2: TPMManufacturer is "id:" followed by the 4-byte vendor ID in hex.
  // Whether that vendor is in the TCG registry is evidence, not a §8.3 requirement (see TPM_VENDORS).
  if (!/^id:[0-9A-Fa-f]{8}$/.test(attributes.manufacturer))
    fail(
      'attestation_invalid',
      `tpm: aikCert TPM manufacturer "${attributes.manufacturer}" is not "id:" + 8 hex digits`,
    );
  // §8.3.1: "The Extended Key Usage extension MUST contain the OID 2.23.133.8.3."
  if (!aik.extendedKeyUsage.includes(OID_TCG_KP_AIK_CERTIFICATE))
    fail('attestation_invalid', 'tpm: aikCert extended key usage lacks tcg-kp-AIKCertificate (2.23.133.8.3)');
  // §8.3.1: "The Basic Constraints extension MUST have the CA component set to false."
  if (aik.isCA !== false)
    fail(
      'attestation_invalid',
      aik.isCA === true
        ? 'tpm: aikCert is a CA certificate'
        : 'tpm: aikCert has no basicConstraints extension',
    );
  return attributes;
}

// ---------------------------------------------------------------------------------------------
// The verifier
// ---------------------------------------------------------------------------------------------

/** WebAuthn L3 §8.3 verification procedure. Attestation type AttCA, trust path x5c. */
export function verifyTpm(attStmt: CborMap, ctx: AttestationContext): AttestationResult {
  // §8.3: "Verify that attStmt is valid CBOR conforming to the syntax defined above and perform
  // CBOR decoding on it to extract the contained fields."
  for (const key of attStmt.keys()) {
    if (key === 'ecdaaKeyId') fail('attestation_invalid', 'tpm: ECDAA (ecdaaKeyId) is not supported');
    if (typeof key !== 'string' || !STATEMENT_KEYS.has(key))
      fail('attestation_invalid', `tpm: unexpected attStmt member ${String(key)}`);
  }
  // ver: "2.0" is the only value the syntax allows.
  if (attStmt.get('ver') !== '2.0') fail('attestation_invalid', 'tpm: ver must be "2.0"');
  const alg = attStmt.get('alg');
  if (typeof alg !== 'number' || !Number.isSafeInteger(alg))
    fail('attestation_invalid', 'tpm: alg must be an integer');
  const sig = bytesMember(attStmt, 'sig', MAX_SIG);
  const certInfoBytes = bytesMember(attStmt, 'certInfo', MAX_STRUCTURE);
  const pubAreaBytes = bytesMember(attStmt, 'pubArea', MAX_STRUCTURE);
  // §8.3 "Verify that x5c is present." (and x5c: [aikCert, * caCert], DER certificates).
  if (!attStmt.has('x5c')) fail('attestation_invalid', 'tpm: x5c is missing');
  const chain = attestationChain(attStmt.get('x5c'));
  const aik = chain[0] as ParsedCertificate;

  const hashName = COSE_ALG_HASH.get(alg);
  if (hashName === undefined)
    fail('unsupported_algorithm', `tpm: alg ${alg} is not a supported AIK algorithm`);

  const acd = ctx.authData.attestedCredentialData;
  if (!acd) fail('attestation_invalid', 'tpm: authenticator data has no attested credential data');

  // §8.3: the key in pubArea (parameters + unique) is identical to credentialPublicKey.
  const pubArea = parseTpmtPublic(pubAreaBytes);
  checkPubAreaKey(pubArea, acd.credentialPublicKey);
  // Hardening (not a §8.3 step): a credential key signs assertions, so the TPM object must carry
  // TPMA_OBJECT.sign (TPM 2.0 Part 2 §8.3.2, bit 18); a decrypt-only object cannot be a credential.
  if ((pubArea.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT) === 0)
    fail('attestation_invalid', 'tpm: pubArea object is not a signing key (TPMA_OBJECT.sign clear)');

  // §8.3: "Concatenate authenticatorData and clientDataHash to form attToBeSigned."
  const attToBeSigned = Buffer.concat([ctx.authData.raw, ctx.clientDataHash]);

  // §8.3 "Validate that certInfo is valid" (certInfo is a TPMS_ATTEST).
  const certInfo = parseTpmsAttest(certInfoBytes);
  // "Verify that magic is set to TPM_GENERATED_VALUE."
  if (certInfo.magic !== TPM_GENERATED_VALUE)
    fail(
      'attestation_invalid',
      `tpm: certInfo.magic is 0x${certInfo.magic.toString(16)}, not TPM_GENERATED_VALUE`,
    );
  // "Verify that type is set to TPM_ST_ATTEST_CERTIFY."
  if (certInfo.type !== TPM_ST_ATTEST_CERTIFY)
    fail(
      'attestation_invalid',
      `tpm: certInfo.type is 0x${certInfo.type.toString(16)}, not TPM_ST_ATTEST_CERTIFY`,
    );
  // "Verify that extraData is set to the hash of attToBeSigned using the hash algorithm employed in alg."
  const expectedExtraData = createHash(hashName).update(attToBeSigned).digest();
  if (!certInfo.extraData.equals(expectedExtraData))
    fail(
      'attestation_invalid',
      'tpm: certInfo.extraData is not the hash of authenticatorData || clientDataHash',
    );
  // "Verify that attested contains a TPMS_CERTIFY_INFO structure ... whose name field contains a
  // valid Name for pubArea, as computed using ... the nameAlg in the pubArea." (TPM 2.0 Part 1 §16:
  // Name = nameAlg || H_nameAlg(TPMT_PUBLIC)). qualifiedSigner, clockInfo, firmwareVersion are ignored.
  const certified = parseTpmsCertifyInfo(certInfo.attested);
  if (!certified.name.equals(computeTpmName(pubArea)))
    fail('attestation_invalid', 'tpm: certInfo.attested.name is not the Name of pubArea');

  // §8.3: "Verify that aikCert meets the requirements in §8.3.1."
  const device = checkAikCertificate(aik);
  // §8.3: "If aikCert contains an extension with OID 1.3.6.1.4.1.45724.1.1.4 (id-fido-gen-ce-aaguid)
  // verify that the value of this extension matches the aaguid in authenticatorData."
  const certAaguid = readAaguidExtension(aik);
  if (certAaguid !== undefined && !certAaguid.equals(acd.aaguid))
    fail(
      'attestation_invalid',
      'tpm: aikCert id-fido-gen-ce-aaguid (1.3.6.1.4.1.45724.1.1.4) does not match the authenticator data AAGUID',
    );
  // §8.3: "Verify the sig is a valid signature over certInfo using the attestation public key in
  // aikCert with the algorithm specified in alg."
  if (!verifyWithCertificateKey(alg, aik.publicKey, certInfoBytes, sig))
    fail('attestation_invalid', 'tpm: sig does not verify over certInfo with the aikCert key');

  // §7.1 steps 22-23: the trust path x5c must be a valid chain (to a configured anchor, if any).
  const evidence = chainEvidence(chain, ctx);
  const manufacturer = device.manufacturer;
  const upper = `id:${manufacturer.slice(3).toUpperCase()}`;
  return {
    type: 'attca',
    ...evidence,
    details: {
      tpmManufacturer: manufacturer,
      tpmVendor:
        TPM_VENDORS.get(upper) ??
        (upper === FIDO_CONFORMANCE_TPM_MANUFACTURER ? 'FIDO Alliance (conformance test)' : null),
      tpmVendorRegistered: TPM_VENDORS.has(upper),
      tpmModel: device.model,
      tpmVersion: device.version,
      tpmSanLayout: device.layout,
      tpmKeyType: pubArea.type === TPM_ALG.RSA ? 'rsa' : 'ecc',
      tpmNameAlg: pubArea.nameAlg,
    },
  };
}
