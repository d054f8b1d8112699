import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities/index.js';
import { insertUsers } from '../audience/fixtures.js';
import { campaignRuns, campaigns } from '../db/schema.js';
import { campaignApi, countMismatches, insertSegment, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { saturateEventLoop } from '../test/event-loop.js';
import { useTemporal } from '../test/temporal.js';

const database = useTestDatabase();
const temporal = useTemporal(database, { deliveryConcurrency: 32 });
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let segmentId: string;
let channelId: string;
const USERS = 5_000;

beforeAll(async () => {
  api = campaignApi(database, temporal, { batchSize: 500, window: 4, childrenPerExecution: 400 });
  receiver = await startReceiver();
  for (let from = 0; from < USERS; from += 1_000) {
    await insertUsers(
      database.db,
      Array.from({ length: 1_000 }, (_, i) => ({ loginId: `load-${from + i}`, attributes: { cohort: 'load', phone: `138${from + i}` } })),
    );
  }
  segmentId = (await insertSegment(database, 'load', { attribute: 'cohort', op: 'equals', value: 'load' })).id;
  const channel = await api.call('POST', '/api/channels', {
    name: 'sms',
    url: `${receiver.url}/sms`,
    auth: { type: 'secret' },
    userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
    templateParams: [{ name: 'message', displayName: '短信内容', type: 'text' }],
  });
  channelId = channel.body.id;
});
afterAll(() => receiver.close());

async function draft(message: string) {
  const res = await api.call('POST', '/api/campaigns', { name: `sms ${randomUUID()}`, segmentId, channelId, templateValues: { message } });
  return res.body.id as string;
}

describe('a one-time run under load', () => {
  it('renders a per-user template for 5,000 users on a saturated event loop without a single template failure', async () => {
    const id = await draft('Hi {{ user.phone }}');
    // Saturate the event loop the worker's activities run on (this process), in 30 ms slices.
    const stop = saturateEventLoop();
    try {
      expect((await api.call('POST', `/api/campaigns/${id}/launch`)).status).toBe(200);
      const done = await waitForCampaign(api, id, undefined, 240_000);
      expect(done.status).toBe('completed');
      expect(done.deliveries).toMatchObject({ total: USERS, succeeded: USERS, failed: 0, pending: 0 });
    } finally {
      await stop();
    }
    const failures = await database.db.execute(sql`SELECT count(*)::int AS n FROM delivery_attempts WHERE error_class LIKE 'template%'`);
    expect(failures[0]!.n).toBe(0);
    const requests = receiver.requests.filter((r) => r.url === '/sms');
    expect(requests).toHaveLength(USERS);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(USERS);
    const sample = JSON.parse(requests[0]!.body) as { userid: string; message: string };
    expect(sample.message).toBe(`Hi 138${sample.userid.slice('load-'.length)}`);
    expect(await countMismatches(database)).toHaveLength(0);

    // The freshly frozen run has planner statistics before its first outcome write.
    const [stats] = await database.db.execute<{ reltuples: number }>(sql`SELECT reltuples FROM pg_class WHERE relname = 'run_recipients'`);
    expect(Number(stats!.reltuples)).toBeGreaterThanOrEqual(USERS * 0.9);

    // Campaign detail is served from PostgreSQL; the workflow's own state only when asked for.
    expect((await api.call('GET', `/api/campaigns/${id}`)).body.progress).toBeNull();
  }, 300_000);

  it('refuses at launch a template that cannot render for members, naming the value', async () => {
    const tooSlow = await draft('{% for a in (1..3000) %}{% for b in (1..3000) %}{{ b }}{% endfor %}{% endfor %}');
    const slow = await api.call('POST', `/api/campaigns/${tooSlow}/launch`);
    expect(slow.status).toBe(409);
    expect(slow.body.issues).toEqual([{ path: 'templateValues.message', message: expect.stringContaining('too much work'), code: 'template_error', params: { param: 'message' } }]);

    const tooBig = await draft('{{ user.phone }}{% for i in (1..5000000) %}x{% endfor %}');
    const big = await api.call('POST', `/api/campaigns/${tooBig}/launch`);
    expect(big.status).toBe(409);
    expect(big.body.issues[0].path).toBe('templateValues.message');
    // Nothing started: both stay drafts.
    for (const id of [tooSlow, tooBig]) expect((await api.call('GET', `/api/campaigns/${id}`)).body.status).toBe('draft');
  });
});

describe('the end of a run', () => {
  it('never records completed while users are still pending', async () => {
    const [userId] = await insertUsers(database.db, [{ loginId: 'left-behind' }]);
    const [campaign] = await database.db.insert(campaigns).values({ name: `unsettled ${randomUUID()}`, trigger: { type: 'once', sendAt: 'now' }, status: 'running' }).returning();
    const runId = randomUUID();
    await database.db.insert(campaignRuns).values({ id: runId, campaignId: campaign!.id, workflowId: 'test', definition: {} as never, sendAt: new Date() });
    await database.db.execute(sql`INSERT INTO run_recipients (run_id, seq, user_id, address, status) VALUES (${runId}, 1, ${userId}, 'left-behind', 'pending')`);
    const { finishRun } = createActivities({ db: database.db });
    await expect(finishRun({ campaignId: campaign!.id, runId, status: 'completed' })).rejects.toThrow('1 users are still pending');
    const [after] = await database.db.execute<{ status: string }>(sql`SELECT status FROM campaigns WHERE id = ${campaign!.id}`);
    expect(after!.status).toBe('running');
    await database.db.execute(sql`UPDATE run_recipients SET status = 'succeeded' WHERE run_id = ${runId}`);
    await finishRun({ campaignId: campaign!.id, runId, status: 'completed' });
  });
});
