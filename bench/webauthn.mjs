#!/usr/bin/env node
/**
 * Tessera vs @simplewebauthn/server: assertion and registration throughput, the machine's raw
 * node:crypto ES256 verify rate as the ceiling, and a memory check over 100 000 verifications.
 *
 *   npm run bench                 the table (npm runs the build first; this file imports dist/)
 *   npm run -s bench -- --json    one JSON object on stdout (progress goes to stderr)
 *   node --expose-gc bench/webauthn.mjs --quick   a short smoke run (numbers are rough)
 *
 * See bench/README.md for what each row measures and how to read it.
 */
import { Buffer } from 'node:buffer';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as swa from '@simplewebauthn/server';
import * as tessera from '../dist/core/index.js';

const args = new Set(process.argv.slice(2));
const JSON_OUT = args.has('--json');
const QUICK = args.has('--quick');

const ROUNDS = QUICK ? 3 : 5;
const ROUND_MS = QUICK ? 100 : 300;
const WARMUP_MS = QUICK ? 100 : 300;
const MEMORY_ITERATIONS = QUICK ? 20_000 : 100_000;
/** Sync calls are timed in batches so reading the clock costs nothing measurable. */
const SYNC_BATCH = 8;

const TARGETS = {
  es256AssertionVsSimpleWebAuthn: 4,
  es256AssertionVsRaw: 0.4,
  packedX5cRegistrationVsSimpleWebAuthn: 8,
};

const log = (line) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

/** `node --expose-gc` gives `gc`; otherwise turn the flag on at run time and fetch it from a fresh context. */
function findGc() {
  if (typeof globalThis.gc === 'function') return { gc: globalThis.gc, how: '--expose-gc' };
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    if (typeof gc === 'function') return { gc, how: 'v8.setFlagsFromString' };
  } catch {
    // fall through
  }
  return { gc: undefined, how: 'unavailable' };
}
const { gc, how: gcHow } = findGc();

/*
 * SimpleWebAuthn checks every attestation certificate against the CRLs it names, downloading them
 * with global fetch. This machine is offline and a server would cache them; make each download fail
 * at once (SimpleWebAuthn then treats the certificate as not revoked) so no row waits on the network.
 */
globalThis.fetch = () => Promise.reject(new Error('bench: CRL downloads are disabled'));

// ---------------------------------------------------------------------------------------------
// Inputs: a minimal CBOR encoder, keys, and responses built the way a browser builds them
// ---------------------------------------------------------------------------------------------

function cborHead(major, n, out) {
  const m = major << 5;
  if (n < 24) out.push(m | n);
  else if (n < 0x100) out.push(m | 24, n);
  else if (n < 0x10000) out.push(m | 25, n >> 8, n & 0xff);
  else out.push(m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** Integers, text, bytes and Maps (entries written in insertion order: callers insert canonically). */
function cborEncode(value, out = []) {
  if (typeof value === 'number') {
    if (value >= 0) cborHead(0, value, out);
    else cborHead(1, -1 - value, out);
  } else if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    cborHead(3, bytes.length, out);
    for (const b of bytes) out.push(b);
  } else if (value instanceof Uint8Array) {
    cborHead(2, value.length, out);
    for (const b of value) out.push(b);
  } else if (value instanceof Map) {
    cborHead(5, value.size, out);
    for (const [k, v] of value) {
      cborEncode(k, out);
      cborEncode(v, out);
    }
  } else {
    throw new TypeError(`cborEncode: unsupported ${typeof value}`);
  }
  return out;
}
const cbor = (value) => Buffer.from(cborEncode(value));

const sha256 = (data) => crypto.createHash('sha256').update(data).digest();
const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const u32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

const RP_ID = 'example.com';
const ORIGIN = 'https://example.com';
const RP_ID_HASH = sha256(RP_ID);

/** A credential key pair and its COSE_Key bytes (what the RP stores). */
function makeCredential(alg) {
  const id = crypto.randomBytes(32);
  if (alg === 'ES256') {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = cbor(
      new Map([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x, 'base64url')],
        [-3, Buffer.from(jwk.y, 'base64url')],
      ]),
    );
    return { alg, coseAlg: -7, id, publicKey, cose, sign: (data) => crypto.sign('sha256', data, privateKey) };
  }
  if (alg === 'RS256') {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = cbor(
      new Map([
        [1, 3],
        [3, -257],
        [-1, Buffer.from(jwk.n, 'base64url')],
        [-2, Buffer.from(jwk.e, 'base64url')],
      ]),
    );
    return {
      alg,
      coseAlg: -257,
      id,
      publicKey,
      cose,
      sign: (data) => crypto.sign('sha256', data, privateKey),
    };
  }
  if (alg === 'EdDSA') {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = cbor(
      new Map([
        [1, 1],
        [3, -8],
        [-1, 6],
        [-2, Buffer.from(jwk.x, 'base64url')],
      ]),
    );
    return { alg, coseAlg: -8, id, publicKey, cose, sign: (data) => crypto.sign(null, data, privateKey) };
  }
  throw new Error(`unknown alg ${alg}`);
}

