/**
 * Attestation trust from metadata (src/trust/metadata/trust.ts): real registrations of the
 * conformance corpus, verified by the core without anchors, then judged against the roots that
 * FIDO MDS3 BLOB no. 9 lists for their authenticator.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCase, registrationExpectations } from '../../src/cli/case-file.js';
import { verifyRegistrationResponse } from '../../src/core/index.js';
import type { RegistrationEvidence } from '../../src/core/types.js';
import {
  attestationCertificateKeyIdentifier,
  attestationTrustFor,
  buildSnapshot,
  metadataEntryFor,
  parseMetadataStatement,
  verifyMetadataBlob,
} from '../../src/trust/metadata/index.js';

const corpus = join(import.meta.dirname, '../corpus');
const index = JSON.parse(readFileSync(join(corpus, 'roots/index.json'), 'utf8')) as Record<
  string,
  { file: string; verificationDate?: string }
>;
/** The date the corpus was collected: cases valid "any / today" are verified at it. */
const CORPUS_DATE = new Date('2026-11-24T00:00:00Z');

function registration(name: string): { evidence: RegistrationEvidence; now: Date } {
  const entry = index[name];
  if (!entry) throw new Error(`${name} is not in roots/index.json`);
  const cases = JSON.parse(readFileSync(join(corpus, entry.file), 'utf8')) as { name: string }[];
  const raw = cases.find((c) => c.name === name);
  const c = parseCase(raw, name);
  const now = entry.verificationDate ? new Date(entry.verificationDate) : CORPUS_DATE;
  const evidence = verifyRegistrationResponse(c.response, registrationExpectations(c, { now }));
  return { evidence, now };
}

const blob = verifyMetadataBlob(
  readFileSync(join(import.meta.dirname, 'fixtures/fido-mds3-blob-no9-2021-11.jwt'), 'utf8'),
  {
    now: new Date('2021-11-15T00:00:00Z'),
  },
);
const snapshot = buildSnapshot({ blob });

describe('attestationTrustFor with BLOB no. 9', () => {
  it('trusts Windows Hello TPM attestation through the MDS root (Microsoft TPM Root CA 2014)', () => {
    const { evidence, now } = registration('yubico-reg-windows-hello-tpm');
    expect(evidence.fmt).toBe('tpm');
    expect(evidence.aaguid).toBe('08987058-cadc-4b81-b6e1-30de50dcbe96');
    expect(evidence.attestation.trusted).toBe(false); // no anchors given to the core
    const trust = attestationTrustFor(evidence, snapshot, now);
    expect(trust.status).toBe('trusted');
    if (trust.status === 'trusted') {
      expect(trust.root).toContain('CN=Microsoft TPM Root Certificate Authority 2014');
      expect(trust.entry.statement?.description).toBe('Windows Hello Hardware Authenticator');
    }
  });

  it('does not trust a software authenticator that reuses the Windows Hello AAGUID', () => {
    const { evidence, now } = registration('go-reg-packed-gramthanos');
    expect(evidence.aaguid).toBe('08987058-cadc-4b81-b6e1-30de50dcbe96');
    const trust = attestationTrustFor(evidence, snapshot, now);
    expect(trust.status).toBe('untrusted');
    if (trust.status === 'untrusted') {
      expect(trust.reason.code).toBe('root_not_reached');
      expect(trust.reason.detail).toContain('UNIPI FIDO2 Virtual Authenticator CA');
    }
  });

  it('cannot verify a none attestation, but still names the entry', () => {
    const { evidence, now } = registration('swa-reg-none-rs256');
    expect(evidence.attestation.type).toBe('none');
    const trust = attestationTrustFor(evidence, snapshot, now);
    expect(trust.status).toBe('unverifiable');
    if (trust.status === 'unverifiable') {
      expect(trust.reason.code).toBe('no_attestation');
      expect(trust.entry?.statement?.description).toBe('Windows Hello Software Authenticator');
    }
  });

  it('finds a fido-u2f authenticator by its attestation certificate key identifier and trusts it', () => {
    const { evidence, now } = registration('yubico-reg-yubikey-4');
    expect(evidence.fmt).toBe('fido-u2f');
    const leaf = evidence.attestation.trustPath[0];
    expect(leaf).toBeDefined();
    const keyId = attestationCertificateKeyIdentifier(leaf ?? new Uint8Array());
    expect(keyId).toMatch(/^[0-9a-f]{40}$/);
    const entry = snapshot.byKeyIdentifier(keyId);
    expect(entry?.statement?.description).toBe('YK4 Series Key by Yubico');
    expect(entry?.attestationCertificateKeyIdentifiers).toContain(keyId);
    expect(metadataEntryFor(evidence, snapshot)).toBe(entry);
    const trust = attestationTrustFor(evidence, snapshot, now);
    expect(trust.status).toBe('trusted');
    if (trust.status === 'trusted') expect(trust.root).toContain('Yubico U2F Root CA Serial 457200631');
  });

  it('trusts a YubiKey 5 NFC packed attestation by AAGUID', () => {
    const { evidence, now } = registration('yubico-reg-yubikey-5-nfc');
    const trust = attestationTrustFor(evidence, snapshot, now);
    expect(trust.status).toBe('trusted');
    expect(trust.entry?.statement?.description).toBe('YubiKey 5 Series with NFC');
  });

  it('reports an expired chain as untrusted with chain_invalid', () => {
    const { evidence } = registration('yubico-reg-windows-hello-tpm');
    const trust = attestationTrustFor(evidence, snapshot, new Date('2030-01-01T00:00:00Z'));
    expect(trust.status).toBe('untrusted');
    if (trust.status === 'untrusted') expect(trust.reason.code).toBe('chain_invalid');
  });

  it('cannot verify without metadata for the authenticator', () => {
    const { evidence, now } = registration('yubico-reg-windows-hello-tpm');
    const empty = buildSnapshot({ blob: null });
    const trust = attestationTrustFor(evidence, empty, now);
    expect(trust).toMatchObject({ status: 'unverifiable', reason: { code: 'no_metadata' }, entry: null });
  });

  it('cannot verify when the metadata lists no usable root', () => {
    const { evidence, now } = registration('yubico-reg-windows-hello-tpm');
    const statement = parseMetadataStatement(
      {
        aaguid: evidence.aaguid,
        description: 'Rootless',
        protocolFamily: 'fido2',
        schema: 3,
        attestationTypes: ['attca'],
        keyProtection: ['hardware'],
        attestationRootCertificates: ['MAMCAQA='],
      },
      'rootless.json',
      [],
    );
    const trust = attestationTrustFor(evidence, buildSnapshot({ blob: null, statements: [statement] }), now);
    expect(trust).toMatchObject({ status: 'unverifiable', reason: { code: 'no_attestation_roots' } });
  });
});
