/**
 * The portal end to end, in real Chromium against the real server, on SQLite and PostgreSQL:
 * what a person sees (roles, accessible names, text) and what the server then holds (GET
 * /api/session, GET /api/credentials). Virtual authenticators stand in for a synced passkey
 * provider (internal, BE = BS = 1) and a USB security key (BE = 0); see ./browser.ts for their
 * quirks. One browser for the file, a fresh context (cookies, authenticators) per test.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import {
  type AuthenticatorOptions,
  base64url,
  DESKTOP,
  launchBrowser,
  PHONE,
  SECURITY_KEY,
  SYNCED_PASSKEY,
  type VirtualAuthenticator,
  WebAuthnEnvironment,
} from './browser.js';
import { removePortalBuild, startServer, type TestServer } from './server.js';

/** The words the portal uses for each class (the wording). */
const CLASS_WORDS: Readonly<Record<string, string>> = {
  'synced-passkey': 'Synced passkey',
  'device-bound-passkey': 'Device-bound passkey',
  'security-key': 'Security key',
  'device-bound-unverified': 'Device-bound (unverified)',
};

interface SessionJson {
  readonly session: {
    readonly aal: string;
    readonly credentialId: string;
    readonly person: { readonly username: string };
  };
}
interface CredentialJson {
  readonly id: string;
  readonly name: string;
  readonly class: string;
  readonly aal: string | null;
  readonly backupEligible: boolean;
  readonly backupState: boolean;
}

let browser: Browser;
const contexts: BrowserContext[] = [];
/** Script errors and Content-Security-Policy refusals seen by any page of the current test. */
const pageProblems: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await removePortalBuild();
});

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  // The portal runs under the server's CSP (script-src 'self', style-src 'self'): nothing inline.
  expect(pageProblems.splice(0)).toEqual([]);
});

