import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { comparisonPredicate } from '../segments/sql-comparison.js';
import { goalWindowMs } from './goal.js';
import type { Goal } from '../contracts/goal.js';
import { emptyCounts } from './stats.js';
import type { EffectFigures } from '../contracts/effect-figures.js';

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
 * Two statements in one snapshot: the groups' sizes (the run's kept counts
 * once it has finished), and the conversions: the goal's events (the (name, occurred_at,
 * user_id) index, bounded by the run's send time and its last possible window
 * end) hash-joined with the run's recipients on user id. The cost grows with
 * the run and with the goal events in its span, not with the events table
 * (docs/goals.md, bench:effect).
 *
 * The hash join is forced (no nested loop): right after a run's outcomes or a
 * burst of events are written, the planner's statistics say "one row", and a
 * nested loop it then picks re-reads the goal events once per recipient
 * (115 s instead of 0.1 s for 20,000 recipients, measured). Work memory is
 * raised for the statement so a million recipients hash in memory.
 */

/** Buckets of the conversion curve across the window. */
export const CURVE_BUCKETS = 60;

export type { EffectFigures };

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

type GroupRow = { control: boolean; n: number };
type ConversionRow = { control: boolean; bucket: number; n: number; value: number | null };

/** A recipient's window start: the successful attempt of a sent user, the reached moment of a held-out one. */
const START = sql`CASE WHEN r.status = 'succeeded' THEN r.last_attempt_at ELSE r.held_out_at END`;

/** The run's measured recipients: sent ones that succeeded, held-out ones the sends reached. */
function measured(runId: string): SQL {
  return sql`r.run_id = ${runId} AND (r.status = 'succeeded' OR (r.status = 'held_out' AND r.held_out_at IS NOT NULL))`;
}

/**
 * Users per group. A finished run's are its kept counts (a finished run's
 * held-out users have all been reached: those the sends never reached were
 * closed with its pending ones); a run still sending is counted, one pass
 * over its key range, since its held-out users are reached as it goes.
 */
export function groupsStatement(run: MeasuredRun): SQL {
  if (run.finishedAt) {
    return sql`
      SELECT c.status = 'held_out' AS control, c.n::int AS n FROM run_status_counts c
      WHERE c.run_id = ${run.id} AND c.status IN ('succeeded', 'held_out')`;
  }
  return sql`
    SELECT r.status = 'held_out' AS control, count(*)::int AS n
    FROM run_recipients r WHERE ${measured(run.id)}
    GROUP BY 1`;
}

/**
 * Conversions per group and curve bucket, with their values: the goal's
 * events in the run's span, hash-joined with the run's measured recipients
 * on user id, the window checked per pair, aggregated per recipient (its
 * first goal event) and then per bucket of time since its start.
 */
export function conversionsStatement(run: MeasuredRun, goal: Goal, now = new Date()): SQL {
  const withinMs = goalWindowMs(goal);
  const bucketMs = withinMs / CURVE_BUCKETS;
  // Every window lies inside [send time, last possible start + within).
  const lastStart = run.finishedAt ?? now;
  const until = new Date(lastStart.getTime() + withinMs);
  return sql`
    WITH goal_events AS (
      SELECT e.user_id, e.occurred_at, ${valueOf(goal)} AS value
      FROM events e
      WHERE e.name = ${goal.event}::text AND e.occurred_at >= ${run.sendAt.toISOString()}::timestamptz
        AND e.occurred_at < ${until.toISOString()}::timestamptz${goalEventFilter(goal)}
    ),
    hits AS (
      SELECT r.status = 'held_out' AS control, min(g.occurred_at - ${START}) AS delay, sum(g.value) AS value
      FROM run_recipients r JOIN goal_events g ON g.user_id = r.user_id
       AND g.occurred_at >= ${START} AND g.occurred_at < ${START} + ${withinMs} * interval '1 millisecond'
      WHERE ${measured(run.id)}
      -- One row per recipient: a user is one recipient per run, except in event runs (one per send).
      GROUP BY r.seq, r.status
    )
    SELECT control, least(floor(extract(epoch FROM delay) * 1000 / ${bucketMs}::float8)::int, ${CURVE_BUCKETS - 1}) AS bucket,
           count(*)::int AS n, sum(value)::float8 AS value
    FROM hits GROUP BY 1, 2`;
}

/**
 * Counts one run's groups, conversions, values and curve.
 *
 * @example
 * await runFigures(db, { id: runId, sendAt, finishedAt, holdout: true }, { event: 'order', within: 'P3D' });
 */
export async function runFigures(db: Database, run: MeasuredRun, goal: Goal, now = new Date()): Promise<EffectFigures> {
  // One snapshot for both statements: a live run's counts and conversions agree.
  const { groups, conversions } = await db.transaction(
    async (tx) => {
      for (const setting of ATTRIBUTION_SETTINGS) await tx.execute(setting);
      return {
        groups: await tx.execute<GroupRow>(groupsStatement(run)),
        conversions: await tx.execute<ConversionRow>(conversionsStatement(run, goal, now)),
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
  const sent = emptyCounts(CURVE_BUCKETS);
  const control = emptyCounts(CURVE_BUCKETS);
  for (const row of groups) (row.control ? control : sent).users = row.n;
  for (const row of conversions) {
    const group = row.control ? control : sent;
    group.conversions += row.n;
    group.curve[row.bucket]! += row.n;
    if (goal.value !== undefined) group.value = (group.value ?? 0) + (row.value ?? 0);
  }
  if (goal.value !== undefined) {
    sent.value ??= 0;
    control.value ??= 0;
  }
  return { bucketMs: goalWindowMs(goal) / CURVE_BUCKETS, sent, control: run.holdout ? control : null };
}
