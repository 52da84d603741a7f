/**
 * Hostile input on every endpoint (reliability anchors §7.G): wrong types, missing members, a
 * 2 MB body, invalid base64url, bytes that are not UTF-8, an array or a scalar instead of an
 * object, deeply nested JSON, broken JSON, another content type. Each gets its documented 4xx
 * answer with a stable code (the conformance API: `{status: "failed", errorMessage}`), never a 5xx,
 * and the server keeps serving (`/healthz` right after).
 */
import { Buffer } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_ERRORS } from '../../src/core/errors.js';
import { HTTP_ERRORS } from '../../src/http/errors.js';
import { SERVICE_ERRORS } from '../../src/services/errors.js';
import { DIALECTS } from '../support/databases.js';
import {
  type Answer,
  answerCreation,
  type Browser,
  errorCode,
  type Harness,
  newAuthenticator,
  obj,
  onboard,
  startHarness,
} from './support.js';

const KNOWN_CODES = new Set([
  ...Object.keys(HTTP_ERRORS),
  ...Object.keys(SERVICE_ERRORS),
  ...Object.keys(CORE_ERRORS),
]);

interface Endpoint {
  readonly method: 'POST' | 'PATCH' | 'DELETE' | 'GET';
  readonly path: string;
  /** A body of the right shape (which may still be refused by the use case). */
  readonly valid?: Readonly<Record<string, unknown>>;
  /** Members the schema requires. */
  readonly required?: readonly string[];
  /** Members carrying base64url (inside `response`). */
  readonly hasResponse?: boolean;
  readonly conformance?: boolean;
}

const RESPONSE = {
  id: 'AAAA',
  rawId: 'AAAA',
  type: 'public-key',
  response: { clientDataJSON: 'e30', attestationObject: 'oA' },
  clientExtensionResults: {},
};
const CREDENTIAL_ID = Buffer.alloc(16, 7).toString('base64url');

const ENDPOINTS: readonly Endpoint[] = [
  { method: 'POST', path: '/api/onboarding/pass', valid: { pass: 'x'.repeat(43) }, required: ['pass'] },
  {
    method: 'POST',
    path: '/api/onboarding/options',
    valid: { pass: 'x'.repeat(43), kind: 'passkey' },
    required: ['pass', 'kind'],
  },
  {
    method: 'POST',
    path: '/api/onboarding/verify',
    valid: { pass: 'x'.repeat(43), response: RESPONSE, name: 'Key' },
    required: ['pass', 'response'],
    hasResponse: true,
  },
  { method: 'POST', path: '/api/authentication/options', valid: { username: 'someone' } },
  {
    method: 'POST',
    path: '/api/authentication/verify',
    valid: { response: RESPONSE },
    required: ['response'],
    hasResponse: true,
  },
  { method: 'POST', path: '/api/session/sign-out', valid: {} },
  { method: 'PATCH', path: `/api/credentials/${CREDENTIAL_ID}`, valid: { name: 'Key' }, required: ['name'] },
  { method: 'DELETE', path: `/api/credentials/${CREDENTIAL_ID}` },
  { method: 'POST', path: '/api/registration/options', valid: { kind: 'passkey' }, required: ['kind'] },
  {
    method: 'POST',
    path: '/api/registration/verify',
    valid: { response: RESPONSE, name: 'Key' },
    required: ['response'],
    hasResponse: true,
  },
  { method: 'GET', path: '/api/session' },
  { method: 'GET', path: '/api/credentials' },
  { method: 'GET', path: '/api/sign-ins' },
  {
    method: 'POST',
    path: '/api/admin/policy/simulate',
    valid: { document: 'version: 1\n', people: 'all' },
    required: ['document'],
  },
  {
    method: 'POST',
    path: '/attestation/options',
    valid: { username: 'someone', displayName: 'Some One' },
    required: ['username', 'displayName'],
    conformance: true,
  },
  {
    method: 'POST',
    path: '/attestation/result',
    valid: RESPONSE,
    required: ['id', 'type', 'response'],
    hasResponse: true,
    conformance: true,
  },
  { method: 'POST', path: '/assertion/options', valid: { username: 'someone' }, conformance: true },
  {
    method: 'POST',
    path: '/assertion/result',
    valid: { ...RESPONSE, response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } },
    required: ['id', 'type', 'response'],
    hasResponse: true,
    conformance: true,
  },
];

type Hostile = {
  readonly name: string;
  /** The raw body, or null when this case does not apply to the endpoint. */
  readonly body: (e: Endpoint) => string | Buffer | null;
  readonly contentType?: string;
  readonly status: number;
  /** The JSON API's code (the conformance API only checks status and envelope). */
  readonly code: string | null;
};

const json = (value: unknown): string => JSON.stringify(value);

