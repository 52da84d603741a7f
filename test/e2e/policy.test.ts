/**
 * The assurance policy's warn-phase notice on the portal's account page, in real Chromium against
 * the real server, on SQLite and PostgreSQL: a person whose segment will require a security key
 * sees what it requires and from when, in a labelled region; without a policy there is no region.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { DESKTOP, launchBrowser, SYNCED_PASSKEY, WebAuthnEnvironment } from './browser.js';
import { removePortalBuild, startServer, type TestServer } from './server.js';

const POLICY = `version: 1
segments:
  - name: admins
    groups: [sre]
    requirements:
      minAal: AAL3
      allowedClasses: [security-key]
    rollout:
      - phase: warn
      - phase: enforce
        from: 2099-03-01
default:
  requirements:
    minAal: AAL2
    allowedClasses: [synced-passkey, device-bound-passkey, security-key, device-bound-unverified]
`;

const REGION = 'Your organisation’s security requirements';

let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await removePortalBuild();
});

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

async function onboardWithPasskey(server: TestServer, link: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.origin, viewport: DESKTOP });
  contexts.push(context);
  const page = await context.newPage();
  const webauthn = await WebAuthnEnvironment.attach(context, page);
  await webauthn.add(SYNCED_PASSKEY);
  await page.goto(link);
  await page.getByText('Welcome,').waitFor();
  await page.getByRole('button', { name: 'Create a passkey' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
  await page.getByText('Signed in as').waitFor();
  return page;
}

describe.each(DIALECTS)('policy notice on the portal on %s', (dialect) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(dialect);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('shows nothing without a policy, and the warn-phase requirement with its date once applied', async () => {
    const { link } = await server.addPerson('ada', 'Ada Lovelace');
    const page = await onboardWithPasskey(server, link);
    expect(await page.getByRole('region', { name: REGION }).count()).toBe(0);

    await server.services.groups.add({ group: 'sre', usernames: ['ada'] }, new Date());
    await server.services.policy.apply(POLICY, { appliedBy: 'e2e' }, new Date());
    await page.reload();
    const region = page.getByRole('region', { name: REGION });
    await region.waitFor();
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a person reads.
    const text = (await region.innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('your role requires more than you have now');
    expect(text).toContain('2099');
    expect(text).toContain('segment admins will require');
    expect(await region.locator('time').getAttribute('datetime')).toBe('2099-03-01T00:00:00.000Z');
  });
});
