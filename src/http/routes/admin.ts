/**
 * The admin API (docs/http-api.md, "Administration"), under /api/admin: what `tessera policy
 * simulate` and `tessera policy events` do, for an administrator's browser or tool.
 *
 * Every use case here calls `requireAdmin` first (services/admin.ts): a live session
 * (`unauthenticated`), a member of TESSERA_ADMIN_GROUPS (`admin_required`), at AAL3 now
 * (`admin_aal3_required`) — PRODUCT.md: "Admin actions themselves require an AAL3 session".
 * The schemas run before that and say only what any well-formed request looks like. POSTs get
 * the Origin check of every state-changing request (plugins/origin-check.ts): a simulation
 * changes nothing, but it reads everyone's credentials with the administrator's cookie, which a
 * cross-site form must not be able to trigger.
 *
 * Query strings are strings (the validator does not coerce types), so numbers and times are
 * matched as text here and converted for the service, which checks ranges with its own codes.
 */
import type { FastifyInstance } from 'fastify';
import { DATE_PATTERN, parseInstant, SEGMENT_NAME_PATTERN } from '../../policy/index.js';
import {
  POLICY_EVENT_EFFECTS,
  POLICY_EVENT_POINTS,
  type PolicyEventFilterInput,
  type PolicyEventPoint,
} from '../../services/index.js';
import { BODY_LIMIT } from '../limits.js';
import { callContext } from '../plugins/context.js';
import { neverCached, type PrivateRoutes } from './private.js';

/** A date (00:00 UTC) or a date-time with `Z` or an offset, as `--at` and rollout dates take. */
const instant = { type: 'string', maxLength: 40, pattern: DATE_PATTERN } as const;

/** The document is bounded by the body limit anyway; this names the member that is too long. */
const SIMULATE_BODY = {
  type: 'object',
  properties: {
    document: { type: 'string', maxLength: BODY_LIMIT },
    at: instant,
    people: { type: 'string', enum: ['none', 'affected', 'all'] },
  },
  required: ['document'],
  additionalProperties: false,
} as const;

interface SimulateBody {
  readonly document: string;
  readonly at?: string;
  readonly people?: 'none' | 'affected' | 'all';
}

const EVENTS_QUERY = {
  type: 'object',
  properties: {
    since: instant,
    segment: { type: 'string', pattern: SEGMENT_NAME_PATTERN },
    point: { type: 'string', enum: [...POLICY_EVENT_POINTS] },
    effect: { type: 'string', enum: [...POLICY_EVENT_EFFECTS] },
    // Usernames are checked by the service (`username_invalid`); this only bounds abuse.
    person: { type: 'string', minLength: 1, maxLength: 256 },
    // 1 to 10,000 (`event_filter_invalid` outside): the service owns the range.
    limit: { type: 'string', pattern: '^[0-9]{1,6}$' },
  },
  additionalProperties: false,
} as const;

interface EventsQuery {
  readonly since?: string;
  readonly segment?: string;
  readonly point?: PolicyEventPoint;
  readonly effect?: 'allow' | 'warn' | 'deny';
  readonly person?: string;
  readonly limit?: string;
}

/**
 * A time that matched the pattern but is not a real one (2026-02-30, 24:00) becomes an invalid
 * Date, which the service refuses with its own code (`simulation_invalid`, `event_filter_invalid`).
 */
function time(value: string): Date {
  return new Date(parseInstant(value) ?? Number.NaN);
}

export async function adminRoutes(
  app: FastifyInstance,
  { services, settings }: PrivateRoutes,
): Promise<void> {
  neverCached(app);

  app.post<{ Body: SimulateBody }>(
    '/policy/simulate',
    { schema: { body: SIMULATE_BODY } },
    async (request, reply) => {
      const { document, at, people } = request.body;
      const report = await services.policy.simulateProposed(callContext(request, reply, settings), {
        document,
        ...(at === undefined ? {} : { at: time(at) }),
        ...(people === undefined ? {} : { people }),
      });
      // The shape of `tessera policy simulate FILE --json` (without `file`): always the database.
      return { population: 'database', ...report };
    },
  );

  app.get<{ Querystring: EventsQuery }>(
    '/policy/events',
    { schema: { querystring: EVENTS_QUERY } },
    async (request, reply) => {
      const q = request.query;
      const filter: PolicyEventFilterInput = {
        ...(q.since === undefined ? {} : { since: time(q.since) }),
        ...(q.segment === undefined ? {} : { segment: q.segment }),
        ...(q.point === undefined ? {} : { point: q.point }),
        ...(q.effect === undefined ? {} : { effect: q.effect }),
        ...(q.person === undefined ? {} : { username: q.person }),
        ...(q.limit === undefined ? {} : { limit: Number(q.limit) }),
      };
      return { events: await services.policy.eventsFor(callContext(request, reply, settings), filter) };
    },
  );
}
