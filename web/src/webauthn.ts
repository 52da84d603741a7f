/**
 * The browser side of the two WebAuthn ceremonies. Options arrive as the server's JSON
 * (WebAuthn L3 `PublicKeyCredentialCreationOptionsJSON` / `RequestOptionsJSON`) and responses go
 * back as `PublicKeyCredential.toJSON()`. Browsers that predate those helpers get the same
 * conversion done here by hand (base64url ⇄ bytes).
 */

/** Thrown when the browser has no WebAuthn at all. */
export class WebAuthnUnavailableError extends Error {
  override readonly name = 'WebAuthnUnavailableError';
}

export function webAuthnAvailable(): boolean {
  return (
    typeof window.PublicKeyCredential === 'function' &&
    typeof navigator.credentials === 'object' &&
    typeof navigator.credentials.get === 'function'
  );
}

/** True when the browser can offer passkeys in the username field's autofill. */
export async function conditionalMediationAvailable(): Promise<boolean> {
  if (!webAuthnAvailable()) return false;
  if (typeof PublicKeyCredential.isConditionalMediationAvailable !== 'function') return false;
  try {
    return await PublicKeyCredential.isConditionalMediationAvailable();
  } catch {
    return false;
  }
}

// --- base64url (only for browsers without the JSON helpers) -------------------------------------

function bytesFromBase64url(value: string): Uint8Array<ArrayBuffer> {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function base64urlFromBytes(value: ArrayBuffer | ArrayBufferView): string {
  const bytes =
    value instanceof ArrayBuffer
      ? new Uint8Array(value)
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function descriptorFromJSON(descriptor: PublicKeyCredentialDescriptorJSON): PublicKeyCredentialDescriptor {
  const out: PublicKeyCredentialDescriptor = { type: 'public-key', id: bytesFromBase64url(descriptor.id) };
  if (descriptor.transports !== undefined) out.transports = descriptor.transports as AuthenticatorTransport[];
  return out;
}

/** Extensions whose inputs carry no binary values pass through as they are. */
function plainExtensions(
  extensions: AuthenticationExtensionsClientInputsJSON | undefined,
): AuthenticationExtensionsClientInputs | undefined {
  if (extensions === undefined) return undefined;
  const out: AuthenticationExtensionsClientInputs = {};
  if (extensions.credProps !== undefined) out.credProps = extensions.credProps;
  if (extensions.appid !== undefined) out.appid = extensions.appid;
  return out;
}

function creationOptionsFromJSON(
  json: PublicKeyCredentialCreationOptionsJSON,
): PublicKeyCredentialCreationOptions {
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function') {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  const options: PublicKeyCredentialCreationOptions = {
    rp: json.rp,
    user: { id: bytesFromBase64url(json.user.id), name: json.user.name, displayName: json.user.displayName },
    challenge: bytesFromBase64url(json.challenge),
    pubKeyCredParams: json.pubKeyCredParams,
  };
  if (json.timeout !== undefined) options.timeout = json.timeout;
  if (json.excludeCredentials !== undefined)
    options.excludeCredentials = json.excludeCredentials.map(descriptorFromJSON);
  if (json.authenticatorSelection !== undefined) options.authenticatorSelection = json.authenticatorSelection;
  if (json.attestation !== undefined)
    options.attestation = json.attestation as AttestationConveyancePreference;
  const extensions = plainExtensions(json.extensions);
  if (extensions !== undefined) options.extensions = extensions;
  return options;
}

function requestOptionsFromJSON(
  json: PublicKeyCredentialRequestOptionsJSON,
): PublicKeyCredentialRequestOptions {
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function') {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  const options: PublicKeyCredentialRequestOptions = { challenge: bytesFromBase64url(json.challenge) };
  if (json.timeout !== undefined) options.timeout = json.timeout;
  if (json.rpId !== undefined) options.rpId = json.rpId;
  if (json.allowCredentials !== undefined)
    options.allowCredentials = json.allowCredentials.map(descriptorFromJSON);
  if (json.userVerification !== undefined)
    options.userVerification = json.userVerification as UserVerificationRequirement;
  const extensions = plainExtensions(json.extensions);
  if (extensions !== undefined) options.extensions = extensions;
  return options;
}

/** The credential as the JSON the server expects (what `toJSON()` gives in current browsers). */
function credentialToJSON(credential: PublicKeyCredential): unknown {
  if (typeof credential.toJSON === 'function') {
    const json: unknown = credential.toJSON();
    return json;
  }
  const common = {
    id: credential.id,
    rawId: base64urlFromBytes(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
  const response = credential.response;
  if (response instanceof AuthenticatorAttestationResponse) {
    return {
      ...common,
      response: {
        clientDataJSON: base64urlFromBytes(response.clientDataJSON),
        attestationObject: base64urlFromBytes(response.attestationObject),
        transports: typeof response.getTransports === 'function' ? response.getTransports() : [],
      },
    };
  }
  if (response instanceof AuthenticatorAssertionResponse) {
    return {
      ...common,
      response: {
        clientDataJSON: base64urlFromBytes(response.clientDataJSON),
        authenticatorData: base64urlFromBytes(response.authenticatorData),
        signature: base64urlFromBytes(response.signature),
        ...(response.userHandle === null ? {} : { userHandle: base64urlFromBytes(response.userHandle) }),
      },
    };
  }
  throw new TypeError('The browser returned a credential of an unknown kind.');
}

function asPublicKeyCredential(credential: Credential | null): PublicKeyCredential {
  if (credential instanceof PublicKeyCredential) return credential;
  throw new DOMException('The browser returned no credential.', 'NotAllowedError');
}

/** Registration: create a credential from the server's options; resolves with `toJSON()`. */
export async function createCredential(
  options: PublicKeyCredentialCreationOptionsJSON,
  signal?: AbortSignal,
): Promise<unknown> {
  if (!webAuthnAvailable()) throw new WebAuthnUnavailableError('This browser cannot use passkeys.');
  const request: CredentialCreationOptions = { publicKey: creationOptionsFromJSON(options) };
  if (signal !== undefined) request.signal = signal;
  return credentialToJSON(asPublicKeyCredential(await navigator.credentials.create(request)));
}

/**
 * Authentication: an assertion for the server's options; resolves with `toJSON()`. With
 * `mediation: 'conditional'` the browser offers passkeys in the autofill of a field marked
 * `autocomplete="username webauthn"` and the promise settles only when one is picked.
 */
export async function getAssertion(
  options: PublicKeyCredentialRequestOptionsJSON,
  how: { readonly mediation?: CredentialMediationRequirement; readonly signal?: AbortSignal } = {},
): Promise<unknown> {
  if (!webAuthnAvailable()) throw new WebAuthnUnavailableError('This browser cannot use passkeys.');
  const request: CredentialRequestOptions = { publicKey: requestOptionsFromJSON(options) };
  if (how.mediation !== undefined) request.mediation = how.mediation;
  if (how.signal !== undefined) request.signal = how.signal;
  return credentialToJSON(asPublicKeyCredential(await navigator.credentials.get(request)));
}
