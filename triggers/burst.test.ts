import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSegment, userIdChannel } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { eventCampaignApi, type EventCampaignApi } from '../test/event-kit.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

/*
 * A burst fills the run's window of sending activities at once: a claim that
 * comes back full with firings still due behind it asks the run for another
 * activity right away. The pace here (5 s) is far longer than a claim's
 * sends take (about 300 ms), so the backlog check a sending activity makes
 * once a pace would never see a range still sending: without the ask at the
 * claim, one activity would work through the burst claim after claim.
 */

const database = useTestDatabase();
/** Requests in flight per sending activity. */
const LANES = 8;
const temporal = useTemporal(database, { deliveryConcurrency: LANES });
let api: EventCampaignApi;
let receiver: Receiver;

const CLAIM = 20;
const BURST = 200;
const REPLY_MS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  api = eventCampaignApi(database, temporal, { dueQueue: { claimLimit: CLAIM, window: 4, paceMs: 5_000, activityMs: 120_000 } });
  await api.start();
  receiver = await startReceiver(() => ({ status: 200, delayMs: REPLY_MS }));
});

afterAll(async () => {
  await api?.stop();
  await receiver?.close();
});

describe('a burst of due firings', () => {
  it('gets the whole window of sending activities, each asked for by a full claim', async () => {
    const everyone = await insertSegment(database, 'everyone', { attribute: 'cohort', op: 'notExists' });
    const campaign = await api.call('POST', '/api/campaigns', {
      name: 'burst window',
      segmentId: everyone.id,
      channelId: await userIdChannel(api, 'burst window', `${receiver.url}/burst`),
      trigger: { type: 'event', event: 'flash_sale' },
    });
    expect((await api.call('POST', `/api/campaigns/${campaign.body.id}/launch`)).status).toBe(200);
    const events = Array.from({ length: BURST }, (_, i) => ({ name: 'flash_sale', loginId: `flash-${i}` }));
    expect((await api.call('POST', '/api/events', { events })).body.accepted).toBe(BURST);

    for (const deadline = Date.now() + 60_000; receiver.requests.length < BURST; await sleep(100)) {
      if (Date.now() > deadline) throw new Error(`${receiver.requests.length} of ${BURST} sent within 60 s`);
    }
    const arrivals = receiver.requests.map((r) => r.receivedAt).sort((a, b) => a - b);
    // Each of an activity's lanes has one request at a time, answered REPLY_MS later, and a range's lanes all end
    // before its next claim: one activity never has more than LANES requests arriving within less than REPLY_MS.
    let together = 0;
    for (let i = 0, j = 0; i < arrivals.length; i += 1) {
      while (arrivals[i]! - arrivals[j]! >= REPLY_MS - 50) j += 1;
      together = Math.max(together, i - j + 1);
    }
    expect(together).toBeGreaterThan(LANES);
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(BURST);

    const [run] = await database.db.execute<{ workflow_id: string }>(sql`SELECT workflow_id FROM campaign_runs WHERE campaign_id = ${campaign.body.id}`);
    const history = (await temporal.client.workflow.getHandle(run!.workflow_id).fetchHistory()).events ?? [];
    const activities = history.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverDue').length;
    const wakes = history.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    // The run's first look started the first, which lingers (10 paces) until the events come; each later one was
    // asked for by a wake (no activity ended: the budget is 120 s, the linger 50 s). Without the ask at the claim,
    // the first activity alone would send the burst: its ranges end long before the pace's backlog check.
    expect(activities).toBeGreaterThanOrEqual(3);
    expect(wakes).toBeGreaterThanOrEqual(activities - 1);
    expect((await api.call('POST', `/api/campaigns/${campaign.body.id}/cancel`)).status).toBe(202);
  }, 120_000);
});
