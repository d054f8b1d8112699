import { sql } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearAudience } from '../audience/fixtures.js';
import { createLogger } from '../lib/logger.js';
import { useTestDatabase } from '../test/database.js';
import { jsonCaller } from '../test/http.js';
import { createApp } from './app.js';

/*
 * GET /api/catalog against PostgreSQL: what ingestion (POST /api/users,
 * /api/events, /api/users/identify) records, what an answer shows (types,
 * bounded and filtered examples, last seen, event properties), that erasing a
 * user takes their values out of the examples, and the 400s of bad queries.
 */

const testDb = useTestDatabase();
let app: ReturnType<typeof createApp>;
beforeAll(() => {
  app = createApp({ db: testDb.db, logger: createLogger('test', 'silent'), eraseSettleMs: 0 });
});
beforeEach(() => clearAudience(testDb.db));

const call = (method: string, path: string, body?: unknown) => jsonCaller(app)(method, path, body);
type Catalog = {
  attributes: { name: string; type: string; examples: unknown[]; lastSeenAt: string }[];
  events: { name: string; lastSeenAt: string; properties: { name: string; types: string[] }[] }[];
  truncated: { attributes: boolean; events: boolean };
};
async function catalog(query = ''): Promise<Catalog> {
  const answer = await call('GET', `/api/catalog${query}`);
  expect(answer.status).toBe(200);
  return answer.body as Catalog;
}
const attribute = (c: Catalog, name: string) => c.attributes.find((a) => a.name === name);
const event = (c: Catalog, name: string) => c.events.find((e) => e.name === name);
const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();

