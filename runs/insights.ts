import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.js';

/*
 * What a run's detail page draws, read from PostgreSQL alone (the attempt log
 * and the recipients' rows), never from Temporal: a chart of attempts over
 * time, the current sending rate, and why users failed or were skipped.
 * Each read scans the run's own key range once (run_id leads both tables'
 * indexes), so its cost grows with the run, not with the table.
 */

/** Bucket widths a timeline may use, in seconds: round numbers an operator reads at a glance. */
const BUCKET_WIDTHS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
/** At most this many buckets: enough for a chart 600 px wide, and a bounded answer whatever the run's span. */
export const MAX_BUCKETS = 120;
/** The rate is attempts started within this many seconds before now. */
export const RATE_WINDOW_SECONDS = 10;

export const timelineBucketSchema = z.object({
  at: z.string().meta({ description: 'start of the interval (ISO 8601, UTC)' }),
  succeeded: z.number().int(),
  retry: z.number().int(),
  failed: z.number().int(),
});

export const runTimelineSchema = z
  .object({
    runId: z.string().nullable(),
    bucketSeconds: z.number().int().meta({ description: `width of each interval: the smallest of ${BUCKET_WIDTHS.join(', ')} s that covers the run in at most ${MAX_BUCKETS} intervals` }),
    buckets: z.array(timelineBucketSchema).meta({ description: 'attempts started in each interval by outcome, from the first attempt to the last, empty intervals included' }),
    totals: z.object({ succeeded: z.number().int(), retry: z.number().int(), failed: z.number().int() }),
    rate: z.object({
      windowSeconds: z.number().int(),
      perSecond: z.number().meta({ description: `attempts started in the last ${RATE_WINDOW_SECONDS} s per second (0 once the run stops sending)` }),
    }),
    firstAttemptAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
  })
  .meta({ id: 'RunTimeline', description: 'A run\'s attempts over time (every attempt, retries included) and its current sending rate.' });
export type RunTimeline = z.infer<typeof runTimelineSchema>;

/**
 * The smallest round bucket width covering `spanSeconds` in at most MAX_BUCKETS buckets.
 *
 * @example
 * bucketWidth(90); // 1
 * bucketWidth(3600); // 30
 */
export function bucketWidth(spanSeconds: number): number {
  return BUCKET_WIDTHS.find((w) => Math.floor(spanSeconds / w) + 1 <= MAX_BUCKETS) ?? BUCKET_WIDTHS[BUCKET_WIDTHS.length - 1]!;
}

const emptyTimeline = (runId: string | null): RunTimeline => ({
  runId,
  bucketSeconds: 1,
  buckets: [],
  totals: { succeeded: 0, retry: 0, failed: 0 },
  rate: { windowSeconds: RATE_WINDOW_SECONDS, perSecond: 0 },
  firstAttemptAt: null,
  lastAttemptAt: null,
});

type BucketRow = { bucket: number; outcome: 'succeeded' | 'retry' | 'failed'; n: number; recent: number; lo: string; hi: string };

/** Attempts of a run per bucket of `width` seconds and outcome, with each group's recent count and time range: one pass. */
function bucketed(db: Database, runId: string, width: number) {
  return db.execute<BucketRow>(sql`
    SELECT floor(extract(epoch FROM started_at) / ${width}::int)::bigint AS bucket, outcome, count(*)::int AS n,
           (count(*) FILTER (WHERE started_at > now() - make_interval(secs => ${RATE_WINDOW_SECONDS})))::int AS recent,
           min(started_at) AS lo, max(started_at) AS hi
    FROM delivery_attempts WHERE run_id = ${runId}
    GROUP BY 1, 2`);
}

/**
 * A run's attempts per interval by outcome, and attempts per second over the
 * last RATE_WINDOW_SECONDS, in one pass over the run's attempts: the bucket
 * width comes from the run's own start and end (now while it sends). When
 * the attempts' own span needs another width (a run that waited for quiet
 * hours before its first send, a run row without a start), a second pass
 * uses that width.
 *
 * @example
 * const t = await runTimeline(db, runId); // { bucketSeconds: 1, buckets: [{ at, succeeded: 40, retry: 2, failed: 0 }, …], rate: { perSecond: 38.5 } }
 */
