import { sql, type SQL } from 'drizzle-orm';
import type { AttributeCondition, Comparison, DateComparison } from '../contracts/segment-rule.js';
import { comparisonPredicate } from './sql-comparison.js';
import { localToday, type TimeContext } from './sql-time.js';

const ATTRIBUTES = sql`u.attributes`;
const DATE_OPS = new Set<string>(['before', 'after', 'withinLastDays', 'anniversaryToday']);

function isDateComparison(condition: AttributeCondition): condition is { attribute: string } & DateComparison {
  return DATE_OPS.has(condition.op);
}

/**
 * A date attribute as a calendar date in the segment's zone: a stored day
 * (`YYYY-MM-DD`) as is, a stored UTC date-time converted to the zone.
 */
function attributeDate(key: string, ctx: TimeContext): SQL {
  const text = sql`(${ATTRIBUTES} ->> ${key}::text)`;
  return sql`(CASE WHEN length(${text}) = 10 THEN ${text}::date ELSE (${text}::timestamptz AT TIME ZONE ${ctx.timeZone})::date END)`;
}

function dateTest(condition: { attribute: string } & DateComparison, ctx: TimeContext): SQL {
  const day = attributeDate(condition.attribute, ctx);
  const today = localToday(ctx);
  switch (condition.op) {
    case 'before':
      return sql`${day} < ${condition.value}::date`;
    case 'after':
      return sql`${day} > ${condition.value}::date`;
    case 'withinLastDays':
      return sql`${day} BETWEEN ${today} - (${condition.value}::int - 1) AND ${today}`;
    case 'anniversaryToday':
      // Born on 29 February: celebrated on 28 February when the year has no 29th.
      return sql`to_char(${day}, 'MM-DD') = ANY (ARRAY[
        to_char(${today}, 'MM-DD'),
        CASE WHEN to_char(${today}, 'MM-DD') = '02-28' AND to_char(${today} + 1, 'MM-DD') = '03-01' THEN '02-29' END
      ])`;
  }
}

/**
 * Compiles an attribute condition on `u.attributes`. Date conditions cast the
 * stored text, which is safe only for keys typed `date` (ingestion validated
 * every value of those), so the cast sits behind a CASE on the key's recorded
 * type: a date test on any other key matches nothing instead of failing.
 *
 * @example
 * attributePredicate({ attribute: 'birthday', op: 'anniversaryToday' }, { at, timeZone: 'Asia/Shanghai' });
 */
export function attributePredicate(condition: AttributeCondition, ctx: TimeContext): SQL {
  if (!isDateComparison(condition)) {
    const { attribute, ...comparison } = condition as { attribute: string } & Comparison;
    return comparisonPredicate(ATTRIBUTES, attribute, comparison as Comparison);
  }
  const key = condition.attribute;
  const isDateKey = sql`EXISTS (SELECT 1 FROM attribute_types t WHERE t.key = ${key}::text AND t.type = 'date')`;
  return sql`(CASE WHEN ${isDateKey} AND jsonb_typeof(${ATTRIBUTES} -> ${key}::text) = 'string'
    THEN ${dateTest(condition, ctx)} ELSE false END)`;
}
