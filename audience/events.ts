import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.js';
import { validationError } from '../lib/errors.js';
import { withCode, type CodedIssue, type FieldIssue } from '../contracts/errors.js';
import { jsonValueIssues, MAX_JSON_DEPTH } from '../lib/json-values.js';
import { parseIsoInstant } from '../contracts/dates.js';
import { recordEventCatalog } from './catalog.js';
import { inTransactionWithRetry, type Transaction } from './executor.js';
import { eventNameSchema, hasUserKey, userKeyRequired, userKeySchema } from '../contracts/names.js';
import { resolveUsers, userIdOf } from './resolve-users.js';

export const MAX_EVENT_BATCH = 1000;
export const MAX_PROPERTIES_BYTES = 16 * 1024;
/** Client clocks drift; further ahead than this is a bug, not drift. */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
/** Earliest accepted event time: older is a broken clock or a placeholder such as year 0, which PostgreSQL cannot even store. */
export const MIN_EVENT_TIME = new Date('2000-01-01T00:00:00Z');
/** Properties nest at most this deep (the properties object is level 1). */
export const MAX_PROPERTIES_DEPTH = MAX_JSON_DEPTH;

export const eventInputSchema = z
  .strictObject({
    name: eventNameSchema,
    loginId: userKeySchema.optional(),
    visitorId: userKeySchema.optional(),
    properties: z
      .record(z.string(), z.unknown(), { error: 'must be a JSON object' })
      .refine((p) => JSON.stringify(p).length <= MAX_PROPERTIES_BYTES, `must be at most ${MAX_PROPERTIES_BYTES} bytes of JSON`)
      .default({}),
    time: z.string({ error: 'must be an ISO 8601 date-time string' }).optional(),
    clientEventId: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters').optional(),
  })
  .refine(hasUserKey, userKeyRequired);

export const eventEnvelopeSchema = z.strictObject({
  events: z.array(z.unknown()).max(MAX_EVENT_BATCH, `at most ${MAX_EVENT_BATCH} events per request`),
});

/** One refused event's issue: its position in the batch, the field, and the stable code beside the English message. */
export interface RejectedEvent extends CodedIssue {
  index: number;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedEvent[];
}

/** An event just stored, for whoever acts on new events (event-triggered campaigns). */
export interface StoredEvent {
  id: number;
  userId: string;
  name: string;
  properties: Record<string, unknown>;
  occurredAt: Date;
}

/**
 * What higher layers (triggers/) attach to ingestion without audience/
 * knowing them. `stored` runs inside the ingest transaction, so whatever it
 * writes commits with the events or not at all; `committed` runs after the
 * commit, before the answer.
 */
export interface IngestHooks {
  /** Names of events `stored` wants to see; others are not handed to it. */
  wants(name: string): boolean;
  stored(tx: Transaction, events: StoredEvent[]): Promise<void>;
  committed?(): void;
}

interface ValidEvent {
  name: string;
  loginId?: string;
  visitorId?: string;
  properties: Record<string, unknown>;
  occurredAt: Date;
  clientEventId?: string;
}

/**
 * What zod cannot be trusted with: nesting deep enough to overflow a recursive
 * walk, and text PostgreSQL cannot keep (NUL, lone surrogates) in any field,
 * property key or value.
 */
function valueIssues(raw: unknown, prefix: string): FieldIssue[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  return Object.entries(raw).flatMap(([key, value]) => jsonValueIssues(value, `${prefix}.${key}`, { maxDepth: MAX_PROPERTIES_DEPTH }));
}

/** Validates one event; problems name the field (`events.3.time`). */
function checkEvent(raw: unknown, index: number, now: Date, numberIssues: readonly FieldIssue[]): { event: ValidEvent } | { issues: FieldIssue[] } {
  const prefix = `events.${index}`;
  const early = [...valueIssues(raw, prefix), ...numberIssues];
  if (early.length > 0) return { issues: early };
  const parsed = eventInputSchema.safeParse(raw);
  if (!parsed.success) return { issues: validationError(parsed.error, prefix).issues };
  const { time, ...rest } = parsed.data;
  if (time === undefined) return { event: { ...rest, occurredAt: now } };
  const occurredAt = parseIsoInstant(time);
  if (!occurredAt) return { issues: [{ path: `${prefix}.time`, message: 'must be an ISO 8601 date-time with Z or an offset' }] };
  if (occurredAt.getTime() < MIN_EVENT_TIME.getTime()) {
    return { issues: [{ path: `${prefix}.time`, message: 'must not be before 2000-01-01T00:00:00Z' }] };
  }
  if (occurredAt.getTime() > now.getTime() + MAX_FUTURE_MS) {
    return { issues: [{ path: `${prefix}.time`, message: 'must not be more than a day in the future' }] };
  }
  return { event: { ...rest, occurredAt } };
}

