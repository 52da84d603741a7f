/**
 * The policy event log: decisions of the assurance policy that were not a plain allow (a deny, a
 * warn, or a monitor-phase "would deny"), newest first. Rows are only inserted and read; they go
 * with their person (cascade), like the sign-in history.
 */
import type { Kysely, Selectable } from 'kysely';
import { type Effect, type EnforcementPoint, PHASES, type Phase } from '../policy/index.js';
import { stringArray, toBuffer } from './codec.js';
import type { PolicyEventsTable, Schema } from './schema.js';

/** The points whose decisions are logged (backup reminders and recovery codes are not). */
export type PolicyEventPoint = Extract<EnforcementPoint, 'registration' | 'sign-in' | 'session' | 'acr'>;

export const POLICY_EVENT_POINTS: readonly PolicyEventPoint[] = ['registration', 'sign-in', 'session', 'acr'];
export const POLICY_EVENT_EFFECTS: readonly Effect[] = ['allow', 'warn', 'deny'];

export interface PolicyEventRecord {
  readonly id: string;
  readonly at: number;
  readonly personId: string;
  readonly point: PolicyEventPoint;
  readonly segment: string;
  readonly phase: Phase;
  readonly effect: Effect;
  /** The decision's reason codes, without requirements_met. */
  readonly codes: readonly string[];
  readonly policyVersion: number;
  readonly credentialId: Buffer | null;
  readonly clientId: string | null;
}

export interface PolicyEventWithName extends PolicyEventRecord {
  readonly username: string;
}

export interface PolicyEventFilter {
  /** Events at or after this time (ms). */
  readonly since?: number;
  readonly segment?: string;
  readonly point?: PolicyEventPoint;
  readonly effect?: Effect;
  readonly personId?: string;
  readonly limit: number;
}

/** A value read back that must be one of `allowed`: the service only ever writes those. */
function oneOf<T extends string>(value: string, allowed: readonly T[], column: string): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined)
    throw new Error(`policy_events.${column} holds an unknown value ${JSON.stringify(value)}`);
  return found;
}

function record(row: Selectable<PolicyEventsTable> & { readonly username: string }): PolicyEventWithName {
  return {
    id: row.id,
    at: Number(row.at),
    personId: row.person_id,
    point: oneOf(row.point, POLICY_EVENT_POINTS, 'point'),
    segment: row.segment,
    phase: oneOf(row.phase, PHASES, 'phase'),
    effect: oneOf(row.effect, POLICY_EVENT_EFFECTS, 'effect'),
    codes: stringArray(row.codes),
    policyVersion: Number(row.policy_version),
    credentialId: row.credential_id,
    clientId: row.client_id,
    username: row.username,
  };
}

export async function insertPolicyEvent(db: Kysely<Schema>, event: PolicyEventRecord): Promise<void> {
  await db
    .insertInto('policy_events')
    .values({
      id: event.id,
      at: event.at,
      person_id: event.personId,
      point: event.point,
      segment: event.segment,
      phase: event.phase,
      effect: event.effect,
      codes: JSON.stringify(event.codes),
      policy_version: event.policyVersion,
      credential_id: event.credentialId === null ? null : toBuffer(event.credentialId),
      client_id: event.clientId,
    })
    .execute();
}

/** Delete the events older than `before` (ms); returns how many (an indexed delete on `at`). */
export async function purgePolicyEvents(db: Kysely<Schema>, before: number): Promise<number> {
  const result = await db.deleteFrom('policy_events').where('at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Events matching every given filter, newest first, with the person's username. */
export async function listPolicyEvents(
  db: Kysely<Schema>,
  filter: PolicyEventFilter,
): Promise<PolicyEventWithName[]> {
  let query = db
    .selectFrom('policy_events as e')
    .innerJoin('people as p', 'p.id', 'e.person_id')
    .selectAll('e')
    .select('p.username');
  if (filter.since !== undefined) query = query.where('e.at', '>=', filter.since);
  if (filter.segment !== undefined) query = query.where('e.segment', '=', filter.segment);
  if (filter.point !== undefined) query = query.where('e.point', '=', filter.point);
  if (filter.effect !== undefined) query = query.where('e.effect', '=', filter.effect);
  if (filter.personId !== undefined) query = query.where('e.person_id', '=', filter.personId);
  const rows = await query.orderBy('e.at', 'desc').orderBy('e.id', 'desc').limit(filter.limit).execute();
  return rows.map(record);
}
