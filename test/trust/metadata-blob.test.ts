/**
 * FIDO MDS3 BLOB verification (src/trust/metadata/blob.ts) on the real production BLOBs no. 9
 * (2021-11) and no. 121 (2024-12), the signing chain of no. 278 (header only, cross-signed root),
 * and BLOBs signed by a test CA for the shapes the real ones cannot show.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FIDO_MDS_ROOT_PEM,
  isBlobStale,
  MetadataError,
  type MetadataErrorCode,
  verifyBlobSigningChain,
  verifyMetadataBlob,
} from '../../src/trust/metadata/index.js';
import { signedBlob, TEST_ROOT_PEM, testPayload, testStatement } from './fixtures/signed-blob.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const BLOB_9 = readFileSync(join(fixtures, 'fido-mds3-blob-no9-2021-11.jwt'), 'utf8');
const BLOB_121 = readFileSync(join(fixtures, 'fido-mds3-blob-no121-2024-12.jwt'), 'utf8');
const HEADER_278 = JSON.parse(
  readFileSync(join(fixtures, 'fido-mds3-blob-no278-2026-09.header.json'), 'utf8'),
) as {
  alg: string;
  x5c: string[];
};
const OTHER_ROOT = readFileSync(
  join(import.meta.dirname, '../corpus/roots/globalsign-root-ca-r1.pem'),
  'utf8',
);

const AT_9 = new Date('2021-11-15T00:00:00Z');
const AT_121 = new Date('2024-12-15T00:00:00Z');

function codeOf(fn: () => unknown): MetadataErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (error) {
    if (error instanceof MetadataError) return error.code;
    throw error;
  }
}

function detailOf(fn: () => unknown): string {
  try {
    fn();
    return '';
  } catch (error) {
    return error instanceof MetadataError ? (error.detail ?? '') : String(error);
  }
}

/** Replace one base64url character of JWS part `part` at `index` by another valid one. */
function tamper(jws: string, part: 0 | 1 | 2, index: number): string {
  const parts = jws.split('.');
  const text = parts[part] ?? '';
  const c = text[index];
  const replacement = c === 'A' ? 'B' : 'A';
  parts[part] = text.slice(0, index) + replacement + text.slice(index + 1);
  return parts.join('.');
}

