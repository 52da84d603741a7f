/**
 * The merged metadata snapshot (src/trust/metadata/snapshot.ts), metadata statements
 * (statement.ts) and passkey provider names (providers.ts), on the real BLOBs no. 9 and no. 121
 * and the shipped community AAGUID list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildSnapshot,
  defaultPasskeyProviders,
  MetadataError,
  type MetadataWarning,
  parseMetadataStatement,
  parsePasskeyProviders,
  verifyMetadataBlob,
  ZERO_AAGUID,
} from '../../src/trust/metadata/index.js';
import { testStatement } from './fixtures/signed-blob.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const blob9 = verifyMetadataBlob(readFileSync(join(fixtures, 'fido-mds3-blob-no9-2021-11.jwt'), 'utf8'), {
  now: new Date('2021-11-15T00:00:00Z'),
});
const blob121 = verifyMetadataBlob(readFileSync(join(fixtures, 'fido-mds3-blob-no121-2024-12.jwt'), 'utf8'), {
  now: new Date('2024-12-15T00:00:00Z'),
});

const YUBIKEY_5_NFC = 'fa2b99dc-9e39-4257-8f92-4a30d23c4118';
const WINDOWS_HELLO = '08987058-cadc-4b81-b6e1-30de50dcbe96';
const GOOGLE_PM = 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4';
const APPLE = 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd';
const TRUU = 'ba86dc56-635f-4141-aef6-00227b1b9af6';

describe('lookups', () => {
  const snapshot = buildSnapshot({ blob: blob9 });

  it('finds YubiKey 5 Series with NFC by AAGUID, in any spelling', () => {
    const entry = snapshot.byAaguid(YUBIKEY_5_NFC);
    expect(entry?.source).toBe('mds');
    expect(entry?.statement?.description).toBe('YubiKey 5 Series with NFC');
    expect(entry?.statement?.protocolFamily).toBe('fido2');
    expect(entry?.statement?.keyProtection).toEqual(['hardware', 'secure_element']);
    expect(entry?.statement?.attachmentHint).toEqual(['external', 'wired', 'wireless', 'nfc']);
    expect(
      entry?.statement?.userVerificationDetails.map((c) => c.map((m) => m.userVerificationMethod)),
    ).toEqual([['presence_internal', 'passcode_internal', 'none']]);
    expect(entry?.statement?.upv).toEqual([{ major: 1, minor: 0 }]);
    expect(snapshot.byAaguid(YUBIKEY_5_NFC.toUpperCase())).toBe(entry);
    expect(snapshot.byAaguid(YUBIKEY_5_NFC.replaceAll('-', ''))).toBe(entry);
    expect(snapshot.byAaguid('not an aaguid')).toBeUndefined();
    expect(snapshot.byAaguid(ZERO_AAGUID)).toBeUndefined();
  });

  it('finds U2F entries by key identifier and UAF entries by AAID', () => {
    const u2f = blob9.entries.find((e) => e.statement?.protocolFamily === 'u2f');
    const id = u2f?.attestationCertificateKeyIdentifiers[0] ?? '';
    expect(snapshot.byKeyIdentifier(id)).toBe(u2f);
    expect(snapshot.byKeyIdentifier(id.toUpperCase())).toBe(u2f);
    expect(snapshot.byKeyIdentifier('00'.repeat(20))).toBeUndefined();
    expect(snapshot.byKeyIdentifier('xyz')).toBeUndefined();
    const uaf = blob9.entries.find((e) => e.aaid !== null);
    expect(snapshot.byAaid(uaf?.aaid ?? '')).toBe(uaf);
  });

  it('counts BLOB entries by kind', () => {
    expect(snapshot.counts).toEqual({
      blobEntries: 98,
      aaguid: 46,
      aaid: 17,
      attestationCertificateKeyIdentifiers: 35,
      statements: 0,
      providers: 52,
    });
    expect(snapshot.blob).toMatchObject({ no: 9, nextUpdate: '2021-12-01' });
  });

  it('indexes 140 distinct key identifiers of BLOB no. 121 (RSA DS100 lists one twice)', () => {
    const s121 = buildSnapshot({ blob: blob121 });
    expect(s121.counts.blobEntries).toBe(280);
    expect(s121.counts.aaguid).toBe(188);
    expect(s121.warnings).toEqual([]);
    const ds100 = s121.byKeyIdentifier('2806df6c60b1656a78f97a28e168e5ec8d2937b4');
    expect(ds100?.statement?.description).toBe('RSA DS100');
    expect(ds100?.attestationCertificateKeyIdentifiers).toEqual(['2806df6c60b1656a78f97a28e168e5ec8d2937b4']);
    const ids = new Set(s121.entries.flatMap((e) => e.attestationCertificateKeyIdentifiers));
    expect(ids.size).toBe(140);
  });

  it('keeps the first of two BLOB entries sharing an identifier, with a warning', () => {
    const [first, second] = blob9.entries.filter((e) => e.aaguid !== null);
    if (!first || !second) throw new Error('fixture');
    const twin = { ...second, aaguid: first.aaguid, origin: 'twin' };
    const s = buildSnapshot({ blob: { ...blob9, entries: [first, twin] } });
    expect(s.byAaguid(first.aaguid ?? '')).toBe(first);
    expect(s.warnings.map((w) => w.code)).toEqual(['metadata_entry_duplicate']);
    expect(s.entries).toHaveLength(1);
  });

  it('reports the revoked TruU Windows Authenticator (BLOB no. 121)', () => {
    const entry = buildSnapshot({ blob: blob121 }).byAaguid(TRUU);
    expect(entry?.statement?.description).toBe('TruU Windows Authenticator');
    expect(entry?.latestStatus).toMatchObject({
      status: 'REVOKED',
      effectiveDate: '2023-12-20',
      known: true,
    });
    expect(entry?.statusReports).toHaveLength(2);
  });

  it('gives YubiKey 5 NFC its 2024 certification level (BLOB no. 121)', () => {
    const entry = buildSnapshot({ blob: blob121 }).byAaguid(YUBIKEY_5_NFC);
    expect(entry?.statement?.description).toBe('YubiKey 5 Series with NFC');
    expect(entry?.certificationLevel).toMatch(/^FIDO_CERTIFIED_L[12]/);
    expect(entry?.statement?.attestationRootCertificates.length).toBeGreaterThan(0);
  });
});

describe('describe(): names and icons', () => {
  const snapshot = buildSnapshot({ blob: blob121 });

  it('names passkey providers that publish no metadata', () => {
    expect(snapshot.describe(GOOGLE_PM)).toMatchObject({
      name: 'Google Password Manager',
      source: 'passkey-provider-list',
    });
    expect(snapshot.byAaguid(GOOGLE_PM)).toBeUndefined();
    expect(snapshot.describe(APPLE).name).toBe('Apple Passwords');
    expect(snapshot.describe('bada5566-a7aa-401f-bd96-45619a55120d').name).toBe('1Password');
    expect(snapshot.describe(APPLE).icon).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(snapshot.describe(APPLE).iconDark).toMatch(/^data:image\/svg\+xml;base64,/);
  });

  it('prefers the community name over the MDS description, then falls back to MDS', () => {
    const hello = snapshot.describe(WINDOWS_HELLO);
    expect(hello).toMatchObject({ name: 'Windows Hello', source: 'passkey-provider-list' });
    expect(snapshot.byAaguid(WINDOWS_HELLO)?.statement?.description).toBe(
      'Windows Hello Hardware Authenticator',
    );
    expect(snapshot.describe(YUBIKEY_5_NFC)).toMatchObject({
      name: 'YubiKey 5 Series with NFC',
      source: 'mds',
    });
    expect(snapshot.describe(YUBIKEY_5_NFC).icon).toMatch(/^data:image\/png;base64,/);
  });

  it('has no icon for a provider without one (Chromium Browser)', () => {
    expect(snapshot.describe('b5397666-4885-aa6b-cebf-e52262a439a2')).toMatchObject({
      name: 'Chromium Browser',
      icon: null,
      iconDark: null,
    });
  });

  it('gives no name to the all-zero AAGUID, an unknown one, or garbage', () => {
    expect(snapshot.describe(ZERO_AAGUID)).toMatchObject({ name: null, icon: null, source: null });
    expect(snapshot.describe('12345678-1234-1234-1234-123456789abc').name).toBeNull();
    expect(snapshot.describe('nonsense').name).toBeNull();
  });

  it('copes with a retired community list ({}): MDS descriptions only', () => {
    const bare = buildSnapshot({ blob: blob121, providers: parsePasskeyProviders({}) });
    expect(bare.counts.providers).toBe(0);
    expect(bare.describe(WINDOWS_HELLO)).toMatchObject({
      name: 'Windows Hello Hardware Authenticator',
      source: 'mds',
    });
    expect(bare.describe(GOOGLE_PM).name).toBeNull();
  });
});

describe('the passkey provider list', () => {
  it('ships 52 providers and reads them without warnings', () => {
    const list = defaultPasskeyProviders();
    expect(list.providers.size).toBe(52);
    expect(list.warnings).toEqual([]);
    const withIcons = [...list.providers.values()].filter((p) => p.iconLight && p.iconDark);
    expect(withIcons).toHaveLength(50);
    expect([...list.providers.values()].filter((p) => p.name === 'Windows Hello')).toHaveLength(3);
  });

  it('skips what is not {uuid: {name}} and never throws', () => {
    expect(parsePasskeyProviders(null).providers.size).toBe(0);
    expect(parsePasskeyProviders([]).providers.size).toBe(0);
    expect(parsePasskeyProviders('x').warnings).toHaveLength(1);
    const list = parsePasskeyProviders({
      'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4': {
        name: 'Google Password Manager',
        icon_light: 'javascript:alert(1)',
      },
      'not-a-uuid': { name: 'X' },
      '11111111-2222-3333-4444-555555555555': { icon_light: 'data:image/png;base64,AA==' },
      '11111111-2222-3333-4444-666666666666': 'name',
      'EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4': { name: 'Duplicate' },
    });
    expect(list.providers.size).toBe(1);
    expect(list.providers.get(GOOGLE_PM)).toEqual({
      aaguid: GOOGLE_PM,
      name: 'Google Password Manager',
      iconLight: null,
      iconDark: null,
    });
    expect(list.warnings.map((w) => w.code)).toEqual([
      'metadata_entry_skipped',
      'metadata_entry_skipped',
      'metadata_entry_skipped',
      'metadata_entry_duplicate',
    ]);
  });
});

describe('metadata statements', () => {
  const aaguid = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

  function parse(
    value: unknown,
  ): { code: string; detail: string } | { ok: true; warnings: MetadataWarning[] } {
    const warnings: MetadataWarning[] = [];
    try {
      parseMetadataStatement(value, 'test.json', warnings);
      return { ok: true, warnings };
    } catch (error) {
      if (error instanceof MetadataError) return { code: error.code, detail: error.detail ?? '' };
      throw error;
    }
  }

  it('reads a minimal statement, ignoring members it does not use', () => {
    const warnings: MetadataWarning[] = [];
    const entry = parseMetadataStatement(
      { ...testStatement(aaguid.toUpperCase(), 'Local Key'), futureMember: { x: 1 }, tcDisplay: ['any'] },
      'local.json',
      warnings,
    );
    expect(entry).toMatchObject({
      source: 'statement',
      origin: 'local.json',
      aaguid,
      statusReports: [],
      latestStatus: null,
      certificationLevel: null,
    });
    expect(entry.statement?.keyProtection).toEqual(['hardware', 'secure_element']);
    expect(warnings).toEqual([]);
  });

  it('refuses statements that miss or break what Tessera uses', () => {
    const base = testStatement(aaguid, 'Local Key');
    const cases: [string, unknown, RegExp][] = [
      ['not an object', [], /JSON object/],
      ['no description', { ...base, description: undefined }, /description is missing/],
      ['empty description', { ...base, description: '  ' }, /description is empty/],
      ['bad family', { ...base, protocolFamily: 'fido3' }, /protocolFamily/],
      ['fido2 without aaguid', { ...base, aaguid: undefined }, /needs an aaguid/],
      ['bad aaguid', { ...base, aaguid: 'fa2b99dc' }, /not a UUID/],
      ['bad aaid', { ...base, aaid: '1234-5678' }, /VVVV#MMMM/],
      [
        'u2f without key ids',
        { ...base, protocolFamily: 'u2f' },
        /needs attestationCertificateKeyIdentifiers/,
      ],
      ['bad key id', { ...base, attestationCertificateKeyIdentifiers: ['abc'] }, /40 hex digits/],
      [
        'no roots',
        { ...base, attestationRootCertificates: undefined },
        /attestationRootCertificates is missing/,
      ],
      ['base64url root', { ...base, attestationRootCertificates: ['MIIB-_'] }, /not base64 DER/],
      ['non-DER root', { ...base, attestationRootCertificates: ['AAAA'] }, /not base64 DER/],
      ['keyProtection not array', { ...base, keyProtection: 'hardware' }, /keyProtection must be an array/],
      ['too many roots', { ...base, attestationRootCertificates: Array(65).fill('MAA=') }, /65 items/],
      [
        'bad uv method',
        { ...base, userVerificationDetails: [[{ userVerificationMethod: 7 }]] },
        /userVerificationMethod/,
      ],
      [
        'bad caDesc',
        {
          ...base,
          userVerificationDetails: [
            [{ userVerificationMethod: 'passcode_internal', caDesc: { base: '10' } }],
          ],
        },
        /caDesc.base/,
      ],
      ['bad upv', { ...base, upv: [{ major: 1 }] }, /minor is missing/],
      ['schema not integer', { ...base, schema: '3' }, /schema/],
      ['huge description', { ...base, description: 'x'.repeat(2000) }, /description must be a string/],
    ];
    for (const [what, value, detail] of cases) {
      const result = parse(value);
      expect(result, what).toMatchObject({ code: 'statement_invalid' });
      if ('code' in result) expect(result.detail, what).toMatch(detail);
    }
  });

  it('drops unknown registry values and non-data icons with a warning', () => {
    const result = parse({
      ...testStatement(aaguid, 'Local Key'),
      keyProtection: ['hardware', 'quantum_vault'],
      attachmentHint: ['external', 'telepathy'],
      attestationTypes: ['basic_full', 'future_type'],
      icon: 'https://example.com/icon.png',
    });
    expect(result).toMatchObject({ ok: true });
    if ('ok' in result) {
      expect(result.warnings.map((w) => w.code)).toEqual([
        'statement_value_ignored',
        'statement_value_ignored',
        'statement_value_ignored',
        'statement_value_ignored',
      ]);
      expect(result.warnings.map((w) => w.detail).join(' ')).toMatch(/quantum_vault.*/);
    }
  });
});

