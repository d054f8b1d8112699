import { drizzle } from 'drizzle-orm/postgres-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { createCampaignService } from '../campaigns/store.js';
import * as schema from '../db/schema.js';
import { campaignListAnswerSchema, campaignListExample } from './openapi.js';
import { campaignApi, insertSegment, userIdChannel, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

/*
 * GET /api/campaigns: each campaign carries its current run's delivery counts,
 * against PostgreSQL, Temporal with a worker and a loopback receiver that
 * refuses some users.
 */
const database = useTestDatabase();
const temporal = useTemporal(database);
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let segmentId: string;
/** The recurring campaign's endpoint refuses everyone while this holds. */
let refuseRecurring = false;

beforeAll(async () => {
  api = campaignApi(database, temporal);
  // On /once, list-0 and list-1 are refused with 400 (final, no retry); the rest succeed.
  receiver = await startReceiver((r) => {
    if (r.url === '/recurring') return { status: refuseRecurring ? 400 : 200 };
    const user = Number((JSON.parse(r.body || '{}') as { userid?: string }).userid?.slice(5));
    return { status: r.url === '/once' && user < 2 ? 400 : 200 };
  });
  await insertUsers(database.db, [
    ...Array.from({ length: 6 }, (_, i) => ({ loginId: `list-${i}`, attributes: { cohort: 'list' } })),
    // A visitor only: campaigns addressing login ids skip it.
    { visitorId: 'v-list-0', attributes: { cohort: 'list' } },
  ]);
  segmentId = (await insertSegment(database, 'list', { attribute: 'cohort', op: 'equals', value: 'list' })).id;
});
afterAll(() => receiver.close());

type Listed = { id: string; status: string; deliveries: Record<string, number> };
const listed = async (query = '') => {
  const answer = await api.call('GET', `/api/campaigns${query}`);
  expect(answer.status).toBe(200);
  return answer.body.items as Listed[];
};
const finished = (run: { status: string }) => ['completed', 'failed', 'cancelled', 'skipped'].includes(run.status);

describe('GET /api/campaigns with delivery counts', () => {
  it('lists each campaign with its current run\'s counts: a finished run with known outcomes, a draft, a recurring campaign\'s latest run', async () => {
    const onceChannel = await userIdChannel(api, 'list once', `${receiver.url}/once`);
    const recurringChannel = await userIdChannel(api, 'list recurring', `${receiver.url}/recurring`);

    const once = (await api.call('POST', '/api/campaigns', { name: 'list once', segmentId, channelId: onceChannel })).body.id as string;
    expect((await api.call('POST', `/api/campaigns/${once}/launch`)).status).toBe(200);
    const draft = (await api.call('POST', '/api/campaigns', { name: 'list draft', segmentId, channelId: onceChannel })).body.id as string;
    const recurring = (await api.call('POST', '/api/campaigns', {
      name: 'list recurring', segmentId, channelId: recurringChannel,
      trigger: { type: 'recurring', schedule: { every: 'day', at: '09:00' }, timeZone: 'Asia/Shanghai' },
    })).body.id as string;
    expect((await api.call('POST', `/api/campaigns/${recurring}/launch`)).status).toBe(200);

    // Launched, with no firing yet: the list says so with zeros, like the detail.
    const scheduled = (await listed()).find((c) => c.id === recurring)!;
    expect(scheduled.status).toBe('scheduled');
    expect(scheduled.deliveries).toEqual({ total: 0, pending: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0, held_out: 0 });

    // First firing: every login user succeeds.
    expect((await api.call('POST', `/api/campaigns/${recurring}/trigger`)).status).toBe(202);
    const firstRuns = await waitForRuns(recurring, (runs) => runs.length === 1 && finished(runs[0]!));
    expect(firstRuns[0]!.deliveries).toMatchObject({ total: 7, succeeded: 6, skipped: 1 });
    await waitForCampaign(api, recurring, (c) => c.status === 'scheduled' && c.run?.id === firstRuns[0]!.id);
    // A second firing (a new second, so Temporal names a new workflow) while the endpoint refuses everyone.
    refuseRecurring = true;
    await new Promise((r) => setTimeout(r, 1100));
    expect((await api.call('POST', `/api/campaigns/${recurring}/trigger`)).status).toBe(202);
    const runs = await waitForRuns(recurring, (list) => list.length === 2 && list.every(finished));
    expect(runs[0]!.id).not.toBe(firstRuns[0]!.id);
    await waitForCampaign(api, recurring, (c) => c.status === 'scheduled' && c.run?.id === runs[0]!.id);

    const done = await waitForCampaign(api, once);
    expect(done.status).toBe('completed');

    const items = await listed();
    const byId = new Map(items.map((c) => [c.id, c]));
    expect(items.map((c) => c.id)).toEqual([recurring, draft, once]);
    // 7 members: list-0 and list-1 refused, four sent, the visitor skipped (no login id); nobody pending.
    expect(byId.get(once)!.deliveries).toEqual({ total: 7, pending: 0, succeeded: 4, failed: 2, skipped: 1, cancelled: 0, held_out: 0 });
    expect(byId.get(draft)!.deliveries).toEqual({ total: 0, pending: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0, held_out: 0 });
    // The latest run (all refused), not the first (all sent).
    expect(byId.get(recurring)!.deliveries).toEqual({ total: 7, pending: 0, succeeded: 0, failed: 6, skipped: 1, cancelled: 0, held_out: 0 });
    // The same figures as each campaign's detail.
    for (const id of [once, draft, recurring]) expect(byId.get(id)!.deliveries).toEqual((await api.call('GET', `/api/campaigns/${id}`)).body.deliveries);

    // The answer fits its OpenAPI schema, and the document's example shows the same fields.
    expect(campaignListAnswerSchema.safeParse({ items }).success).toBe(true);
    for (const item of items) expect(Object.keys(item).sort()).toEqual(Object.keys(campaignListExample.items[0]!).sort());

    // A status filter keeps the counts.
    const completed = await listed('?status=completed');
    expect(completed.map((c) => c.id)).toEqual([once]);
    expect(completed[0]!.deliveries).toMatchObject({ total: 7, succeeded: 4, failed: 2, skipped: 1 });
    expect((await api.call('GET', '/api/campaigns?status=bogus')).status).toBe(400);
  }, 120_000);

  it('reads a page of campaigns and their counts in one statement, however many campaigns it holds', async () => {
    const statements: string[] = [];
    const counted = drizzle(database.sql, { schema, logger: { logQuery: (query) => void statements.push(query) } });
    const service = createCampaignService({ db: counted, temporal: temporal.client, taskQueue: temporal.taskQueue });
    const rows = await service.list();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.filter((r) => r.deliveries.total > 0).length).toBeGreaterThanOrEqual(2);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toContain('run_status_counts');
  });
});

async function waitForRuns(id: string, done: (runs: { id: string; status: string; deliveries: Record<string, number> }[]) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = (await api.call('GET', `/api/campaigns/${id}/runs`)).body.items;
    if (done(runs)) return runs as { id: string; status: string; deliveries: Record<string, number> }[];
    if (Date.now() > deadline) throw new Error(`runs of ${id}: ${JSON.stringify(runs)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