function clientData(type) {
  const challenge = b64u(crypto.randomBytes(32));
  // Member order as Chrome and Firefox write it.
  const json = Buffer.from(JSON.stringify({ type, challenge, origin: ORIGIN, crossOrigin: false }), 'utf8');
  return { challenge, json };
}

/** A navigator.credentials.get() result as PublicKeyCredential.toJSON() gives it. */
function buildAssertion(cred) {
  const { challenge, json } = clientData('webauthn.get');
  const authData = Buffer.concat([RP_ID_HASH, Buffer.from([0x05]) /* UP | UV */, u32(1)]);
  const signed = Buffer.concat([authData, sha256(json)]);
  const signature = cred.sign(signed);
  const response = {
    id: b64u(cred.id),
    rawId: b64u(cred.id),
    type: 'public-key',
    response: {
      clientDataJSON: b64u(json),
      authenticatorData: b64u(authData),
      signature: b64u(signature),
      userHandle: b64u(Buffer.from('bench-user-0001')),
    },
    clientExtensionResults: {},
    authenticatorAttachment: 'cross-platform',
  };
  return { response, challenge, signed, signature };
}

/** A navigator.credentials.create() result (fmt none or packed self attestation). */
function buildRegistration(cred, fmt) {
  const { challenge, json } = clientData('webauthn.create');
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(cred.id.length);
  const authData = Buffer.concat([
    RP_ID_HASH,
    Buffer.from([0x45]), // UP | UV | AT
    u32(0),
    Buffer.alloc(16), // AAGUID
    idLength,
    cred.id,
    cred.cose,
  ]);
  const attStmt =
    fmt === 'none'
      ? new Map()
      : new Map([
          ['alg', cred.coseAlg],
          ['sig', cred.sign(Buffer.concat([authData, sha256(json)]))],
        ]);
  const attestationObject = cbor(
    new Map([
      ['fmt', fmt],
      ['attStmt', attStmt],
      ['authData', authData],
    ]),
  );
  const response = {
    id: b64u(cred.id),
    rawId: b64u(cred.id),
    type: 'public-key',
    response: {
      clientDataJSON: b64u(json),
      attestationObject: b64u(attestationObject),
      transports: ['usb'],
      authenticatorData: b64u(authData),
      publicKey: b64u(cred.publicKey.export({ format: 'der', type: 'spki' })),
      publicKeyAlgorithm: cred.coseAlg,
    },
    clientExtensionResults: {},
    authenticatorAttachment: 'cross-platform',
  };
  return { response, challenge };
}

const fixture = (name) => new URL(`./fixtures/${name}`, import.meta.url);
const readJson = (name) => JSON.parse(readFileSync(fixture(name), 'utf8'));
const readPem = (name) => readFileSync(fixture(name), 'utf8');

// ---------------------------------------------------------------------------------------------
// The rows: the same input object goes to both libraries
// ---------------------------------------------------------------------------------------------

function assertionRow(alg) {
  const cred = makeCredential(alg);
  const { response, challenge } = buildAssertion(cred);
  const credentialIdB64 = b64u(cred.id);
  return {
    id: `assertion-${alg.toLowerCase()}`,
    label: `assertion ${alg}${alg === 'RS256' ? ' (2048)' : alg === 'EdDSA' ? ' (Ed25519)' : ''}`,
    unit: 'assertions/s',
    // The stored credential arrives as COSE bytes on every request, as a database hands it over.
    tessera: () =>
      tessera.verifyAuthenticationResponse(response, {
        challenge,
        origins: [ORIGIN],
        rpId: RP_ID,
        requireUserVerification: true,
        now: new Date(),
        credential: { id: cred.id, publicKey: Buffer.from(cred.cose), counter: 0 },
      }),
    swa: () =>
      swa.verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential: { id: credentialIdB64, publicKey: new Uint8Array(cred.cose), counter: 0 },
        requireUserVerification: true,
      }),
  };
}