describe('GET /api/catalog', () => {
  it('lists ingested attributes with their types, a few short examples and last seen, and events with last seen and property types', async () => {
    const before = Date.now();
    const users = Array.from({ length: 8 }, (_, i) => ({
      loginId: `cat-${i}`,
      attributes: {
        vip_level: ['gold', 'silver', 'bronze', 'iron', 'wood', 'stone', 'glass', 'paper'][i]!,
        points: i % 2 === 0 ? 100 : 200,
        birthday: '1990-02-28',
        sms_opt_in: true,
        // Never examples: a credential-like name, a long text, the user's own login id.
        api_token: `tok-${i}`,
        bio: 'a long free text that says a great deal about this person',
        uid: `cat-${i}`,
      },
    }));
    expect((await call('POST', '/api/users', { users })).status).toBe(200);
    const ingested = await call('POST', '/api/events', {
      events: [
        { name: 'add_to_cart', loginId: 'cat-0', time: minutesAgo(90), properties: { sku: 'A-1', qty: 2 } },
        { name: 'add_to_cart', loginId: 'cat-1', time: minutesAgo(30), properties: { sku: 'B-2', gift: null } },
        { name: 'pay_order', loginId: 'cat-0', time: minutesAgo(10), properties: { amount: 100, items: [1, 2], shipping: { city: 'x' } } },
        { name: 'pay_order', loginId: 'cat-1', time: minutesAgo(20), properties: { amount: '100' } },
        // A client clock an hour ahead does not make the name look newer than now.
        { name: 'app_open', visitorId: 'v-9', time: new Date(Date.now() + 3600_000).toISOString() },
      ],
    });
    expect(ingested.body).toMatchObject({ accepted: 5, rejected: [] });

    const c = await catalog();
    expect(c.attributes.map((a) => a.name)).toEqual(['api_token', 'bio', 'birthday', 'points', 'sms_opt_in', 'uid', 'vip_level']);
    expect(attribute(c, 'vip_level')).toMatchObject({ type: 'string' });
    expect(attribute(c, 'vip_level')!.examples).toHaveLength(5);
    expect(['gold', 'silver', 'bronze', 'iron', 'wood', 'stone', 'glass', 'paper']).toEqual(expect.arrayContaining(attribute(c, 'vip_level')!.examples));
    expect(attribute(c, 'points')).toMatchObject({ type: 'number', examples: [100, 200] });
    expect(attribute(c, 'birthday')).toMatchObject({ type: 'date', examples: ['1990-02-28'] });
    expect(attribute(c, 'sms_opt_in')).toMatchObject({ type: 'boolean', examples: [true] });
    for (const hidden of ['api_token', 'bio', 'uid']) expect(attribute(c, hidden)!.examples).toEqual([]);
    for (const a of c.attributes) expect(Date.parse(a.lastSeenAt)).toBeGreaterThanOrEqual(before - 1000);

    expect(c.events.map((e) => e.name)).toEqual(['add_to_cart', 'app_open', 'pay_order']);
    expect(event(c, 'add_to_cart')!.properties).toEqual([
      { name: 'gift', types: ['null'] },
      { name: 'qty', types: ['number'] },
      { name: 'sku', types: ['string'] },
    ]);
    expect(event(c, 'pay_order')!.properties).toEqual([
      { name: 'amount', types: ['number', 'string'] },
      { name: 'items', types: ['array'] },
      { name: 'shipping', types: ['object'] },
    ]);
    // Last seen is when the latest one happened, not when it arrived.
    expect(Math.abs(Date.parse(event(c, 'add_to_cart')!.lastSeenAt) - Date.parse(minutesAgo(30)))).toBeLessThan(60_000);
    expect(Math.abs(Date.parse(event(c, 'pay_order')!.lastSeenAt) - Date.parse(minutesAgo(10)))).toBeLessThan(60_000);
    expect(Date.parse(event(c, 'app_open')!.lastSeenAt)).toBeLessThanOrEqual(Date.now());
    expect(c.truncated).toEqual({ attributes: false, events: false });
  });

  it('moves last seen forward with later ingestion, never back, and keeps names after their events are gone', async () => {
    await call('POST', '/api/users', { loginId: 'seen-1', attributes: { vip_level: 'gold' } });
    await call('POST', '/api/events', { events: [{ name: 'pay_order', loginId: 'seen-1', time: minutesAgo(5) }] });
    await testDb.db.execute(sql`UPDATE attribute_types SET last_seen_at = now() - interval '2 hours'`);
    await testDb.db.execute(sql`UPDATE event_names SET last_seen_at = now() - interval '2 hours'`);
    const stale = await catalog();
    expect(Date.now() - Date.parse(attribute(stale, 'vip_level')!.lastSeenAt)).toBeGreaterThan(3600_000);

    await call('POST', '/api/users', { loginId: 'seen-2', attributes: { vip_level: 'silver' } });
    await call('POST', '/api/events', { events: [{ name: 'pay_order', loginId: 'seen-2', time: minutesAgo(3) }] });
    const fresh = await catalog();
    expect(Date.now() - Date.parse(attribute(fresh, 'vip_level')!.lastSeenAt)).toBeLessThan(60_000);
    expect(Math.abs(Date.parse(event(fresh, 'pay_order')!.lastSeenAt) - Date.parse(minutesAgo(3)))).toBeLessThan(60_000);
    expect(attribute(fresh, 'vip_level')!.examples).toEqual(['gold', 'silver']);

    // A late-arriving old event does not move last seen back.
    await call('POST', '/api/events', { events: [{ name: 'pay_order', loginId: 'seen-2', time: minutesAgo(600) }] });
    expect(Date.parse(event(await catalog(), 'pay_order')!.lastSeenAt)).toBe(Date.parse(event(fresh, 'pay_order')!.lastSeenAt));

    // Read from the catalog's own tables: retention deleting every event leaves the name listed.
    await testDb.db.execute(sql`DELETE FROM events`);
    expect(event(await catalog(), 'pay_order')).toBeDefined();
  });

  it('erasing a user removes their values from the examples, including those they brought as a visitor', async () => {
    await call('POST', '/api/users', { users: [{ loginId: 'keep-1', attributes: { phone: '13900000001', city: 'Hangzhou' } }, { loginId: 'erase-me', attributes: { phone: '13800138731', city: 'Hangzhou' } }] });
    // An anonymous visitor's value, merged into erase-me when they log in.
    await call('POST', '/api/users', { visitorId: 'v-erase', attributes: { nickname: 'planted-nick' } });
    expect((await call('POST', '/api/users/identify', { visitorId: 'v-erase', loginId: 'erase-me' })).status).toBe(200);
    const before = await catalog();
    expect(attribute(before, 'phone')!.examples).toEqual(['13800138731', '13900000001']);
    expect(attribute(before, 'nickname')!.examples).toEqual(['planted-nick']);

    const erased = await call('DELETE', '/api/users/erase-me');
    expect(erased.body).toMatchObject({ erased: true });
    const after = await catalog();
    expect(attribute(after, 'phone')!.examples).toEqual(['13900000001']);
    expect(attribute(after, 'nickname')!.examples).toEqual([]);
    // Hangzhou was offered by keep-1 first and is keep-1's too: it stays.
    expect(attribute(after, 'city')!.examples).toEqual(['Hangzhou']);
    expect(JSON.stringify(after)).not.toContain('13800138731');
    // The names stay: they describe the data, not the person.
    expect(after.attributes.map((a) => a.name)).toEqual(['city', 'nickname', 'phone']);
  });

  it('filters names with q (a substring, not a pattern) and cuts lists at limit', async () => {
    await call('POST', '/api/users', { loginId: 'q-1', attributes: { vip_level: 'gold', vip_since: '2020-01-01', age: 30, 'percent_x': 1 } });
    await call('POST', '/api/events', { events: [{ name: 'vip_upgrade', loginId: 'q-1' }, { name: 'pay_order', loginId: 'q-1' }] });
    const vip = await catalog('?q=VIP');
    expect(vip.attributes.map((a) => a.name)).toEqual(['vip_level', 'vip_since']);
    expect(vip.events.map((e) => e.name)).toEqual(['vip_upgrade']);
    expect((await catalog('?q=%25')).attributes).toEqual([]);
    const one = await catalog('?limit=1');
    expect(one.attributes.map((a) => a.name)).toEqual(['age']);
    expect(one.truncated).toEqual({ attributes: true, events: true });
  });

  it('answers a read key, refuses an ingest key (examples are user data)', async () => {
    await call('POST', '/api/users', { loginId: 'k-1', attributes: { vip_level: 'gold' } });
    const keyOf = async (scope: string) => (await call('POST', '/api/keys', { name: `catalog ${scope}`, scope })).body.key as string;
    const read = await jsonCaller(app, { authorization: `Bearer ${await keyOf('read')}` })('GET', '/api/catalog');
    expect(read.status).toBe(200);
    expect(read.body.attributes[0]).toMatchObject({ name: 'vip_level', examples: ['gold'] });
    const ingest = await jsonCaller(app, { authorization: `Bearer ${await keyOf('ingest')}` })('GET', '/api/catalog');
    expect(ingest.status).toBe(403);
    expect(JSON.stringify(ingest.body)).not.toContain('gold');
  });

  it('refuses bad query parameters with a 400 naming each and its stable code', async () => {
    const cases: [string, string, string][] = [
      ['?limit=0', 'limit', 'integer_range'],
      ['?limit=1001', 'limit', 'integer_range'],
      ['?limit=ten', 'limit', 'integer_range'],
      [`?q=${'x'.repeat(129)}`, 'q', 'too_long'],
      ['?kind=events', 'kind', 'unknown_field'],
    ];
    for (const [query, path, code] of cases) {
      const answer = await call('GET', `/api/catalog${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error).toBe('validation_failed');
      expect(answer.body.issues, query).toEqual([expect.objectContaining({ path, code })]);
    }
  });
});
