import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, countMismatches, insertSegment, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

const database = useTestDatabase();
const temporal = useTemporal(database, { deliveryConcurrency: 4 });
const USERS = 400;
const HEALTHY_FIRST = 40;
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let failing = false;

const userOf = (r: ReceivedRequest) => (JSON.parse(r.body) as { userid: string }).userid;

beforeAll(async () => {
  api = campaignApi(database, temporal, { batchSize: 50, window: 2, childrenPerExecution: 100 });
  receiver = await startReceiver((_request, log) => {
    // Healthy at first; then the endpoint goes down until the test brings it back.
    if (log.length > HEALTHY_FIRST && failing) return { status: 503, delayMs: 20 };
    if (log.length === HEALTHY_FIRST) failing = true;
    return { status: 200, delayMs: 20 };
  });
  await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `cb-${i}`, attributes: { cohort: 'cb' } })));
});
afterAll(() => receiver.close());

describe('circuit breaker', () => {
  it('pauses a run whose endpoint starts failing, shows why, and loses nothing after resume', async () => {
    const segment = await insertSegment(database, 'cb', { attribute: 'cohort', op: 'equals', value: 'cb' });
    const channel = await api.call('POST', '/api/channels', {
      name: 'fragile',
      url: `${receiver.url}/fragile`,
      auth: { type: 'secret' },
      retry: { initialIntervalMs: 500, maxIntervalMs: 2_000, maxDurationMs: 600_000 },
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
    });
    const draft = await api.call('POST', '/api/campaigns', { name: 'fragile run', segmentId: segment.id, channelId: channel.body.id });
    await api.call('POST', `/api/campaigns/${draft.body.id}/launch`);

    const paused = await waitForCampaign(api, draft.body.id, (c) => c.status === 'paused' || c.status === 'completed', 60_000);
    expect(paused.status).toBe('paused');
    expect(paused.pauseReason).toMatch(/^circuit breaker: endpoint failed \d+ of the last \d+ attempts \(http_503/);
    // Let requests in flight at the pause finish.
    await new Promise((r) => setTimeout(r, 1_500));
    const failedRequests = receiver.requests.length - HEALTHY_FIRST;
    // Bounded: the breaker's evidence (half of its window once 20 attempts are in) plus what was in flight,
    // far from burning through the 400-user audience.
    expect(failedRequests).toBeGreaterThan(0);
    expect(failedRequests).toBeLessThan(120);
    const quiet = receiver.requests.length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(receiver.requests.length).toBe(quiet);

    failing = false;
    const resumed = await api.call('POST', `/api/campaigns/${draft.body.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.pauseReason).toBeNull();
    const done = await waitForCampaign(api, draft.body.id, undefined, 120_000);
    expect(done.status).toBe('completed');
    expect(done.deliveries).toMatchObject({ total: USERS, succeeded: USERS, failed: 0, pending: 0 });
    // Each user succeeded once; the ones that met the outage were retried under the same webhook-id.
    const okByUser = new Map<string, Set<string>>();
    for (const r of receiver.requests) {
      const ids = okByUser.get(userOf(r)) ?? new Set();
      okByUser.set(userOf(r), ids.add(String(r.headers['webhook-id'])));
    }
    expect(okByUser.size).toBe(USERS);
    for (const ids of okByUser.values()) expect(ids.size).toBe(1);
    const twice = await database.db.execute(sql`SELECT seq FROM delivery_attempts WHERE outcome = 'succeeded' GROUP BY run_id, seq HAVING count(*) > 1`);
    expect(twice).toHaveLength(0);
    expect(await countMismatches(database)).toHaveLength(0);
  }, 200_000);
});
