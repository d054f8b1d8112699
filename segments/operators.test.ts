import { count } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertEvents, insertUsers, recordAttributeTypes, type FixtureUser } from '../audience/fixtures.js';
import { events, users } from '../db/schema.js';
import { useTestDatabase } from '../test/database.js';
import { compileSegment } from './compile.js';
import { segmentRuleSchema, type SegmentRule } from '../contracts/segment-rule.js';

const testDb = useTestDatabase();
/** Wednesday 10 June 2026, 15:00 in Shanghai. */
const AT = new Date('2026-06-10T15:00:00+08:00');
const labels = new Map<string, string>();

beforeAll(async () => {
  await recordAttributeTypes(testDb.db, { plan: 'string', age: 'number', churned: 'boolean', signup: 'date', city: 'string' });
  const people: FixtureUser[] = [
    { loginId: 'ann', attributes: { plan: 'pro', age: 34, churned: false, signup: '2026-06-05', city: 'Shanghai' } },
    { loginId: 'bob', attributes: { plan: 'free', age: 17, churned: true, signup: '2025-12-31T20:00:00.000Z', city: 'Beijing' } },
    { visitorId: 'v-cat', attributes: { plan: 'pro', age: 18, city: "O'Brien; DROP TABLE users" } },
    { loginId: 'dan', visitorId: 'v-dan', attributes: {} },
  ];
  const ids = await insertUsers(testDb.db, people);
  people.forEach((person, index) => labels.set(ids[index]!, person.loginId ?? person.visitorId!));
  const [ann, bob, cat] = ids;
  await insertEvents(testDb.db, ann!, [
    ['view_item', '2026-06-10T09:00:00+08:00', { sku: 'A1', price: 120 }],
    ['view_item', '2026-06-09T09:00:00+08:00', { sku: 'B2', price: 80 }],
    ['view_item', '2026-06-01T09:00:00+08:00', { sku: 'A1', price: 120 }],
    ['pay_order', '2026-05-20T09:00:00+08:00'],
  ]);
  await insertEvents(testDb.db, bob!, [
    ['view_item', '2026-06-04T09:00:00+08:00', { sku: 'C3' }],
    ['view_item', '2026-06-04T10:00:00+08:00', { sku: 'C3' }],
    ['pay_order', '2026-06-10T08:00:00+08:00'],
  ]);
  await insertEvents(testDb.db, cat!, [['view_item', '2026-06-10T16:00:00+08:00', { sku: 'A1' }]]); // after AT
});

async function members(rule: unknown): Promise<string[]> {
  const parsed: SegmentRule = segmentRuleSchema.parse(rule);
  const rows = await testDb.db.execute<{ user_id: string }>(compileSegment(parsed, { at: AT, timeZone: 'Asia/Shanghai' }));
  return rows.map((row) => labels.get(row.user_id)!).sort();
}

const one = (condition: unknown) => members({ all: [condition] });

describe('attribute operators', () => {
  it.each([
    [{ attribute: 'plan', op: 'equals', value: 'pro' }, ['ann', 'v-cat']],
    [{ attribute: 'plan', op: 'notEquals', value: 'pro' }, ['bob']],
    [{ attribute: 'plan', op: 'in', value: ['free', 'team'] }, ['bob']],
    [{ attribute: 'plan', op: 'notIn', value: ['free'] }, ['ann', 'v-cat']],
    [{ attribute: 'age', op: 'equals', value: 18 }, ['v-cat']],
    [{ attribute: 'age', op: 'gt', value: 18 }, ['ann']],
    [{ attribute: 'age', op: 'gte', value: 18 }, ['ann', 'v-cat']],
    [{ attribute: 'age', op: 'lt', value: 18 }, ['bob']],
    [{ attribute: 'age', op: 'lte', value: 18 }, ['bob', 'v-cat']],
    [{ attribute: 'churned', op: 'equals', value: true }, ['bob']],
    [{ attribute: 'city', op: 'contains', value: 'ng' }, ['bob', 'ann'].sort()],
    [{ attribute: 'city', op: 'startsWith', value: 'Bei' }, ['bob']],
    [{ attribute: 'city', op: 'contains', value: '%' }, []],
    [{ attribute: 'plan', op: 'exists' }, ['ann', 'bob', 'v-cat']],
    [{ attribute: 'plan', op: 'notExists' }, ['dan']],
    [{ attribute: 'signup', op: 'after', value: '2026-01-01' }, ['ann']],
    [{ attribute: 'signup', op: 'before', value: '2026-01-02' }, ['bob']],
    [{ attribute: 'signup', op: 'before', value: '2026-01-01' }, []],
    [{ attribute: 'signup', op: 'withinLastDays', value: 6 }, ['ann']],
    [{ attribute: 'signup', op: 'withinLastDays', value: 5 }, []],
  ])('%j matches %j', async (condition, expected) => {
    expect(await one(condition)).toEqual(expected);
  });

  it('reads a stored UTC date-time as its day in the segment time zone', async () => {
    // bob signed up 2025-12-31 20:00 UTC, which is 1 January 2026 in Shanghai.
    expect(await one({ attribute: 'signup', op: 'after', value: '2025-12-31' })).toEqual(['ann', 'bob']);
    const rows = await testDb.db.execute<{ user_id: string }>(
      compileSegment({ all: [{ attribute: 'signup', op: 'after', value: '2025-12-31' }] }, { at: AT, timeZone: 'UTC' }),
    );
    expect(rows.map((row) => labels.get(row.user_id))).toEqual(['ann']);
  });

  it('matches nothing, without an error, for a date test on a key that is not a date', async () => {
    expect(await one({ attribute: 'city', op: 'before', value: '2030-01-01' })).toEqual([]);
    expect(await one({ attribute: 'age', op: 'anniversaryToday' })).toEqual([]);
  });

  it('compares numbers only with numbers', async () => {
    expect(await one({ attribute: 'plan', op: 'gt', value: 0 })).toEqual([]);
  });
});

