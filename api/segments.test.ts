import { count } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearAudience, insertEvents, insertUsers, recordAttributeTypes } from '../audience/fixtures.js';
import { events, segments, users } from '../db/schema.js';
import { createLogger } from '../lib/logger.js';
import { goldBirthdays, goldCartAbandoners } from '../segments/stories.js';
import { useTestDatabase } from '../test/database.js';
import { createApp } from './app.js';
import { issuePaths, jsonCaller } from '../test/http.js';

const testDb = useTestDatabase();
let app: ReturnType<typeof createApp>;
const inUse = new Map<string, { id: string; name: string }[]>();
const AT = '2026-02-28T12:00:00+08:00';

beforeAll(() => {
  app = createApp({ db: testDb.db, logger: createLogger('test', 'silent'), segmentUsage: async (id) => inUse.get(id) ?? [] });
});
beforeEach(async () => {
  await clearAudience(testDb.db);
  inUse.clear();
});

const call = (method: string, path: string, body?: unknown) => jsonCaller(app)(method, path, body);

const paths = issuePaths;

async function tableCounts() {
  const [s] = await testDb.db.select({ n: count() }).from(segments);
  const [u] = await testDb.db.select({ n: count() }).from(users);
  const [e] = await testDb.db.select({ n: count() }).from(events);
  return { segments: s!.n, users: u!.n, events: e!.n };
}

/** 25 gold VIPs who added to cart yesterday (Shanghai), a third without a login id, one without a visitor id. */
async function seedCartAbandoners() {
  await recordAttributeTypes(testDb.db, { vip_level: 'string', birthday: 'date' });
  const ids = await insertUsers(
    testDb.db,
    Array.from({ length: 25 }, (_, i) => ({
      loginId: i % 3 === 0 ? undefined : `u-${i}`,
      visitorId: i === 1 ? undefined : `v-${i}`,
      attributes: { vip_level: 'gold' },
    })),
  );
  for (const id of ids) await insertEvents(testDb.db, id, [['add_to_cart', '2026-02-27T20:00:00+08:00']]);
  await insertUsers(testDb.db, [{ loginId: 'silver', attributes: { vip_level: 'silver' } }]);
  return ids;
}

describe('segment CRUD', () => {
  it('creates with the default time zone, reads, lists, edits and deletes', async () => {
    const created = await call('POST', '/api/segments', { name: '白鸽 story 1', rule: goldCartAbandoners });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: '白鸽 story 1', rule: goldCartAbandoners, timeZone: 'Asia/Shanghai' });
    const id: string = created.body.id;

    expect((await call('GET', `/api/segments/${id}`)).body.rule).toEqual(goldCartAbandoners);
    expect((await call('GET', '/api/segments')).body.items.map((s: { id: string }) => s.id)).toEqual([id]);

    const patched = await call('PATCH', `/api/segments/${id}`, { rule: goldBirthdays, timeZone: 'Europe/Paris' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: '白鸽 story 1', rule: goldBirthdays, timeZone: 'Europe/Paris' });

    expect((await call('DELETE', `/api/segments/${id}`)).status).toBe(204);
    expect((await call('GET', `/api/segments/${id}`)).status).toBe(404);
  });

  it('refuses a duplicate name with 409', async () => {
    await call('POST', '/api/segments', { name: 'gold', rule: goldBirthdays });
    const again = await call('POST', '/api/segments', { name: 'gold', rule: goldCartAbandoners });
    expect(again.status).toBe(409);
    expect(paths(again.body)).toEqual(['name']);
  });

  it('refuses to delete a segment a live campaign uses, with 409', async () => {
    const created = await call('POST', '/api/segments', { name: 'gold', rule: goldBirthdays });
    inUse.set(created.body.id, [{ id: 'c-1', name: 'Birthday SMS' }]);
    const res = await call('DELETE', `/api/segments/${created.body.id}`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'segment_in_use', message: expect.stringContaining('Birthday SMS') });
    expect((await tableCounts()).segments).toBe(1);
  });

  it('answers 404 for unknown and malformed ids', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'nope']) {
      expect((await call('GET', `/api/segments/${id}`)).status).toBe(404);
      expect((await call('PATCH', `/api/segments/${id}`, { name: 'x' })).status).toBe(404);
      expect((await call('DELETE', `/api/segments/${id}`)).status).toBe(404);
      expect((await call('GET', `/api/segments/${id}/preview`)).status).toBe(404);
    }
  });
});

