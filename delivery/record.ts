import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { deliveryAttempts } from '../lib/metrics.js';

/** The result of one attempt for one user, as it is written. */
export interface AttemptRecord {
  seq: number;
  attemptAt: Date;
  latencyMs: number | null;
  httpStatus: number | null;
  /** What this attempt means: the user's status becomes succeeded, stays pending (retry), or failed. */
  outcome: 'succeeded' | 'retry' | 'failed';
  errorClass: string | null;
  errorMessage: string | null;
  webhookId: string;
  responseBody: string | null;
  nextAttemptAt: Date | null;
}

const STATUS_OF = { succeeded: 'succeeded', retry: 'pending', failed: 'failed' } as const;

/**
 * Writes many attempts in one round trip: updates each user's delivery row and
 * appends to the attempt log. Rows no longer pending (already succeeded,
 * cancelled) are left alone, so a replayed write cannot create a second success.
 *
 * @example
 * await writeAttempts(db, runId, [{ seq: 1, outcome: 'succeeded', httpStatus: 200, … }]);
 */
export async function writeAttempts(db: Database, runId: string, records: readonly AttemptRecord[]): Promise<void> {
  if (records.length === 0) return;
  let fromSeq = records[0]!.seq;
  let toSeq = fromSeq;
  const tally = new Map<string, { outcome: string; errorClass: string; n: number }>();
  for (const r of records) {
    if (r.seq < fromSeq) fromSeq = r.seq;
    if (r.seq > toSeq) toSeq = r.seq;
    const key = `${r.outcome}/${r.errorClass ?? ''}`;
    const entry = tally.get(key);
    if (entry) entry.n += 1;
    else tally.set(key, { outcome: r.outcome, errorClass: r.errorClass ?? '', n: 1 });
  }
  const rows = records.map((r) => ({
    seq: r.seq,
    status: STATUS_OF[r.outcome],
    outcome: r.outcome,
    attempt_at: r.attemptAt.toISOString(),
    latency_ms: r.latencyMs,
    http_status: r.httpStatus,
    error_class: r.errorClass,
    error_message: r.errorMessage,
    webhook_id: r.webhookId,
    response_body: r.responseBody,
    next_attempt_at: r.nextAttemptAt?.toISOString() ?? null,
  }));
  await db.execute(sql`
    WITH v AS (
      SELECT * FROM json_to_recordset(${JSON.stringify(rows)}::json) AS v(
        seq int, status text, outcome text, attempt_at timestamptz, latency_ms int, http_status int,
        error_class text, error_message text, webhook_id text, response_body text, next_attempt_at timestamptz)
    ),
    updated AS (
      UPDATE run_recipients r SET
        status = v.status,
        attempts = r.attempts + 1,
        next_attempt_at = v.next_attempt_at,
        last_http_status = v.http_status,
        last_error_class = v.error_class,
        last_error_message = v.error_message,
        first_attempt_at = coalesce(r.first_attempt_at, v.attempt_at),
        last_attempt_at = v.attempt_at,
        latency_ms = v.latency_ms,
        webhook_id = v.webhook_id,
        response_body = v.response_body
      FROM v
      -- The seq range keeps the plan bounded even when the planner misjudges the run's size
      -- (a freshly frozen run has no statistics and looked like one row).
      WHERE r.run_id = ${runId} AND r.seq BETWEEN ${fromSeq} AND ${toSeq} AND r.seq = v.seq AND r.status = 'pending'
      RETURNING r.seq, r.attempts
    )
    INSERT INTO delivery_attempts (run_id, seq, attempt, started_at, latency_ms, http_status, outcome, error_class, error_message)
    SELECT ${runId}, v.seq, u.attempts, v.attempt_at, v.latency_ms, v.http_status, v.outcome, v.error_class, v.error_message
    FROM v JOIN updated u USING (seq)`);
  // Counted per write, not per request: labelled increments cost more than the rest of the bookkeeping.
  for (const { outcome, errorClass, n } of tally.values()) deliveryAttempts.inc({ outcome, error_class: errorClass }, n);
}

/**
 * Buffers attempts and writes them in batches (by count or age), so a batch of
 * 500 sends costs a handful of statements, not 500.
 */
export function createAttemptBuffer(db: Database, runId: string, options: { maxRows?: number; maxDelayMs?: number } = {}) {
  const maxRows = options.maxRows ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 250;
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
      writing = writing.then(() => writeAttempts(db, runId, chunk)).catch((error: unknown) => {
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