describe('SQL-looking values', () => {
  it.each([
    { attribute: 'plan', op: 'equals', value: "pro' OR '1'='1" },
    { attribute: 'plan', op: 'in', value: ["'); DELETE FROM users; --", 'x" OR 1=1'] },
    { attribute: 'city', op: 'contains', value: "'; DROP TABLE events; --" },
    { attribute: 'plan', op: 'startsWith', value: "' OR TRUE --" },
    { event: 'view_item', where: [{ property: "sku'); DROP TABLE events; --", op: 'exists' }] },
  ])('%j matches nothing and changes nothing', async (condition) => {
    expect(await one(condition)).toEqual([]);
    const [userCount] = await testDb.db.select({ n: count() }).from(users);
    const [eventCount] = await testDb.db.select({ n: count() }).from(events);
    expect({ users: userCount!.n, events: eventCount!.n }).toEqual({ users: 4, events: 8 });
  });

  it('matches such a string when it is really stored, as plain text', async () => {
    expect(await one({ attribute: 'city', op: 'equals', value: "O'Brien; DROP TABLE users" })).toEqual(['v-cat']);
  });
});

describe('behaviour conditions', () => {
  it.each([
    [{ event: 'view_item', window: { type: 'today' } }, ['ann']],
    [{ event: 'view_item', window: { type: 'yesterday' } }, ['ann']],
    [{ event: 'view_item', window: { type: 'lastDays', days: 7 } }, ['ann', 'bob']],
    [{ event: 'view_item', window: { type: 'lastDays', days: 1 } }, ['ann']],
    [{ event: 'view_item', window: { type: 'since', date: '2026-06-04' } }, ['ann', 'bob']],
    [{ event: 'view_item', window: { type: 'since', date: '2026-06-05' } }, ['ann']],
    [{ event: 'view_item', window: { type: 'between', from: '2026-06-01', to: '2026-06-04' } }, ['ann', 'bob']],
    [{ event: 'view_item', window: { type: 'between', from: '2026-06-02', to: '2026-06-03' } }, []],
    [{ event: 'view_item' }, ['ann', 'bob']],
    [{ event: 'view_item', count: { op: 'atLeast', value: 3 } }, ['ann']],
    [{ event: 'view_item', count: { op: 'exactly', value: 2 } }, ['bob']],
    [{ event: 'view_item', count: { op: 'atMost', value: 2 } }, ['bob', 'dan', 'v-cat']],
    [{ event: 'view_item', count: { op: 'exactly', value: 0 } }, ['dan', 'v-cat']],
    [{ event: 'view_item', count: { op: 'atLeast', value: 2 }, window: { type: 'lastDays', days: 7 } }, ['ann', 'bob']],
    [{ event: 'view_item', where: [{ property: 'sku', op: 'equals', value: 'A1' }] }, ['ann']],
    [{ event: 'view_item', where: [{ property: 'price', op: 'gte', value: 100 }], count: { op: 'atLeast', value: 2 } }, ['ann']],
    [{ event: 'view_item', where: [{ property: 'sku', op: 'in', value: ['B2', 'C3'] }], window: { type: 'lastDays', days: 3 } }, ['ann']],
    [{ noEvent: 'pay_order', window: { type: 'lastDays', days: 30 } }, ['dan', 'v-cat']],
    [{ noEvent: 'pay_order' }, ['dan', 'v-cat']],
    [{ noEvent: 'view_item', where: [{ property: 'sku', op: 'equals', value: 'C3' }] }, ['ann', 'dan', 'v-cat']],
  ])('%j matches %j', async (condition, expected) => {
    expect(await one(condition)).toEqual(expected);
  });

  it('ignores events after the reference time', async () => {
    // v-cat viewed an item at 16:00, an hour after the reference time.
    expect(await one({ event: 'view_item', window: { type: 'today' } })).not.toContain('v-cat');
  });
});

describe('identity conditions and groups', () => {
  it.each([
    [{ identity: 'hasLoginId' }, ['ann', 'bob', 'dan']],
    [{ identity: 'visitorOnly' }, ['v-cat']],
  ])('%j matches %j', async (condition, expected) => {
    expect(await one(condition)).toEqual(expected);
  });

  it('combines AND and OR groups', async () => {
    const rule = {
      any: [
        { all: [{ attribute: 'plan', op: 'equals', value: 'pro' }, { identity: 'visitorOnly' }] },
        { all: [{ event: 'pay_order', window: { type: 'today' } }, { attribute: 'churned', op: 'equals', value: true }] },
      ],
    };
    expect(await members(rule)).toEqual(['bob', 'v-cat']);
  });

  it('treats an empty AND as everyone and an empty OR as no one', async () => {
    expect(await members({ all: [] })).toEqual(['ann', 'bob', 'dan', 'v-cat']);
    expect(await members({ any: [] })).toEqual([]);
  });
});
