import { eq, sql, type SQLWrapper } from 'drizzle-orm';
import { holdOffErasures } from '../audience/erasure-lock.js';
import type { Executor } from '../audience/executor.js';
import type { Database } from '../db/client.js';
import { runStatusCounts } from '../db/schema.js';
import { deliveryAttempts } from '../lib/metrics.js';
import type { AttemptOutcome, DeliveryStatus } from '../contracts/statuses.js';
import type { SegmentRule } from '../contracts/segment-rule.js';
import { segmentMembersQuery } from '../segments/membership.js';
import { heldOutSql, type HoldoutDraw } from '../effect/holdout.js';
import type { RecipientProfile } from '../webhook/user.js';

/*
 * Every statement on run_recipients, the hot table of a run's audience and
 * each user's delivery state (one row per run and user, numbered by `seq` so
 * batches are key ranges). Its status list lives in contracts/statuses.ts and is
 * enforced by a CHECK; the per-status counts are kept by triggers (0004).
 */

/** A pending recipient joined with the user's current profile. */
export interface Recipient {
  seq: number;
  userId: string;
  /** Tells apart an event run's deliveries to the same user; '' for a frozen audience. */
  deliveryKey: string;
  attempts: number;
  nextAttemptAt: Date | null;
  firstAttemptAt: Date | null;
  profile: RecipientProfile;
}

/** The pending users of audience positions fromSeq..toSeq, with their current profiles. */
export async function loadPending(db: Database, runId: string, fromSeq: number, toSeq: number): Promise<Recipient[]> {
  const rows = await db.execute<{
    seq: number;
    user_id: string;
    delivery_key: string;
    attempts: number;
    next_attempt_at: string | null;
    first_attempt_at: string | null;
    login_id: string | null;
    visitor_id: string | null;
    attributes: Record<string, unknown> | null;
  }>(sql`
    SELECT r.seq, r.user_id, r.delivery_key, r.attempts, r.next_attempt_at, r.first_attempt_at, u.login_id, u.visitor_id, u.attributes
    FROM run_recipients r LEFT JOIN users u ON u.id = r.user_id
    WHERE r.run_id = ${runId} AND r.seq BETWEEN ${fromSeq} AND ${toSeq} AND r.status = 'pending'
    ORDER BY r.seq`);
  return rows.map((row) => ({
    seq: row.seq,
    userId: row.user_id,
    deliveryKey: row.delivery_key,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at ? new Date(row.next_attempt_at) : null,
    firstAttemptAt: row.first_attempt_at ? new Date(row.first_attempt_at) : null,
    profile: { id: row.user_id, loginId: row.login_id, visitorId: row.visitor_id, attributes: row.attributes ?? {} },
  }));
}

/**
 * The held-out users of audience positions fromSeq..toSeq that the run's
 * sends have not reached yet, with their current profiles (a template that
 * cannot render for one means they would not have been sent either).
 */
export async function loadHeldOut(db: Database, runId: string, fromSeq: number, toSeq: number): Promise<Recipient[]> {
  const rows = await db.execute<{ seq: number; user_id: string; delivery_key: string; login_id: string | null; visitor_id: string | null; attributes: Record<string, unknown> | null }>(sql`
    SELECT r.seq, r.user_id, r.delivery_key, u.login_id, u.visitor_id, u.attributes
    FROM run_recipients r LEFT JOIN users u ON u.id = r.user_id
    WHERE r.run_id = ${runId} AND r.seq BETWEEN ${fromSeq} AND ${toSeq} AND r.status = 'held_out' AND r.held_out_at IS NULL
    ORDER BY r.seq`);
  return rows.map((row) => ({
    seq: row.seq,
    userId: row.user_id,
    deliveryKey: row.delivery_key,
    attempts: 0,
    nextAttemptAt: null,
    firstAttemptAt: null,
    profile: { id: row.user_id, loginId: row.login_id, visitorId: row.visitor_id, attributes: row.attributes ?? {} },
  }));
}

/**
 * What became of a held-out user when the run's sends reached them: `held_out`
 * with the moment they would have been sent, or what a sent user would have
 * become without a request (skipped by quiet hours or the per-user cap,
 * failed by an expiry or a template that cannot render for them).
 */
export interface HeldOutRecord {
  seq: number;
  at: Date;
  status: 'held_out' | 'skipped' | 'failed';
  errorClass: string | null;
  errorMessage: string | null;
}

