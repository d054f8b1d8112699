import { count, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { attributeTypes, users } from '../db/schema.js';
import { ApiError } from '../lib/errors.js';
import { useTestDatabase } from '../test/database.js';
import { clearAudience, insertEvents } from './fixtures.js';
import { getUser, parseUserUpsert, upsertUsers } from './users.js';

const testDb = useTestDatabase();
beforeEach(() => clearAudience(testDb.db));

async function userCount() {
  const [row] = await testDb.db.select({ n: count() }).from(users);
  return row!.n;
}

async function rejected(work: Promise<unknown>): Promise<string[]> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return (error as ApiError).issues.map((issue) => issue.path);
}

describe('upsertUsers', () => {
  it('creates, then merges attributes into, a user keyed by login id', async () => {
    const [created] = await upsertUsers(testDb.db, [{ loginId: 'u-1', attributes: { vip_level: 'silver', city: 'Hangzhou' } }]);
    const [updated] = await upsertUsers(testDb.db, [{ loginId: 'u-1', attributes: { vip_level: 'gold' } }]);
    expect(updated!.id).toBe(created!.id);
    expect(updated!.attributes).toEqual({ vip_level: 'gold', city: 'Hangzhou' });
    expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(created!.updatedAt.getTime());
    expect(await userCount()).toBe(1);
  });

  it('keys a user without a login id by visitor id', async () => {
    const [first] = await upsertUsers(testDb.db, [{ visitorId: 'v-1', attributes: { a: 1 } }]);
    const [second] = await upsertUsers(testDb.db, [{ visitorId: 'v-1', attributes: { b: true } }]);
    expect(second).toMatchObject({ id: first!.id, loginId: null, visitorId: 'v-1', attributes: { a: 1, b: true } });
  });

  it('upserts a batch in input order, folding repeats of one key', async () => {
    const rows = await upsertUsers(
      testDb.db,
      [
        { loginId: 'b', attributes: { n: 1 } },
        { visitorId: 'v-a', attributes: {} },
        { loginId: 'b', attributes: { m: 2 } },
      ],
      { batch: true },
    );
    expect(rows.map((row) => row.loginId ?? row.visitorId)).toEqual(['b', 'v-a', 'b']);
    expect(rows[0]!.attributes).toEqual({ n: 1, m: 2 });
    expect(await userCount()).toBe(2);
  });

  it('identifies a user given both ids: the anonymous visitor is merged in', async () => {
    const [visitor] = await upsertUsers(testDb.db, [{ visitorId: 'v-9', attributes: { channel: 'ad', city: 'Xi an' } }]);
    await insertEvents(testDb.db, visitor!.id, [['view_item', '2026-01-01T00:00:00Z']]);
    await upsertUsers(testDb.db, [{ loginId: 'u-9', attributes: { city: 'Chengdu' } }]);
    const [merged] = await upsertUsers(testDb.db, [{ loginId: 'u-9', visitorId: 'v-9', attributes: { vip_level: 'gold' } }]);
    expect(merged).toMatchObject({ loginId: 'u-9', visitorId: 'v-9', attributes: { channel: 'ad', city: 'Chengdu', vip_level: 'gold' } });
    expect(await userCount()).toBe(1);
  });

  it('normalises date attributes and refuses a value of another type, naming the key, writing nothing', async () => {
    const [row] = await upsertUsers(testDb.db, [{ loginId: 'u-1', attributes: { birthday: '1990-02-28T20:00:00-08:00' } }]);
    expect(row!.attributes).toEqual({ birthday: '1990-03-01T04:00:00.000Z' });
    const paths = await rejected(
      upsertUsers(
        testDb.db,
        [
          { loginId: 'u-2', attributes: { vip_level: 'gold' } },
          { loginId: 'u-3', attributes: { birthday: 'yesterday', vip_points: 10 } },
          { loginId: 'u-4', attributes: { vip_points: 'many' } },
        ],
        { batch: true },
      ),
    );
    expect(paths).toEqual(['users.1.attributes.birthday', 'users.2.attributes.vip_points']);
    expect(await userCount()).toBe(1);
    // The rolled-back write recorded no type either.
    expect(await testDb.db.select().from(attributeTypes).where(eq(attributeTypes.key, 'vip_points'))).toEqual([]);
  });
});

describe('parseUserUpsert', () => {
  it('reads one user or a batch, naming bad fields by path', () => {
    expect(parseUserUpsert({ loginId: 'x' })).toEqual({ batch: false, items: [{ loginId: 'x', attributes: {} }] });
    expect(() => parseUserUpsert({ users: [{ loginId: 'x', attributes: { 'bad key': 1 } }] })).toThrow(ApiError);
    const error = (() => {
      try {
        parseUserUpsert({ users: [{ loginId: 'x' }, { attributes: { nested: { a: 1 } } }] });
      } catch (e) {
        return e as ApiError;
      }
    })();
    expect(error?.issues.map((issue) => issue.path).sort()).toEqual(['users.1.attributes.nested', 'users.1.loginId']);
  });

  it('refuses more than 1,000 users', () => {
    const body = { users: Array.from({ length: 1001 }, (_, i) => ({ loginId: `u-${i}` })) };
    expect(() => parseUserUpsert(body)).toThrow(/users/);
  });
});

describe('getUser', () => {
  it('finds by id and answers 404 for unknown or malformed ids', async () => {
    const [row] = await upsertUsers(testDb.db, [{ loginId: 'u-1', attributes: {} }]);
    expect((await getUser(testDb.db, row!.id)).loginId).toBe('u-1');
    await expect(getUser(testDb.db, '00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ status: 404 });
    await expect(getUser(testDb.db, 'nope')).rejects.toMatchObject({ status: 404 });
  });
});