describe('preview', () => {
  it('counts a saved segment at a given time, with 20 sample users and missing identities', async () => {
    const ids = await seedCartAbandoners();
    const created = await call('POST', '/api/segments', { name: 'story 1', rule: goldCartAbandoners });
    const res = await call('GET', `/api/segments/${created.body.id}/preview?at=${encodeURIComponent(AT)}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ count: 25, missingLoginId: 9, missingVisitorId: 1 });
    expect(res.body.sample).toHaveLength(20);
    expect(res.body.sample.map((u: { id: string }) => u.id)).toEqual([...ids].sort().slice(0, 20));
    expect(Object.keys(res.body.sample[0]).sort()).toEqual(['id', 'loginId', 'visitorId']);
  });

  it('defaults to now: the same segment is empty two days later', async () => {
    await seedCartAbandoners();
    const created = await call('POST', '/api/segments', { name: 'story 1', rule: goldCartAbandoners });
    expect((await call('GET', `/api/segments/${created.body.id}/preview`)).body.count).toBe(0);
  });

  it('previews an unsaved rule without storing it', async () => {
    await seedCartAbandoners();
    const res = await call('POST', '/api/segments/preview', {
      rule: { all: [...goldCartAbandoners.all, { identity: 'hasLoginId' }] },
      at: AT,
    });
    expect(res.body).toMatchObject({ count: 16, missingLoginId: 0, missingVisitorId: 1 });
    expect((await tableCounts()).segments).toBe(0);
  });
});

describe('bad input: a 400 naming the path, never a 500, nothing written', () => {
  const nest = (depth: number) => {
    let node: unknown = { attribute: 'vip_level', op: 'exists' };
    for (let i = 0; i < depth; i += 1) node = { any: [node] };
    return node;
  };
  const cases: [string, unknown, string[]][] = [
    ['an unknown operator', { all: [{ attribute: 'vip_level', op: 'regex', value: '.*' }] }, ['rule.all.0.op']],
    ['a wrong value type for the operator', { all: [{ attribute: 'age', op: 'lt', value: 'eighteen' }] }, ['rule.all.0.value']],
    ['a list where one value is expected', { all: [{ attribute: 'vip_level', op: 'equals', value: ['gold'] }] }, ['rule.all.0.value']],
    ['a window with N = 0', { all: [{ event: 'add_to_cart', window: { type: 'lastDays', days: 0 } }] }, ['rule.all.0.window.days']],
    ['a negative withinLastDays', { all: [{ attribute: 'birthday', op: 'withinLastDays', value: -3 }] }, ['rule.all.0.value']],
    ['groups 6 levels deep', nest(6), ['rule.any.0.any.0.any.0.any.0.any.0']],
    ['51 conditions', { any: Array.from({ length: 51 }, () => ({ identity: 'hasLoginId' })) }, ['rule.any.50']],
    ['an event name with SQL in it', { all: [{ noEvent: "pay_order' OR 1=1 --" }] }, ['rule.all.0.noEvent']],
    ['an attribute key with SQL in it', { all: [{ attribute: 'vip_level = vip_level --', op: 'exists' }] }, ['rule.all.0.attribute']],
    ['a rule that is not an object', 'gold', ['rule']],
  ];

  it.each(cases)('%s', async (_label, rule, expected) => {
    const res = await call('POST', '/api/segments', { name: 'bad', rule });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
    expect(paths(res.body)).toEqual(expected);
    const preview = await call('POST', '/api/segments/preview', { rule });
    expect(preview.status).toBe(400);
    expect(paths(preview.body)).toEqual(expected);
    expect((await tableCounts()).segments).toBe(0);
  });

  it.each(['Mars/Olympus_Mons', 'UTC+8', 'CST', "Asia/Shanghai'; DROP TABLE users; --", ''])('an unknown time zone %j', async (timeZone) => {
    const res = await call('POST', '/api/segments', { name: 'tz', rule: goldBirthdays, timeZone });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(['timeZone']);
  });

  it('a PATCH with a bad rule leaves the segment unchanged', async () => {
    const created = await call('POST', '/api/segments', { name: 'gold', rule: goldBirthdays });
    const res = await call('PATCH', `/api/segments/${created.body.id}`, { rule: { all: [{ event: 'x', count: { op: 'atLeast', value: 0 } }] } });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(['rule.all.0.count.value']);
    expect((await call('GET', `/api/segments/${created.body.id}`)).body.rule).toEqual(goldBirthdays);
  });

  it('an operator that does not fit the recorded attribute type', async () => {
    await recordAttributeTypes(testDb.db, { vip_level: 'string', birthday: 'date', points: 'number' });
    const res = await call('POST', '/api/segments', {
      name: 'typed',
      rule: {
        all: [
          { attribute: 'vip_level', op: 'gt', value: 3 },
          { attribute: 'points', op: 'anniversaryToday' },
          { attribute: 'points', op: 'in', value: [1, 'two'] },
          { attribute: 'birthday', op: 'equals', value: 'gold' },
          { attribute: 'not_seen_yet', op: 'gt', value: 1 },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(['rule.all.0.op', 'rule.all.1.op', 'rule.all.2.value.1', 'rule.all.3.value']);
  });

  it('SQL-looking values are plain values: they match nothing and leave the tables intact', async () => {
    await seedCartAbandoners();
    const before = await tableCounts();
    const injections = ["gold' OR '1'='1", "gold'); DELETE FROM users; --", '" OR ""="', "'; TRUNCATE events; --"];
    for (const value of injections) {
      const res = await call('POST', '/api/segments/preview', {
        at: AT,
        rule: {
          any: [
            { attribute: 'vip_level', op: 'equals', value },
            { attribute: 'vip_level', op: 'in', value: [value] },
            { attribute: 'vip_level', op: 'contains', value },
            { event: 'add_to_cart', where: [{ property: value, op: 'exists' }] },
            { event: 'add_to_cart', where: [{ property: 'sku', op: 'startsWith', value }] },
          ],
        },
      });
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(0);
    }
    expect(await tableCounts()).toEqual(before);
  });

  it('a malformed preview time', async () => {
    const created = await call('POST', '/api/segments', { name: 'gold', rule: goldBirthdays });
    expect(paths((await call('GET', `/api/segments/${created.body.id}/preview?at=yesterday`)).body)).toEqual(['at']);
    expect(paths((await call('POST', '/api/segments/preview', { rule: goldBirthdays, at: '2026-02-28 12:00' })).body)).toEqual(['at']);
  });

  it('missing fields and malformed JSON', async () => {
    expect(paths((await call('POST', '/api/segments', {})).body).sort()).toEqual(['name', 'rule']);
    expect((await call('POST', '/api/segments', '{"name": ')).body.error).toBe('invalid_json');
  });
});
