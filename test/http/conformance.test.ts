/**
 * The FIDO conformance API (TESSERA_CONFORMANCE=1) against the shapes and failure rules of the
 * "FIDO2: Server Requirements and Transport Binding Profile" (reliability anchors §2): options
 * shapes, the flow cookie linking the calls, failures as `{status: "failed", errorMessage}` with
 * a 4xx status for every structural F-case, challenges and credential IDs used once, counters,
 * user verification, and attestation chains checked against the statements in
 * TESSERA_METADATA_DIR.
 */
import { Buffer } from 'node:buffer';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CborValue, decodeCbor, encodeCbor, isCborMap } from '../../src/core/cbor.js';
import { aaguidExtension, basicConstraints, certificate, keyUsage } from '../helpers/der-writer.js';
import type {
  RegistrationResponseJSON,
  SoftAuthenticator,
  SoftCredential,
} from '../helpers/soft-authenticator.js';
import { DIALECTS } from '../support/databases.js';
import {
  type Answer,
  answerRequest,
  arr,
  type Browser,
  b64u,
  fromB64u,
  type Harness,
  newAuthenticator,
  obj,
  startHarness,
  str,
  TEST_ORIGIN,
  TEST_RP_ID,
} from './support.js';

function expectOk(answer: Answer): Record<string, unknown> {
  expect(answer.status, answer.text).toBe(200);
  const body = obj(answer.json);
  expect(body.status).toBe('ok');
  expect(body.errorMessage).toBe('');
  return body;
}

function expectFailed(answer: Answer): string {
  expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
  expect(answer.status, answer.text).toBeLessThan(500);
  const body = obj(answer.json);
  expect(body.status).toBe('failed');
  const message = str(body.errorMessage);
  expect(message.length).toBeGreaterThan(0);
  return message;
}

/** The profile's ServerPublicKeyCredential: no rawId, getClientExtensionResults. */
function profileCredential(response: {
  id: string;
  type: string;
  response: object;
}): Record<string, unknown> {
  return { id: response.id, type: response.type, response: response.response, getClientExtensionResults: {} };
}

async function register(
  browser: Browser,
  username: string,
  authenticator: SoftAuthenticator,
  options: { readonly fmt?: 'none' | 'packed'; readonly credential?: SoftCredential } = {},
): Promise<{ credential: SoftCredential; answer: Answer; creation: Record<string, unknown> }> {
  const creation = expectOk(
    await browser.post('/attestation/options', {
      username,
      displayName: `${username} D`,
      attestation: 'direct',
    }),
  );
  const credential =
    options.credential ??
    authenticator.createCredential({ userHandle: fromB64u(str(obj(creation.user).id)) });
  const response = authenticator.register(credential, {
    rpId: TEST_RP_ID,
    origin: TEST_ORIGIN,
    challenge: str(creation.challenge),
    fmt: options.fmt ?? 'packed',
  });
  const answer = await browser.post('/attestation/result', profileCredential(response), { noOrigin: true });
  return { credential, answer, creation };
}

// ---------------------------------------------------------------------------------------------
// A packed full attestation: a batch certificate under a test root listed in a metadata statement
// ---------------------------------------------------------------------------------------------

const AAGUID = '7e57c0de-0000-4000-8000-0000000000aa';
const aaguidBytes = Buffer.from(AAGUID.replace(/-/g, ''), 'hex');

interface TestCa {
  readonly rootDer: Buffer;
  readonly leafDer: Buffer;
  readonly leafKey: KeyObject;
}

