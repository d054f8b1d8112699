import { sql, type SQL } from 'drizzle-orm';
import type { RuleNode, SegmentRule } from '../contracts/segment-rule.js';
import { attributePredicate } from './sql-attribute.js';
import { eventPredicate, noEventPredicate } from './sql-event.js';
import type { TimeContext } from './sql-time.js';

export type { TimeContext } from './sql-time.js';

/**
 * The WHERE condition a user row `u` must satisfy to be a member. Exposed so
 * callers can select other columns of `u` or add `u.id = …` for one user.
 *
 * @example
 * sql`SELECT u.login_id FROM users u WHERE ${memberPredicate(rule, { at, timeZone })}`;
 */
export function memberPredicate(node: RuleNode, ctx: TimeContext): SQL {
  if ('all' in node) {
    // An empty AND holds for everyone; an empty OR for no one.
    if (node.all.length === 0) return sql`TRUE`;
    return sql`(${sql.join(node.all.map((child) => memberPredicate(child, ctx)), sql` AND `)})`;
  }
  if ('any' in node) {
    if (node.any.length === 0) return sql`FALSE`;
    return sql`(${sql.join(node.any.map((child) => memberPredicate(child, ctx)), sql` OR `)})`;
  }
  if ('attribute' in node) return attributePredicate(node, ctx);
  if ('event' in node) return eventPredicate(node, ctx);
  if ('noEvent' in node) return noEventPredicate(node, ctx);
  return node.identity === 'hasLoginId' ? sql`(u.login_id IS NOT NULL)` : sql`(u.login_id IS NULL)`;
}

/**
 * Compiles a validated rule into ONE parameterised query, evaluated at
 * `options.at` with calendar days in `options.timeZone`. Its rows are
 * `user_id`; every value from the rule is a bound parameter. It has no ORDER BY
 * or LIMIT, so it composes as a subquery: `… FROM (<query>) m JOIN users u ON u.id = m.user_id`.
 *
 * @example
 * const query = compileSegment({ all: [{ attribute: 'vip_level', op: 'equals', value: 'gold' }] },
 *   { at: new Date(), timeZone: 'Asia/Shanghai' });
 * const rows = await db.execute<{ user_id: string }>(query);
 */
export function compileSegment(rule: SegmentRule, options: TimeContext): SQL {
  return sql`SELECT u.id AS user_id FROM users u WHERE ${memberPredicate(rule, options)}`;
}