/**
 * The same ES256 assertion with Tessera's imported-key cache emptied before every call: the cost
 * of a credential's first sign-in (or one evicted from the cache), where the key is imported from
 * its COSE bytes and OpenSSL validates the point.
 */
function coldAssertionRow() {
  const warm = assertionRow('ES256');
  return {
    ...warm,
    id: 'assertion-es256-cold',
    label: 'assertion ES256, key not cached',
    tessera: () => {
      tessera.clearCredentialKeyCache();
      return warm.tessera();
    },
  };
}

function generatedRegistrationRow(fmt) {
  const cred = makeCredential('ES256');
  const { response, challenge } = buildRegistration(cred, fmt);
  return {
    id: `registration-${fmt === 'none' ? 'none' : 'packed-self'}`,
    label: `registration ${fmt === 'none' ? 'none' : 'packed self'} (ES256)`,
    unit: 'registrations/s',
    tessera: () =>
      tessera.verifyRegistrationResponse(response, {
        challenge,
        origins: [ORIGIN],
        rpId: RP_ID,
        requireUserVerification: true,
        now: new Date(),
      }),
    swa: () =>
      swa.verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        requireUserVerification: true,
      }),
  };
}

/** A real corpus registration, with one trust anchor configured for its format in both libraries. */
function corpusRegistrationRow(id, label, fixtureName, fmt, anchorName) {
  const c = readJson(fixtureName);
  const anchors = { [fmt]: [readPem(anchorName)] };
  swa.SettingsService.setRootCertificates({ identifier: fmt, certificates: anchors[fmt] });
  const origins = Array.isArray(c.origin) ? c.origin : [c.origin];
  return {
    id,
    label,
    unit: 'registrations/s',
    source: c.name,
    anchor: anchorName,
    tessera: () =>
      tessera.verifyRegistrationResponse(c.response, {
        challenge: c.challenge,
        origins,
        rpId: c.rpId,
        requireUserVerification: c.requireUserVerification,
        now: new Date(),
        trustAnchors: anchors,
      }),
    swa: () =>
      swa.verifyRegistrationResponse({
        response: c.response,
        expectedChallenge: c.challenge,
        expectedOrigin: c.origin,
        expectedRPID: c.rpId,
        requireUserVerification: c.requireUserVerification,
      }),
    checkTessera: (evidence) => evidence.attestation?.trusted === true,
  };
}

function rawRow() {
  const cred = makeCredential('ES256');
  const { signed, signature } = buildAssertion(cred);
  const key = cred.publicKey; // a prebuilt KeyObject: no import, no parsing
  return {
    id: 'raw-es256-verify',
    label: 'raw node:crypto ES256 verify',
    unit: 'verifies/s',
    fn: () => crypto.verify('sha256', signed, key, signature),
  };
}

// ---------------------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------------------

function timeSync(fn, ms) {
  const start = performance.now();
  let n = 0;
  let now = start;
  do {
    for (let i = 0; i < SYNC_BATCH; i++) fn();
    n += SYNC_BATCH;
    now = performance.now();
  } while (now - start < ms);
  return (n * 1000) / (now - start);
}