describe('FIDO MDS3 BLOB no. 9 (2021-11)', () => {
  const blob = verifyMetadataBlob(BLOB_9, { now: AT_9 });

  it('verifies at 2021-11-15 with the shipped GlobalSign Root CA - R3 anchor', () => {
    expect(blob.no).toBe(9);
    expect(blob.nextUpdate).toBe('2021-12-01');
    expect(blob.alg).toBe('RS256');
    expect(blob.chain).toHaveLength(2);
    expect(blob.chain[0]).toContain('CN=mds.fidoalliance.org');
    expect(blob.chain[1]).toContain('GlobalSign Extended Validation CA - SHA256 - G3');
    expect(blob.root).toContain('OU=GlobalSign Root CA - R3');
    expect(blob.stale).toBe(false);
    expect(blob.legalHeader).toContain('https://fidoalliance.org/metadata/metadata-legal-terms/');
    expect(blob.verifiedAt.toISOString()).toBe(AT_9.toISOString());
  });

  it('holds 98 entries: 46 with an AAGUID, 17 with an AAID, 35 with key identifiers', () => {
    expect(blob.counts).toEqual({
      entries: 98,
      aaguid: 46,
      aaid: 17,
      attestationCertificateKeyIdentifiers: 35,
      skipped: 0,
    });
    expect(blob.entries).toHaveLength(98);
    expect(blob.warnings.filter((w) => w.code === 'metadata_entry_skipped')).toEqual([]);
  });

  it('reads the YubiKey 5 Series with NFC statement', () => {
    const yk = blob.entries.find((e) => e.aaguid === 'fa2b99dc-9e39-4257-8f92-4a30d23c4118');
    expect(yk?.statement?.description).toBe('YubiKey 5 Series with NFC');
    expect(yk?.statement?.keyProtection).toEqual(['hardware', 'secure_element']);
    expect(yk?.statement?.attachmentHint).toEqual(['external', 'wired', 'wireless', 'nfc']);
    expect(yk?.statement?.attestationTypes).toEqual(['basic_full']);
    expect(yk?.statement?.attestationRootCertificates).toHaveLength(1);
    expect(yk?.statement?.icon?.startsWith('data:image/png;base64,')).toBe(true);
    expect(yk?.latestStatus?.status).toBe('FIDO_CERTIFIED_L1');
    expect(yk?.latestStatus?.effectiveDate).toBe('2020-05-12');
    expect(yk?.certificationLevel).toBe('FIDO_CERTIFIED_L1');
    expect(yk?.statement?.authenticatorGetInfo?.versions).toEqual(['U2F_V2', 'FIDO_2_0']);
  });

  it('accepts the bytes as well as the text, and a trailing newline', () => {
    expect(verifyMetadataBlob(Buffer.from(BLOB_9), { now: AT_9 }).no).toBe(9);
    expect(verifyMetadataBlob(`${BLOB_9}\n`, { now: AT_9 }).no).toBe(9);
  });

  it('is refused with a tampered payload', () => {
    const jws = tamper(BLOB_9, 1, 5000);
    expect(codeOf(() => verifyMetadataBlob(jws, { now: AT_9 }))).toBe('metadata_signature_invalid');
  });

  it('is refused with a tampered signature', () => {
    const jws = tamper(BLOB_9, 2, 10);
    expect(codeOf(() => verifyMetadataBlob(jws, { now: AT_9 }))).toBe('metadata_signature_invalid');
  });

  it('is refused with another root as the only anchor', () => {
    expect(codeOf(() => verifyMetadataBlob(BLOB_9, { now: AT_9, anchors: [OTHER_ROOT] }))).toBe(
      'metadata_chain_invalid',
    );
  });

  it('is refused once the signing certificate has expired (2022-05-14)', () => {
    const later = new Date('2022-06-01T00:00:00Z');
    expect(codeOf(() => verifyMetadataBlob(BLOB_9, { now: later }))).toBe('metadata_chain_invalid');
    expect(detailOf(() => verifyMetadataBlob(BLOB_9, { now: later }))).toMatch(/not valid at 2022-06-01/);
  });

  it('is refused before the signing certificate was issued (2021-04-12)', () => {
    expect(codeOf(() => verifyMetadataBlob(BLOB_9, { now: new Date('2021-04-01T00:00:00Z') }))).toBe(
      'metadata_chain_invalid',
    );
  });

  it('verifies but is stale, with a warning, on and after nextUpdate', () => {
    const stale = verifyMetadataBlob(BLOB_9, { now: new Date('2021-12-01T00:00:00Z') });
    expect(stale.stale).toBe(true);
    expect(stale.warnings.map((w) => w.code)).toContain('metadata_stale');
    expect(isBlobStale('2021-12-01', new Date('2021-11-30T23:59:59Z'))).toBe(false);
    expect(isBlobStale('2021-12-01', new Date('2021-12-01T00:00:00Z'))).toBe(true);
    expect(blob.warnings.map((w) => w.code)).not.toContain('metadata_stale');
  });
});

describe('FIDO MDS3 BLOB no. 121 (2024-12)', () => {
  const blob = verifyMetadataBlob(BLOB_121, { now: AT_121 });

  it('verifies at 2024-12-15: 280 entries (188 AAGUID, 17 AAID, 75 key identifiers)', () => {
    expect(blob.no).toBe(121);
    expect(blob.nextUpdate).toBe('2025-01-01');
    expect(blob.stale).toBe(false);
    expect(blob.counts).toEqual({
      entries: 280,
      aaguid: 188,
      aaid: 17,
      attestationCertificateKeyIdentifiers: 75,
      skipped: 0,
    });
  });

  it('reports the REVOKED TruU Windows Authenticator with its date', () => {
    const truu = blob.entries.find((e) => e.aaguid === 'ba86dc56-635f-4141-aef6-00227b1b9af6');
    expect(truu?.statement?.description).toBe('TruU Windows Authenticator');
    // Listed first but not sorted: the NOT_FIDO_CERTIFIED report (2023-11-07) is older.
    expect(truu?.statusReports.map((r) => r.status)).toEqual(['REVOKED', 'NOT_FIDO_CERTIFIED']);
    expect(truu?.latestStatus?.status).toBe('REVOKED');
    expect(truu?.latestStatus?.effectiveDate).toBe('2023-12-20');
    expect(truu?.certificationLevel).toBeNull();
    // The only REVOKED entry of this BLOB.
    expect(blob.entries.filter((e) => e.statusReports.some((r) => r.status === 'REVOKED'))).toHaveLength(1);
  });

  it('counts entries per status as the BLOB README does', () => {
    const withStatus = (s: string) =>
      blob.entries.filter((e) => e.statusReports.some((r) => r.status === s)).length;
    expect(withStatus('FIDO_CERTIFIED')).toBe(218);
    expect(withStatus('FIDO_CERTIFIED_L1')).toBe(174);
    expect(withStatus('FIDO_CERTIFIED_L2')).toBe(45);
    expect(withStatus('NOT_FIDO_CERTIFIED')).toBe(62);
    expect(blob.entries.filter((e) => e.certificationLevel === 'FIDO_CERTIFIED_L2')).toHaveLength(45);
  });

  it('tolerates root certificates wrapped in whitespace (NEOWAVE, Feitian, …)', () => {
    const neowave = blob.entries.find((e) => e.statement?.description === 'NEOWAVE Winkeo FIDO2');
    expect(neowave?.statement?.attestationRootCertificates.length).toBeGreaterThan(0);
    for (const der of neowave?.statement?.attestationRootCertificates ?? []) expect(der[0]).toBe(0x30);
  });

  it('is refused after the signing certificate expired (2025-07-28)', () => {
    expect(codeOf(() => verifyMetadataBlob(BLOB_121, { now: new Date('2025-07-29T00:00:00Z') }))).toBe(
      'metadata_chain_invalid',
    );
  });
});

