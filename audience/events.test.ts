import { asc, count, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { events, users } from '../db/schema.js';
import { useTestDatabase } from '../test/database.js';
import { ingestEvents } from './events.js';
import { clearAudience, insertUsers } from './fixtures.js';
import { identify } from './identify.js';

const testDb = useTestDatabase();
const NOW = new Date('2026-02-28T04:00:00Z');
beforeEach(() => clearAudience(testDb.db));

async function stored() {
  return testDb.db
    .select({ userId: events.userId, name: events.name, occurredAt: events.occurredAt, properties: events.properties, clientEventId: events.clientEventId })
    .from(events)
    .orderBy(asc(events.id));
}

describe('ingestEvents', () => {
  it('stores a batch, creating unknown users once, and defaults the time to now', async () => {
    const [known] = await insertUsers(testDb.db, [{ loginId: 'u-1' }]);
    const result = await ingestEvents(
      testDb.db,
      {
        events: [
          { name: 'add_to_cart', loginId: 'u-1', properties: { sku: 'A1', qty: 2 }, time: '2026-02-27T23:59:00+08:00' },
          { name: 'view_item', visitorId: 'v-new' },
          { name: 'view_item', visitorId: 'v-new', time: '2026-02-28T01:00:00Z' },
          { name: 'login', loginId: 'u-new' },
        ],
      },
      NOW,
    );
    expect(result).toEqual({ accepted: 4, duplicates: 0, rejected: [] });
    const rows = await stored();
    expect(rows[0]).toMatchObject({ userId: known, name: 'add_to_cart', properties: { sku: 'A1', qty: 2 } });
    expect(rows[0]!.occurredAt.toISOString()).toBe('2026-02-27T15:59:00.000Z');
    expect(rows[1]!.occurredAt).toEqual(NOW);
    expect(rows[1]!.userId).toBe(rows[2]!.userId);
    const [userRows] = await testDb.db.select({ n: count() }).from(users);
    expect(userRows!.n).toBe(3);
  });

  it('is idempotent by client event id, across calls and within one batch', async () => {
    const batch = {
      events: [
        { name: 'pay_order', loginId: 'u-1', clientEventId: 'c-1' },
        { name: 'pay_order', loginId: 'u-1', clientEventId: 'c-2' },
        { name: 'pay_order', loginId: 'u-1', clientEventId: 'c-1' },
        { name: 'view_item', loginId: 'u-1' },
      ],
    };
    expect(await ingestEvents(testDb.db, batch, NOW)).toEqual({ accepted: 3, duplicates: 1, rejected: [] });
    expect(await ingestEvents(testDb.db, batch, NOW)).toEqual({ accepted: 1, duplicates: 3, rejected: [] });
    expect((await stored()).map((row) => row.clientEventId)).toEqual(['c-1', 'c-2', null, null]);
  });

  it('rejects bad events by index and path, keeping the good ones', async () => {
    const result = await ingestEvents(
      testDb.db,
      {
        events: [
          { name: 'ok', loginId: 'u-1' },
          { name: 'no user' },
          { name: 'future', loginId: 'u-1', time: '2026-03-01T04:00:01Z' },
          { name: 'local_time', loginId: 'u-1', time: '2026-02-27T10:00:00' },
          { name: 'props', loginId: 'u-1', properties: ['not', 'an', 'object'] },
          'not an object',
          { name: 'extra', loginId: 'u-1', colour: 'red' },
          { name: 'tomorrow_is_fine', loginId: 'u-1', time: '2026-03-01T04:00:00Z' },
        ],
      },
      NOW,
    );
    expect(result.accepted).toBe(2);
    // Each rejection carries a stable code for clients to translate (lib/errors.ts) beside the English message.
    for (const rejection of result.rejected) expect(rejection.code).toEqual(expect.any(String));
    expect(result.rejected.map(({ index, path, message }) => ({ index, path, message }))).toEqual([
      { index: 1, path: 'events.1.name', message: expect.stringMatching(/event name/) },
      { index: 1, path: 'events.1.loginId', message: 'loginId or visitorId is required' },
      { index: 2, path: 'events.2.time', message: 'must not be more than a day in the future' },
      { index: 3, path: 'events.3.time', message: 'must be an ISO 8601 date-time with Z or an offset' },
      { index: 4, path: 'events.4.properties', message: 'must be a JSON object' },
      { index: 5, path: 'events.5', message: expect.any(String) },
      { index: 6, path: 'events.6.colour', message: 'is not a known field' },
    ]);
    expect((await stored()).map((row) => row.name)).toEqual(['ok', 'tomorrow_is_fine']);
  });

  it('refuses a malformed envelope or more than 1,000 events as a whole', async () => {
    await expect(ingestEvents(testDb.db, [{ name: 'x' }], NOW)).rejects.toMatchObject({ status: 400 });
    const tooMany = { events: Array.from({ length: 1001 }, () => ({ name: 'x', loginId: 'u' })) };
    await expect(ingestEvents(testDb.db, tooMany, NOW)).rejects.toMatchObject({ status: 400, issues: [{ path: 'events' }] });
    expect(await stored()).toEqual([]);
  });

  it('ingests 1,000 events for 1,000 new users in one call', async () => {
    const batch = { events: Array.from({ length: 1000 }, (_, i) => ({ name: 'view_item', visitorId: `v-${i}`, clientEventId: `e-${i}` })) };
    expect(await ingestEvents(testDb.db, batch, NOW)).toEqual({ accepted: 1000, duplicates: 0, rejected: [] });
    const [userRows] = await testDb.db.select({ n: count() }).from(users);
    expect(userRows!.n).toBe(1000);
  });

  it('attributes events for a merged visitor id to the login user', async () => {
    await ingestEvents(testDb.db, { events: [{ name: 'view_item', visitorId: 'v-1' }] }, NOW);
    const { user } = await identify(testDb.db, { visitorId: 'v-1', loginId: 'u-1' });
    await ingestEvents(testDb.db, { events: [{ name: 'add_to_cart', visitorId: 'v-1' }] }, NOW);
    const owners = await testDb.db.select({ userId: events.userId }).from(events).where(eq(events.userId, user.id));
    expect(owners).toHaveLength(2);
  });

  it('survives concurrent batches naming the same new users', async () => {
    const batch = (n: number) => ({ events: Array.from({ length: 50 }, (_, i) => ({ name: `e${n}`, visitorId: `shared-${i}` })) });
    const results = await Promise.all([1, 2, 3, 4].map((n) => ingestEvents(testDb.db, batch(n), NOW)));
    expect(results.map((r) => r.accepted)).toEqual([50, 50, 50, 50]);
    const [userRows] = await testDb.db.select({ n: count() }).from(users);
    expect(userRows!.n).toBe(50);
  });
});
