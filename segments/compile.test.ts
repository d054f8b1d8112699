import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { compileSegment } from './compile.js';
import type { SegmentRule } from '../contracts/segment-rule.js';

const dialect = new PgDialect();
const AT = new Date('2026-02-28T04:00:00Z');

/** A rule using every kind of user-supplied value, each one recognisable. */
const everyValue: SegmentRule = {
  any: [
    { attribute: 'key_attr_1', op: 'equals', value: 'VALUE_EQ' },
    { attribute: 'key_attr_2', op: 'in', value: ['VALUE_IN_1', 'VALUE_IN_2'] },
    { attribute: 'key_attr_3', op: 'contains', value: 'VALUE_CONTAINS' },
    { attribute: 'key_attr_4', op: 'startsWith', value: 'VALUE_PREFIX' },
    { attribute: 'key_attr_5', op: 'gt', value: 424242 },
    { attribute: 'key_attr_6', op: 'before', value: '1999-12-31' },
    { attribute: 'key_attr_7', op: 'withinLastDays', value: 777 },
    {
      event: 'event_name_1',
      count: { op: 'atLeast', value: 31337 },
      window: { type: 'between', from: '2011-11-11', to: '2012-12-12' },
      where: [{ property: 'prop key 1', op: 'equals', value: 'VALUE_PROP' }],
    },
    { noEvent: 'event_name_2', window: { type: 'since', date: '2013-03-13' } },
  ],
};

describe('compileSegment', () => {
  const query = dialect.sqlToQuery(compileSegment(everyValue, { at: AT, timeZone: 'Europe/Paris' }));

  it('selects user ids from users', () => {
    expect(query.sql).toMatch(/^SELECT u\.id AS user_id FROM users u WHERE /);
  });

  it('keeps every value of the rule, the reference time and the zone out of the SQL text', () => {
    const values = [
      'key_attr_', 'VALUE_', '424242', '1999-12-31', '777', 'event_name_', '31337', '2011-11-11', '2012-12-12',
      'prop key 1', '2013-03-13', 'Europe/Paris', '2026-02-28',
    ];
    for (const value of values) expect(query.sql).not.toContain(value);
    const params = JSON.stringify(query.params);
    for (const value of values) expect(params).toContain(value);
  });

  it('passes attribute equality as one JSON containment parameter', () => {
    expect(query.params).toContain(JSON.stringify({ key_attr_1: 'VALUE_EQ' }));
  });

  it('produces no ORDER BY, LIMIT at the top level or trailing semicolon, so it nests as a subquery', () => {
    expect(query.sql).not.toMatch(/;\s*$/);
    expect(query.sql.replace(/\([^()]*\)/g, '')).not.toMatch(/ORDER BY/);
  });
});
