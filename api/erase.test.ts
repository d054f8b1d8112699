import type { ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { createCampaignService } from '../campaigns/store.js';
import { countMismatches, insertSegment, spawnWorkerProcess, waitForCampaign, type CampaignApi } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { jsonCaller } from '../test/http.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';
import { createApp } from './app.js';

/*
 * Erasing a user (docs/privacy.md), end to end: a real worker process, a real
 * receiver that echoes what it gets (so endpoint answers hold the planted
 * values too), real PostgreSQL and Temporal. Afterwards no table, no API
 * answer, no Temporal history and no log line holds the planted values; the
 * completed campaigns' counts are unchanged; a paused campaign's pending send
 * and a send of a batch already in flight are recorded `erased` and never made.
 */

const database = useTestDatabase();
const temporal = useTemporal(database, { runWorker: false });
const PHONE = '13800138731';
const NAME = '张planted三丰';
const LOGIN = 'erase-me-7f3a';
const LOGIN_IN_FLIGHT = 'erase-in-flight-2c9d';
const PLANTED = [PHONE, NAME, LOGIN, LOGIN_IN_FLIGHT];
/** Highest v4 ids: the planted users take the last audience positions (audiences are numbered by user id). */
const LAST_ID = 'ffffffff-ffff-4fff-bfff-fffffffffff0';
const LAST_ID_IN_FLIGHT = 'ffffffff-ffff-4fff-bfff-fffffffffff1';

let receiver: Receiver;
let api: CampaignApi;
let worker: ChildProcess;
let workerLog = '';
let apiLog = '';
let channelId: string;

beforeAll(async () => {
  // Echoes the request body: the stored endpoint answers then hold the planted values.
  receiver = await startReceiver((request) => ({ status: 200, body: request.body, delayMs: request.url === '/slow' ? 120 : 0 }));
  worker = spawnWorkerProcess(database, temporal, { LOG_LEVEL: 'trace', DELIVERY_CONCURRENCY: '2' }, 'pipe');
  worker.stdout!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  worker.stderr!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  const logger = pino({ level: 'trace' }, new Writable({ write: (chunk, _enc, done) => ((apiLog += String(chunk)), done()) }));
  const service = createCampaignService({ db: database.db, temporal: temporal.client, taskQueue: temporal.taskQueue, fanOut: { batchSize: 50, window: 2, childrenPerExecution: 4 } });
  const app = createApp({ db: database.db, logger, campaigns: { service, temporalUiUrl: 'http://localhost:8233', namespace: 'default' } });
  api = { app, service, call: jsonCaller(app) };
  await insertUsers(database.db, [
    ...Array.from({ length: 30 }, (_, i) => ({ loginId: `keep-${i}`, attributes: { tier: 'erase-test', phone: `1390000${String(i).padStart(4, '0')}`, name: `keep ${i}` } })),
    { loginId: LOGIN, attributes: { tier: 'erase-test', phone: PHONE, name: NAME } },
    { loginId: LOGIN_IN_FLIGHT, attributes: { tier: 'erase-test', phone: PHONE, name: NAME } },
  ]);
  await database.db.execute(sql`UPDATE users SET id = ${LAST_ID}::uuid WHERE login_id = ${LOGIN}`);
  await database.db.execute(sql`UPDATE users SET id = ${LAST_ID_IN_FLIGHT}::uuid WHERE login_id = ${LOGIN_IN_FLIGHT}`);
  const channel = await api.call('POST', '/api/channels', {
    name: 'erase channel',
    url: `${receiver.url}/fast`,
    auth: { type: 'none' },
    userAttributeParams: [
      { name: 'userid', attribute: '$id', identity: 'login' },
      { name: 'phone', attribute: 'phone', identity: 'login' },
      { name: 'name', attribute: 'name', identity: 'login' },
    ],
  });
  expect(channel.status).toBe(201);
  channelId = channel.body.id;
});
afterAll(async () => {
  worker?.kill('SIGTERM');
  await receiver?.close();
});

async function launch(name: string, segmentId: string) {
  const draft = await api.call('POST', '/api/campaigns', { name, segmentId, channelId, identity: 'login', trigger: { type: 'once', sendAt: 'now' } });
  expect(draft.status).toBe(201);
  expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
  return draft.body.id as string;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every text, varchar, json and jsonb column of every hookcast table, searched for each value. */
async function databaseHits(values: string[]): Promise<string[]> {
  const columns = await database.sql<{ table_name: string; column_name: string }[]>`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'json', 'jsonb')`;
  expect(columns.length).toBeGreaterThan(20);
  const hits: string[] = [];
  for (const { table_name, column_name } of columns) {
    for (const value of values) {
      const [row] = await database.sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "${table_name}" WHERE "${column_name}"::text LIKE '%' || $1 || '%'`, [value]);
      if (row!.n > 0) hits.push(`${table_name}.${column_name} holds ${value}`);
    }
  }
  return hits;
}

/** Every string in a history, with payload bytes decoded as UTF-8 (and as base64 text). */
function textOf(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) {
    const text = Buffer.from(value).toString('utf8');
    out.push(text, Buffer.from(text, 'base64').toString('utf8'));
  } else if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => textOf(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => textOf(v, out));
  return out;
}

const sentTo = (login: string) => receiver.requests.filter((r) => r.body.includes(login));

describe('DELETE /api/users/:id', () => {
  it('erases a user everywhere, keeps completed counts, and a paused or in-flight send to them is never made', async () => {
    const segment = await insertSegment(database, 'erase test', { attribute: 'tier', op: 'equals', value: 'erase-test' });
    const events = await api.call('POST', '/api/events', {
      events: [
        { name: 'pay_order', loginId: LOGIN, properties: { phone: PHONE, receiver: NAME } },
        { name: 'pay_order', loginId: 'keep-1', properties: { phone: '13900000001' } },
      ],
    });
    expect(events.body.accepted).toBe(2);

    // Two completed campaigns: the planted user has a delivery in each, with an echoed answer.
    const completed: string[] = [];
    for (const name of ['erase done A', 'erase done B']) completed.push(await launch(name, segment.id));
    const countsBefore: unknown[] = [];
    for (const id of completed) {
      const done = await waitForCampaign(api, id);
      expect(done.deliveries).toMatchObject({ total: 32, succeeded: 32 });
      countsBefore.push(done.deliveries);
    }
    expect(sentTo(LOGIN)).toHaveLength(2);
    expect((await database.sql`SELECT 1 FROM run_recipients WHERE response_body LIKE ${`%${PHONE}%`}`).length).toBe(4);

    // A running campaign, paused while the planted users (the last positions) are still pending.
    await api.call('PATCH', `/api/channels/${channelId}`, { url: `${receiver.url}/slow` });
    const paused = await launch('erase paused', segment.id);
    await until(() => receiver.requests.filter((r) => r.url === '/slow').length >= 2, 'the paused campaign to start sending');
    expect((await api.call('POST', `/api/campaigns/${paused}/pause`)).status).toBe(200);
    expect(sentTo(LOGIN).filter((r) => r.url === '/slow')).toHaveLength(0);

    const erased = await api.call('DELETE', `/api/users/${LOGIN}`);
    expect(erased.status).toBe(200);
    expect(erased.body).toEqual({ erased: true, counts: { events: 1, deliveries: 3, unsent: 1, firings: 0, triggerState: 0 } });
    // Idempotent: nobody has that id any more.
    expect((await api.call('DELETE', `/api/users/${LOGIN}`)).body).toEqual({ erased: false });

    const resumedAt = receiver.requests.length;
    expect((await api.call('POST', `/api/campaigns/${paused}/resume`)).status).toBe(200);
    // While the resumed batch sends (120 ms a request, two at a time), the other planted user is erased:
    // the batch loaded them before, and must not send to them.
    await until(() => receiver.requests.length > resumedAt, 'the resumed campaign to send');
    const inFlight = await api.call('DELETE', `/api/users/${LOGIN_IN_FLIGHT}`);
    expect(inFlight.body).toMatchObject({ erased: true, counts: { deliveries: 3, unsent: 1 } });
    const pausedDone = await waitForCampaign(api, paused);
    expect(pausedDone.status).toBe('completed');
    expect(pausedDone.deliveries).toMatchObject({ total: 32, succeeded: 30, skipped: 2 });
    expect(sentTo(LOGIN)).toHaveLength(2);
    expect(sentTo(LOGIN_IN_FLIGHT).filter((r) => r.url === '/slow')).toHaveLength(0);
    const [pending] = await database.sql<{ status: string; last_error_class: string }[]>`
      SELECT r.status, r.last_error_class FROM run_recipients r JOIN campaign_runs cr ON cr.id = r.run_id
      WHERE cr.campaign_id = ${paused} AND r.seq = 31`;
    expect(pending).toEqual({ status: 'skipped', last_error_class: 'erased' });

    // Completed campaigns: the same counts, now under tombstones.
    for (const [i, id] of completed.entries()) expect((await api.call('GET', `/api/campaigns/${id}`)).body.deliveries).toEqual(countsBefore[i]);
    expect(await countMismatches(database)).toHaveLength(0);

    // No API answer holds the planted values.
    for (const id of [...completed, paused]) {
      const list = await api.call('GET', `/api/campaigns/${id}/deliveries?limit=100`);
      expect(list.status).toBe(200);
      for (const value of PLANTED) expect(JSON.stringify(list.body)).not.toContain(value);
      expect((await api.call('GET', `/api/campaigns/${id}/deliveries/${LOGIN}`)).status).toBe(404);
    }
    expect((await api.call('GET', `/api/users/${LAST_ID}`)).status).toBe(404);
    expect((await api.call('GET', `/api/users/${LOGIN}/export`)).status).toBe(404);
    const audit = await api.call('GET', '/api/audit?targetType=user');
    expect(audit.body.items).toHaveLength(2);
    expect(audit.body.items[0]).toMatchObject({ action: 'erased', target: { type: 'user' } });
    for (const value of [...PLANTED, LAST_ID, LAST_ID_IN_FLIGHT]) expect(JSON.stringify(audit.body)).not.toContain(value);

    // No row of any table.
    expect(await databaseHits([...PLANTED, LAST_ID, LAST_ID_IN_FLIGHT])).toEqual([]);
    // The others are all still there (the scan does find what is present).
    expect(await databaseHits(['13900000001', 'keep-29'])).not.toEqual([]);

    // No Temporal history of this test's workflows.
    let histories = 0;
    for await (const execution of temporal.client.workflow.list({ query: `TaskQueue = '${temporal.taskQueue}'` })) {
      const history = await temporal.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      const text = textOf(history).join('\n');
      for (const value of PLANTED) expect(text, `${execution.workflowId} holds ${value}`).not.toContain(value);
      histories += 1;
    }
    expect(histories).toBeGreaterThanOrEqual(3);

    // No log line of the worker or the API.
    expect(workerLog.length).toBeGreaterThan(0);
    expect(apiLog).toContain('"request"');
    for (const value of PLANTED) {
      expect(workerLog, `worker log holds ${value}`).not.toContain(value);
      expect(apiLog, `API log holds ${value}`).not.toContain(value);
    }

    // A later event with the same login id makes a new user.
    expect((await api.call('POST', '/api/events', { events: [{ name: 'visit', loginId: LOGIN }] })).body.accepted).toBe(1);
    const [again] = await database.sql<{ id: string }[]>`SELECT id FROM users WHERE login_id = ${LOGIN}`;
    expect(again!.id).not.toBe(LAST_ID);
  });

  it('refuses keys that are not admin, and names the field of a bad id', async () => {
    const key = await api.call('POST', '/api/keys', { name: 'writer', scope: 'write' });
    const writer = jsonCaller(api.app, { authorization: `Bearer ${key.body.key}` });
    const refused = await writer('DELETE', '/api/users/keep-1');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('forbidden');
    expect((await writer('GET', '/api/users/keep-1/export')).status).toBe(403);
    const long = await api.call('DELETE', `/api/users/${'x'.repeat(257)}`);
    expect(long.status).toBe(400);
    expect(long.body.issues[0].path).toBe('id');
    for (const path of ['/api/users/a%00b', '/api/users/a%00b/export']) {
      const nul = await api.call(path.endsWith('export') ? 'GET' : 'DELETE', path);
      expect(nul.status).toBe(400);
      expect(nul.body.issues[0]).toMatchObject({ path: 'id', message: 'must not contain NUL characters', code: expect.any(String) });
    }
    expect((await database.sql`SELECT 1 FROM users WHERE login_id = 'keep-1'`).length).toBe(1);
    // A wrong key is logged with the path, but not with the login id in it.
    const stranger = jsonCaller(api.app, { authorization: `Bearer hk_wrong-${'0'.repeat(40)}` });
    expect((await stranger('DELETE', '/api/users/keep-login-in-path')).status).toBe(401);
    expect(apiLog).toContain('"path":"/api/users/:id"');
    expect(apiLog).not.toContain('keep-login-in-path');
  });
});