export async function runTimeline(db: Database, runId: string | null): Promise<RunTimeline> {
  if (!runId) return emptyTimeline(null);
  const [run] = await db.execute<{ from: string; to: string }>(sql`
    SELECT coalesce(started_at, created_at) AS from, coalesce(finished_at, now()) AS to FROM campaign_runs WHERE id = ${runId}`);
  const expected = run ? Math.max(0, (Date.parse(run.to) - Date.parse(run.from)) / 1000) : 0;
  let width = bucketWidth(expected);
  let rows = await bucketed(db, runId, width);
  if (rows.length === 0) return emptyTimeline(runId);
  const lo = new Date(Math.min(...rows.map((r) => Date.parse(r.lo))));
  const hi = new Date(Math.max(...rows.map((r) => Date.parse(r.hi))));
  const needed = bucketWidth((hi.getTime() - lo.getTime()) / 1000);
  if (needed !== width) {
    width = needed;
    rows = await bucketed(db, runId, width);
  }
  const first = Math.floor(lo.getTime() / 1000 / width);
  const last = Math.floor(hi.getTime() / 1000 / width);
  const buckets = Array.from({ length: last - first + 1 }, (_, i) => ({ at: new Date((first + i) * width * 1000).toISOString(), succeeded: 0, retry: 0, failed: 0 }));
  const totals = { succeeded: 0, retry: 0, failed: 0 };
  let recent = 0;
  for (const row of rows) {
    const bucket = buckets[Number(row.bucket) - first];
    if (bucket) bucket[row.outcome] += row.n;
    totals[row.outcome] += row.n;
    recent += row.recent;
  }
  return {
    runId,
    bucketSeconds: width,
    buckets,
    totals,
    rate: { windowSeconds: RATE_WINDOW_SECONDS, perSecond: Math.round((recent / RATE_WINDOW_SECONDS) * 10) / 10 },
    firstAttemptAt: lo.toISOString(),
    lastAttemptAt: hi.toISOString(),
  };
}

export const failureReasonSchema = z.object({
  status: z.enum(['failed', 'skipped', 'cancelled', 'pending']).meta({ description: '`pending`: users still being retried after this error' }),
  errorClass: z.string().meta({ description: 'e.g. `http_400`, `timeout`, `refused`, `no_login_id`, `quiet_hours`, `user_cap`, `cancelled`, `expired`' }),
  httpStatus: z.number().int().nullable().meta({ description: 'the last HTTP status these users got, when they got one' }),
  count: z.number().int(),
  message: z.string().nullable().meta({ description: 'one of the error messages of the group, as an example' }),
});

export const failureReasonsSchema = z
  .object({ runId: z.string().nullable(), items: z.array(failureReasonSchema) })
  .meta({ id: 'FailureReasons', description: 'Users of a run that did not (yet) get their request, grouped by status and error class, largest group first.' });
export type FailureReasons = z.infer<typeof failureReasonsSchema>;

/** At most this many groups: error classes are few, but HTTP statuses could spread a run over many. */
const MAX_GROUPS = 50;

/**
 * Why a run's users failed, were skipped or cancelled, or are being retried:
 * one group per (status, error class, last HTTP status) with its count and an
 * example message. One pass over the run's recipients.
 *
 * @example
 * await failureReasons(db, runId); // { items: [{ status: 'failed', errorClass: 'http_400', httpStatus: 400, count: 3, message: 'endpoint answered 400' }] }
 */
export async function failureReasons(db: Database, runId: string | null): Promise<FailureReasons> {
  if (!runId) return { runId: null, items: [] };
  const rows = await db.execute<{ status: FailureReasons['items'][number]['status']; error_class: string | null; http_status: number | null; n: number; message: string | null }>(sql`
    SELECT status, last_error_class AS error_class, last_http_status AS http_status, count(*)::int AS n, min(last_error_message) AS message
    FROM run_recipients
    WHERE run_id = ${runId} AND (status IN ('failed', 'skipped', 'cancelled') OR (status = 'pending' AND last_error_class IS NOT NULL))
    GROUP BY 1, 2, 3
    ORDER BY n DESC, 1, 2
    LIMIT ${MAX_GROUPS}`);
  return {
    runId,
    items: rows.map((r) => ({ status: r.status, errorClass: r.error_class ?? 'unknown', httpStatus: r.http_status, count: r.n, message: r.message })),
  };
}