describe('BLOB signing chain of no. 278 (x5c ends at a cross-signed root)', () => {
  const at = new Date('2026-11-26T00:00:00Z');

  it('builds leaf → GlobalSign GCC R46 EV TLS CA 2025 → GlobalSign Root R46 (cross-signed by R3) → R3', () => {
    expect(HEADER_278.x5c).toHaveLength(3);
    const { chain, root } = verifyBlobSigningChain(HEADER_278.x5c, [FIDO_MDS_ROOT_PEM], at);
    expect(chain.map((c) => c.subjectAttributes.get('CN')?.[0])).toEqual([
      'mds.fidoalliance.org',
      'GlobalSign GCC R46 EV TLS CA 2025',
      'GlobalSign Root R46',
    ]);
    expect(chain[2]?.issuer).toContain('GlobalSign Root CA - R3');
    expect(root).toContain('OU=GlobalSign Root CA - R3');
  });

  it('is refused before the leaf was issued and with a wrong anchor', () => {
    expect(codeOf(() => verifyBlobSigningChain(HEADER_278.x5c, [FIDO_MDS_ROOT_PEM], AT_121))).toBe(
      'metadata_chain_invalid',
    );
    expect(codeOf(() => verifyBlobSigningChain(HEADER_278.x5c, [OTHER_ROOT], at))).toBe(
      'metadata_chain_invalid',
    );
  });

  it('reaches the signature check in a full JWS (which fails: the payload is not the real one)', () => {
    const header = Buffer.from(JSON.stringify(HEADER_278)).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ no: 278, nextUpdate: '2026-10-01', entries: [] })).toString(
      'base64url',
    );
    const jws = `${header}.${payload}.${Buffer.alloc(256, 1).toString('base64url')}`;
    expect(codeOf(() => verifyMetadataBlob(jws, { now: at }))).toBe('metadata_signature_invalid');
    expect(codeOf(() => verifyMetadataBlob(jws, { now: AT_121 }))).toBe('metadata_chain_invalid');
  });
});

