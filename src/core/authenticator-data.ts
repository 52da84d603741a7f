/**
 * Authenticator data (WebAuthn L3 §6.1), parsed with offsets into the original bytes: the
 * fixed 37-byte head is read directly, CBOR is decoded only for the COSE key and extensions.
 */
import { Buffer } from 'node:buffer';
import { type CborMap, decodeCborPrefix, isCborMap } from './cbor.js';
import { fail } from './errors.js';
import type { AuthenticatorData, AuthenticatorFlags } from './types.js';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;
const FLAG_ED = 0x80;

/** §6.1: rpIdHash (32) + flags (1) + signCount (4). */
export const AUTH_DATA_MIN_LENGTH = 37;
/** §5.1 credential ID limit (also §7.1 step 25). */
export const MAX_CREDENTIAL_ID_LENGTH = 1023;
/** A generous ceiling: real authenticator data is well under 2 KiB (RSA-4096 keys included). */
export const MAX_AUTH_DATA_LENGTH = 16 * 1024;

export function decodeFlags(byte: number): AuthenticatorFlags {
  return {
    up: (byte & FLAG_UP) !== 0,
    uv: (byte & FLAG_UV) !== 0,
    be: (byte & FLAG_BE) !== 0,
    bs: (byte & FLAG_BS) !== 0,
    at: (byte & FLAG_AT) !== 0,
    ed: (byte & FLAG_ED) !== 0,
  };
}

export function parseAuthenticatorData(bytes: Uint8Array): AuthenticatorData {
  const raw = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (raw.length < AUTH_DATA_MIN_LENGTH) fail('authenticator_data_invalid', 'shorter than 37 bytes');
  if (raw.length > MAX_AUTH_DATA_LENGTH) fail('authenticator_data_invalid', 'too long');
  const flagsByte = raw[32] as number;
  // §6.1: bits 1 and 5 are reserved for future use; they are kept in flagsByte and never
  // influence a decision.
  const flags = decodeFlags(flagsByte);
  const signCount = raw.readUInt32BE(33);
  let offset = AUTH_DATA_MIN_LENGTH;
  let attestedCredentialData: AuthenticatorData['attestedCredentialData'];
  if (flags.at) {
    // §6.5.2: aaguid (16) + credentialIdLength (2) + credentialId (L) + credentialPublicKey.
    if (raw.length < offset + 18) fail('authenticator_data_invalid', 'attested credential data truncated');
    const aaguid = raw.subarray(offset, offset + 16);
    const idLength = raw.readUInt16BE(offset + 16);
    offset += 18;
    if (idLength > MAX_CREDENTIAL_ID_LENGTH)
      fail('credential_id_too_long', `credential ID is ${idLength} bytes`);
    if (raw.length < offset + idLength) fail('authenticator_data_invalid', 'credential ID truncated');
    const credentialId = raw.subarray(offset, offset + idLength);
    offset += idLength;
    const { value, end } = decodeCborPrefix(raw, offset);
    if (!isCborMap(value)) fail('authenticator_data_invalid', 'credential public key is not a CBOR map');
    attestedCredentialData = {
      aaguid,
      credentialId,
      credentialPublicKeyBytes: raw.subarray(offset, end),
      credentialPublicKey: value,
    };
    offset = end;
  }
  let extensions: CborMap | undefined;
  if (flags.ed) {
    if (offset >= raw.length) fail('authenticator_data_invalid', 'ED flag set but no extension data');
    const { value, end } = decodeCborPrefix(raw, offset);
    if (!isCborMap(value)) fail('authenticator_data_invalid', 'extensions are not a CBOR map');
    extensions = value;
    offset = end;
  }
  // §6.1: the attested data and extensions describe their own lengths; anything after is forged.
  if (offset !== raw.length) fail('authenticator_data_invalid', 'trailing bytes after authenticator data');
  return {
    raw,
    rpIdHash: raw.subarray(0, 32),
    flags,
    flagsByte,
    signCount,
    attestedCredentialData,
    extensions,
  };
}

/** Format a 16-byte AAGUID as a lower-case UUID string. */
export function formatAaguid(aaguid: Uint8Array): string {
  const hex = Buffer.from(aaguid.buffer, aaguid.byteOffset, aaguid.byteLength).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