const HOSTILE: readonly Hostile[] = [
  {
    name: 'wrong types',
    body: (e) =>
      e.valid === undefined || Object.keys(e.valid).length === 0
        ? null
        : json(Object.fromEntries(Object.keys(e.valid).map((k) => [k, k === 'response' ? 'text' : 12]))),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'booleans and nulls',
    body: (e) =>
      e.valid === undefined || Object.keys(e.valid).length === 0
        ? null
        : json(Object.fromEntries(Object.keys(e.valid).map((k, i) => [k, i % 2 ? null : true]))),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'missing members',
    body: (e) => (e.required === undefined ? null : json({})),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'an unknown member',
    body: (e) => (e.valid === undefined || e.conformance ? null : json({ ...e.valid, extra: 1 })),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a 2 MB body',
    body: (e) => (e.method === 'GET' ? null : json({ ...e.valid, pad: 'x'.repeat(2 * 1024 * 1024) })),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'bytes that are not UTF-8',
    body: (e) => (e.method === 'GET' ? null : Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'an overlong UTF-8 encoding',
    body: (e) => (e.method === 'GET' ? null : Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d])),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'an array instead of an object',
    body: (e) => (e.valid === undefined ? null : json([e.valid])),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a string instead of an object',
    body: (e) => (e.valid === undefined ? null : json('hello')),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'deeply nested JSON',
    body: (e) => (e.method === 'GET' ? null : `${'['.repeat(20_000)}${']'.repeat(20_000)}`),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'nested objects in a member',
    body: (e) =>
      e.valid === undefined || Object.keys(e.valid).length === 0
        ? null
        : `{"${Object.keys(e.valid)[0]}":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'broken JSON',
    body: (e) => (e.method === 'GET' ? null : '{"pass": "abc'),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'a __proto__ member',
    body: (e) => (e.method === 'GET' ? null : '{"__proto__": {"admin": true}}'),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'another content type',
    body: (e) => (e.method === 'GET' ? null : json(e.valid ?? {})),
    contentType: 'text/plain',
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'a form instead of JSON',
    body: (e) => (e.method === 'GET' ? null : 'pass=abc&kind=passkey'),
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'unsupported_media_type',
  },
];

function expectRefused(endpoint: Endpoint, answer: Answer, status: number, code: string | null): void {
  expect(answer.status, answer.text).toBe(status);
  if (endpoint.conformance) {
    const body = obj(answer.json);
    expect(body.status).toBe('failed');
    expect(typeof body.errorMessage === 'string' && body.errorMessage.length > 0).toBe(true);
    expect(Object.keys(body).sort()).toEqual(['errorMessage', 'status']);
  } else {
    expect(obj(answer.json).error).toBeDefined();
    if (code !== null) expect(errorCode(answer)).toBe(code);
  }
}

async function stillServing(browser: Browser): Promise<void> {
  const health = await browser.get('/healthz');
  expect(health.status).toBe(200);
}

describe.each(DIALECTS)('hostile input on %s', (dialect) => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    h = await startHarness(dialect);
    // Signed in, so routes that need a session reach their validation and their use case alike.
    browser = (await onboard(h, 'hostile')).browser;
  });
  afterAll(async () => {
    await h.close();
  });

  const cases = ENDPOINTS.flatMap((endpoint) =>
    HOSTILE.map((hostile) => ({ endpoint, hostile, body: hostile.body(endpoint) })).filter(
      (c) => c.body !== null,
    ),
  );

  it.each(cases.map((c) => [`${c.endpoint.method} ${c.endpoint.path}: ${c.hostile.name}`, c] as const))(
    '%s',
    async (_name, { endpoint, hostile, body }) => {
      const answer = await browser.call(endpoint.method, endpoint.path, undefined, {
        raw: body ?? '',
        headers: { 'content-type': hostile.contentType ?? 'application/json' },
      });
      expectRefused(endpoint, answer, hostile.status, hostile.code);
      await stillServing(browser);
    },
  );

  it.each(ENDPOINTS.filter((e) => e.hasResponse).map((e) => [`${e.method} ${e.path}`, e] as const))(
    '%s: invalid base64url in the response → 4xx with a documented code',
    async (_name, endpoint) => {
      const bad = [
        { ...RESPONSE, id: 'not base64url!', rawId: 'not base64url!' },
        {
          ...RESPONSE,
          response: { clientDataJSON: '@@@@', attestationObject: 'oA', authenticatorData: '@@' },
        },
        { ...RESPONSE, id: 'AAAA=', rawId: 'AAAA=' },
        { ...RESPONSE, id: 'A', rawId: 'A' },
      ];
      for (const response of bad) {
        const body = endpoint.conformance
          ? response
          : { ...(endpoint.valid ?? {}), response: { ...response } };
        const answer = await browser.post(endpoint.path, body);
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        if (endpoint.conformance) expect(obj(answer.json).status).toBe('failed');
        else expect(KNOWN_CODES.has(errorCode(answer))).toBe(true);
      }
      await stillServing(browser);
    },
  );

  it('refuses invalid base64url in a ceremony that has a challenge, with the core code', async () => {
    const options = await browser.post('/api/registration/options', { kind: 'passkey' });
    expect(options.status).toBe(200);
    // Any authenticator: the response is broken before its signature matters.
    const { response } = answerCreation(newAuthenticator(), options.json);
    const broken = { ...response, response: { ...response.response, attestationObject: 'a+b/c==' } };
    const answer = await browser.post('/api/registration/verify', { response: broken });
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe('malformed_input');
  });

  it('treats malformed cookies as no cookie', async () => {
    for (const cookie of [
      'tessera_session=',
      'tessera_session=not valid!',
      `tessera_session=${'A'.repeat(5000)}`,
      'tessera_session="quoted"',
      ';;;=;tessera_session',
      `tessera_flow=${'%'.repeat(100)}; tessera_session=%00`,
    ]) {
      const answer = await browser.get('/api/session', { headers: { cookie } });
      expect(answer.status).toBe(401);
      expect(errorCode(answer)).toBe('unauthenticated');
    }
    await stillServing(browser);
  });

  it('answers an unknown path or method with 404 not_found', async () => {
    for (const [method, path] of [
      ['GET', '/api/nothing'],
      ['PUT', '/api/session'],
      ['GET', '/api/onboarding/options'],
      ['GET', `/api/credentials/${'A'.repeat(5000)}`],
    ] as const) {
      const answer = await browser.call(method, path);
      expect(answer.status).toBe(404);
      expect(errorCode(answer)).toBe('not_found');
    }
    const tooLong = await browser.call('DELETE', `/api/credentials/${'A'.repeat(2000)}`);
    expect(tooLong.status).toBe(404);
  });
});