describe('BLOBs signed by a test CA', () => {
  const now = new Date('2025-06-01T00:00:00Z');
  const anchors = [TEST_ROOT_PEM];
  const statement = testStatement('11111111-2222-3333-4444-555555555555', 'Test Key');

  it.each(['ES256', 'RS256', 'PS256'] as const)('verifies %s', (alg) => {
    const blob = verifyMetadataBlob(signedBlob(testPayload(3, '2025-07-01', [statement]), { alg }), {
      now,
      anchors,
    });
    expect(blob.alg).toBe(alg);
    expect(blob.no).toBe(3);
    expect(blob.entries[0]?.statement?.description).toBe('Test Key');
  });

  it('verifies a BLOB without x5c signed by the anchor itself (MDS3 §3.2)', () => {
    const blob = verifyMetadataBlob(
      signedBlob(testPayload(4, '2025-07-01', [statement]), { signedByRoot: true }),
      {
        now,
        anchors,
      },
    );
    expect(blob.chain).toEqual([]);
    expect(blob.root).toBe('CN=Test MDS Root');
  });

  it('refuses the FIDO-signed BLOB when only the test root is trusted, and vice versa', () => {
    expect(codeOf(() => verifyMetadataBlob(BLOB_9, { now: AT_9, anchors }))).toBe('metadata_chain_invalid');
    expect(codeOf(() => verifyMetadataBlob(signedBlob(testPayload(3, '2025-07-01', [])), { now }))).toBe(
      'metadata_chain_invalid',
    );
  });

  it('refuses unsupported algorithms, crit, x5u and malformed envelopes', () => {
    const payload = testPayload(3, '2025-07-01', []);
    const opts = { now, anchors };
    expect(codeOf(() => verifyMetadataBlob(signedBlob(payload, { header: { alg: 'none' } }), opts))).toBe(
      'metadata_algorithm_unsupported',
    );
    expect(codeOf(() => verifyMetadataBlob(signedBlob(payload, { header: { alg: 'HS256' } }), opts))).toBe(
      'metadata_algorithm_unsupported',
    );
    expect(codeOf(() => verifyMetadataBlob(signedBlob(payload, { header: { crit: ['exp'] } }), opts))).toBe(
      'metadata_malformed',
    );
    expect(
      codeOf(() =>
        verifyMetadataBlob(
          signedBlob(payload, { header: { x5c: undefined, x5u: 'https://example.com/x5u' } }),
          opts,
        ),
      ),
    ).toBe('metadata_chain_invalid');
    expect(
      codeOf(() => verifyMetadataBlob(signedBlob(payload, { header: { x5c: ['not base64!'] } }), opts)),
    ).toBe('metadata_malformed');
    expect(codeOf(() => verifyMetadataBlob('a.b', opts))).toBe('metadata_malformed');
    expect(codeOf(() => verifyMetadataBlob('a.b.c.d', opts))).toBe('metadata_malformed');
    expect(codeOf(() => verifyMetadataBlob('eyJ=.e30.AA', opts))).toBe('metadata_malformed');
    expect(codeOf(() => verifyMetadataBlob(new Uint8Array([0xff, 0xfe, 0x2e]), opts))).toBe(
      'metadata_malformed',
    );
    expect(codeOf(() => verifyMetadataBlob(BLOB_9, { now: AT_9, maxBytes: 1000 }))).toBe(
      'metadata_too_large',
    );
  });

  it('refuses a signed payload whose envelope is wrong', () => {
    const opts = { now, anchors };
    const bad = [
      'not json',
      [],
      { no: -1, nextUpdate: '2025-07-01', entries: [] },
      { no: 1.5, nextUpdate: '2025-07-01', entries: [] },
      { no: '3', nextUpdate: '2025-07-01', entries: [] },
      { no: 3, nextUpdate: '2025-02-30', entries: [] },
      { no: 3, nextUpdate: '2025-07-01T00:00:00Z', entries: [] },
      { no: 3, nextUpdate: '2025-07-01', entries: {} },
      { no: 3, nextUpdate: '2025-07-01', legalHeader: 7, entries: [] },
    ];
    for (const payload of bad)
      expect(
        codeOf(() => verifyMetadataBlob(signedBlob(payload), opts)),
        JSON.stringify(payload),
      ).toBe('metadata_malformed');
  });

  it('skips an invalid entry with a warning and keeps the others', () => {
    const payload = testPayload(5, '2025-07-01', [
      statement,
      testStatement('not-a-uuid', 'Broken'),
      testStatement('66666666-7777-8888-9999-000000000000', 'Second', {
        keyProtection: ['hardware', 'quantum'],
      }),
    ]);
    const blob = verifyMetadataBlob(signedBlob(payload), { now, anchors });
    expect(blob.counts.entries).toBe(2);
    expect(blob.counts.skipped).toBe(1);
    const skipped = blob.warnings.filter((w) => w.code === 'metadata_entry_skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.detail).toMatch(/entry 1.*not a UUID/);
    // An unknown registry value is dropped, not fatal.
    expect(blob.entries[1]?.statement?.keyProtection).toEqual(['hardware']);
    expect(
      blob.warnings.some((w) => w.code === 'statement_value_ignored' && w.detail.includes('quantum')),
    ).toBe(true);
  });
});