function makeCa(): TestCa {
  const root = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rootName = [
    ['C', 'US'],
    ['O', 'Tessera Test'],
    ['CN', 'Tessera Test Attestation Root'],
  ] as const;
  const notBefore = new Date('2020-01-01T00:00:00Z');
  const notAfter = new Date('2045-01-01T00:00:00Z');
  const rootDer = certificate({
    serial: 1,
    issuer: rootName,
    subject: rootName,
    notBefore,
    notAfter,
    publicKey: root.publicKey,
    signingKey: root.privateKey,
    extensions: [basicConstraints(true), keyUsage(['keyCertSign', 'cRLSign'])],
  });
  const leafDer = certificate({
    serial: 2,
    issuer: rootName,
    subject: [
      ['C', 'US'],
      ['O', 'Tessera Test'],
      ['OU', 'Authenticator Attestation'],
      ['CN', 'Tessera Test Batch'],
    ],
    notBefore,
    notAfter,
    publicKey: leaf.publicKey,
    signingKey: root.privateKey,
    extensions: [basicConstraints(false), aaguidExtension(aaguidBytes)],
  });
  return { rootDer, leafDer, leafKey: leaf.privateKey };
}

/** Replace a packed self statement with one signed by the batch key, carrying x5c. */
function withFullAttestation(response: RegistrationResponseJSON, ca: TestCa): RegistrationResponseJSON {
  const decoded = decodeCbor(fromB64u(response.response.attestationObject));
  if (!isCborMap(decoded)) throw new Error('attestationObject is not a map');
  const authData = decoded.get('authData');
  if (!(authData instanceof Uint8Array)) throw new Error('no authData');
  const clientDataHash = createHash('sha256').update(fromB64u(response.response.clientDataJSON)).digest();
  const sig = sign('sha256', Buffer.concat([authData, clientDataHash]), ca.leafKey);
  const attestationObject = encodeCbor(
    new Map<string, CborValue>([
      ['fmt', 'packed'],
      [
        'attStmt',
        new Map<string, CborValue>([
          ['alg', -7],
          ['sig', sig],
          ['x5c', [ca.leafDer]],
        ]),
      ],
      ['authData', Buffer.from(authData)],
    ]),
  );
  return { ...response, response: { ...response.response, attestationObject: b64u(attestationObject) } };
}

function statement(ca: TestCa): Record<string, unknown> {
  return {
    legalHeader: 'Test statement for Tessera: not a real authenticator.',
    aaguid: AAGUID,
    description: 'Tessera Conformance Test Key',
    authenticatorVersion: 1,
    protocolFamily: 'fido2',
    schema: 3,
    upv: [{ major: 1, minor: 1 }],
    authenticationAlgorithms: ['secp256r1_ecdsa_sha256_raw'],
    publicKeyAlgAndEncodings: ['cose'],
    attestationTypes: ['basic_full'],
    userVerificationDetails: [[{ userVerificationMethod: 'presence_internal' }]],
    keyProtection: ['hardware', 'secure_element'],
    matcherProtection: ['on_chip'],
    attachmentHint: ['external', 'wired'],
    tcDisplay: [],
    attestationRootCertificates: [ca.rootDer.toString('base64')],
  };
}

// ---------------------------------------------------------------------------------------------

