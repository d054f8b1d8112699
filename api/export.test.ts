import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { EXPORT_CURSOR_ROWS } from '../audience/export.js';
import { createLogger } from '../lib/logger.js';
import { authHeader } from '../test/credentials.js';
import { useTestDatabase } from '../test/database.js';
import { jsonCaller } from '../test/http.js';
import { createApp } from './app.js';

/*
 * GET /api/users/:id/export against real PostgreSQL: a user with 100,000
 * events and two deliveries comes out as one valid JSON document, in many
 * chunks (one per cursor batch), so it never sits in memory whole.
 */

const database = useTestDatabase();
let app: ReturnType<typeof createApp>;
const EVENTS = 100_000;
let userId: string;

beforeAll(async () => {
  app = createApp({ db: database.db, logger: createLogger('test', 'silent') });
  userId = (await insertUsers(database.db, [{ loginId: 'export-me', visitorId: 'v-export', attributes: { phone: '13800000000', name: '李四' } }]))[0]!;
  await insertUsers(database.db, [{ loginId: 'someone-else' }]);
  await database.db.execute(sql`
    INSERT INTO events (user_id, name, properties, occurred_at)
    SELECT ${userId}::uuid, 'view_item', jsonb_build_object('n', i, 'sku', 'sku-' || i), timestamptz '2026-01-01' + make_interval(secs => i)
    FROM generate_series(1, ${EVENTS}) i`);
  await database.db.execute(sql`
    INSERT INTO events (user_id, name, occurred_at) SELECT id, 'other', now() FROM users WHERE login_id = 'someone-else'`);
  const [campaign] = await database.db.execute<{ id: string }>(sql`
    INSERT INTO campaigns (name, status, trigger) VALUES ('export campaign', 'completed', '{"type":"once","sendAt":"now"}') RETURNING id`);
  const [run] = await database.db.execute<{ id: string }>(sql`
    INSERT INTO campaign_runs (campaign_id, workflow_id, status, definition, send_at)
    VALUES (${campaign!.id}, 'wf-export', 'completed', '{"channel":{"url":"https://shop.example/hook","method":"POST"},"templateValues":{"greeting":"hi"}}', now())
    RETURNING id`);
  await database.db.execute(sql`
    INSERT INTO run_recipients (run_id, seq, user_id, address, status, attempts, last_http_status, response_body, webhook_id)
    VALUES (${run!.id}, 1, ${userId}::uuid, 'export-me', 'succeeded', 2, 200, '{"ok":true}', 'msg_1')`);
  await database.db.execute(sql`
    INSERT INTO delivery_attempts (run_id, seq, attempt, started_at, http_status, outcome, error_class, error_message)
    VALUES (${run!.id}, 1, 1, now(), 503, 'retry', 'http_5xx', 'endpoint answered 503'), (${run!.id}, 1, 2, now(), 200, 'succeeded', NULL, NULL)`);
});

describe('GET /api/users/:id/export', () => {
  it('streams everything held about one user as one valid JSON document', async () => {
    const res = await app.request('/api/users/export-me/export', { headers: authHeader });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks += 1;
      text += decoder.decode(value, { stream: true });
    }
    // One chunk per cursor batch at least: the document was written as it was read.
    expect(chunks).toBeGreaterThanOrEqual(EVENTS / EXPORT_CURSOR_ROWS);
    const doc = JSON.parse(text) as {
      user: { id: string; loginId: string; visitorId: string; attributes: Record<string, unknown> };
      events: { name: string; properties: { n: number } }[];
      deliveries: { campaign: { name: string }; status: string; request: { url: string }; answer: { body: string }; attemptLog: { httpStatus: number }[] }[];
    };
    expect(doc.user).toMatchObject({ id: userId, loginId: 'export-me', visitorId: 'v-export', attributes: { phone: '13800000000', name: '李四' } });
    expect(doc.events).toHaveLength(EVENTS);
    expect(doc.events[0]!.properties.n).toBe(1);
    expect(doc.events[EVENTS - 1]!.properties.n).toBe(EVENTS);
    expect(doc.events.every((e) => e.name === 'view_item')).toBe(true);
    expect(doc.deliveries).toHaveLength(1);
    expect(doc.deliveries[0]).toMatchObject({ campaign: { name: 'export campaign' }, status: 'succeeded', request: { url: 'https://shop.example/hook' }, answer: { body: '{"ok":true}' } });
    expect(doc.deliveries[0]!.attemptLog.map((a) => a.httpStatus)).toEqual([503, 200]);
  });

  it('finds the user by visitor id or internal id, and answers 404 for nobody', async () => {
    const call = jsonCaller(app);
    const byVisitor = await app.request('/api/users/v-export/export', { headers: authHeader });
    expect((JSON.parse(await byVisitor.text()) as { user: { id: string } }).user.id).toBe(userId);
    const byId = await app.request(`/api/users/${userId}/export`, { headers: authHeader });
    expect((JSON.parse(await byId.text()) as { events: unknown[] }).events).toHaveLength(EVENTS);
    const missing = await call('GET', '/api/users/nobody-at-all/export');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('not_found');
  });
});
