import { count } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearAudience } from '../audience/fixtures.js';
import { events, users } from '../db/schema.js';
import { createLogger } from '../lib/logger.js';
import { useTestDatabase } from '../test/database.js';
import { createApp } from './app.js';
import { issuePaths, jsonCaller } from '../test/http.js';

const testDb = useTestDatabase();
let app: ReturnType<typeof createApp>;

beforeAll(() => {
  app = createApp({ db: testDb.db, logger: createLogger('test', 'silent') });
});
beforeEach(() => clearAudience(testDb.db));

const call = (method: string, path: string, body?: unknown) => jsonCaller(app)(method, path, body);

const paths = issuePaths;

async function userCount() {
  const [row] = await testDb.db.select({ n: count() }).from(users);
  return row!.n;
}

describe('POST /api/users', () => {
  it('upserts one user and reads it back by id', async () => {
    const created = await call('POST', '/api/users', { loginId: 'u-42', attributes: { vip_level: 'gold', birthday: '1992-02-29', points: 1200, sms_opt_in: true } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      loginId: 'u-42',
      visitorId: null,
      attributes: { vip_level: 'gold', birthday: '1992-02-29', points: 1200, sms_opt_in: true },
    });
    const fetched = await call('GET', `/api/users/${created.body.id}`);
    expect(fetched.body).toEqual(created.body);
  });

  it('upserts a batch of up to 1,000 and answers the users in order', async () => {
    const body = { users: Array.from({ length: 1000 }, (_, i) => ({ visitorId: `v-${i}`, attributes: { n: i } })) };
    const res = await call('POST', '/api/users', body);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1000);
    expect(res.body.items[999]).toMatchObject({ visitorId: 'v-999', attributes: { n: 999 } });
    expect(await userCount()).toBe(1000);
  });

  it('refuses a type mismatch with a 400 naming users.N.attributes.key, writing nothing', async () => {
    await call('POST', '/api/users', { loginId: 'first', attributes: { vip_level: 'gold' } });
    const res = await call('POST', '/api/users', {
      users: [{ loginId: 'a' }, { loginId: 'b' }, { loginId: 'c' }, { loginId: 'd', attributes: { vip_level: 3 } }],
    });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(['users.3.attributes.vip_level']);
    expect(res.body.issues[0].message).toMatch(/must be a string/);
    expect(await userCount()).toBe(1);
  });

  it.each([
    ['no id at all', { attributes: { a: 1 } }, ['loginId']],
    ['a key that is not an identifier', { loginId: 'x', attributes: { 'vip level': 'gold' } }, ['attributes.vip level']],
    ['a nested value', { loginId: 'x', attributes: { address: { city: 'x' } } }, ['attributes.address']],
    ['an unknown field', { loginId: 'x', email: 'x@example.com' }, ['email']],
    ['more than 1,000 users', { users: Array.from({ length: 1001 }, (_, i) => ({ loginId: `${i}` })) }, ['users']],
  ])('answers %s with a 400 naming the path', async (_label, body, expected) => {
    const res = await call('POST', '/api/users', body);
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(expected);
    expect(await userCount()).toBe(0);
  });
});

describe('POST /api/users/identify', () => {
  it('merges the visitor into the login user; its events follow', async () => {
    await call('POST', '/api/events', { events: [{ name: 'add_to_cart', visitorId: 'v-1' }, { name: 'view_item', visitorId: 'v-1' }] });
    const login = await call('POST', '/api/users', { loginId: 'u-1', attributes: { vip_level: 'gold' } });
    const res = await call('POST', '/api/users/identify', { visitorId: 'v-1', loginId: 'u-1' });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: login.body.id, loginId: 'u-1', visitorId: 'v-1' });
    expect(res.body.mergedUserId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call('GET', `/api/users/${res.body.mergedUserId}`)).status).toBe(404);
    const owners = await testDb.db.select({ userId: events.userId }).from(events);
    expect(owners.map((row) => row.userId)).toEqual([login.body.id, login.body.id]);
  });

  it('answers a 400 naming missing fields', async () => {
    const res = await call('POST', '/api/users/identify', { loginId: 'u-1' });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(['visitorId']);
  });
});

describe('GET /api/users/:id', () => {
  it('answers 404 for unknown and malformed ids', async () => {
    expect((await call('GET', '/api/users/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    expect((await call('GET', "/api/users/1' OR '1'='1")).status).toBe(404);
  });
});