async function timeAsync(fn, ms) {
  const start = performance.now();
  let n = 0;
  let now = start;
  do {
    await fn();
    n += 1;
    now = performance.now();
  } while (now - start < ms);
  return (n * 1000) / (now - start);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

function describeError(err) {
  if (err && typeof err === 'object') {
    const code = 'code' in err ? `${err.code}: ` : '';
    const detail = 'detail' in err && err.detail ? ` (${err.detail})` : '';
    return `${code}${err.message}${detail}`;
  }
  return String(err);
}

/** Run each function once and confirm it verifies: a bench of failures measures nothing. */
async function checkRow(row) {
  const problems = [];
  try {
    const evidence = row.tessera();
    if (!evidence || typeof evidence !== 'object' || !('ceremony' in evidence)) {
      problems.push('Tessera returned no evidence');
    } else if (row.checkTessera && !row.checkTessera(evidence)) {
      problems.push('Tessera verified but did not report the chain as trusted');
    }
  } catch (err) {
    problems.push(`Tessera rejected: ${describeError(err)}`);
  }
  try {
    const result = await row.swa();
    if (result.verified !== true) problems.push('SimpleWebAuthn returned verified: false');
  } catch (err) {
    problems.push(`SimpleWebAuthn rejected: ${describeError(err)}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

function memorySnapshot() {
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

/** Flat: JS heap + external (Buffers) grow by less than this over the whole run, after a full gc. */
const FLAT_TOTAL_BYTES = 1024 * 1024;
/** …and by less than this over the second half (a leak grows linearly; caches fill up early). */
const FLAT_SECOND_HALF_BYTES = 256 * 1024;

function memoryCheck(fn) {
  const before = memorySnapshot();
  let mid = before;
  const half = MEMORY_ITERATIONS / 2;
  const start = performance.now();
  for (let i = 0; i < MEMORY_ITERATIONS; i++) {
    fn();
    if (i + 1 === half) mid = memorySnapshot();
  }
  const elapsedMs = performance.now() - start;
  const after = memorySnapshot();
  const used = (s) => s.heapUsed + s.external;
  const growth = used(after) - used(before);
  const secondHalfGrowth = used(after) - used(mid);
  return {
    iterations: MEMORY_ITERATIONS,
    gc: gcHow,
    elapsedMs: Math.round(elapsedMs),
    before,
    middle: mid,
    after,
    heapUsedDelta: after.heapUsed - before.heapUsed,
    externalDelta: after.external - before.external,
    rssDelta: after.rss - before.rss,
    flat: gc ? growth < FLAT_TOTAL_BYTES && secondHalfGrowth < FLAT_SECOND_HALF_BYTES : null,
    flatRule: `heapUsed+external (after a full gc) grows < ${FLAT_TOTAL_BYTES / 1024} KiB over the run and < ${FLAT_SECOND_HALF_BYTES / 1024} KiB over its second half`,
  };
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const fmtRate = (x) => (x == null ? '—' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
const fmtRatio = (x) => (x == null ? '—' : `${x.toFixed(2)}×`);
const fmtPct = (x) => (x == null ? '—' : `${(x * 100).toFixed(0)} %`);
const fmtBytes = (n) => `${(n / (1024 * 1024)).toFixed(2)} MiB`;
const fmtDelta = (n) => `${n >= 0 ? '+' : '−'}${(Math.abs(n) / 1024).toFixed(0)} KiB`;

function renderTable(report) {
  const header = [
    'row',
    'unit',
    'Tessera (sync)',
    'Tessera (await)',
    'SimpleWebAuthn',
    'Tessera÷SWA',
    'Tessera÷raw',
  ];
  const lines = report.rows.map((r) => [
    r.label,
    r.unit,
    r.error ? 'FAILED' : fmtRate(r.tessera),
    r.error ? '' : fmtRate(r.tesseraAwait),
    r.error ? '' : fmtRate(r.simplewebauthn),
    r.error ? '' : fmtRatio(r.ratioVsSimpleWebAuthn),
    r.id === 'assertion-es256' && !r.error ? fmtPct(r.ratioVsRaw) : '',
  ]);
  lines.push([report.raw.label, report.raw.unit, fmtRate(report.raw.opsPerSec), '', '', '', '100 %']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const pad = (cells) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [];
  const m = report.meta;
  out.push(
    `Tessera ${m.tessera} vs @simplewebauthn/server ${m.simplewebauthn} — Node ${m.node}, ${m.cpu} (${m.cores} cores), ${m.date}`,
  );
  out.push(
    `median of ${m.rounds} rounds × ${m.roundMs} ms per cell after ${m.warmupMs} ms warm-up; ops/s, higher is better`,
  );
  out.push('');
  out.push(pad(header));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) out.push(pad(l));
  out.push('');
  const mem = report.memory;
  if (mem) {
    out.push(
      `memory, ${mem.iterations.toLocaleString('en-US')} Tessera ES256 verifications (${(mem.elapsedMs / 1000).toFixed(1)} s, gc via ${mem.gc}):`,
    );
    out.push(
      `  heapUsed ${fmtBytes(mem.before.heapUsed)} → ${fmtBytes(mem.after.heapUsed)} (${fmtDelta(mem.heapUsedDelta)}), ` +
        `external ${fmtBytes(mem.before.external)} → ${fmtBytes(mem.after.external)} (${fmtDelta(mem.externalDelta)}), ` +
        `rss ${fmtBytes(mem.before.rss)} → ${fmtBytes(mem.after.rss)} (${fmtDelta(mem.rssDelta)})`,
    );
    out.push(`  flat: ${mem.flat === null ? 'unknown (no gc)' : mem.flat ? 'yes' : 'NO'} (${mem.flatRule})`);
  } else {
    out.push('memory: not measured (the ES256 assertion row failed)');
  }
  out.push('');
  out.push('targets:');
  for (const t of report.targets) {
    const value =
      t.kind === 'ratio'
        ? fmtRatio(t.value)
        : t.kind === 'share'
          ? fmtPct(t.value)
          : t.value === null
            ? 'unknown'
            : t.value
              ? 'yes'
              : 'no';
    out.push(`  [${t.met ? 'met' : 'NOT MET'}] ${t.description}: ${value}`);
  }
  if (report.problems.length > 0) {
    out.push('');
    out.push('problems:');
    for (const p of report.problems) out.push(`  ${p}`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main() {
  const pkgVersion = (spec) => JSON.parse(readFileSync(new URL(spec, import.meta.url), 'utf8')).version;
  const meta = {
    tessera: pkgVersion('../package.json'),
    simplewebauthn: pkgVersion('../node_modules/@simplewebauthn/server/package.json'),
    node: process.version,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.availableParallelism?.() ?? os.cpus().length,
    date: new Date().toISOString(),
    rounds: ROUNDS,
    roundMs: ROUND_MS,
    warmupMs: WARMUP_MS,
    syncBatch: SYNC_BATCH,
    gc: gcHow,
  };

  log('bench: building inputs…');
  const rows = [
    assertionRow('ES256'),
    coldAssertionRow(),
    assertionRow('RS256'),
    assertionRow('EdDSA'),
    generatedRegistrationRow('none'),
    generatedRegistrationRow('packed'),
    corpusRegistrationRow(
      'registration-packed-x5c',
      'registration packed x5c + anchor (YubiKey 5)',
      'packed-x5c-yubikey5-firefox.json',
      'packed',
      'yubico-u2f-root-ca-serial-457200631.pem',
    ),
    corpusRegistrationRow(
      'registration-tpm',
      'registration tpm + anchor (ECC, ES256)',
      'tpm-ecc-es256-webauthn-io.json',
      'tpm',
      'microsoft-tpm-root-ca-2014.pem',
    ),
  ];
  const raw = rawRow();

  const problems = [];
  for (const row of rows) {
    const rowProblems = await checkRow(row);
    if (rowProblems.length > 0) {
      row.error = rowProblems.join('; ');
      problems.push(`${row.label}: ${row.error}`);
    }
  }
  const live = rows.filter((r) => !r.error);

  const variants = [];
  for (const row of live) {
    variants.push({ row, lib: 'tessera', time: (ms) => timeSync(row.tessera, ms) });
    variants.push({ row, lib: 'simplewebauthn', time: (ms) => timeAsync(row.swa, ms) });
    variants.push({ row, lib: 'tesseraAwait', time: (ms) => timeAsync(row.tessera, ms) });
  }
  variants.push({ row: raw, lib: 'raw', time: (ms) => timeSync(raw.fn, ms) });

  log(`bench: warming up ${variants.length} cells…`);
  for (const v of variants) await v.time(WARMUP_MS);

  const samples = new Map(variants.map((v) => [v, []]));
  for (let round = 0; round < ROUNDS; round++) {
    log(`bench: round ${round + 1}/${ROUNDS}`);
    // Alternate the direction each round so slow drift (thermal, GC debt) hits every cell alike.
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) samples.get(v)?.push(await v.time(ROUND_MS));
  }

  const rate = (row, lib) => {
    const v = variants.find((x) => x.row === row && x.lib === lib);
    return v ? median(samples.get(v) ?? []) : null;
  };
  const roundsOf = (row, lib) => {
    const v = variants.find((x) => x.row === row && x.lib === lib);
    return v ? (samples.get(v) ?? []).map((x) => Math.round(x)) : [];
  };
  const rawRate = rate(raw, 'raw');

  const reportRows = rows.map((row) => {
    const t = row.error ? null : rate(row, 'tessera');
    const s = row.error ? null : rate(row, 'simplewebauthn');
    return {
      id: row.id,
      label: row.label,
      unit: row.unit,
      ...(row.source ? { corpusCase: row.source, trustAnchor: row.anchor } : {}),
      tessera: t,
      tesseraAwait: row.error ? null : rate(row, 'tesseraAwait'),
      simplewebauthn: s,
      ratioVsSimpleWebAuthn: t != null && s ? t / s : null,
      // The raw row is ES256, so only the ES256 assertion row is compared with it.
      ratioVsRaw: row.id.startsWith('assertion-es256') && t != null && rawRate ? t / rawRate : null,
      rounds: {
        tessera: roundsOf(row, 'tessera'),
        tesseraAwait: roundsOf(row, 'tesseraAwait'),
        simplewebauthn: roundsOf(row, 'simplewebauthn'),
      },
      ...(row.error ? { error: row.error } : {}),
    };
  });

  const es256 = rows[0];
  let memory = null;
  if (es256 && !es256.error) {
    log(`bench: memory, ${MEMORY_ITERATIONS} ES256 verifications…`);
    memory = memoryCheck(es256.tessera);
  }

  const byId = (id) => reportRows.find((r) => r.id === id);
  const ratios = {
    es256AssertionVsSimpleWebAuthn: byId('assertion-es256')?.ratioVsSimpleWebAuthn ?? null,
    es256AssertionVsRaw: byId('assertion-es256')?.ratioVsRaw ?? null,
    packedX5cRegistrationVsSimpleWebAuthn: byId('registration-packed-x5c')?.ratioVsSimpleWebAuthn ?? null,
    es256AssertionColdVsSimpleWebAuthn: byId('assertion-es256-cold')?.ratioVsSimpleWebAuthn ?? null,
    es256AssertionColdVsRaw: byId('assertion-es256-cold')?.ratioVsRaw ?? null,
  };
  const targets = [
    {
      id: 'es256AssertionVsSimpleWebAuthn',
      kind: 'ratio',
      description: `ES256 assertion ≥ ${TARGETS.es256AssertionVsSimpleWebAuthn}× SimpleWebAuthn`,
      target: TARGETS.es256AssertionVsSimpleWebAuthn,
      value: ratios.es256AssertionVsSimpleWebAuthn,
    },
    {
      id: 'es256AssertionVsRaw',
      kind: 'share',
      description: `ES256 assertion ≥ ${TARGETS.es256AssertionVsRaw * 100} % of raw node:crypto verify`,
      target: TARGETS.es256AssertionVsRaw,
      value: ratios.es256AssertionVsRaw,
    },
    {
      id: 'packedX5cRegistrationVsSimpleWebAuthn',
      kind: 'ratio',
      description: `packed x5c registration ≥ ${TARGETS.packedX5cRegistrationVsSimpleWebAuthn}× SimpleWebAuthn`,
      target: TARGETS.packedX5cRegistrationVsSimpleWebAuthn,
      value: ratios.packedX5cRegistrationVsSimpleWebAuthn,
    },
  ].map((t) => ({ ...t, met: t.value != null && t.value >= t.target }));
  targets.push({
    id: 'memoryFlat',
    kind: 'flag',
    description: `memory flat over ${MEMORY_ITERATIONS.toLocaleString('en-US')} ES256 verifications`,
    target: true,
    value: memory ? memory.flat : null,
    met: memory?.flat === true,
  });

  const report = {
    meta,
    rows: reportRows,
    raw: { id: raw.id, label: raw.label, unit: raw.unit, opsPerSec: rawRate, rounds: roundsOf(raw, 'raw') },
    ratios,
    memory,
    targets,
    allTargetsMet: targets.every((t) => t.met),
    problems,
  };

  if (JSON_OUT) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${renderTable(report)}\n`);
  // A row that does not verify is a broken bench, not a slow one.
  if (problems.length > 0) process.exitCode = 1;
}

await main();
