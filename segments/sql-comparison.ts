import { sql, type SQL } from 'drizzle-orm';
import type { Comparison, ScalarValue } from '../contracts/segment-rule.js';

/** `{"key": value}` as a jsonb parameter, for containment tests. */
function containment(column: SQL, key: string, value: ScalarValue): SQL {
  return sql`${column} @> ${JSON.stringify({ [key]: value })}::jsonb`;
}

function anyOf(column: SQL, key: string, values: readonly ScalarValue[]): SQL {
  return sql`(${sql.join(
    values.map((value) => containment(column, key, value)),
    sql` OR `,
  )})`;
}

/**
 * Compiles one comparison on a key of a jsonb object column (a user's
 * attributes, an event's properties). The key and the value are always bound
 * parameters. No cast of stored data can fail: numbers compare as jsonb after
 * a jsonb_typeof check, text through strpos/starts_with (no LIKE wildcards).
 * Equality is a containment test (`@>`) so the GIN index on attributes serves it.
 * "notEquals" and "notIn" match only objects that have the key.
 *
 * @example
 * comparisonPredicate(sql`u.attributes`, 'vip_level', { op: 'equals', value: 'gold' });
 * // u.attributes @> $1::jsonb   with $1 = '{"vip_level":"gold"}'
 */
export function comparisonPredicate(column: SQL, key: string, comparison: Comparison): SQL {
  const field = sql`(${column} -> ${key}::text)`;
  const text = sql`(${column} ->> ${key}::text)`;
  switch (comparison.op) {
    case 'equals':
      return sql`(${containment(column, key, comparison.value)})`;
    case 'notEquals':
      return sql`(${field} IS NOT NULL AND NOT ${containment(column, key, comparison.value)})`;
    case 'in':
      return anyOf(column, key, comparison.value);
    case 'notIn':
      return sql`(${field} IS NOT NULL AND NOT ${anyOf(column, key, comparison.value)})`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const operator = { gt: sql`>`, gte: sql`>=`, lt: sql`<`, lte: sql`<=` }[comparison.op];
      return sql`(jsonb_typeof(${field}) = 'number' AND ${field} ${operator} ${JSON.stringify(comparison.value)}::jsonb)`;
    }
    case 'contains':
      return sql`(jsonb_typeof(${field}) = 'string' AND strpos(${text}, ${comparison.value}::text) > 0)`;
    case 'startsWith':
      return sql`(jsonb_typeof(${field}) = 'string' AND starts_with(${text}, ${comparison.value}::text))`;
    case 'exists':
      return sql`(${field} IS NOT NULL)`;
    case 'notExists':
      return sql`(${field} IS NULL)`;
  }
}
