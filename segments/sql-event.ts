import { sql, type SQL } from 'drizzle-orm';
import type { EventCondition, NoEventCondition, PropertyFilter } from '../contracts/segment-rule.js';
import { comparisonPredicate } from './sql-comparison.js';
import { windowPredicate, type TimeContext } from './sql-time.js';

/** The user's events of one name in the window that pass the property filters. */
function matchingEvents(condition: EventCondition | NoEventCondition, name: string, ctx: TimeContext): SQL {
  const filters = (condition.where ?? []).map(function propertyTest(filter: PropertyFilter) {
    const { property, ...comparison } = filter;
    return sql` AND ${comparisonPredicate(sql`e.properties`, property, comparison)}`;
  });
  return sql`FROM events e
    WHERE e.user_id = u.id AND e.name = ${name}::text AND ${windowPredicate(sql`e.occurred_at`, condition.window, ctx)}${sql.join(filters)}`;
}

/**
 * "Did E at least / at most / exactly N times in a window". At least once is
 * an EXISTS, which the planner may turn into a semi-join. Other counts stop
 * reading after N + 1 events (LIMIT), so a heavy user costs no more than a
 * light one. Each probe is served by the (user_id, name, occurred_at) index.
 *
 * @example
 * eventPredicate({ event: 'add_to_cart', window: { type: 'yesterday' } }, ctx);
 * // EXISTS (SELECT 1 FROM events e WHERE e.user_id = u.id AND e.name = $1 AND …)
 */
export function eventPredicate(condition: EventCondition, ctx: TimeContext): SQL {
  const events = matchingEvents(condition, condition.event, ctx);
  const count = condition.count ?? { op: 'atLeast', value: 1 };
  if (count.op === 'atLeast' && count.value === 1) return sql`EXISTS (SELECT 1 ${events})`;
  const counted = sql`(SELECT count(*) FROM (SELECT 1 ${events} LIMIT ${count.value}::int + 1) counted)`;
  const operator = { atLeast: sql`>=`, atMost: sql`<=`, exactly: sql`=` }[count.op];
  return sql`(${counted} ${operator} ${count.value}::int)`;
}

/**
 * "Did not do E in a window": NOT EXISTS, which the planner runs as an anti-join.
 *
 * @example
 * noEventPredicate({ noEvent: 'pay_order', window: { type: 'since', daysAgo: 1 } }, ctx);
 */
export function noEventPredicate(condition: NoEventCondition, ctx: TimeContext): SQL {
  return sql`NOT EXISTS (SELECT 1 ${matchingEvents(condition, condition.noEvent, ctx)})`;
}
