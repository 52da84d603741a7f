#!/usr/bin/env node
/**
 * Policy simulation throughput: the hybrid example policy (examples/policy.hybrid.yaml) against
 * 100 000 people with 250 000 credentials, generated deterministically (a seeded PRNG), simulated
 * three times; the median is reported. The goal (PRODUCT C4): under 10 seconds.
 *
 *   npm run bench:policy              the summary (npm runs the build first; this file imports dist/)
 *   node bench/policy-simulate.mjs --json
 *   node bench/policy-simulate.mjs --people 20000 --credentials 50000 --at 2026-02-15
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parsePolicy, simulate } from '../dist/policy/index.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '100000' },
    credentials: { type: 'string', default: '250000' },
    at: { type: 'string', default: '2026-03-01T00:00:00Z' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const PEOPLE = Number(values.people);
const CREDENTIALS = Number(values.credentials);
const RUNS = Number(values.runs);
const AT = new Date(values.at);
const TARGET_SECONDS = 10;
const log = (line) => process.stderr.write(`${line}\n`);

if (!(PEOPLE > 0 && CREDENTIALS >= PEOPLE && RUNS > 0) || Number.isNaN(AT.getTime())) {
  log(
    'usage: node bench/policy-simulate.mjs [--people N] [--credentials M>=N] [--at DATE] [--runs R] [--json]',
  );
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// The policy
// ---------------------------------------------------------------------------------------------

const policyFile = new URL('../examples/policy.hybrid.yaml', import.meta.url);
const parsed = parsePolicy(readFileSync(policyFile, 'utf8'), 'examples/policy.hybrid.yaml');
if (!parsed.policy) {
  for (const e of parsed.errors) log(`${e.file}:${e.line}:${e.column}: ${e.path}: ${e.message}`);
  process.exit(1);
}
const policy = parsed.policy;

// ---------------------------------------------------------------------------------------------
// A deterministic population
// ---------------------------------------------------------------------------------------------

/** mulberry32: a small, fast, seeded PRNG; the same seed gives the same population everywhere. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = {
  yubikey: {
    class: 'security-key',
    aal: 'AAL3',
    aaguid: 'fa2b99dc-9e39-4257-8f92-4a30d23c4118',
    model: 'YubiKey 5 Series with NFC',
    attestationTrust: 'trusted',
    uvCapable: true,
    refused: false,
  },
  fips: {
    class: 'security-key',
    aal: 'AAL3',
    aaguid: 'c1f9a0bc-1dd2-404a-b27f-8e29047a43fd',
    model: 'YubiKey 5 FIPS Series with NFC',
    attestationTrust: 'trusted',
    uvCapable: true,
    refused: false,
  },
  preview: {
    class: 'security-key',
    aal: 'AAL3',
    aaguid: '34f5766d-1536-4a24-9033-0e294e510fb0',
    model: 'YubiKey 5 Series with NFC Preview',
    attestationTrust: 'trusted',
    uvCapable: true,
    refused: false,
  },
  revoked: {
    class: 'security-key',
    aal: null,
    aaguid: '42b4fb4a-2866-43b2-9bf7-6c6669c2e5d3',
    model: 'Google Titan Security Key v2',
    attestationTrust: 'untrusted',
    uvCapable: true,
    refused: true,
  },
  synced: {
    class: 'synced-passkey',
    aal: 'AAL2',
    aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4',
    model: 'Google Password Manager',
    attestationTrust: 'unverifiable',
    uvCapable: true,
    refused: false,
  },
  icloud: {
    class: 'synced-passkey',
    aal: 'AAL2',
    aaguid: 'dd4ec289-e01d-41c9-bb89-70fa845d4bf2',
    model: 'iCloud Keychain (Managed)',
    attestationTrust: 'unverifiable',
    uvCapable: true,
    refused: false,
  },
  hello: {
    class: 'device-bound-passkey',
    aal: 'AAL3',
    aaguid: '08987058-cadc-4b81-b6e1-30de50dcbe96',
    model: 'Windows Hello',
    attestationTrust: 'trusted',
    uvCapable: true,
    refused: false,
  },
  unattested: {
    class: 'device-bound-unverified',
    aal: 'AAL2',
    aaguid: '00000000-0000-0000-0000-000000000000',
    model: null,
    attestationTrust: 'unverifiable',
    uvCapable: true,
    refused: false,
  },
  u2f: {
    class: 'device-bound-unverified',
    aal: 'AAL1',
    aaguid: '00000000-0000-0000-0000-000000000000',
    model: null,
    attestationTrust: 'unverifiable',
    uvCapable: false,
    refused: false,
  },
};

/** Cumulative weights per kind of person. */
const MIX = {
  admin: [
    ['yubikey', 0.55],
    ['fips', 0.2],
    ['synced', 0.15],
    ['hello', 0.07],
    ['revoked', 0.03],
  ],
  finance: [
    ['yubikey', 0.45],
    ['preview', 0.1],
    ['icloud', 0.3],
    ['synced', 0.12],
    ['u2f', 0.03],
  ],
  staff: [
    ['synced', 0.45],
    ['icloud', 0.3],
    ['hello', 0.12],
    ['unattested', 0.06],
    ['yubikey', 0.05],
    ['u2f', 0.015],
    ['revoked', 0.005],
  ],
};

