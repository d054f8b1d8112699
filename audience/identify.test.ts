import { asc, count, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { events, users } from '../db/schema.js';
import { useTestDatabase } from '../test/database.js';
import { clearAudience, insertEvents, insertUsers } from './fixtures.js';
import { identify } from './identify.js';

const testDb = useTestDatabase();
beforeEach(() => clearAudience(testDb.db));

async function allUsers() {
  return testDb.db.select().from(users).orderBy(asc(users.loginId));
}

async function eventOwners() {
  return (await testDb.db.select({ userId: events.userId }).from(events)).map((row) => row.userId);
}

describe('identify', () => {
  it('merges an anonymous visitor into the login user: events move, login attributes win, one transaction', async () => {
    const [visitor, login] = await insertUsers(testDb.db, [
      { visitorId: 'v-1', attributes: { city: 'Wuhan', source: 'ad' } },
      { loginId: 'u-1', attributes: { city: 'Nanjing', vip_level: 'gold' } },
    ]);
    await insertEvents(testDb.db, visitor!, [['add_to_cart', '2026-02-27T10:00:00Z'], ['view_item', '2026-02-27T09:00:00Z']]);
    await insertEvents(testDb.db, login!, [['login', '2026-02-27T11:00:00Z']]);

    const { user, mergedUserId } = await identify(testDb.db, { visitorId: 'v-1', loginId: 'u-1' });

    expect(mergedUserId).toBe(visitor);
    expect(user).toMatchObject({ id: login, loginId: 'u-1', visitorId: 'v-1', attributes: { city: 'Nanjing', source: 'ad', vip_level: 'gold' } });
    expect(await allUsers()).toHaveLength(1);
    expect(await eventOwners()).toEqual([login, login, login]);
  });

  it('adds the login id to a visitor seen only anonymously', async () => {
    const [visitor] = await insertUsers(testDb.db, [{ visitorId: 'v-1' }]);
    const { user, mergedUserId } = await identify(testDb.db, { visitorId: 'v-1', loginId: 'u-1' });
    expect(user).toMatchObject({ id: visitor, loginId: 'u-1', visitorId: 'v-1' });
    expect(mergedUserId).toBeNull();
  });

  it('gives a known login user the visitor id of its latest device', async () => {
    const [login] = await insertUsers(testDb.db, [{ loginId: 'u-1', visitorId: 'v-old' }]);
    const { user } = await identify(testDb.db, { visitorId: 'v-new', loginId: 'u-1' });
    expect(user).toMatchObject({ id: login, visitorId: 'v-new' });
  });

  it('creates a user with both ids when neither is known, and is idempotent', async () => {
    const first = await identify(testDb.db, { visitorId: 'v-1', loginId: 'u-1' });
    const again = await identify(testDb.db, { visitorId: 'v-1', loginId: 'u-1' });
    expect(again.user.id).toBe(first.user.id);
    expect(again.mergedUserId).toBeNull();
    expect(await allUsers()).toHaveLength(1);
  });

  it('moves a shared device between logged-in users without merging their histories', async () => {
    const [alice, bob] = await insertUsers(testDb.db, [{ loginId: 'alice', visitorId: 'tablet' }, { loginId: 'bob' }]);
    await insertEvents(testDb.db, alice!, [['view_item', '2026-02-27T10:00:00Z']]);
    const { user, mergedUserId } = await identify(testDb.db, { visitorId: 'tablet', loginId: 'bob' });
    expect(mergedUserId).toBeNull();
    expect(user).toMatchObject({ id: bob, visitorId: 'tablet' });
    expect((await allUsers()).map((u) => [u.loginId, u.visitorId])).toEqual([
      ['alice', null],
      ['bob', 'tablet'],
    ]);
    expect(await eventOwners()).toEqual([alice]);
  });

  it('survives concurrent identifies of the same pair', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => identify(testDb.db, { visitorId: 'v-c', loginId: 'u-c' })));
    expect(new Set(results.map((r) => r.user.id)).size).toBe(1);
    const [row] = await testDb.db.select({ n: count() }).from(users).where(eq(users.loginId, 'u-c'));
    expect(row!.n).toBe(1);
  });

  it('answers a 400 naming missing ids', async () => {
    await expect(identify(testDb.db, { visitorId: '' })).rejects.toMatchObject({
      status: 400,
      issues: [
        { path: 'visitorId', message: 'must not be empty' },
        { path: 'loginId', message: 'is required' },
      ],
    });
  });
});
