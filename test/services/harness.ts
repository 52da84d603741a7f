/**
 * Service-test harness: services over a fresh test database (both dialects), a call context, and
 * people enrolled and signed in through the real ceremonies with the software authenticator.
 * Nothing here stubs the verifier: every response is built and signed by `SoftAuthenticator`.
 *
 * `TestVendor` makes "hardware" whose attestation is trusted: a root CA, an attestation
 * certificate for one AAGUID, packed full attestation (WebAuthn L3 §8.2) over a software
 * authenticator's registration, and the MDS3 statement naming the root. With it a credential
 * classifies as a security key at AAL3.
 */
import { Buffer } from 'node:buffer';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { Config } from '../../src/config/index.js';
import { type CborValue, decodeCbor, encodeCbor } from '../../src/core/cbor.js';
import type { CallContext, EnrolmentKind, TesseraServices } from '../../src/services/contract.js';
import { createServices } from '../../src/services/index.js';
import type { DialectName } from '../../src/store/database.js';
import {
  buildSnapshot,
  type MetadataSnapshot,
  type MetadataWarning,
  parseMetadataStatement,
  verifyMetadataBlob,
} from '../../src/trust/metadata/index.js';
import { aaguidExtension, basicConstraints, certificate, keyUsage } from '../helpers/der-writer.js';
import {
  type AuthenticationResponseJSON,
  type Corruption,
  type CreateCredentialOptions,
  type RegistrationResponseJSON,
  SoftAuthenticator,
  type SoftCredential,
} from '../helpers/soft-authenticator.js';
import {
  TEST_ORIGIN,
  TEST_RP_ID,
  type TestDatabase,
  testConfig,
  useTestDatabase,
} from '../support/databases.js';
import { signedBlob, TEST_ROOT_PEM, testStatement } from '../trust/fixtures/signed-blob.js';

export { TEST_ORIGIN, TEST_RP_ID };

export interface ServicesUnderTest {
  readonly services: TesseraServices;
  readonly config: Config;
  readonly t: TestDatabase;
  /** Replace the metadata snapshot the services read from now on. */
  setMetadata(snapshot: MetadataSnapshot): void;
}

/** Services on a fresh database for the enclosing describe (created lazily, closed with the database). */
export function useServices(dialect: DialectName, overrides: Partial<Config> = {}): () => ServicesUnderTest {
  const t = useTestDatabase(dialect);
  let current: ServicesUnderTest | undefined;
  return () => {
    if (current === undefined) {
      let snapshot = buildSnapshot({ blob: null });
      const db = t();
      const config = testConfig(db, overrides);
      current = {
        services: createServices({ db: db.database, config, metadata: () => snapshot }),
        config,
        t: db,
        setMetadata: (next) => {
          snapshot = next;
        },
      };
    }
    return current;
  };
}

export function token(): string {
  return randomBytes(32).toString('base64url');
}

export function callContext(now: Date, overrides: Partial<Omit<CallContext, 'now'>> = {}): CallContext {
  return {
    now,
    flowId: overrides.flowId ?? token(),
    sessionId: overrides.sessionId ?? null,
    ip: overrides.ip ?? '192.0.2.10',
    userAgent: overrides.userAgent ?? 'vitest',
  };
}

let people = 0;
/** A username no other test in this process uses. */
export function uniqueUsername(prefix = 'person'): string {
  people += 1;
  return `${prefix}-${people}-${randomBytes(3).toString('hex')}`;
}

export interface Enrolled {
  readonly username: string;
  readonly personId: string;
  readonly authenticator: SoftAuthenticator;
  readonly credential: SoftCredential;
  readonly sessionId: string;
  readonly credentialId: string;
}

export interface EnrolOptions {
  readonly now: Date;
  readonly username?: string;
  /** Groups the person is put in before enrolling (`people add --group`). */
  readonly groups?: readonly string[];
  readonly kind?: EnrolmentKind;
  readonly authenticator?: SoftAuthenticator;
  readonly credential?: CreateCredentialOptions;
  readonly name?: string;
  /** Rewrite the registration response before it is sent (e.g. trusted attestation). */
  readonly attest?: (response: RegistrationResponseJSON) => RegistrationResponseJSON;
}

/**
 * `tessera people add` (and groups), onboarding options and a registration response signed by a
 * new software credential — everything but sending it: `finish()` does that.
 */
export async function startOnboarding(services: TesseraServices, options: EnrolOptions) {
  const username = options.username ?? uniqueUsername();
  const added = await services.people.add({ username }, options.now);
  for (const group of options.groups ?? [])
    await services.groups.add({ group, usernames: [added.person.username] }, options.now);
  const ctx = callContext(options.now);
  const creation = await services.onboarding.options(
    { pass: added.pass, kind: options.kind ?? 'passkey' },
    ctx,
  );
  const authenticator = options.authenticator ?? new SoftAuthenticator(username);
  const credential = authenticator.createCredential({
    userHandle: Buffer.from(creation.user.id, 'base64url'),
    ...options.credential,
  });
  let response = authenticator.register(credential, {
    rpId: TEST_RP_ID,
    origin: TEST_ORIGIN,
    challenge: creation.challenge,
  });
  if (options.attest) response = options.attest(response);
  const finish = () =>
    services.onboarding.finish(
      { pass: added.pass, response, ...(options.name === undefined ? {} : { name: options.name }) },
      ctx,
    );
  return {
    username: added.person.username,
    personId: added.person.id,
    authenticator,
    credential,
    response,
    finish,
  };
}