/**
 * Records reached held-out users in one statement. Only rows still held out
 * and unreached change, so a replayed write changes nothing, and no row that
 * was ever pending or sent can become held out.
 */
export async function writeHeldOut(db: Database, runId: string, records: readonly HeldOutRecord[]): Promise<void> {
  if (records.length === 0) return;
  let fromSeq = records[0]!.seq;
  let toSeq = fromSeq;
  for (const r of records) {
    if (r.seq < fromSeq) fromSeq = r.seq;
    if (r.seq > toSeq) toSeq = r.seq;
  }
  const rows = records.map((r) => ({ s: r.seq, t: r.status, a: r.at.toISOString(), c: r.errorClass, m: r.errorMessage }));
  await db.execute(sql`
    UPDATE run_recipients r SET
      status = v.t,
      held_out_at = CASE WHEN v.t = 'held_out' THEN v.a END,
      last_error_class = v.c,
      last_error_message = v.m
    FROM json_to_recordset(${JSON.stringify(rows)}::json) AS v(s int, t text, a timestamptz, c text, m text)
    WHERE r.run_id = ${runId} AND r.seq BETWEEN ${fromSeq} AND ${toSeq} AND r.seq = v.s
      AND r.status = 'held_out' AND r.held_out_at IS NULL`);
}

/**
 * Copies a segment's members into a run's audience in one INSERT … SELECT,
 * numbered by user id. Members lacking the addressed identity are recorded as
 * `skipped`; of the others, the campaign's control group (`holdout`) is
 * recorded as `held_out`, decided here, in the transaction that marks the run
 * frozen, so no later crash or retry can decide otherwise.
 */
export async function insertAudience(
  tx: Executor,
  input: { runId: string; rule: SegmentRule; timeZone: string; identity: 'login' | 'visitor'; at: Date; holdout?: HoldoutDraw | null },
): Promise<{ total: number; skipped: number }> {
  await holdOffErasures(tx);
  const members = segmentMembersQuery(input.rule, { timeZone: input.timeZone, at: input.at });
  const address = input.identity === 'login' ? sql`u.login_id` : sql`u.visitor_id`;
  const missing = input.identity === 'login' ? 'no_login_id' : 'no_visitor_id';
  const heldOut = input.holdout ? sql`WHEN ${heldOutSql(input.holdout, sql`u.id`)} THEN 'held_out'` : sql``;
  const [counts] = await tx.execute<{ total: number; skipped: number }>(sql`
    WITH inserted AS (
      INSERT INTO run_recipients (run_id, seq, user_id, address, status, last_error_class, last_error_message)
      SELECT ${input.runId}, row_number() OVER (ORDER BY u.id), u.id, ${address},
             CASE WHEN ${address} IS NULL THEN 'skipped' ${heldOut} ELSE 'pending' END,
             CASE WHEN ${address} IS NULL THEN ${missing} END,
             CASE WHEN ${address} IS NULL THEN ${`member has no ${input.identity} id; the campaign addresses ${input.identity} ids`} END
      FROM (${members}) m JOIN users u ON u.id = m.user_id
      RETURNING status
    )
    SELECT count(*)::int AS total, (count(*) FILTER (WHERE status = 'skipped'))::int AS skipped FROM inserted`);
  return { total: counts?.total ?? 0, skipped: counts?.skipped ?? 0 };
}

/** Fresh statistics for the planner once a new audience is in (a fresh run looked like one row). */
export async function analyzeRecipients(db: Database): Promise<void> {
  await db.execute(sql`ANALYZE run_recipients`);
}

/**
 * Ends every still-pending user of a run (or of one batch range) as
 * `cancelled`, or as `failed` when the campaign expired, in one statement.
 * Held-out users the sends never reached end the same way (they would not
 * have been sent either), so a finished run's `held_out` users are exactly
 * its measured control group.
 */
