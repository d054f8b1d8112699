import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignApi, countMismatches, insertSegment, waitForCampaign } from '../test/campaign-kit.js';
import { insertUsers } from '../audience/fixtures.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

const database = useTestDatabase();
const temporal = useTemporal(database, { deliveryConcurrency: 2 });
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let segmentId: string;
let channelId: string;

const USERS = 60;

beforeAll(async () => {
  api = campaignApi(database, temporal, { batchSize: 10, window: 2, childrenPerExecution: 3 });
  // Slow enough that a campaign is still sending when the operator acts.
  receiver = await startReceiver(() => ({ status: 200, delayMs: 150 }));
  await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `op-${i}`, attributes: { cohort: 'ops' } })));
  segmentId = (await insertSegment(database, 'ops', { attribute: 'cohort', op: 'equals', value: 'ops' })).id;
  const channel = await api.call('POST', '/api/channels', {
    name: 'ops channel',
    url: `${receiver.url}/ops`,
    auth: { type: 'none' },
    userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
  });
  channelId = channel.body.id;
});
afterAll(() => receiver.close());

async function launch(name: string, extra: Record<string, unknown> = {}) {
  const draft = await api.call('POST', '/api/campaigns', { name, segmentId, channelId, ...extra });
  expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
  return draft.body.id as string;
}

async function requestsFor(path: string, atLeast: number) {
  while (receiver.requests.filter((r) => r.url === path).length < atLeast) await new Promise((r) => setTimeout(r, 20));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const usersSeen = (path: string) => receiver.requests.filter((r) => r.url === path).map((r) => (JSON.parse(r.body) as { userid: string }).userid);

describe('operator controls', () => {
  it('pause stops new requests within 1 s; resume finishes without resending', async () => {
    channelId = (await api.call('PATCH', `/api/channels/${channelId}`, { url: `${receiver.url}/pause` })).body.id;
    const id = await launch('pause me');
    await requestsFor('/pause', 6);
    const paused = await api.call('POST', `/api/campaigns/${id}/pause`);
    const acknowledged = Date.now();
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('paused');
    expect(paused.body.progress.status).toBe('paused');

    await sleep(2_000);
    const late = receiver.requests.filter((r) => r.url === '/pause' && r.receivedAt > acknowledged + 1_000);
    expect(late).toHaveLength(0);
    const seenWhilePaused = usersSeen('/pause').length;
    expect(seenWhilePaused).toBeLessThan(USERS);
    const mid = await api.call('GET', `/api/campaigns/${id}`);
    expect(mid.body.status).toBe('paused');
    // Plain reads come from PostgreSQL; the workflow's live state is asked for explicitly.
    expect(mid.body.progress).toBeNull();
    expect((await api.call('GET', `/api/campaigns/${id}?live=true`)).body.progress).toMatchObject({ status: 'paused', total: USERS });
    // Requests in flight at the pause finished and were recorded.
    expect(mid.body.deliveries.succeeded).toBe(seenWhilePaused);
    expect((await api.call('POST', `/api/campaigns/${id}/pause`)).status).toBe(409);

    const resumed = await api.call('POST', `/api/campaigns/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('running');
    const done = await waitForCampaign(api, id);
    expect(done.status).toBe('completed');
    expect(done.deliveries).toMatchObject({ total: USERS, succeeded: USERS });
    // Six batches with a budget of three children per execution: the parent continued as new.
    const result = await temporal.client.workflow.getHandle(`campaign-${id}-once`).result();
    expect(result.continuedAsNew).toBeGreaterThanOrEqual(1);
    const seen = usersSeen('/pause');
    expect(seen).toHaveLength(USERS);
    expect(new Set(seen).size).toBe(USERS);
  });

  it('cancel ends the campaign cancelled and closes undelivered users', async () => {
    await api.call('PATCH', `/api/channels/${channelId}`, { url: `${receiver.url}/cancel` });
    const id = await launch('cancel me');
    await requestsFor('/cancel', 6);
    const res = await api.call('POST', `/api/campaigns/${id}/cancel`);
    expect(res.status).toBe(202);
    const done = await waitForCampaign(api, id);
    expect(done.status).toBe('cancelled');
    expect(done.deliveries.pending).toBe(0);
    expect(done.deliveries.succeeded + done.deliveries.cancelled).toBe(USERS);
    expect(done.deliveries.cancelled).toBeGreaterThan(0);
    const count = usersSeen('/cancel').length;
    expect(count).toBe(done.deliveries.succeeded);
    await sleep(1_000);
    expect(usersSeen('/cancel').length).toBe(count);
    const description = await temporal.client.workflow.getHandle(`campaign-${id}-once`).describe();
    expect(description.status.name).toBe('CANCELLED');
    expect((await api.call('POST', `/api/campaigns/${id}/resume`)).status).toBe(409);
    expect(await countMismatches(database)).toHaveLength(0);
  });

  it('a paused campaign past its expiry does not resume sending', async () => {
    await api.call('PATCH', `/api/channels/${channelId}`, { url: `${receiver.url}/expiry` });
    const id = await launch('expires', { expiresAt: new Date(Date.now() + 4_000).toISOString() });
    await requestsFor('/expiry', 4);
    expect((await api.call('POST', `/api/campaigns/${id}/pause`)).status).toBe(200);
    await sleep(4_500);
    const before = usersSeen('/expiry').length;
    await api.call('POST', `/api/campaigns/${id}/resume`);
    const done = await waitForCampaign(api, id);
    expect(done.status).toBe('completed');
    expect(usersSeen('/expiry').length).toBe(before);
    expect(done.deliveries.failed).toBe(USERS - before);
    const failed = await api.call('GET', `/api/campaigns/${id}/deliveries?status=failed&limit=1`);
    expect(failed.body.items[0].lastError.class).toBe('expired');
  });
});
