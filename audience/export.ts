import type { Database } from '../db/client.js';
import { notFound } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { checkUserKey } from './erase.js';

/*
 * Exporting a user (PIPL art. 45, GDPR art. 15/20): everything hookcast holds
 * about one person as one JSON document, written piece by piece from
 * PostgreSQL cursors so a user with a million events costs the memory of one
 * cursor batch, not of the user. docs/privacy.md lists what is in it.
 */

/** Rows a cursor fetches at a time: the most the export holds in memory per section. */
export const EXPORT_CURSOR_ROWS = 1000;

interface ProfileRow {
  id: string;
  login_id: string | null;
  visitor_id: string | null;
  attributes: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

/** The profile a login id, visitor id or internal id names (same preference as erasure), or a 404. */
export async function findProfile(db: Database, key: string): Promise<ProfileRow> {
  checkUserKey(key);
  const sql = db.$client;
  const byId = isUuid(key) ? sql`OR id = ${key}::uuid` : sql``;
  const [row] = await sql<ProfileRow[]>`
    SELECT id, login_id, visitor_id, attributes, created_at, updated_at FROM users
    WHERE login_id = ${key} OR visitor_id = ${key} ${byId}
    ORDER BY (login_id = ${key}) DESC NULLS LAST, (visitor_id = ${key}) DESC NULLS LAST
    LIMIT 1`;
  if (!row) throw notFound('user');
  return row;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/**
 * The export document as a sequence of text chunks: `write` each one out (it
 * may wait for the reader: back-pressure reaches the cursor). Sections:
 * `user`, `events` (oldest first), `deliveries` (each with the campaign, the
 * request as the channel defines it, the endpoint's stored answer and every
 * attempt).
 *
 * @example
 * for await (const chunk of exportChunks(db, profile)) await stream.write(chunk);
 */
export async function* exportChunks(db: Database, profile: ProfileRow, now = new Date()): AsyncGenerator<string> {
  const sql = db.$client;
  const user = {
    id: profile.id,
    loginId: profile.login_id,
    visitorId: profile.visitor_id,
    attributes: profile.attributes,
    createdAt: iso(profile.created_at),
    updatedAt: iso(profile.updated_at),
  };
  yield `{"format":"hookcast-user-export/1","exportedAt":${JSON.stringify(now.toISOString())},"user":${JSON.stringify(user)},"events":[`;
  let first = true;
  const events = sql<{ id: string; name: string; properties: unknown; occurred_at: Date; received_at: Date; client_event_id: string | null }[]>`
    SELECT id::text, name, properties, occurred_at, received_at, client_event_id FROM events
    WHERE user_id = ${profile.id} ORDER BY occurred_at, id`.cursor(EXPORT_CURSOR_ROWS);
  for await (const rows of events) {
    let chunk = '';
    for (const e of rows) {
      chunk += `${first ? '' : ','}${JSON.stringify({ id: e.id, name: e.name, properties: e.properties, occurredAt: iso(e.occurred_at), receivedAt: iso(e.received_at), clientEventId: e.client_event_id })}`;
      first = false;
    }
    yield chunk;
  }
  yield '],"deliveries":[';
  first = true;
  // Through the run index (run_id, user_id, …): one probe per run.
  const deliveries = sql<
    {
      campaign_id: string;
      campaign_name: string;
      run_id: string;
      run_trigger: string;
      channel: { url?: string; method?: string; name?: string } | null;
      template_values: unknown;
      seq: number;
      status: string;
      address: string | null;
      delivery_key: string;
      attempts: number;
      first_attempt_at: Date | null;
      last_attempt_at: Date | null;
      last_http_status: number | null;
      last_error_class: string | null;
      last_error_message: string | null;
      webhook_id: string | null;
      response_body: string | null;
      attempt_log: { attempt: number; startedAt: string; latencyMs: number | null; httpStatus: number | null; outcome: string; errorClass: string | null; errorMessage: string | null }[];
    }[]
  >`
    SELECT c.id AS campaign_id, c.name AS campaign_name, cr.id AS run_id, cr.trigger AS run_trigger,
           cr.definition -> 'channel' AS channel, cr.definition -> 'templateValues' AS template_values,
           r.seq, r.status, r.address, r.delivery_key, r.attempts, r.first_attempt_at, r.last_attempt_at,
           r.last_http_status, r.last_error_class, r.last_error_message, r.webhook_id, r.response_body,
           coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'startedAt', a.started_at, 'latencyMs', a.latency_ms,
                       'httpStatus', a.http_status, 'outcome', a.outcome, 'errorClass', a.error_class, 'errorMessage', a.error_message) ORDER BY a.attempt)
                     FROM delivery_attempts a WHERE a.run_id = r.run_id AND a.seq = r.seq), '[]'::json) AS attempt_log
    FROM campaign_runs cr
    JOIN campaigns c ON c.id = cr.campaign_id
    JOIN run_recipients r ON r.run_id = cr.id AND r.user_id = ${profile.id}
    ORDER BY cr.created_at, cr.id, r.seq`.cursor(EXPORT_CURSOR_ROWS);
  for await (const rows of deliveries) {
    let chunk = '';
    for (const d of rows) {
      const entry = {
        campaign: { id: d.campaign_id, name: d.campaign_name },
        runId: d.run_id,
        trigger: d.run_trigger,
        status: d.status,
        address: d.address,
        deliveryKey: d.delivery_key,
        // Request bodies are rendered at send time and not stored: the request is described by the channel it went to and the campaign's values.
        request: { url: d.channel?.url ?? null, method: d.channel?.method ?? null, webhookId: d.webhook_id, templateValues: d.template_values },
        answer: { httpStatus: d.last_http_status, body: d.response_body, errorClass: d.last_error_class, errorMessage: d.last_error_message },
        attempts: d.attempts,
        firstAttemptAt: iso(d.first_attempt_at),
        lastAttemptAt: iso(d.last_attempt_at),
        attemptLog: d.attempt_log,
      };
      chunk += `${first ? '' : ','}${JSON.stringify(entry)}`;
      first = false;
    }
    yield chunk;
  }
  yield ']}';
}
