import { count } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IngestResult } from '../audience/events.js';
import { clearAudience } from '../audience/fixtures.js';
import { events } from '../db/schema.js';
import { createLogger } from '../lib/logger.js';
import { useTestDatabase } from '../test/database.js';
import { createApp } from './app.js';
import { authHeader } from '../test/credentials.js';

const testDb = useTestDatabase();
let app: ReturnType<typeof createApp>;

beforeAll(() => {
  app = createApp({ db: testDb.db, logger: createLogger('test', 'silent') });
});
beforeEach(() => clearAudience(testDb.db));

async function post(body: unknown) {
  const res = await app.request('/api/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeader },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as IngestResult & { issues: { path: string }[] } };
}

async function eventCount() {
  const [row] = await testDb.db.select({ n: count() }).from(events);
  return row!.n;
}

describe('POST /api/events', () => {
  it('answers accepted, duplicates and rejected; a resent batch creates no duplicates', async () => {
    const batch = {
      events: [
        { name: 'add_to_cart', loginId: 'u-1', properties: { sku: 'A1' }, time: '2026-02-27T23:59:00+08:00', clientEventId: 'c-1' },
        { name: 'pay_order', visitorId: 'v-1', clientEventId: 'c-2' },
        { name: 'pay_order', loginId: 'u-1', time: 'tomorrow', clientEventId: 'c-3' },
      ],
    };
    const first = await post(batch);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      accepted: 2,
      duplicates: 0,
      rejected: [{ index: 2, path: 'events.2.time', message: 'must be an ISO 8601 date-time with Z or an offset', code: 'invalid_datetime', params: {} }],
    });
    const resent = await post(batch);
    expect(resent.body).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(await eventCount()).toBe(2);
  });

  it('rejects times more than a day ahead', async () => {
    const ahead = new Date(Date.now() + 25 * 60 * 60 * 1000).toISOString();
    const res = await post({ events: [{ name: 'x', loginId: 'u', time: ahead }] });
    expect(res.body.rejected).toEqual([{ index: 0, path: 'events.0.time', message: 'must not be more than a day in the future', code: 'too_far_ahead', params: {} }]);
  });

  it.each([
    ['a body without events', { items: [] }, ['events', 'items']],
    ['more than 1,000 events', { events: Array.from({ length: 1001 }, () => ({ name: 'x', loginId: 'u' })) }, ['events']],
  ])('answers %s with a 400', async (_label, body, expected) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i) => i.path).sort()).toEqual(expected);
    expect(await eventCount()).toBe(0);
  });

  it('answers malformed JSON with a 400', async () => {
    expect((await post('{"events": [')).status).toBe(400);
  });
});