describe.each(DIALECTS)('conformance API on %s', (dialect) => {
  let h: Harness;
  let metadataDir: string;
  let ca: TestCa;
  beforeAll(async () => {
    ca = makeCa();
    metadataDir = await mkdtemp(join(tmpdir(), 'tessera-statements-'));
    await writeFile(join(metadataDir, 'test-key.json'), JSON.stringify(statement(ca)));
    h = await startHarness(dialect, { metadataDir });
  });
  afterAll(async () => {
    await h.close();
    await rm(metadataDir, { recursive: true, force: true });
  });

  it('answers /attestation/options with the profile shape and fresh challenges', async () => {
    const browser = h.browser();
    const body = expectOk(
      await browser.post('/attestation/options', {
        username: 'Req1-User',
        displayName: 'Req One',
        authenticatorSelection: {
          authenticatorAttachment: 'cross-platform',
          requireResidentKey: false,
          userVerification: 'required',
        },
        attestation: 'direct',
        extensions: { 'example.extension': true },
      }),
    );
    expect(browser.jar.has('tessera_flow')).toBe(true);
    expect(obj(body.rp)).toEqual({ id: TEST_RP_ID, name: 'Tessera' });
    const user = obj(body.user);
    expect(user.name).toBe('Req1-User');
    expect(user.displayName).toBe('Req One');
    const userId = fromB64u(str(user.id));
    expect(userId.length).toBeGreaterThan(0);
    expect(userId.length).toBeLessThanOrEqual(64);
    expect(fromB64u(str(body.challenge)).length).toBeGreaterThanOrEqual(16);
    const algs = arr(body.pubKeyCredParams).map((p) => obj(p));
    for (const p of algs) expect(p.type).toBe('public-key');
    expect(algs.map((p) => p.alg)).toEqual(expect.arrayContaining([-7, -8, -257, -65535]));
    expect(Number(body.timeout)).toBeGreaterThan(0);
    expect(body.excludeCredentials).toEqual([]);
    expect(obj(body.authenticatorSelection)).toMatchObject({
      authenticatorAttachment: 'cross-platform',
      requireResidentKey: false,
      userVerification: 'required',
    });
    expect(body.attestation).toBe('direct');
    expect(obj(body.extensions)['example.extension']).toBe(true);

    const none = expectOk(
      await browser.post('/attestation/options', { username: 'req1-user', displayName: 'R' }),
    );
    expect(none.attestation).toBe('none');
    expect(none.challenge).not.toBe(body.challenge);
    // The same person (usernames are case-insensitive): the same user handle.
    expect(obj(none.user).id).toBe(user.id);
  });

  it('registers, excludes the registered credential, and refuses it twice', async () => {
    const browser = h.browser();
    const authenticator = newAuthenticator();
    const first = await register(browser, 'resp1', authenticator);
    expectOk(first.answer);
    const id = b64u(first.credential.id);

    // Resp-1 P-1: the next options for the user exclude it.
    const next = expectOk(
      await browser.post('/attestation/options', { username: 'resp1', displayName: 'R' }),
    );
    expect(arr(next.excludeCredentials).map((d) => obj(d).id)).toEqual([id]);

    // The same credential again, for a fresh challenge: a credential ID is registered once.
    const again = await register(browser, 'resp1', authenticator, { credential: first.credential });
    expectFailed(again.answer);
    expect(again.answer.status).toBe(409);

    // …and not for anyone else either.
    const other = await register(browser, 'resp1-other', authenticator, { credential: first.credential });
    expectFailed(other.answer);
  });

  it('uses a challenge once: a replayed result fails, and a failed one burns it', async () => {
    const browser = h.browser();
    const authenticator = newAuthenticator();
    const creation = expectOk(
      await browser.post('/attestation/options', { username: 'once', displayName: 'O' }),
    );
    const credential = authenticator.createCredential({ userHandle: fromB64u(str(obj(creation.user).id)) });
    const good = authenticator.register(credential, {
      rpId: TEST_RP_ID,
      origin: TEST_ORIGIN,
      challenge: str(creation.challenge),
      fmt: 'packed',
    });
    const bad = { ...good, response: { ...good.response, clientDataJSON: b64u(Buffer.from('{}')) } };
    expectFailed(await browser.post('/attestation/result', profileCredential(bad)));
    // The correct response now finds no challenge.
    expectFailed(await browser.post('/attestation/result', profileCredential(good)));
  });

  it('fails every structural F-case of Resp-1 with a 4xx and the failed envelope', async () => {
    const browser = h.browser();
    const authenticator = newAuthenticator();
    const make = async (): Promise<RegistrationResponseJSON> => {
      const creation = expectOk(
        await browser.post('/attestation/options', { username: 'structure', displayName: 'S' }),
      );
      const credential = authenticator.createCredential({ userHandle: fromB64u(str(obj(creation.user).id)) });
      return authenticator.register(credential, {
        rpId: TEST_RP_ID,
        origin: TEST_ORIGIN,
        challenge: str(creation.challenge),
        fmt: 'packed',
      });
    };
    const mutations: [string, (c: Record<string, unknown>, r: Record<string, unknown>) => void][] = [
      ['id missing', (c) => delete c.id],
      ['id not a string', (c) => (c.id = 12)],
      ['id not base64url', (c) => (c.id = 'not base64url!')],
      ['type missing', (c) => delete c.type],
      ['type not a string', (c) => (c.type = 1)],
      ['type not public-key', (c) => (c.type = 'private-key')],
      ['response missing', (c) => delete c.response],
      ['response not an object', (c) => (c.response = 'x')],
      ['clientDataJSON missing', (_c, r) => delete r.clientDataJSON],
      ['clientDataJSON not a string', (_c, r) => (r.clientDataJSON = 5)],
      ['clientDataJSON empty', (_c, r) => (r.clientDataJSON = '')],
      ['attestationObject missing', (_c, r) => delete r.attestationObject],
      ['attestationObject not a string', (_c, r) => (r.attestationObject = [])],
      ['attestationObject empty', (_c, r) => (r.attestationObject = '')],
      [
        'clientData type webauthn.get',
        (_c, r) => (r.clientDataJSON = b64u(Buffer.from('{"type":"webauthn.get"}'))),
      ],
    ];
    for (const [name, mutate] of mutations) {
      const response = await make();
      const credential = profileCredential(response);
      const inner: Record<string, unknown> = { ...response.response };
      credential.response = inner;
      mutate(credential, inner);
      const answer = await browser.post('/attestation/result', credential);
      expect(() => expectFailed(answer), name).not.toThrow();
    }
    expect((await browser.get('/healthz')).status).toBe(200);
  });

  it('signs in with a username and without one, and uses each assertion challenge once', async () => {
    const browser = h.browser();
    const authenticator = newAuthenticator();
    const { credential, answer } = await register(browser, 'asserter', authenticator);
    expectOk(answer);
    const id = b64u(credential.id);

    const request = expectOk(
      await browser.post('/assertion/options', {
        username: 'asserter',
        userVerification: 'required',
        extensions: { 'example.extension': true },
      }),
    );
    expect(arr(request.allowCredentials).map((d) => obj(d).id)).toEqual([id]);
    expect(request.userVerification).toBe('required');
    expect(request.rpId).toBe(TEST_RP_ID);
    expect(Number(request.timeout)).toBeGreaterThan(0);
    expect(fromB64u(str(request.challenge)).length).toBeGreaterThanOrEqual(16);
    expect(obj(request.extensions)['example.extension']).toBe(true);
    const assertion = answerRequest(authenticator, credential, request);
    expectOk(await browser.post('/assertion/result', profileCredential(assertion)));
    expectFailed(await browser.post('/assertion/result', profileCredential(assertion)));

    // Discoverable: no username, empty allowCredentials, the user handle names the person.
    const discoverable = expectOk(await browser.post('/assertion/options', {}));
    expect(discoverable.allowCredentials).toEqual([]);
    expect(discoverable.userVerification).toBe('preferred');
    expectOk(
      await browser.post(
        '/assertion/result',
        profileCredential(answerRequest(authenticator, credential, discoverable)),
      ),
    );

    // Without a user handle a discoverable sign-in cannot name its person.
    const noHandle = expectOk(await browser.post('/assertion/options', {}));
    expectFailed(
      await browser.post(
        '/assertion/result',
        profileCredential(answerRequest(authenticator, credential, noHandle, { userHandle: null })),
      ),
    );
  });

  it('refuses UV = 0 when the options required it, and a counter that did not increase', async () => {
    const browser = h.browser();
    const authenticator = newAuthenticator();
    const { credential, answer } = await register(browser, 'strict', authenticator);
    expectOk(answer);

    const required = expectOk(
      await browser.post('/assertion/options', { username: 'strict', userVerification: 'required' }),
    );
    expectFailed(
      await browser.post(
        '/assertion/result',
        profileCredential(answerRequest(authenticator, credential, required, { uv: false })),
      ),
    );
    const preferred = expectOk(await browser.post('/assertion/options', { username: 'strict' }));
    expectOk(
      await browser.post(
        '/assertion/result',
        profileCredential(answerRequest(authenticator, credential, preferred, { uv: false })),
      ),
    );

    // Assertion Resp-3 F-4: the counter went 1, 2 … ; sending the previous value again fails.
    const stale = expectOk(await browser.post('/assertion/options', { username: 'strict' }));
    const replayedCounter = authenticator.authenticate(credential, {
      rpId: TEST_RP_ID,
      origin: TEST_ORIGIN,
      challenge: str(stale.challenge),
      corrupt: { counter: credential.counter },
    });
    expectFailed(await browser.post('/assertion/result', profileCredential(replayedCounter)));
  });

  it('refuses an unknown username and a credential of another person', async () => {
    const browser = h.browser();
    expectFailed(await browser.post('/assertion/options', { username: 'nobody-here' }));
    const a = newAuthenticator();
    const b = newAuthenticator();
    const alice = await register(browser, 'alice-c', a);
    expectOk(alice.answer);
    const bob = await register(browser, 'bob-c', b);
    expectOk(bob.answer);
    const forAlice = expectOk(await browser.post('/assertion/options', { username: 'alice-c' }));
    expectFailed(
      await browser.post('/assertion/result', profileCredential(answerRequest(b, bob.credential, forAlice))),
    );
  });

  it('accepts exactly one of 20 simultaneous /assertion/result calls with one response', async () => {
    const browser = h.browser();
    const authenticator = newAuthenticator();
    const { credential, answer } = await register(browser, 'racer', authenticator);
    expectOk(answer);
    const request = expectOk(await browser.post('/assertion/options', { username: 'racer' }));
    const assertion = profileCredential(answerRequest(authenticator, credential, request));
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => browser.post('/assertion/result', assertion)),
    );
    expect(answers.filter((x) => x.status === 200)).toHaveLength(1);
    for (const x of answers.filter((y) => y.status !== 200)) expectFailed(x);
  });

  it('trusts a full attestation whose chain reaches a root of the metadata statement', async () => {
    const browser = h.browser();
    const authenticator = newAuthenticator(aaguidBytes);
    const creation = expectOk(
      await browser.post('/attestation/options', {
        username: 'full',
        displayName: 'F',
        attestation: 'direct',
      }),
    );
    const credential = authenticator.createCredential({ userHandle: fromB64u(str(obj(creation.user).id)) });
    const self = authenticator.register(credential, {
      rpId: TEST_RP_ID,
      origin: TEST_ORIGIN,
      challenge: str(creation.challenge),
      fmt: 'packed',
    });
    expectOk(await browser.post('/attestation/result', profileCredential(withFullAttestation(self, ca))));
  });

  it('refuses a full attestation whose chain does not reach the statement root', async () => {
    const browser = h.browser();
    const authenticator = newAuthenticator(aaguidBytes);
    const creation = expectOk(
      await browser.post('/attestation/options', { username: 'stranger', displayName: 'S' }),
    );
    const credential = authenticator.createCredential({ userHandle: fromB64u(str(obj(creation.user).id)) });
    const self = authenticator.register(credential, {
      rpId: TEST_RP_ID,
      origin: TEST_ORIGIN,
      challenge: str(creation.challenge),
      fmt: 'packed',
    });
    // A well-formed chain from a CA that no statement lists.
    const answer = await browser.post(
      '/attestation/result',
      profileCredential(withFullAttestation(self, makeCa())),
    );
    expect(expectFailed(answer)).toContain('attestation_untrusted');
    expect(answer.status).toBe(400);
  });
});

describe.each(DIALECTS)('conformance API switched off on %s', (dialect) => {
  it('is not mounted without TESSERA_CONFORMANCE=1', async () => {
    const h = await startHarness(dialect, { config: { conformance: false } });
    try {
      for (const path of [
        '/attestation/options',
        '/attestation/result',
        '/assertion/options',
        '/assertion/result',
      ]) {
        const answer = await h.browser().post(path, {});
        expect(answer.status).toBe(404);
      }
    } finally {
      await h.close();
    }
  });
});