/** Issues found in the raw JSON text (numbers it could not keep), by event index; any outside an event fail the whole request. */
function groupByEvent(issues: readonly FieldIssue[]): Map<number, FieldIssue[]> {
  const byEvent = new Map<number, FieldIssue[]>();
  const outside: FieldIssue[] = [];
  for (const issue of issues) {
    const match = /^events\.(\d+)(\.|$)/.exec(issue.path);
    if (!match) outside.push(issue);
    else byEvent.set(Number(match[1]), [...(byEvent.get(Number(match[1])) ?? []), issue]);
  }
  if (outside.length > 0) throw validationError(undefined, undefined, outside);
  return byEvent;
}

/**
 * `POST /api/events`: ingests `{ events: [...] }` (up to 1,000). Each event is
 * checked on its own, so bad ones are reported and the rest stored. Unknown
 * users are created; a `clientEventId` seen before (in an earlier call or
 * earlier in this batch) is counted as a duplicate and not stored again.
 * `numberIssues` are the numbers the raw JSON held that JSON.parse could not
 * keep (integers beyond ±2^53): their events are rejected. The
 * database work is one transaction: a user lookup (plus one multi-row insert
 * when some users are new), one multi-row insert of the events, one statement
 * for the catalog of names (audience/catalog.ts), and whatever
 * `hooks.stored` writes for the events it wants (one outbox insert).
 *
 * @example
 * await ingestEvents(db, { events: [{ name: 'add_to_cart', loginId: 'u-42', clientEventId: 'c-1' }] });
 * // { accepted: 1, duplicates: 0, rejected: [] }
 */
/** Events checked between yields to the event loop. */
const CHECK_SLICE = 100;

export async function ingestEvents(
  db: Database,
  body: unknown,
  now = new Date(),
  numberIssues: readonly FieldIssue[] = [],
  hooks?: IngestHooks,
): Promise<IngestResult> {
  const envelope = eventEnvelopeSchema.safeParse(body);
  if (!envelope.success) throw validationError(envelope.error);
  return ingestEventList(db, envelope.data.events, now, numberIssues, hooks);
}

/** Ingests the events of an envelope eventEnvelopeSchema has validated (POST /api/events); each event is checked on its own. */
export async function ingestEventList(
  db: Database,
  events: readonly unknown[],
  now = new Date(),
  numberIssues: readonly FieldIssue[] = [],
  hooks?: IngestHooks,
): Promise<IngestResult> {
  const numberIssuesOf = groupByEvent(numberIssues);

  const rejected: RejectedEvent[] = [];
  const valid: ValidEvent[] = [];
  const seenClientIds = new Set<string>();
  let duplicates = 0;
  for (let index = 0; index < events.length; index++) {
    // A batch of 1,000 is checked in slices: other requests (health checks, reads) get the event loop in between.
    if (index > 0 && index % CHECK_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const checked = checkEvent(events[index], index, now, numberIssuesOf.get(index) ?? []);
    if ('issues' in checked) {
      rejected.push(...checked.issues.map((issue) => ({ index, ...withCode(issue) })));
      continue;
    }
    const { clientEventId } = checked.event;
    if (clientEventId !== undefined && seenClientIds.has(clientEventId)) {
      duplicates += 1;
      continue;
    }
    if (clientEventId !== undefined) seenClientIds.add(clientEventId);
    valid.push(checked.event);
  }
  if (valid.length === 0) return { accepted: 0, duplicates, rejected };

  const accepted = await inTransactionWithRetry(db, async function storeEvents(tx) {
    const resolved = await resolveUsers(tx, valid);
    const rows = valid.map((event, ord) => ({
      ord,
      user_id: userIdOf(resolved, event),
      name: event.name,
      properties: event.properties,
      occurred_at: event.occurredAt.toISOString(),
      client_event_id: event.clientEventId ?? null,
    }));
    // One JSON parameter whatever the batch size, so the statement text never changes. Ids are
    // drawn before the insert so each stored event maps back to its input (RETURNING cannot name
    // the input row); a duplicate only wastes its id.
    const inserted = await tx.execute<{ ord: number; id: string }>(sql`
      WITH e AS (
        SELECT nextval(pg_get_serial_sequence('events', 'id')) AS id, e.*
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS e(ord int, user_id uuid, name text, properties jsonb, occurred_at timestamptz, client_event_id text)
      ),
      ins AS (
        INSERT INTO events (id, user_id, name, properties, occurred_at, client_event_id) OVERRIDING SYSTEM VALUE
        SELECT id, user_id, name, properties, occurred_at, client_event_id FROM e
        ON CONFLICT (client_event_id) WHERE client_event_id IS NOT NULL DO NOTHING
        RETURNING id
      )
      SELECT e.ord, e.id FROM e JOIN ins USING (id)`);
    await recordEventCatalog(tx, valid, now);
    if (hooks) {
      const stored: StoredEvent[] = [];
      for (const { ord, id } of inserted) {
        const event = valid[ord]!;
        if (!hooks.wants(event.name)) continue;
        stored.push({ id: Number(id), userId: rows[ord]!.user_id, name: event.name, properties: event.properties, occurredAt: event.occurredAt });
      }
      if (stored.length > 0) await hooks.stored(tx, stored);
    }
    return inserted.length;
  });
  hooks?.committed?.();
  return { accepted, duplicates: duplicates + valid.length - accepted, rejected };
}
