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

/** An event campaign for everyone, sending to `path`, launched; then BURST events of `event`, each from a new user. */
async function launchBurst(name: string, path: string, event: string): Promise<string> {
  const everyone = await insertSegment(database, `everyone: ${name}`, { attribute: 'cohort', op: 'notExists' });
  const campaign = await api.call('POST', '/api/campaigns', {
    name,
    segmentId: everyone.id,
    channelId: await userIdChannel(api, name, `${receiver.url}${path}`),
    trigger: { type: 'event', event },
  });
  expect((await api.call('POST', `/api/campaigns/${campaign.body.id}/launch`)).status).toBe(200);
  const events = Array.from({ length: BURST }, (_, i) => ({ name: event, loginId: `${event}-${i}` }));
  expect((await api.call('POST', '/api/events', { events })).body.accepted).toBe(BURST);
  return campaign.body.id as string;
}

describe('a burst of due firings', () => {
  it('gets the whole window of sending activities, each asked for by a full claim', async () => {
    const campaignId = await launchBurst('burst window', '/burst', 'flash_sale');

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

    const [run] = await database.db.execute<{ workflow_id: string }>(sql`SELECT workflow_id FROM campaign_runs WHERE campaign_id = ${campaignId}`);
    const history = (await temporal.client.workflow.getHandle(run!.workflow_id).fetchHistory()).events ?? [];
    const activities = history.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverDue').length;
    const wakes = history.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    // The run's first look started the first, which lingers (10 paces) until the events come; each later one was
    // asked for by a wake (no activity ended: the budget is 120 s, the linger 50 s). Without the ask at the claim,
    // the first activity alone would send the burst: its ranges end long before the pace's backlog check.
    expect(activities).toBeGreaterThanOrEqual(3);
    expect(wakes).toBeGreaterThanOrEqual(activities - 1);
    expect((await api.call('POST', `/api/campaigns/${campaignId}/cancel`)).status).toBe(202);
  }, 120_000);

  it("claims an activity's next range during the tail of the one it sends, not after its last answer", async () => {
    const campaignId = await launchBurst('burst tail', '/tail', 'tail_sale');
    const [run] = await database.db.execute<{ id: string }>(sql`SELECT id FROM campaign_runs WHERE campaign_id = ${campaignId}`);

    // Each claim as first seen, with how many of the previous claim's users had a request by then. A range of CLAIM
    // users on LANES lanes answered after REPLY_MS takes three rounds of requests; its tail starts in the second.
    const seenWith = new Map<number, number>();
    const rangeOf = new Map<number, { from: number; to: number }>();
    for (const deadline = Date.now() + 60_000; receiver.requests.filter((r) => r.url === '/tail').length < BURST; await sleep(25)) {
      if (Date.now() > deadline) throw new Error('the tail burst was not sent within 60 s');
      const claims = await database.db.execute<{ claim_no: number; from_seq: number; to_seq: number }>(
        sql`SELECT claim_no, from_seq, to_seq FROM trigger_claims WHERE run_id = ${run!.id}`,
      );
      const logins = receiver.requests.filter((r) => r.url === '/tail').map((r) => (JSON.parse(r.body) as { userid: string }).userid);
      const sentSeqs = await database.db.execute<{ seq: number }>(sql`
        SELECT r.seq FROM run_recipients r JOIN users u ON u.id = r.user_id WHERE r.run_id = ${run!.id} AND u.login_id = ANY (${`{${logins.join(',')}}`}::text[])`);
      for (const c of claims) {
        rangeOf.set(c.claim_no, { from: c.from_seq, to: c.to_seq });
        if (seenWith.has(c.claim_no)) continue;
        const before = rangeOf.get(c.claim_no - 1);
        seenWith.set(c.claim_no, before ? sentSeqs.filter(({ seq }) => seq >= before.from && seq <= before.to).length : -1);
      }
    }
    // Claims following another of the same activity (consecutive numbers), seen while that one still had users
    // without a request. Without the claim ahead, a next claim comes only once its range's last request is answered.
    const early = [...seenWith.values()].filter((sent) => sent >= 0 && sent < CLAIM);
    expect(early.length).toBeGreaterThan(0);
    expect(new Set(receiver.requests.filter((r) => r.url === '/tail').map((r) => r.headers['webhook-id'])).size).toBe(BURST);
    expect(receiver.requests.filter((r) => r.url === '/tail')).toHaveLength(BURST);
    expect((await api.call('POST', `/api/campaigns/${campaignId}/cancel`)).status).toBe(202);
  }, 120_000);

  it('a pause while claims are made ahead loses none of their users and sends none twice after the resume', async () => {
    const campaignId = await launchBurst('burst paused', '/paused', 'paused_sale');
    const sent = () => receiver.requests.filter((r) => r.url === '/paused');
    // Into the second round of requests of the first ranges (four activities, LANES each a round, REPLY_MS apart):
    // the round in which each range's tail begins and its activity claims the next range ahead.
    for (const deadline = Date.now() + 30_000; sent().length < 5 * LANES; await sleep(10)) {
      if (Date.now() > deadline) throw new Error('the paused burst did not start within 30 s');
    }
    expect((await api.call('POST', `/api/campaigns/${campaignId}/pause`)).body.status).toBe('paused');
    await sleep(2 * REPLY_MS + 500);
    const whilePaused = sent().length;
    expect(whilePaused).toBeLessThan(BURST);
    await sleep(1_000);
    expect(sent()).toHaveLength(whilePaused);
    expect((await api.call('POST', `/api/campaigns/${campaignId}/resume`)).body.status).toBe('running');
    for (const deadline = Date.now() + 60_000; new Set(sent().map((r) => r.body)).size < BURST; await sleep(100)) {
      if (Date.now() > deadline) throw new Error(`${new Set(sent().map((r) => r.body)).size} of ${BURST} users sent within 60 s of the resume`);
    }
    await sleep(1_000);
    expect(sent()).toHaveLength(BURST);
    expect(new Set(sent().map((r) => r.headers['webhook-id'])).size).toBe(BURST);
    expect((await api.call('POST', `/api/campaigns/${campaignId}/cancel`)).status).toBe(202);
  }, 120_000);
});