describe('merging folder statements', () => {
  const local = (aaguid: string, description: string, origin: string) =>
    parseMetadataStatement(testStatement(aaguid, description), origin, []);

  it('adds statements for authenticators the BLOB does not list, and ignores those it does', () => {
    const extra = local('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'In-house Key', 'inhouse.json');
    const shadow = local(YUBIKEY_5_NFC, 'Fake YubiKey', 'fake-yubikey.json');
    const again = local('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'In-house Key v2', 'inhouse-2.json');
    const snapshot = buildSnapshot({ blob: blob9, statements: [extra, shadow, again] });
    expect(snapshot.byAaguid('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee')).toBe(extra);
    expect(snapshot.describe('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee')).toMatchObject({
      name: 'In-house Key',
      source: 'statement',
    });
    expect(snapshot.byAaguid(YUBIKEY_5_NFC)?.statement?.description).toBe('YubiKey 5 Series with NFC');
    expect(snapshot.counts.statements).toBe(1);
    expect(snapshot.entries).toHaveLength(99);
    expect(snapshot.warnings.map((w) => [w.code, w.detail.split(':')[0]])).toEqual([
      ['statement_shadowed', 'fake-yubikey.json'],
      ['metadata_entry_duplicate', 'inhouse-2.json'],
    ]);
  });

  it('works with statements only (no BLOB imported)', () => {
    const snapshot = buildSnapshot({
      blob: null,
      statements: [local(YUBIKEY_5_NFC, 'Local YubiKey', 'yk.json')],
    });
    expect(snapshot.blob).toBeNull();
    expect(snapshot.byAaguid(YUBIKEY_5_NFC)?.source).toBe('statement');
    expect(snapshot.counts.blobEntries).toBe(0);
  });
});