function watch(page: Page): Page {
  page.on('pageerror', (error) => pageProblems.push(`${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text()))
      pageProblems.push(`${page.url()}: ${message.text()}`);
  });
  return page;
}

interface Visit {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly webauthn: WebAuthnEnvironment;
}

/** A new browser profile (cookies, authenticators) with one tab. */
async function visit(
  server: TestServer,
  viewport: { width: number; height: number } = DESKTOP,
): Promise<Visit> {
  const context = await browser.newContext({ baseURL: server.origin, viewport });
  contexts.push(context);
  const page = watch(await context.newPage());
  const webauthn = await WebAuthnEnvironment.attach(context, page);
  return { context, page, webauthn };
}

/** The server's view, with the browser's cookies. */
async function apiGet<T>(context: BrowserContext, path: string): Promise<{ status: number; body: T }> {
  const response = await context.request.get(path);
  return { status: response.status(), body: (await response.json()) as T };
}

async function serverSession(context: BrowserContext): Promise<SessionJson['session'] | null> {
  const { status, body } = await apiGet<SessionJson>(context, '/api/session');
  return status === 200 ? body.session : null;
}

async function serverCredentials(context: BrowserContext): Promise<readonly CredentialJson[]> {
  const { status, body } = await apiGet<{ credentials: CredentialJson[] }>(context, '/api/credentials');
  expect(status).toBe(200);
  return body.credentials;
}

const pageHeading = (page: Page, name: string): Locator => page.getByRole('heading', { level: 1, name });

/** The account page, once its data has loaded. */
async function accountShown(page: Page): Promise<void> {
  await pageHeading(page, 'Your account').waitFor();
  await page.getByText('Signed in as').waitFor();
}

/** The card of one credential on the account page, found by its name. */
const card = (page: Page, name: string): Locator =>
  page.getByRole('listitem').filter({ has: page.getByRole('heading', { level: 3, name, exact: true }) });

async function textOf(locator: Locator): Promise<string> {
  await locator.waitFor();
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a person reads.
  return (await locator.innerText()).replace(/\s+/g, ' ');
}

/** Open the onboarding link and enrol the first credential; ends on the account page. */
async function onboard(
  page: Page,
  link: string,
  kind: 'passkey' | 'security-key',
  name?: string,
): Promise<void> {
  await page.goto(link);
  await page.getByText('Welcome,').waitFor();
  // The pass is taken out of the address bar (and history) once read.
  expect(new URL(page.url()).hash).toBe('');
  if (name !== undefined) await page.getByLabel('Name for it').fill(name);
  await page
    .getByRole('button', { name: kind === 'passkey' ? 'Create a passkey' : 'Use a security key' })
    .click();
  await accountShown(page);
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await pageHeading(page, 'Sign in').waitFor();
  await page.getByText('You have signed out.').waitFor();
}

/** Screenshots for a person to look at (never compared automatically); kept out of the repository. */
const SCREENSHOTS = join(tmpdir(), 'tessera-portal-screenshots');

async function snap(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Run in the page: a sign-in whose response has one signature character changed before it is
 * sent; evaluates to the HTTP status of the verification.
 */
const TAMPERED_SIGN_IN = `(async () => {
  const post = (path, body) => fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const options = await (await post('/api/authentication/options', {})).json();
  const credential = await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
  });
  const response = credential.toJSON();
  const signature = response.response.signature;
  const i = signature.length - 4;
  response.response.signature =
    signature.slice(0, i) + (signature[i] === 'A' ? 'B' : 'A') + signature.slice(i + 1);
  return (await post('/api/authentication/verify', { response })).status;
})()`;

async function credentialIdsOn(authenticator: VirtualAuthenticator): Promise<string[]> {
  return (await authenticator.credentials()).map((credential) => base64url(credential.credentialId));
}

describe.each(DIALECTS)('portal on %s', (dialect) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(dialect);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('onboards with a synced passkey, signs out, and signs back in by passkey autofill', async () => {
    const { link } = await server.addPerson('ada', 'Ada Lovelace');
    const { context, page, webauthn } = await visit(server);
    const passkey = await webauthn.add(SYNCED_PASSKEY);

    await onboard(page, link, 'passkey', 'Laptop passkey');

    const laptop = card(page, 'Laptop passkey');
    expect(await textOf(laptop)).toContain('Synced passkey');
    expect(await textOf(laptop)).toContain('AAL2');
    const [credential] = await serverCredentials(context);
    expect(credential).toMatchObject({ name: 'Laptop passkey', class: 'synced-passkey', aal: 'AAL2' });
    expect(credential).toMatchObject({ backupEligible: true, backupState: true });
    expect(await serverSession(context)).toMatchObject({ aal: 'AAL2', person: { username: 'ada' } });
    expect(await credentialIdsOn(passkey)).toEqual([credential?.id]);

    // A real browser leaves the autofill request pending until the person picks a passkey; the
    // virtual one answers at once unless presence is withheld, so withhold it to see the page.
    await passkey.setPresence(false);
    await signOut(page);
    expect(await serverSession(context)).toBeNull();
    const username = page.getByLabel('Username');
    expect(await username.getAttribute('autocomplete')).toBe('username webauthn');
    expect(await page.evaluate('PublicKeyCredential.isConditionalMediationAvailable()')).toBe(true);

    // The person picks the passkey from the autofill: nothing is clicked, no username typed.
    await passkey.setPresence(true);
    await page.reload();
    await accountShown(page);
    expect(await username.count()).toBe(0);
    const session = await serverSession(context);
    expect(session).toMatchObject({ aal: 'AAL2', credentialId: credential?.id });
    const signIns = page.getByRole('region', { name: 'Recent sign-ins' }).getByRole('row');
    expect(await textOf(signIns.nth(1))).toContain('Laptop passkey');
    expect(await signIns.count()).toBeGreaterThanOrEqual(2);

    // An answer that does not verify (the page changes its signature) is a failed sign-in, and the
    // person sees it in their history: someone may be trying their account (SP 800-63B-4 §3.2.2).
    expect(await page.evaluate(TAMPERED_SIGN_IN)).toBe(400);
    await page.reload();
    await accountShown(page);
    const failed = await textOf(signIns.nth(1));
    expect(failed).toContain('Laptop passkey');
    expect(failed).toContain('Failed: the passkey’s response did not verify.');
  });

  it('onboards with a security key and signs in without a username, and with one, by keyboard', async () => {
    const { link } = await server.addPerson('grace', 'Grace Hopper');
    const { context, page, webauthn } = await visit(server);
    await webauthn.add(SECURITY_KEY);

    await onboard(page, link, 'security-key', 'Blue key');

    const [credential] = await serverCredentials(context);
    if (credential === undefined) throw new Error('no credential after onboarding');
    expect(credential).toMatchObject({ name: 'Blue key', backupEligible: false, backupState: false });
    expect(['security-key', 'device-bound-unverified']).toContain(credential.class);
    expect(credential.aal).not.toBeNull();
    const blue = card(page, 'Blue key');
    expect(await textOf(blue)).toContain(CLASS_WORDS[credential.class]);
    expect(await textOf(blue)).toContain(`${credential.aal}`);
    const session = await serverSession(context);
    expect(session?.aal).toBe(credential.aal);
    expect(await textOf(page.getByText('Signed in as'))).toContain('Grace Hopper');

    await signOut(page);
    expect(await serverSession(context)).toBeNull();

    // Usernameless, by keyboard: username field → Continue → "Sign in with a passkey".
    await page.getByLabel('Username').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe(
      'Sign in with a passkey',
    );
    await snap(page, `${dialect}-sign-in-keyboard-focus`);
    await page.keyboard.press('Enter');
    await accountShown(page);
    expect(await serverSession(context)).toMatchObject({ credentialId: credential.id, aal: credential.aal });

    // With a username: the browser is asked for this person's credentials only.
    await signOut(page);
    await page.getByLabel('Username').fill('grace');
    await page.keyboard.press('Enter');
    await accountShown(page);
    expect(await serverSession(context)).toMatchObject({ credentialId: credential.id });
  });

  it('adds a second key, refuses to remove the last one, renames and removes', async () => {
    const { link } = await server.addPerson('katherine', 'Katherine Johnson');
    const { context, page, webauthn } = await visit(server);
    await webauthn.add(SYNCED_PASSKEY);
    await onboard(page, link, 'passkey', 'Phone passkey');

    // The only credential cannot go.
    await card(page, 'Phone passkey').getByRole('button', { name: 'Remove Phone passkey' }).click();
    await page.getByRole('group', { name: /Remove “Phone passkey”\?/ }).waitFor();
    await page.getByRole('button', { name: 'Yes, remove it' }).click();
    expect(await textOf(card(page, 'Phone passkey').getByRole('alert'))).toContain(
      'This is your only passkey or security key, so it cannot be removed',
    );
    await snap(page, `${dialect}-account-last-credential`);
    expect(await serverCredentials(context)).toHaveLength(1);

    // A security key as the second credential (the sign-in a moment ago is recent enough).
    const key = await webauthn.add(SECURITY_KEY);
    await page.getByRole('button', { name: 'Add a security key' }).click();
    await page.getByText(/^Added “/).waitFor();
    const credentials = await serverCredentials(context);
    expect(credentials).toHaveLength(2);
    const added = credentials.find((c) => c.class !== 'synced-passkey');
    if (added === undefined) throw new Error('the security key is not listed');
    expect(added.backupEligible).toBe(false);
    expect(await credentialIdsOn(key)).toEqual([added.id]);
    const addedCard = card(page, added.name);
    expect(await textOf(addedCard)).toContain(CLASS_WORDS[added.class]);
    expect(await page.getByRole('heading', { level: 3 }).count()).toBe(2);

    // The same key again: the browser refuses (excludeCredentials) and the page says why.
    await page.getByRole('button', { name: 'Add a security key' }).click();
    expect(await textOf(page.getByRole('alert').filter({ hasText: 'already registered' }))).toContain(
      'This authenticator is already registered for your account.',
    );
    expect(await serverCredentials(context)).toHaveLength(2);

    // Rename with the inline form.
    await addedCard.getByRole('button', { name: `Rename ${added.name}` }).click();
    const nameField = page.getByLabel(`New name for “${added.name}”`);
    await nameField.fill('Blue key');
    await nameField.press('Enter');
    await card(page, 'Blue key').waitFor();
    expect((await serverCredentials(context)).find((c) => c.id === added.id)?.name).toBe('Blue key');

    // Now a removal goes through.
    await card(page, 'Blue key').getByRole('button', { name: 'Remove Blue key' }).click();
    await page.getByRole('button', { name: 'Yes, remove it' }).click();
    await page.getByText('Removed “Blue key”.').waitFor();
    expect(await card(page, 'Blue key').count()).toBe(0);
    expect((await serverCredentials(context)).map((c) => c.name)).toEqual(['Phone passkey']);
  });

  it('asks for a fresh sign-in before adding a credential when the sign-in is old', async () => {
    const { link } = await server.addPerson('annie', 'Annie Easley');
    const { context, page, webauthn } = await visit(server);
    const key = await webauthn.add(SECURITY_KEY);
    await onboard(page, link, 'security-key', 'Green key');

    // Six minutes later the session is alive (AAL2 idle limit: an hour) but too old to add a key.
    server.advanceClock(6 * 60_000);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    expect(await textOf(page.getByRole('alert'))).toContain(
      'For your security, adding a passkey or security key needs a recent sign-in.',
    );
    expect(await serverSession(context)).not.toBeNull();
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await pageHeading(page, 'Sign in').waitFor();
    await page.getByText('Sign in again, then add your passkey or security key.').waitFor();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await accountShown(page);

    // The key is unplugged and a passkey provider is at hand: the passkey is added.
    await key.remove();
    const passkey = await webauthn.add(SYNCED_PASSKEY);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText(/^Added “/).waitFor();
    const classes = (await serverCredentials(context)).map((c) => c.class);
    expect(classes).toHaveLength(2);
    expect(classes).toContain('synced-passkey');
    expect(await passkey.credentials()).toHaveLength(1);
  });

  it('works in a browser without the WebAuthn JSON helpers (the portal converts by hand)', async () => {
    const { link } = await server.addPerson('evelyn', 'Evelyn Boyd Granville');
    const { context, page, webauthn } = await visit(server);
    await context.addInitScript(
      'delete PublicKeyCredential.parseCreationOptionsFromJSON; delete PublicKeyCredential.parseRequestOptionsFromJSON; delete PublicKeyCredential.prototype.toJSON;',
    );
    await webauthn.add(SECURITY_KEY);
    await onboard(page, link, 'security-key', 'Old browser key');
    expect(await page.evaluate('typeof PublicKeyCredential.parseCreationOptionsFromJSON')).toBe('undefined');
    const [credential] = await serverCredentials(context);
    expect(credential).toMatchObject({ name: 'Old browser key', backupEligible: false });

    await signOut(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await accountShown(page);
    expect(await serverSession(context)).toMatchObject({ credentialId: credential?.id });
  });

  it('says clearly what went wrong', async () => {
    // A link that is not (or no longer) valid.
    const stale = await visit(server);
    await stale.page.goto('/onboard#pass=not-a-pass-at-all-0000000000000000');
    expect(await textOf(stale.page.getByRole('alert'))).toContain('This onboarding link is invalid');

    // The browser gives up (here: user verification fails); the link still works afterwards.
    const { link } = await server.addPerson('mary', 'Mary Jackson');
    const { context, page, webauthn } = await visit(server);
    const failing: AuthenticatorOptions = { ...SECURITY_KEY, isUserVerified: false };
    const key = await webauthn.add(failing);
    await page.goto(link);
    await page.getByRole('button', { name: 'Use a security key' }).click();
    expect(await textOf(page.getByRole('alert'))).toContain(
      'The request was cancelled or timed out, so nothing was saved.',
    );
    await page.setViewportSize(PHONE);
    await snap(page, `${dialect}-onboard-cancelled-360x740`);
    expect(await serverSession(context)).toBeNull();
    await key.setUserVerified(true);
    await page.getByRole('button', { name: 'Use a security key' }).click();
    await accountShown(page);

    // No passkey for this site on the authenticator at hand.
    const stranger = await visit(server);
    await stranger.webauthn.add(SECURITY_KEY);
    await stranger.page.goto('/');
    await stranger.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    expect(await textOf(stranger.page.getByRole('alert'))).toContain(
      'The sign-in was cancelled or timed out',
    );
    expect(await serverSession(stranger.context)).toBeNull();

    // The wrong address (127.0.0.1 is not an allowed origin, nor a valid WebAuthn domain).
    const elsewhere = await visit(server);
    await elsewhere.webauthn.add(SECURITY_KEY);
    await elsewhere.page.goto(server.origin.replace('localhost', '127.0.0.1'));
    await elsewhere.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    expect(await textOf(elsewhere.page.getByRole('alert'))).toContain('usual address');
  });

  it('fits a phone-sized screen and a desktop one', async () => {
    const { link } = await server.addPerson('dorothy', 'Dorothy Vaughan');
    const { context, page, webauthn } = await visit(server, PHONE);
    await webauthn.add(SYNCED_PASSKEY);
    await onboard(page, link, 'passkey', 'Pixel passkey');
    await webauthn.add(SECURITY_KEY);
    await page.getByRole('button', { name: 'Add a security key' }).click();
    await page.getByText(/^Added “/).waitFor();

    const signedOut = await browser.newContext({ baseURL: server.origin, viewport: PHONE });
    contexts.push(signedOut);
    const signInPage = watch(await signedOut.newPage());
    await signInPage.goto('/');
    await signInPage.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();

    for (const viewport of [PHONE, DESKTOP]) {
      for (const [name, shown] of [
        ['sign-in', signInPage],
        ['account', page],
      ] as const) {
        await shown.setViewportSize(viewport);
        // Nothing wider than the screen: no sideways scrolling of the page itself.
        expect(await shown.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
          viewport.width,
        );
        await snap(shown, `${dialect}-${name}-${viewport.width}x${viewport.height}`);
      }
    }
    expect(await serverCredentials(context)).toHaveLength(2);
  });
});
