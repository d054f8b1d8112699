import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { deliveryStatuses, type DeliveryStatus } from '../contracts/statuses.js';
import { fieldErrors, notFound } from '../lib/errors.js';
import { findUser } from '../audience/users.js';
import { maskCredentialShapes } from '../webhook/scrub.js';

const PAGE_MAX = 1000;

/**
 * One page of a run's per-user delivery state, in audience order, with keyset
 * pagination on the audience position (`cursor` is the last `seq` seen).
 */
export async function listDeliveries(db: Database, runId: string, query: { status?: string; cursor?: string; limit?: string }) {
  const issues = [];
  if (query.status !== undefined && !(deliveryStatuses as readonly string[]).includes(query.status)) {
    issues.push({ path: 'status', message: `must be one of ${deliveryStatuses.join(', ')}` });
  }
  const cursor = query.cursor === undefined ? 0 : Number(query.cursor);
  if (!Number.isSafeInteger(cursor) || cursor < 0) issues.push({ path: 'cursor', message: 'must be a cursor from a previous page' });
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > PAGE_MAX) issues.push({ path: 'limit', message: `must be 1 to ${PAGE_MAX}` });
  if (issues.length > 0) throw fieldErrors(issues);

  const status = query.status ? sql`AND r.status = ${query.status}` : sql``;
  const rows = await db.execute<DeliveryRow>(sql`
    SELECT r.seq, r.user_id, u.login_id, u.visitor_id, r.address, r.status, r.attempts, r.last_http_status,
           r.last_error_class, r.last_error_message, r.first_attempt_at, r.last_attempt_at, r.next_attempt_at,
           r.latency_ms, r.webhook_id, r.held_out_at
    FROM run_recipients r LEFT JOIN users u ON u.id = r.user_id
    WHERE r.run_id = ${runId} AND r.seq > ${cursor} ${status}
    ORDER BY r.seq LIMIT ${limit + 1}`);
  const items = rows.slice(0, limit).map(presentDelivery);
  return { items, nextCursor: rows.length > limit ? String(items[items.length - 1]!.seq) : null };
}

type DeliveryRow = {
  seq: number;
  user_id: string;
  login_id: string | null;
  visitor_id: string | null;
  address: string | null;
  status: DeliveryStatus;
  attempts: number;
  last_http_status: number | null;
  last_error_class: string | null;
  last_error_message: string | null;
  first_attempt_at: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  latency_ms: number | null;
  webhook_id: string | null;
  held_out_at: string | null;
  response_body?: string | null;
};

const iso = (value: string | Date | null) => (value === null ? null : new Date(value).toISOString());

function presentDelivery(row: DeliveryRow) {
  return {
    seq: row.seq,
    user: { id: row.user_id, loginId: row.login_id, visitorId: row.visitor_id },
    address: row.address,
    status: row.status,
    attempts: row.attempts,
    lastHttpStatus: row.last_http_status,
    lastError: row.last_error_class ? { class: row.last_error_class, message: row.last_error_message } : null,
    firstAttemptAt: iso(row.first_attempt_at),
    lastAttemptAt: iso(row.last_attempt_at),
    nextAttemptAt: iso(row.next_attempt_at),
    latencyMs: row.latency_ms,
    webhookId: row.webhook_id,
    /** A held-out user's moment they would have been sent (their goal window starts there); else null. */
    heldOutAt: iso(row.held_out_at),
    // Scrubbed as it arrived; masked by shape too, for bodies stored before that (and anything that slipped through).
    ...(row.response_body !== undefined ? { responseBody: row.response_body === null ? null : maskCredentialShapes(row.response_body) } : {}),
  };
}

type AttemptRow = {
  seq: number;
  attempt: number;
  started_at: string;
  latency_ms: number | null;
  http_status: number | null;
  outcome: string;
  error_class: string | null;
  error_message: string | null;
};

/**
 * "Did user X get it, and when?": the user's delivery row and every attempt.
 * An event-triggered run may hold several deliveries of one user: then
 * `triggeredSends` lists each (newest first) with the event that caused it,
 * and the top level shows the newest.
 */
export async function deliveryOfUser(db: Database, runId: string, key: string, show: { responseBody: boolean }) {
  const user = await findUser(db, key);
  if (!user) throw notFound('user');
  const rows = await db.execute<DeliveryRow & { trigger_event_id: string | null; event_name: string | null; event_occurred_at: string | null }>(sql`
    SELECT r.*, u.login_id, u.visitor_id, e.name AS event_name, e.occurred_at AS event_occurred_at
    FROM run_recipients r LEFT JOIN users u ON u.id = r.user_id LEFT JOIN events e ON e.id = r.trigger_event_id
    WHERE r.run_id = ${runId} AND r.user_id = ${user.id}
    ORDER BY r.seq DESC`);
  if (rows.length === 0) throw notFound('delivery for this user (not in the audience of this campaign)');
  const attempts = await db.execute<AttemptRow>(sql`
    SELECT seq, attempt, started_at, latency_ms, http_status, outcome, error_class, error_message
    FROM delivery_attempts WHERE run_id = ${runId} AND seq = ANY (${`{${rows.map((r) => r.seq).join(',')}}`}::int[]) ORDER BY seq, attempt, id`);
  const logOf = (seq: number) =>
    attempts
      .filter((a) => a.seq === seq)
      .map((a) => ({
        attempt: a.attempt,
        at: iso(a.started_at),
        latencyMs: a.latency_ms,
        httpStatus: a.http_status,
        outcome: a.outcome,
        error: a.error_class ? { class: a.error_class, message: a.error_message } : null,
      }));
  if (!show.responseBody) for (const row of rows) delete row.response_body;
  const newest = rows[0]!;
  const triggered = rows.filter((r) => r.trigger_event_id !== null);
  return {
    ...presentDelivery(newest),
    attemptLog: logOf(newest.seq),
    ...(triggered.length > 0
      ? {
          triggeredSends: triggered.map((r) => ({
            ...presentDelivery(r),
            // The event is gone only if its user was deleted since; its id still says which one it was.
            event: { id: String(r.trigger_event_id), name: r.event_name, occurredAt: iso(r.event_occurred_at) },
            attemptLog: logOf(r.seq),
          })),
        }
      : {}),
  };
}
