import { sql, type SQL } from 'drizzle-orm';
import type { EventWindow } from '../contracts/segment-rule.js';

/**
 * The moment a segment is evaluated at and the zone its calendar days are
 * counted in. Both reach SQL as bound parameters; every day boundary is
 * computed by PostgreSQL from them, so the same query answers for "now" and
 * for a test's fixed instant, across DST changes.
 */
export interface TimeContext {
  at: Date;
  timeZone: string;
}

/**
 * The reference instant as a timestamptz. Sent as an ISO string: the Drizzle
 * driver passes Date parameters through unserialised.
 *
 * @example
 * referenceInstant({ at: new Date(), timeZone: 'UTC' }); // $1::timestamptz
 */
export function referenceInstant(ctx: TimeContext): SQL {
  return sql`${ctx.at.toISOString()}::timestamptz`;
}

/**
 * Today's calendar date in the segment's zone.
 *
 * @example
 * localToday({ at, timeZone: 'Asia/Shanghai' }); // (($1::timestamptz AT TIME ZONE $2)::date)
 */
export function localToday(ctx: TimeContext): SQL {
  return sql`((${referenceInstant(ctx)} AT TIME ZONE ${ctx.timeZone})::date)`;
}

/** The instant a local calendar date (an SQL date expression) starts in the segment's zone. */
function startOf(date: SQL, ctx: TimeContext): SQL {
  return sql`((${date})::timestamp AT TIME ZONE ${ctx.timeZone})`;
}

/**
 * The instant the day `offset` days from today (0 = today, -1 = yesterday) starts.
 *
 * @example
 * dayStart(ctx, -1); // yesterday 00:00 in ctx.timeZone, as a timestamptz
 */
export function dayStart(ctx: TimeContext, offset: number): SQL {
  return startOf(sql`${localToday(ctx)} + ${offset}::int`, ctx);
}

function isoDayStart(ctx: TimeContext, day: string, plusDays = 0): SQL {
  return startOf(sql`${day}::date + ${plusDays}::int`, ctx);
}

/**
 * Restricts a timestamptz column to a window, always ending no later than the
 * reference instant (events after it are in the evaluation's future):
 * today, yesterday, the last N calendar days including today, since a day
 * (a date, or N days ago counting today as 0), between two days inclusive.
 * No window means all events up to the reference instant.
 *
 * @example
 * windowPredicate(sql`e.occurred_at`, { type: 'yesterday' }, ctx);
 * // e.occurred_at >= <yesterday 00:00> AND e.occurred_at < <today 00:00>
 */
export function windowPredicate(column: SQL, window: EventWindow | undefined, ctx: TimeContext): SQL {
  const upToNow = sql`${column} <= ${referenceInstant(ctx)}`;
  if (!window) return upToNow;
  switch (window.type) {
    case 'today':
      return sql`${column} >= ${dayStart(ctx, 0)} AND ${upToNow}`;
    case 'yesterday':
      return sql`${column} >= ${dayStart(ctx, -1)} AND ${column} < ${dayStart(ctx, 0)}`;
    case 'lastDays':
      return sql`${column} >= ${dayStart(ctx, 1 - window.days)} AND ${upToNow}`;
    case 'since': {
      const from = window.date !== undefined ? isoDayStart(ctx, window.date) : dayStart(ctx, -(window.daysAgo ?? 0));
      return sql`${column} >= ${from} AND ${upToNow}`;
    }
    case 'between':
      return sql`${column} >= ${isoDayStart(ctx, window.from)} AND ${column} < ${isoDayStart(ctx, window.to, 1)} AND ${upToNow}`;
  }
}
