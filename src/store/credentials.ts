/**
 * Credentials: what WebAuthn L3 §7.1 step 27 says to store (type, ID, public key, counter,
 * transports, BE/BS, attestation evidence) plus the facts trust assessment reads again on every
 * use, a name and usage times.
 *
 * The counter is only ever raised, with a conditional update (`… WHERE counter < new`): of two
 * concurrent sign-ins the later write can never lower it, and a write that finds the stored value
 * already at or above its own reports it, which the caller treats as a regression (§7.2 step 22).
 */
import type { Kysely, Selectable } from 'kysely';
import type { AttestationType, AuthenticatorTransport } from '../core/types.js';
import { fromFlag, stringArray, toBuffer, toFlag } from './codec.js';
import { isUniqueViolation } from './database.js';
import type { CredentialsTable, Schema } from './schema.js';

/** Attestation evidence kept for later assessment. */
export interface StoredAttestation {
  readonly type: AttestationType;
  /** DER certificates, leaf first, base64url. */
  readonly trustPath: readonly string[];
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

export interface CredentialRecord {
  readonly id: Buffer;
  readonly personId: string;
  readonly publicKey: Buffer;
  readonly alg: number;
  readonly counter: number;
  readonly transports: readonly AuthenticatorTransport[];
  readonly aaguid: string;
  readonly fmt: string;
  readonly backupEligible: boolean;
  readonly backupState: boolean;
  readonly userVerified: boolean;
  readonly attachment: 'platform' | 'cross-platform' | null;
  readonly discoverable: boolean | null;
  readonly attestation: StoredAttestation;
  readonly class: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/** What allowCredentials / excludeCredentials need (WebAuthn L3 §5.10.3). */
export interface CredentialDescriptor {
  readonly id: Buffer;
  readonly transports: readonly AuthenticatorTransport[];
}

const TRANSPORTS: readonly string[] = ['usb', 'nfc', 'ble', 'smart-card', 'hybrid', 'internal'];
const ATTESTATION_TYPES: readonly string[] = ['none', 'self', 'basic', 'attca', 'anonca'];

function transports(text: string): AuthenticatorTransport[] {
  return stringArray(text).filter((t): t is AuthenticatorTransport => TRANSPORTS.includes(t));
}

function attestation(text: string): StoredAttestation {
  const value = JSON.parse(text) as { type?: unknown; trustPath?: unknown; details?: unknown };
  const type = typeof value.type === 'string' && ATTESTATION_TYPES.includes(value.type) ? value.type : 'none';
  const trustPath = Array.isArray(value.trustPath)
    ? value.trustPath.filter((c): c is string => typeof c === 'string')
    : [];
  const details: Record<string, string | number | boolean | null> = {};
  if (typeof value.details === 'object' && value.details !== null) {
    for (const [k, v] of Object.entries(value.details)) {
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        details[k] = v;
    }
  }
  return { type: type as AttestationType, trustPath, details };
}

function record(row: Selectable<CredentialsTable>): CredentialRecord {
  return {
    id: row.id,
    personId: row.person_id,
    publicKey: row.public_key,
    alg: row.alg,
    counter: row.counter,
    transports: transports(row.transports),
    aaguid: row.aaguid,
    fmt: row.fmt,
    backupEligible: fromFlag(row.backup_eligible),
    backupState: fromFlag(row.backup_state),
    userVerified: fromFlag(row.user_verified),
    attachment: row.attachment === 'platform' || row.attachment === 'cross-platform' ? row.attachment : null,
    discoverable: row.discoverable === null ? null : fromFlag(row.discoverable),
    attestation: attestation(row.attestation),
    class: row.class,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

/** Insert; 'duplicate' when the credential ID is registered already (to anyone). */
export async function insertCredential(
  db: Kysely<Schema>,
  credential: CredentialRecord,
): Promise<'ok' | 'duplicate'> {
  try {
    await db
      .insertInto('credentials')
      .values({
        id: toBuffer(credential.id),
        person_id: credential.personId,
        public_key: toBuffer(credential.publicKey),
        alg: credential.alg,
        counter: credential.counter,
        transports: JSON.stringify(credential.transports),
        aaguid: credential.aaguid,
        fmt: credential.fmt,
        backup_eligible: toFlag(credential.backupEligible),
        backup_state: toFlag(credential.backupState),
        user_verified: toFlag(credential.userVerified),
        attachment: credential.attachment,
        discoverable: credential.discoverable === null ? null : toFlag(credential.discoverable),
        attestation: JSON.stringify(credential.attestation),
        class: credential.class,
        name: credential.name,
        created_at: credential.createdAt,
        last_used_at: credential.lastUsedAt,
      })
      .execute();
    return 'ok';
  } catch (error) {
    if (isUniqueViolation(error)) return 'duplicate';
    throw error;
  }
}

/** By credential ID: the primary key. */
export async function findCredential(db: Kysely<Schema>, id: Uint8Array): Promise<CredentialRecord | null> {
  const row = await db
    .selectFrom('credentials')
    .selectAll()
    .where('id', '=', toBuffer(id))
    .executeTakeFirst();
  return row ? record(row) : null;
}

export async function listCredentials(db: Kysely<Schema>, personId: string): Promise<CredentialRecord[]> {
  const rows = await db
    .selectFrom('credentials')
    .selectAll()
    .where('person_id', '=', personId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(record);
}

export async function credentialDescriptors(
  db: Kysely<Schema>,
  personId: string,
): Promise<CredentialDescriptor[]> {
  const rows = await db
    .selectFrom('credentials')
    .select(['id', 'transports'])
    .where('person_id', '=', personId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, transports: transports(r.transports) }));
}

/**
 * Raise the counter to `counter` if it is still below it, and record the use (§7.2 step 24:
 * the counter and backup state are updated). False when the stored counter is already at or
 * above `counter` (a regression seen at write time): nothing is changed then.
 */
export async function raiseCounter(
  db: Kysely<Schema>,
  id: Uint8Array,
  update: { readonly counter: number; readonly backupState: boolean; readonly now: number },
): Promise<boolean> {
  const result = await db
    .updateTable('credentials')
    .set({ counter: update.counter, backup_state: toFlag(update.backupState), last_used_at: update.now })
    .where('id', '=', toBuffer(id))
    .where('counter', '<', update.counter)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Record a use without touching the counter (no counter, or a regression that was allowed). */
export async function recordUse(
  db: Kysely<Schema>,
  id: Uint8Array,
  update: { readonly backupState: boolean; readonly now: number },
): Promise<void> {
  await db
    .updateTable('credentials')
    .set({ backup_state: toFlag(update.backupState), last_used_at: update.now })
    .where('id', '=', toBuffer(id))
    .execute();
}

export async function renameCredential(
  db: Kysely<Schema>,
  personId: string,
  id: Uint8Array,
  name: string,
): Promise<CredentialRecord | null> {
  const row = await db
    .updateTable('credentials')
    .set({ name })
    .where('id', '=', toBuffer(id))
    .where('person_id', '=', personId)
    .returningAll()
    .executeTakeFirst();
  return row ? record(row) : null;
}

/**
 * Delete one of the person's credentials unless it is their last, in one statement:
 * `DELETE … WHERE id = ? AND person_id = ? AND (SELECT count(*) … WHERE person_id = ?) > 1`.
 * On PostgreSQL run it in a transaction after `lockPerson`, so two removals of a person's last
 * two credentials cannot both see a count of 2 (READ COMMITTED takes a snapshot per statement;
 * the lock makes the second statement start after the first commits).
 */
export async function removeCredentialUnlessLast(
  db: Kysely<Schema>,
  personId: string,
  id: Uint8Array,
): Promise<'removed' | 'last' | 'not_found'> {
  const key = toBuffer(id);
  const result = await db
    .deleteFrom('credentials')
    .where('id', '=', key)
    .where('person_id', '=', personId)
    .where((eb) =>
      eb(
        eb
          .selectFrom('credentials as c')
          .select(eb.fn.countAll().as('n'))
          .where('c.person_id', '=', personId),
        '>',
        1,
      ),
    )
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 1) return 'removed';
  const exists = await db
    .selectFrom('credentials')
    .select('id')
    .where('id', '=', key)
    .where('person_id', '=', personId)
    .executeTakeFirst();
  return exists ? 'last' : 'not_found';
}

/** Bound parameters per `IN (…)` list: under SQLite's default limit (32,766) and PostgreSQL's (65,535). */
const IN_CHUNK = 1000;

/** The credentials with these IDs (those that exist, in no particular order), in chunked queries. */
export async function findCredentials(
  db: Kysely<Schema>,
  ids: readonly Uint8Array[],
): Promise<CredentialRecord[]> {
  const out: CredentialRecord[] = [];
  for (let i = 0; i < ids.length; i += IN_CHUNK) {
    const chunk = ids.slice(i, i + IN_CHUNK).map(toBuffer);
    const rows = await db.selectFrom('credentials').selectAll().where('id', 'in', chunk).execute();
    for (const row of rows) out.push(record(row));
  }
  return out;
}

/** Every credential, in a stable order (for simulating a policy against the whole database). */
export async function allCredentials(db: Kysely<Schema>): Promise<CredentialRecord[]> {
  const rows = await db
    .selectFrom('credentials')
    .selectAll()
    .orderBy('person_id')
    .orderBy('created_at')
    .execute();
  return rows.map(record);
}