/** `tessera people add` then onboarding with a new software credential; the answer in `finished`. */
export async function enrol(
  services: TesseraServices,
  options: EnrolOptions,
): Promise<Enrolled & { readonly finished: Awaited<ReturnType<TesseraServices['onboarding']['finish']>> }> {
  const started = await startOnboarding(services, options);
  const finished = await started.finish();
  return {
    username: started.username,
    personId: started.personId,
    authenticator: started.authenticator,
    credential: started.credential,
    sessionId: finished.issued.sessionId,
    credentialId: finished.credential.id,
    finished,
  };
}

/** Options then an assertion for them (not yet sent). */
export async function assertion(
  services: TesseraServices,
  who: { readonly authenticator: SoftAuthenticator; readonly credential: SoftCredential },
  options: {
    readonly now: Date;
    readonly username?: string;
    readonly flowId?: string;
    readonly corrupt?: Corruption;
    readonly uv?: boolean;
  },
): Promise<{ readonly ctx: CallContext; readonly response: AuthenticationResponseJSON }> {
  const ctx = callContext(options.now, options.flowId === undefined ? {} : { flowId: options.flowId });
  const request = await services.signIn.options(
    options.username === undefined ? {} : { username: options.username },
    ctx,
  );
  const response = who.authenticator.authenticate(who.credential, {
    rpId: TEST_RP_ID,
    origin: TEST_ORIGIN,
    challenge: request.challenge,
    ...(options.corrupt === undefined ? {} : { corrupt: options.corrupt }),
    ...(options.uv === undefined ? {} : { uv: options.uv }),
  });
  return { ctx, response };
}

// ---------------------------------------------------------------------------------------------
// Trusted hardware
// ---------------------------------------------------------------------------------------------

function uuidBytes(uuid: string): Uint8Array {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

export class TestVendor {
  readonly aaguid: string;
  readonly description: string;
  private readonly rootDer: Buffer;
  private readonly leafDer: Buffer;
  private readonly leafKey;

  constructor(aaguid: string, description = 'Tessera Test Security Key') {
    this.aaguid = aaguid;
    this.description = description;
    const root = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rootName = [['CN', `${description} Root CA`]] as const;
    const from = new Date('2020-01-01T00:00:00Z');
    const to = new Date('2045-01-01T00:00:00Z');
    this.rootDer = certificate({
      issuer: rootName,
      subject: rootName,
      notBefore: from,
      notAfter: to,
      publicKey: root.publicKey,
      signingKey: root.privateKey,
      extensions: [basicConstraints(true), keyUsage(['keyCertSign', 'cRLSign'])],
    });
    // WebAuthn L3 §8.2.1: packed attestation certificate requirements.
    this.leafDer = certificate({
      serial: 2,
      issuer: rootName,
      subject: [
        ['C', 'US'],
        ['O', 'Tessera Test'],
        ['OU', 'Authenticator Attestation'],
        ['CN', `${description} Attestation`],
      ],
      notBefore: from,
      notAfter: to,
      publicKey: leaf.publicKey,
      signingKey: root.privateKey,
      extensions: [basicConstraints(false), aaguidExtension(uuidBytes(aaguid))],
    });
    this.leafKey = leaf.privateKey;
  }

  authenticator(seed: string): SoftAuthenticator {
    return new SoftAuthenticator(seed, uuidBytes(this.aaguid));
  }

  /** The registration re-signed as packed full attestation by this vendor's attestation key. */
  readonly attest = (response: RegistrationResponseJSON): RegistrationResponseJSON => {
    const object = decodeCbor(Buffer.from(response.response.attestationObject, 'base64url'));
    if (!(object instanceof Map)) throw new Error('attestation object is not a map');
    const authData = object.get('authData');
    if (!(authData instanceof Uint8Array)) throw new Error('no authData');
    const clientDataHash = createHash('sha256')
      .update(Buffer.from(response.response.clientDataJSON, 'base64url'))
      .digest();
    const sig = sign('sha256', Buffer.concat([authData, clientDataHash]), this.leafKey);
    const attStmt = new Map<string, CborValue>([
      ['alg', -7],
      ['sig', sig],
      ['x5c', [this.leafDer]],
    ]);
    const attestationObject = encodeCbor(
      new Map<string, CborValue>([
        ['fmt', 'packed'],
        ['attStmt', attStmt],
        ['authData', Buffer.from(authData)],
      ]),
    );
    return {
      ...response,
      response: { ...response.response, attestationObject: attestationObject.toString('base64url') },
    };
  };

  /** The MDS3 statement: a roaming key with a PIN, keys in a secure element, this root. */
  statement(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return testStatement(this.aaguid, this.description, {
      userVerificationDetails: [[{ userVerificationMethod: 'passcode_internal' }]],
      attestationRootCertificates: [this.rootDer.toString('base64')],
      ...extra,
    });
  }

  /** A snapshot with this vendor's statement from the statements folder. */
  snapshot(): MetadataSnapshot {
    const warnings: MetadataWarning[] = [];
    return buildSnapshot({
      blob: null,
      statements: [parseMetadataStatement(this.statement(), 'vendor.json', warnings)],
    });
  }

  /** A snapshot whose (test-signed) BLOB reports this model with `status`. */
  snapshotWithStatus(status: string, now: Date): MetadataSnapshot {
    const statement = this.statement();
    const jws = signedBlob({
      legalHeader: 'test',
      no: 7,
      nextUpdate: '2099-01-01',
      entries: [
        {
          aaguid: this.aaguid,
          metadataStatement: statement,
          statusReports: [
            { status: 'FIDO_CERTIFIED_L1', effectiveDate: '2021-01-01' },
            { status, effectiveDate: '2025-01-01' },
          ],
          timeOfLastStatusChange: '2025-01-01',
        },
      ],
    });
    return buildSnapshot({ blob: verifyMetadataBlob(jws, { now, anchors: [TEST_ROOT_PEM] }) });
  }
}