function pick(random, mix) {
  let r = random();
  for (const [kind, weight] of mix) {
    r -= weight;
    if (r < 0) return KINDS[kind];
  }
  return KINDS[mix[0][0]];
}

function generate(people, credentials) {
  const random = prng(0x7e55e7a);
  const persons = new Array(people);
  const mixes = new Array(people);
  for (let i = 0; i < people; i++) {
    const r = random();
    let groups;
    let mix;
    if (r < 0.01) [groups, mix] = [['sre', 'staff'], MIX.admin];
    else if (r < 0.015) [groups, mix] = [['tessera-admins'], MIX.admin];
    else if (r < 0.02) [groups, mix] = [['directory-admins', 'finance'], MIX.admin];
    else if (r < 0.05) [groups, mix] = [['finance'], MIX.finance];
    else if (r < 0.06) [groups, mix] = [['payroll', 'staff'], MIX.finance];
    else [groups, mix] = [['staff', `team-${i % 200}`], MIX.staff];
    persons[i] = { id: `p${i}`, username: `user${i}`, groups };
    mixes[i] = mix;
  }
  const creds = new Array(credentials);
  // Everyone gets one credential, the rest go to people at random (some get several, a backup).
  for (let j = 0; j < credentials; j++) {
    const i = j < people ? j : Math.floor(random() * people);
    creds[j] = { personId: persons[i].id, ...pick(random, mixes[i]) };
  }
  return { people: persons, credentials: creds };
}

// ---------------------------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------------------------

const t0 = performance.now();
const population = generate(PEOPLE, CREDENTIALS);
const generateSeconds = (performance.now() - t0) / 1000;
log(
  `generated ${PEOPLE.toLocaleString('en-US')} people, ${CREDENTIALS.toLocaleString('en-US')} credentials in ${generateSeconds.toFixed(2)} s`,
);

// One short warm-up so the first timed run is not the JIT's.
simulate(
  policy,
  { people: population.people.slice(0, 2000), credentials: population.credentials.slice(0, 5000) },
  AT,
);

const seconds = [];
let report;
for (let r = 0; r < RUNS; r++) {
  const start = performance.now();
  report = simulate(policy, population, AT);
  seconds.push((performance.now() - start) / 1000);
  log(`run ${r + 1}: ${seconds[r].toFixed(3)} s`);
}
const sorted = [...seconds].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const result = {
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cpus: os.cpus().length,
  at: AT.toISOString(),
  people: PEOPLE,
  credentials: CREDENTIALS,
  runs: seconds.map((s) => Number(s.toFixed(4))),
  medianSeconds: Number(median.toFixed(4)),
  peoplePerSecond: Math.round(PEOPLE / median),
  credentialsPerSecond: Math.round(CREDENTIALS / median),
  targetSeconds: TARGET_SECONDS,
  withinTarget: median < TARGET_SECONDS,
  totals: report.totals,
};

if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const n = (x) => x.toLocaleString('en-US');
  const t = report.totals;
  process.stdout.write(
    [
      `policy simulate — ${result.cpu} (${result.cpus} CPUs), Node ${result.node}`,
      `${n(PEOPLE)} people, ${n(CREDENTIALS)} credentials, examples/policy.hybrid.yaml at ${result.at}`,
      `runs: ${seconds.map((s) => `${s.toFixed(3)} s`).join(', ')}`,
      `median: ${median.toFixed(3)} s — ${n(result.peoplePerSecond)} people/s, ${n(result.credentialsPerSecond)} credentials/s (target: under ${TARGET_SECONDS} s: ${result.withinTarget ? 'met' : 'MISSED'})`,
      `outcome: ${n(t.blocked)} blocked, ${n(t.warned)} warned, ${n(t.wouldBlock)} would block, ${n(t.lackingBackup)} lacking a backup`,
      '',
    ].join('\n'),
  );
}
process.exitCode = result.withinTarget ? 0 : 1;