export async function closePending(
  db: Database,
  input: { runId: string; fromSeq?: number; toSeq?: number; status: 'cancelled' | 'failed'; reason: 'cancelled' | 'expired'; exceptLeased?: boolean },
): Promise<number> {
  const range = input.fromSeq !== undefined && input.toSeq !== undefined ? sql`AND seq BETWEEN ${input.fromSeq} AND ${input.toSeq}` : sql``;
  // A user whose retry is sending right now (its lease live) records its own outcome, then closes itself.
  const leased = input.exceptLeased
    ? sql`AND NOT EXISTS (SELECT 1 FROM send_leases l WHERE l.run_id = run_recipients.run_id AND l.slice = -run_recipients.seq AND l.expires_at > now())`
    : sql``;
  const message = input.reason === 'expired' ? 'campaign expired before delivery' : 'campaign cancelled before delivery';
  const rows = await db.execute(sql`
    UPDATE run_recipients
    SET status = ${input.status}, next_attempt_at = NULL, last_error_class = ${input.reason},
        last_error_message = CASE WHEN attempts > 0 THEN coalesce(last_error_message, '') || '; ' || ${message} ELSE ${message} END
    WHERE run_id = ${input.runId} AND (status = 'pending' OR (status = 'held_out' AND held_out_at IS NULL)) ${range} ${leased}`);
  return rows.count;
}

export type DeliveryCounts = { total: number } & Record<DeliveryStatus, number>;

/** A run's kept count rows (one per status that has users) folded into the API's shape; absent statuses are 0. */
export function foldDeliveryCounts(rows: Iterable<{ status: DeliveryStatus; n: number }>): DeliveryCounts {
  const counts: DeliveryCounts = { total: 0, pending: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0, held_out: 0 };
  for (const row of rows) {
    counts[row.status] = row.n;
    counts.total += row.n;
  }
  return counts;
}

/** Users per delivery status of a run, from the kept counts (a handful of rows whatever the run's size). */
export async function deliveryCounts(db: Database, runId: string | null): Promise<DeliveryCounts> {
  if (!runId) return foldDeliveryCounts([]);
  return foldDeliveryCounts(await db.select({ status: runStatusCounts.status, n: runStatusCounts.n }).from(runStatusCounts).where(eq(runStatusCounts.runId, runId)));
}

/**
 * A column for a statement listing many rows, each naming a run: that run's
 * kept count rows as a JSON array (empty for no run), for foldDeliveryCounts.
 * A page of campaigns then costs one statement, not one per campaign.
 */
export function deliveryCountRows(runId: SQLWrapper) {
  return sql<{ status: DeliveryStatus; n: number }[]>`(
    SELECT coalesce(json_agg(json_build_object('status', c.status, 'n', c.n)), '[]'::json)
    FROM run_status_counts c WHERE c.run_id = ${runId})`;
}

/** The result of one attempt for one user, as it is written. */
export interface AttemptRecord {
  seq: number;
  attemptAt: Date;
  latencyMs: number | null;
  httpStatus: number | null;
  /**
   * What this attempt means: the user's status becomes succeeded, stays pending (retry), or failed.
   * `skipped` records a user deliberately not sent to (quiet hours, the channel's per-user cap):
   * no request was made, so it is no attempt: the attempt log and count are left alone.
   */
  outcome: AttemptOutcome | 'skipped';
  errorClass: string | null;
  errorMessage: string | null;
  webhookId: string;
  responseBody: string | null;
  nextAttemptAt: Date | null;
}

/**
 * One record as a row of the write's JSON: short keys, and the user's status
 * derived from the outcome in SQL. A write carries hundreds of rows, and
 * building, sending and parsing the JSON is most of its cost on both sides.
 */
function rowOf(r: AttemptRecord) {
  return {
    s: r.seq,
    o: r.outcome,
    a: r.attemptAt.toISOString(),
    l: r.latencyMs,
    h: r.httpStatus,
    c: r.errorClass,
    m: r.errorMessage,
    w: r.webhookId,
    b: r.responseBody,
    n: r.nextAttemptAt === null ? null : r.nextAttemptAt.toISOString(),
  };
}

/**
 * Writes many attempts in one round trip: updates each user's delivery row and
 * appends to the attempt log. Rows no longer pending (already succeeded,
 * cancelled) are left alone, so a replayed write cannot create a second success.
 *
 * @example
 * await writeAttempts(db, runId, [{ seq: 1, outcome: 'succeeded', httpStatus: 200, … }], channelId);
 */
