/**
 * Real Chromium for the portal's end-to-end tests: Debian's `chromium` driven by playwright-core
 * (no browser download, ever), with CDP virtual authenticators standing in for passkey providers
 * and security keys.
 *
 * What the virtual authenticators do, and their quirks (measured on this Chromium):
 * ../shared/research/chromium-virtual-authenticator.md. The ones the tests design around:
 * - pages must be http://localhost:PORT (127.0.0.1 gives SecurityError), rpId `localhost`;
 * - `WebAuthn.enable` must keep `enableUI: false` (true hangs headless);
 * - one `internal` authenticator per tab, at most 3 resident credentials per authenticator;
 * - with an internal and a usb authenticator attached, the usb one answers discoverable requests;
 * - conditional mediation resolves at once when the internal authenticator holds a passkey for the
 *   site, and rejects at once (NotAllowedError) when it holds none.
 */
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const LAUNCH_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** CDP `WebAuthn.VirtualAuthenticatorOptions` (the members these tests use). */
export interface AuthenticatorOptions {
  readonly protocol: 'ctap2' | 'u2f';
  readonly ctap2Version?: 'ctap2_0' | 'ctap2_1' | 'ctap2_2';
  readonly transport: 'usb' | 'nfc' | 'ble' | 'cable' | 'hybrid' | 'smart-card' | 'internal';
  readonly hasResidentKey?: boolean;
  readonly hasUserVerification?: boolean;
  readonly isUserVerified?: boolean;
  readonly automaticPresenceSimulation?: boolean;
  readonly defaultBackupEligibility?: boolean;
  readonly defaultBackupState?: boolean;
}

/** CDP `WebAuthn.Credential` (the members these tests read; binary fields are standard base64). */
export interface StoredCredential {
  readonly credentialId: string;
  readonly isResidentCredential: boolean;
  readonly rpId?: string;
  readonly userHandle?: string;
  readonly signCount: number;
  readonly backupEligibility?: boolean;
  readonly backupState?: boolean;
}

/** A synced passkey (a platform passkey provider such as Google Password Manager): BE = BS = 1. */
export const SYNCED_PASSKEY: AuthenticatorOptions = Object.freeze({
  protocol: 'ctap2',
  ctap2Version: 'ctap2_1',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  defaultBackupEligibility: true,
  defaultBackupState: true,
});

/** A hardware security key on USB (YubiKey-like): device-bound, BE = 0. */
export const SECURITY_KEY: AuthenticatorOptions = Object.freeze({
  protocol: 'ctap2',
  ctap2Version: 'ctap2_1',
  transport: 'usb',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
});

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: install Debian's package (apt-get install -y chromium); .ci/run does this.`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...LAUNCH_ARGS] });
}

/** A phone-sized or desktop window. */
export const PHONE = { width: 360, height: 740 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

export interface VirtualAuthenticator {
  readonly id: string;
  readonly options: AuthenticatorOptions;
  /** The credentials it holds (CDP binary fields are standard base64). */
  credentials(): Promise<readonly StoredCredential[]>;
  /** Off: requests wait for a touch that never comes, as a real browser waits for the person. */
  setPresence(enabled: boolean): Promise<void>;
  /** Whether user verification (PIN, biometrics) succeeds. */
  setUserVerified(verified: boolean): Promise<void>;
  remove(): Promise<void>;
}

/** The page's WebAuthn environment: virtual authenticators only, no UI. */
export class WebAuthnEnvironment {
  private constructor(private readonly cdp: CDPSession) {}

  static async attach(context: BrowserContext, page: Page): Promise<WebAuthnEnvironment> {
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    return new WebAuthnEnvironment(cdp);
  }

  async add(options: AuthenticatorOptions): Promise<VirtualAuthenticator> {
    const { cdp } = this;
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { ...options },
    });
    return {
      id: authenticatorId,
      options,
      credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
      setPresence: async (enabled) => {
        await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled });
      },
      setUserVerified: async (isUserVerified) => {
        await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified });
      },
      remove: async () => {
        await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
      },
    };
  }
}

/** Standard base64 (CDP) to base64url (WebAuthn JSON, the server's IDs). */
export function base64url(standard: string): string {
  return standard.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
