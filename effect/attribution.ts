import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { comparisonPredicate } from '../segments/sql-comparison.js';
import { goalWindowMs, type Goal } from './goal.js';
import { emptyCounts, type GroupCounts } from './stats.js';

/*
 * Attribution: which recipients of a run converted, read from the run's
 * run_recipients rows and the events table, whatever started the run (an
 * audience freeze or an event run's firings).
 *
 * - Sent group: recipients whose delivery succeeded; their window starts at
 *   the successful attempt (`last_attempt_at` of a `succeeded` row).
 * - Control group: `held_out` recipients the run's sends reached; their window
 *   starts at `held_out_at`, the moment they would have been sent.
 * - A recipient converts when a goal event (name, property filters) of their
 *   user occurred in [start, start + within). One conversion per recipient
 *   (the first such event); `value` sums the property over every goal event
 *   in that window. Events are matched by occurred_at, not received_at, so a
 *   late event timed inside the window counts until the figures are stored.
 * - Recipients that failed, were skipped or cancelled, or are still pending,
 *   are in neither group.
 *
 * One statement: the run's measured recipients are read once (its key range),
 * the goal's events once (the (name, occurred_at, user_id) index, bounded by
 * the run's send time and its last possible window end), and the two are
 * hash-joined on user id; the cost grows with the run and with the goal
 * events in its span, not with the events table (docs/goals.md, bench:effect).
 *
 * The hash join is forced (no nested loop): right after a run's outcomes or a
 * burst of events are written, the planner's statistics say "one row", and a
 * nested loop it then picks re-reads the goal events once per recipient
 * (115 s instead of 0.1 s for 20,000 recipients, measured). Work memory is
 * raised for the statement so a million recipients hash in memory.
 */

/** Buckets of the conversion curve across the window. */
export const CURVE_BUCKETS = 60;

/** A run's raw figures, stored once final (run_effects.figures) and added across runs. */
export interface EffectFigures {
  bucketMs: number;
  sent: GroupCounts;
  /** null when the run had no control group. */
  control: GroupCounts | null;
  /** The last recipient's window start (ISO); null when nobody was measured. */
  lastStartAt: string | null;
}

export interface MeasuredRun {
  id: string;
  /** No recipient's window starts before the run's send time. */
  sendAt: Date;
  /** Null while the run still sends. */
  finishedAt: Date | null;
  holdout: boolean;
}

function goalEventFilter(goal: Goal): SQL {
  const filters = (goal.where ?? []).map(({ property, ...comparison }) => sql` AND ${comparisonPredicate(sql`e.properties`, property, comparison)}`);
  return sql.join(filters);
}

function valueOf(goal: Goal): SQL {
  if (goal.value === undefined) return sql`NULL::float8`;
  return sql`CASE WHEN jsonb_typeof(e.properties -> ${goal.value}::text) = 'number' THEN (e.properties ->> ${goal.value}::text)::float8 END`;
}

/** The session settings attribution runs with (see above). */
export const ATTRIBUTION_SETTINGS = [sql`SET LOCAL enable_nestloop = off`, sql`SET LOCAL work_mem = '128MB'`];

/** Rows of the attribution statement: per group its users, and per group and curve bucket its conversions. */
type FigureRow = {
  control: boolean;
  bucket: number | null;
  n: number;
  value: number | null;
  last_start: string | null;
};

/**
 * The attribution statement of one run (run it with ATTRIBUTION_SETTINGS;
 * `npm run bench:effect` EXPLAINs it).
 */
export function figuresStatement(run: MeasuredRun, goal: Goal, now = new Date()): SQL {
  const withinMs = goalWindowMs(goal);
  const bucketMs = withinMs / CURVE_BUCKETS;
  // Every window lies inside [send time, last possible start + within).
  const lastStart = run.finishedAt ?? now;
  const until = new Date(lastStart.getTime() + withinMs);
  return sql`
    WITH rec AS MATERIALIZED (
      SELECT r.seq, r.user_id, r.status = 'held_out' AS control,
             CASE WHEN r.status = 'succeeded' THEN r.last_attempt_at ELSE r.held_out_at END AS start
      FROM run_recipients r
      WHERE r.run_id = ${run.id} AND (r.status = 'succeeded' OR (r.status = 'held_out' AND r.held_out_at IS NOT NULL))
    ),
    goal_events AS (
      SELECT e.user_id, e.occurred_at, ${valueOf(goal)} AS value
      FROM events e
      WHERE e.name = ${goal.event}::text AND e.occurred_at >= ${run.sendAt.toISOString()}::timestamptz
        AND e.occurred_at < ${until.toISOString()}::timestamptz${goalEventFilter(goal)}
    ),
    hits AS (
      SELECT rec.control, min(g.occurred_at - rec.start) AS delay, sum(g.value) AS value
      FROM rec JOIN goal_events g ON g.user_id = rec.user_id
       AND g.occurred_at >= rec.start AND g.occurred_at < rec.start + ${withinMs} * interval '1 millisecond'
      -- One row per recipient: a user is one recipient per run, except in event runs (one per send).
      GROUP BY rec.seq, rec.control
    )
    SELECT control, NULL::int AS bucket, count(*)::int AS n, NULL::float8 AS value, max(start)::text AS last_start
    FROM rec GROUP BY control
    UNION ALL
    SELECT control, least(floor(extract(epoch FROM delay) * 1000 / ${bucketMs}::float8)::int, ${CURVE_BUCKETS - 1}) AS bucket,
           count(*)::int AS n, sum(value)::float8 AS value, NULL
    FROM hits GROUP BY 1, 2`;
}

/**
 * Counts one run's groups, conversions, values and curve.
 *
 * @example
 * await runFigures(db, { id: runId, sendAt, finishedAt, holdout: true }, { event: 'order', within: 'P3D' });
 */
export async function runFigures(db: Database, run: MeasuredRun, goal: Goal, now = new Date()): Promise<EffectFigures> {
  const rows = await db.transaction(async (tx) => {
    for (const setting of ATTRIBUTION_SETTINGS) await tx.execute(setting);
    return tx.execute<FigureRow>(figuresStatement(run, goal, now));
  });
  const sent = emptyCounts(CURVE_BUCKETS);
  const control = emptyCounts(CURVE_BUCKETS);
  let lastStartAt: string | null = null;
  for (const row of rows) {
    const group = row.control ? control : sent;
    if (row.bucket === null) {
      group.users = row.n;
      if (row.last_start !== null && (lastStartAt === null || Date.parse(row.last_start) > Date.parse(lastStartAt))) lastStartAt = new Date(row.last_start).toISOString();
      continue;
    }
    group.conversions += row.n;
    group.curve[row.bucket]! += row.n;
    if (goal.value !== undefined) group.value = (group.value ?? 0) + (row.value ?? 0);
  }
  if (goal.value !== undefined) {
    sent.value ??= 0;
    control.value ??= 0;
  }
  return { bucketMs: goalWindowMs(goal) / CURVE_BUCKETS, sent, control: run.holdout ? control : null, lastStartAt };
}