export async function writeAttempts(db: Database, runId: string, records: readonly AttemptRecord[], channelId = ''): Promise<void> {
  if (records.length === 0) return;
  let fromSeq = records[0]!.seq;
  let toSeq = fromSeq;
  const tally = new Map<string, { outcome: string; errorClass: string; n: number }>();
  const rows = new Array<ReturnType<typeof rowOf>>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    rows[i] = rowOf(r);
    if (r.seq < fromSeq) fromSeq = r.seq;
    if (r.seq > toSeq) toSeq = r.seq;
    if (r.outcome === 'skipped') continue;
    const key = r.errorClass === null ? r.outcome : `${r.outcome}/${r.errorClass}`;
    const entry = tally.get(key);
    if (entry) entry.n += 1;
    else tally.set(key, { outcome: r.outcome, errorClass: r.errorClass ?? '', n: 1 });
  }
  await db.execute(sql`
    WITH v AS (
      SELECT v.s AS seq, CASE v.o WHEN 'retry' THEN 'pending' ELSE v.o END AS status, v.o AS outcome, v.a AS attempt_at,
             v.l AS latency_ms, v.h AS http_status, v.c AS error_class, v.m AS error_message, v.w AS webhook_id,
             v.b AS response_body, v.n AS next_attempt_at
      FROM json_to_recordset(${JSON.stringify(rows)}::json) AS v(
        s int, o text, a timestamptz, l int, h int, c text, m text, w text, b text, n timestamptz)
    ),
    updated AS (
      UPDATE run_recipients r SET
        status = v.status,
        attempts = r.attempts + CASE WHEN v.outcome = 'skipped' THEN 0 ELSE 1 END,
        next_attempt_at = v.next_attempt_at,
        last_http_status = CASE WHEN v.outcome = 'skipped' THEN r.last_http_status ELSE v.http_status END,
        last_error_class = v.error_class,
        last_error_message = v.error_message,
        first_attempt_at = CASE WHEN v.outcome = 'skipped' THEN r.first_attempt_at ELSE coalesce(r.first_attempt_at, v.attempt_at) END,
        last_attempt_at = CASE WHEN v.outcome = 'skipped' THEN r.last_attempt_at ELSE v.attempt_at END,
        latency_ms = CASE WHEN v.outcome = 'skipped' THEN r.latency_ms ELSE v.latency_ms END,
        webhook_id = v.webhook_id,
        response_body = CASE WHEN v.outcome = 'skipped' THEN r.response_body ELSE v.response_body END
      FROM v
      -- The seq range keeps the plan bounded even when the planner misjudges the run's size
      -- (a freshly frozen run has no statistics and looked like one row).
      WHERE r.run_id = ${runId} AND r.seq BETWEEN ${fromSeq} AND ${toSeq} AND r.seq = v.seq AND r.status = 'pending'
      RETURNING r.seq, r.attempts
    )
    INSERT INTO delivery_attempts (run_id, seq, attempt, started_at, latency_ms, http_status, outcome, error_class, error_message)
    SELECT ${runId}, v.seq, u.attempts, v.attempt_at, v.latency_ms, v.http_status, v.outcome, v.error_class, v.error_message
    FROM v JOIN updated u USING (seq) WHERE v.outcome <> 'skipped'`);
  // Counted per write, not per request: labelled increments cost more than the rest of the bookkeeping.
  for (const { outcome, errorClass, n } of tally.values()) deliveryAttempts.inc({ channel: channelId, outcome, error_class: errorClass }, n);
}

/**
 * Buffers attempts and writes them in batches (by count or age), so a batch of
 * 2,000 sends costs a few statements, not 2,000. Each statement has a fixed
 * cost on both sides (a plan, a round trip, the trigger's count updates), so at
 * full speed fewer, bigger writes are cheaper; the age bounds how stale the
 * counts look and how much an attempt that dies unannounced leaves unwritten
 * (resent with the same webhook-id once its lease lapses).
 */
export function createAttemptBuffer(db: Database, runId: string, options: { maxRows?: number; maxDelayMs?: number; channelId?: string } = {}) {
  const maxRows = options.maxRows ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 1_000;
  let pending: AttemptRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<unknown> = Promise.resolve();
  let failure: unknown;

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const chunk = pending;
    pending = [];
    if (chunk.length > 0) {
      writing = writing.then(() => writeAttempts(db, runId, chunk, options.channelId)).catch((error: unknown) => {
        failure ??= error;
      });
    }
    return writing.then(() => {
      if (failure) throw failure;
    });
  }

  return {
    add(record: AttemptRecord) {
      pending.push(record);
      if (pending.length >= maxRows) void flush().catch(() => {});
      else timer ??= setTimeout(() => void flush().catch(() => {}), maxDelayMs);
    },
    /** Writes everything buffered; rejects if any write failed. */
    flush,
  };
}
