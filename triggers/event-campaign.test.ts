import { eq, sql } from 'drizzle-orm';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignRuns } from '../db/schema.js';
import { insertSegment } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { eventCampaignApi, type EventCampaignApi } from '../test/event-kit.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';
import { claimDue, queueFigures } from './due.js';
import { lockTriggerCampaigns } from './locks.js';

/*
 * Event-triggered campaigns end to end: POST /api/events → outbox → relay
 * (counting in PostgreSQL) → due firings claimed by the campaign's event run
 * on the real dev server and worker → signed request to a real receiver, with
 * the delivery records and the queue's figures the API shows.
 */

const database = useTestDatabase();
const temporal = useTemporal(database);
let api: EventCampaignApi;
let receiver: Receiver;
let segmentId: string;
const ids: Record<string, string> = {};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  api = eventCampaignApi(database, temporal);
  await api.start();
  receiver = await startReceiver();
  const [gold, silver, gold2, gold3] = await insertUsers(database.db, [
    { loginId: 'ev-gold', attributes: { vip_level: 'gold' } },
    { loginId: 'ev-silver', attributes: { vip_level: 'silver' } },
    { loginId: 'ev-gold-2', attributes: { vip_level: 'gold' } },
    { loginId: 'ev-gold-3', attributes: { vip_level: 'gold' } },
  ]);
  Object.assign(ids, { gold, silver, gold2, gold3 });
  segmentId = (await insertSegment(database, 'gold members', { attribute: 'vip_level', op: 'equals', value: 'gold' })).id;
});

afterAll(async () => {
  await api?.stop();
  await receiver?.close();
});

/** A signed channel to `path` sending the login id, and a launched event campaign on it. */
async function launch(name: string, path: string, trigger: Record<string, unknown>) {
  const channel = await api.call('POST', '/api/channels', {
    name,
    url: `${receiver.url}${path}`,
    auth: { type: 'secret' },
    userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
  });
  expect(channel.status).toBe(201);
  const draft = await api.call('POST', '/api/campaigns', { name, segmentId, channelId: channel.body.id, trigger });
  expect(draft.status).toBe(201);
  const launched = await api.call('POST', `/api/campaigns/${draft.body.id}/launch`);
  expect(launched.status).toBe(200);
  return { id: draft.body.id as string, secret: channel.body.auth.secret as string, detail: launched.body };
}

const at = (path: string) => receiver.requests.filter((r) => r.url === path);
const ingest = (events: unknown[]) => api.call('POST', '/api/events', { events });

describe('event-triggered campaigns', () => {
  it('refuses a bad trigger with a 400 naming the field', async () => {
    const res = await api.call('POST', '/api/campaigns', { name: 'bad', trigger: { type: 'event', event: 'add_to_cart', times: 3 } });
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'trigger.within', message: expect.stringMatching(/required when times is more than 1/), code: 'required_with_times', params: {} }]);
  });

  it('sends once, signed, after the delay, to a member whose event passes the filters; a non-member is recorded skipped', async () => {
    const campaign = await launch('cart reminder', '/cart', {
      type: 'event',
      event: 'add_to_cart',
      where: [{ property: 'price', op: 'gte', value: 100 }],
      delay: 'PT2S',
    });
    expect(campaign.detail.status).toBe('running');
    const started = Date.now();
    const answer = await ingest([
      { name: 'add_to_cart', loginId: 'ev-gold', properties: { price: 50 } },
      { name: 'add_to_cart', loginId: 'ev-gold', properties: { price: 120 }, clientEventId: 'cart-1' },
      { name: 'add_to_cart', loginId: 'ev-silver', properties: { price: 300 } },
      { name: 'add_to_cart', loginId: 'ev-gold', properties: { price: 150 } },
    ]);
    expect(answer.body).toEqual({ accepted: 4, duplicates: 0, rejected: [] });
    await sleep(1000);
    expect(at('/cart')).toHaveLength(0);
    await until(() => at('/cart'), (r) => r.length === 1);
    expect(at('/cart')[0]!.receivedAt - started).toBeGreaterThanOrEqual(1900);
    const request = at('/cart')[0]!;
    const payload = new Webhook(campaign.secret).verify(request.body, {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    });
    expect(payload).toEqual({ userid: 'ev-gold' });

    // The silver user's send was due too: recorded as skipped, with the reason.
    const silver = await until(
      () => api.call('GET', `/api/campaigns/${campaign.id}/deliveries/ev-silver`),
      (r) => r.status === 200,
    );
    expect(silver.body).toMatchObject({ status: 'skipped', lastError: { class: 'not_in_segment' } });
    expect(silver.body.triggeredSends[0].event.name).toBe('add_to_cart');

    const gold = await until(
      () => api.call('GET', `/api/campaigns/${campaign.id}/deliveries/ev-gold`),
      (r) => r.body?.status === 'succeeded',
    );
    const [cause] = await database.db.execute<{ id: string }>(sql`SELECT id::text FROM events WHERE client_event_id = 'cart-1'`);
    expect(gold.body.triggeredSends).toHaveLength(1);
    expect(gold.body.triggeredSends[0]).toMatchObject({ status: 'succeeded', event: { id: cause!.id, name: 'add_to_cart' }, webhookId: request.headers['webhook-id'] });

    // Once per user: later events of the same user send nothing more.
    await ingest([{ name: 'add_to_cart', loginId: 'ev-gold', properties: { price: 500 } }]);
    await sleep(3000);
    expect(at('/cart')).toHaveLength(1);
    const counts = await api.call('GET', `/api/campaigns/${campaign.id}`);
    expect(counts.body.deliveries).toMatchObject({ succeeded: 1, skipped: 1, pending: 0 });
    expect(counts.body.run).toMatchObject({ trigger: 'event' });
  });

  it('a repeated batch (same clientEventIds) triggers nothing twice', async () => {
    await launch('pair counter', '/pairs', { type: 'event', event: 'view_item', times: 2, within: 'PT1H', frequency: { atMostEvery: 'PT1S' } });
    const batch = [
      { name: 'view_item', loginId: 'ev-gold-2', clientEventId: 'view-1' },
      { name: 'view_item', loginId: 'ev-gold-2', clientEventId: 'view-2' },
    ];
    expect((await ingest(batch)).body).toMatchObject({ accepted: 2 });
    await until(() => at('/pairs'), (r) => r.length === 1);
    await sleep(1500);
    // The cap period is over, so two counted events would send again: the repeat is not counted.
    expect((await ingest(batch)).body).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    await sleep(2500);
    expect(at('/pairs')).toHaveLength(1);
    const [outbox] = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM trigger_outbox`);
    expect(outbox!.n).toBe(0);
  });

  it('a stream with gaps is sent by the activity already sending, without a wake signal or a new activity', async () => {
    const campaign = await launch('stream', '/stream', { type: 'event', event: 'stream_view', frequency: { atMostEvery: 'PT1S' } });
    const [run] = await database.db.execute<{ workflow_id: string }>(sql`SELECT workflow_id FROM campaign_runs WHERE campaign_id = ${campaign.id}`);
    await ingest([{ name: 'stream_view', loginId: 'ev-gold' }]);
    const [first] = await until(() => at('/stream'), (r) => r.length === 1);
    // The next event of the stream comes after a gap longer than the pace (200 ms: the activity has found nothing
    // since) and shorter than the activity's 2 s linger.
    await sleep(700);
    await ingest([{ name: 'stream_view', loginId: 'ev-gold-2' }]);
    const second = (await until(() => at('/stream'), (r) => r.length === 2))[1]!;
    const events = (await temporal.client.workflow.getHandle(run!.workflow_id).fetchHistory()).events ?? [];
    const between = (e: (typeof events)[number]) => {
      const ms = tsToMs(e.eventTime);
      return ms >= first!.receivedAt && ms <= second.receivedAt;
    };
    // Between the two sends: no activity started and no wake signal, so the activity that sent the first sent the second.
    expect(events.filter((e) => between(e) && e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverDue')).toHaveLength(0);
    expect(events.filter((e) => between(e) && e.workflowExecutionSignaledEventAttributes)).toHaveLength(0);
  });

  it("an activity that found nothing does not mark the run asleep while another activity's claims still take firings", async () => {
    // Paused, so the run's own activities stay out of the way: the claims below stand for two activities of it.
    const campaign = await launch('siblings', '/siblings', { type: 'event', event: 'sibling_view', delay: 'PT1H' });
    expect((await api.call('POST', `/api/campaigns/${campaign.id}/pause`)).status).toBe(200);
    const [run] = await database.db.select().from(campaignRuns).where(eq(campaignRuns.campaignId, campaign.id));
    const { id: runId, definition } = run!;
    const claim = (claimNo: number, more: { sleepWhenEmpty?: boolean; quietSince?: number }) =>
      claimDue(database.db, { campaignId: campaign.id, runId, claimNo, limit: 100, oldestOpen: 1, definition, ...more });
    const wakeAt = async () => (await database.db.execute<{ wake_at: string | null }>(sql`SELECT wake_at::text FROM campaign_runs WHERE id = ${runId}`))[0]!.wake_at;
    await database.db.execute(sql`UPDATE campaign_runs SET wake_at = NULL WHERE id = ${runId}`);

    // Activity B finds nothing and lingers (not asleep); meanwhile activity A claims a firing.
    const quiet = await claim(1, { sleepWhenEmpty: false });
    expect(quiet.fromSeq).toBeNull();
    await database.db.execute(sql`INSERT INTO trigger_firings (run_id, user_id, event_id, due_at) VALUES (${runId}, ${ids.gold}, 1, now())`);
    const taken = await claim(2, {});
    expect(taken.claimed).toBe(1);
    expect(taken.position).toBe(quiet.position + 1);
    // B's last look: A took something since B began finding nothing, so A's own last look will put the run to sleep.
    expect((await claim(3, { sleepWhenEmpty: true, quietSince: quiet.position })).fromSeq).toBeNull();
    expect(await wakeAt()).toBeNull();
    // A's last look: nobody claimed since A began finding nothing: asleep until woken.
    expect((await claim(4, { sleepWhenEmpty: true, quietSince: taken.position })).fromSeq).toBeNull();
    expect(await wakeAt()).toBe('infinity');
  });

  it('a claim answers the next firing after those it took and whether it is due already; a repeated claim number answers its range; old claim records go', async () => {
    const campaign = await launch('claims', '/claims', { type: 'event', event: 'claim_view', delay: 'PT1H' });
    expect((await api.call('POST', `/api/campaigns/${campaign.id}/pause`)).status).toBe(200);
    const [run] = await database.db.select().from(campaignRuns).where(eq(campaignRuns.campaignId, campaign.id));
    const { id: runId, definition } = run!;
    const claim = (claimNo: number, limit: number, oldestOpen = 1) => claimDue(database.db, { campaignId: campaign.id, runId, claimNo, limit, oldestOpen, definition, sleepWhenEmpty: false });
    const later = new Date(Date.now() + 3_600_000);
    await database.db.execute(sql`
      INSERT INTO trigger_firings (run_id, user_id, event_id, due_at) VALUES
        (${runId}, ${ids.gold}, 1, now() - interval '3 seconds'), (${runId}, ${ids.silver}, 2, now() - interval '2 seconds'),
        (${runId}, ${ids.gold2}, 3, now() - interval '1 second'), (${runId}, ${ids.gold3}, 4, ${later.toISOString()}::timestamptz)`);
    // Two of the three due: the third is next, due already.
    const first = await claim(1, 2);
    expect(first).toMatchObject({ claimed: 2, toSeq: first.fromSeq! + 1, moreDue: true });
    // The last due one: next is the one an hour away, not due.
    const second = await claim(2, 2);
    expect(second).toMatchObject({ claimed: 1, fromSeq: first.toSeq! + 1, moreDue: false });
    expect(Date.parse(second.nextDueAt!)).toBe(later.getTime());
    // The first claim asked again (its activity retried): the same range, nothing taken.
    expect(await claim(1, 2)).toMatchObject({ fromSeq: first.fromSeq, toSeq: first.toSeq, claimed: 2 });
    // Nothing due: the same next firing.
    expect(await claim(3, 2)).toMatchObject({ fromSeq: null, claimed: 0, moreDue: false, nextDueAt: second.nextDueAt, position: second.toSeq });
    // A claim that takes something forgets the records of claims older than the oldest open one.
    await database.db.execute(sql`UPDATE trigger_firings SET due_at = now() WHERE run_id = ${runId}`);
    expect(await claim(4, 2, 2)).toMatchObject({ fromSeq: second.toSeq! + 1, claimed: 1, nextDueAt: null, moreDue: false });
    const kept = await database.db.execute<{ claim_no: number }>(sql`SELECT claim_no FROM trigger_claims WHERE run_id = ${runId} ORDER BY claim_no`);
    expect(kept.map((r) => r.claim_no)).toEqual([2, 4]);
  });

  it("a look that finds nothing due answers without waiting for the campaign's lock; one that finds a firing due waits for it", async () => {
    const campaign = await launch('lock-free looks', '/looks', { type: 'event', event: 'look_view', delay: 'PT1H' });
    expect((await api.call('POST', `/api/campaigns/${campaign.id}/pause`)).status).toBe(200);
    const [run] = await database.db.select().from(campaignRuns).where(eq(campaignRuns.campaignId, campaign.id));
    const { id: runId, definition } = run!;
    const claim = (claimNo: number, sleepWhenEmpty: boolean) => claimDue(database.db, { campaignId: campaign.id, runId, claimNo, limit: 10, oldestOpen: 1, definition, sleepWhenEmpty });
    const later = new Date(Date.now() + 3_600_000);
    await database.db.execute(sql`INSERT INTO trigger_firings (run_id, user_id, event_id, due_at) VALUES (${runId}, ${ids.gold}, 1, ${later.toISOString()}::timestamptz)`);
    const settledWithin = <T>(promise: Promise<T>, ms: number) => Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockHeld = new Promise<void>((resolve) => (locked = resolve));
    // Another holder of the campaign's lock: the relay counting a batch of events, or a sibling activity's claim.
    const holder = database.db.transaction(async (tx) => {
      await lockTriggerCampaigns(tx, [campaign.id]);
      locked();
      await released;
    });
    await lockHeld;
    try {
      // A sending activity looking again mid-linger: nothing due, an answer at once, and the next firing's time.
      const linger = claim(1, false);
      expect(await settledWithin(linger, 2_000)).toBe(true);
      expect(await linger).toMatchObject({ fromSeq: null, claimed: 0, moreDue: false });
      expect(Date.parse((await linger).nextDueAt!)).toBe(later.getTime());
      // Its last look marks the run asleep, which must be decided under the lock: it waits.
      const lastLook = claim(2, true);
      expect(await settledWithin(lastLook, 500)).toBe(false);
      // So does a look that finds a firing due: taking it needs the lock.
      await database.db.execute(sql`UPDATE trigger_firings SET due_at = now() WHERE run_id = ${runId}`);
      const taking = claim(3, false);
      expect(await settledWithin(taking, 500)).toBe(false);
      release();
      await holder;
      // Both go once the lock is free; the one to get it first takes the firing.
      expect((await taking).claimed + (await lastLook).claimed).toBe(1);
    } finally {
      release();
      await holder;
    }
  });

  it('a claim with a lead takes the firings falling due within it, up to half a claim, and the queue counts them due only once they are', async () => {
    const campaign = await launch('lead', '/lead', { type: 'event', event: 'lead_view', delay: 'PT1H' });
    expect((await api.call('POST', `/api/campaigns/${campaign.id}/pause`)).status).toBe(200);
    const [run] = await database.db.select().from(campaignRuns).where(eq(campaignRuns.campaignId, campaign.id));
    const { id: runId, definition } = run!;
    const claim = (claimNo: number, aheadMs?: number) => claimDue(database.db, { campaignId: campaign.id, runId, claimNo, limit: 2, oldestOpen: 1, definition, sleepWhenEmpty: false, aheadMs });
    const later = new Date(Date.now() + 3_600_000);
    await database.db.execute(sql`
      INSERT INTO trigger_firings (run_id, user_id, event_id, due_at) VALUES
        (${runId}, ${ids.gold}, 1, now() + interval '20 seconds'), (${runId}, ${ids.gold3}, 2, now() + interval '21 seconds'),
        (${runId}, ${ids.gold2}, 3, ${later.toISOString()}::timestamptz)`);
    // Without a lead the first firing is not due yet: nothing taken, and it is not "more due".
    expect(await claim(1)).toMatchObject({ fromSeq: null, claimed: 0, moreDue: false });
    // With one, the firings due within it are claimed now, with their due times as their first attempts', but only
    // half a claim of them (1 of 2): the next claim, another activity's at a burst's start, takes the next.
    expect(await claim(2, 30_000)).toMatchObject({ claimed: 1, moreDue: true });
    expect(await claim(3, 30_000)).toMatchObject({ claimed: 1, moreDue: false });
    // The one an hour away is next.
    expect(Date.parse((await claim(4, 30_000)).nextDueAt!)).toBe(later.getTime());
    const [claimed] = await database.db.execute<{ status: string; ahead: boolean }>(sql`
      SELECT status, next_attempt_at > now() + interval '10 seconds' AS ahead FROM run_recipients WHERE run_id = ${runId} AND user_id = ${ids.gold}`);
    expect(claimed).toEqual({ status: 'pending', ahead: true });
    // Claimed but not due: neither counted due nor making the run look behind.
    const figures = await queueFigures(database.db, runId);
    expect(figures).toMatchObject({ firingsWaiting: 1, firingsDue: 0, lagMs: 0 });
    // Due firings fill a whole claim: a backlog is not held to half.
    await database.db.execute(sql`
      INSERT INTO trigger_firings (run_id, user_id, event_id, due_at) VALUES
        (${runId}, ${ids.silver}, 4, now() - interval '1 second'), (${runId}, ${ids.gold3}, 5, now() - interval '1 second')`);
    expect(await claim(5, 30_000)).toMatchObject({ claimed: 2 });
    await database.db.execute(sql`UPDATE run_recipients SET next_attempt_at = now() - interval '2 seconds' WHERE run_id = ${runId} AND attempts = 0`);
    const due = await queueFigures(database.db, runId);
    // The two claimed ahead (the backlog's silver user is outside the segment, skipped; gold-3 holds its `once` send).
    expect(due.firingsDue).toBe(2);
    expect(due.lagMs).toBeGreaterThanOrEqual(2_000);
  });

  it('a send claimed ahead of its due time waits for it: no request comes before its firing is due', async () => {
    const users = await insertUsers(
      database.db,
      Array.from({ length: 30 }, (_, i) => ({ loginId: `ev-lead-${i}`, attributes: { vip_level: 'gold' } })),
    );
    const campaign = await launch('on time', '/on-time', { type: 'event', event: 'cart_view', delay: 'PT2S' });
    const [run] = await database.db.select().from(campaignRuns).where(eq(campaignRuns.campaignId, campaign.id));
    // Two batches a little apart, so the run's first claim (made ahead of the first due time) takes firings due at
    // two moments, and a later claim those of the second if the first did not.
    const dueOf = new Map<string, number>();
    for (const batch of [users.slice(0, 15), users.slice(15)]) {
      const offset = users.indexOf(batch[0]!);
      expect((await ingest(batch.map((_, i) => ({ name: 'cart_view', loginId: `ev-lead-${offset + i}` })))).body).toMatchObject({ accepted: batch.length });
      const rows = await until(
        () => database.db.execute<{ user_id: string; due: number }>(sql`SELECT user_id, (extract(epoch FROM due_at) * 1000)::float8 AS due FROM trigger_firings WHERE run_id = ${run!.id}`),
        (r) => batch.every((id) => r.some((row) => row.user_id === id)),
      );
      for (const row of rows) dueOf.set(row.user_id, row.due);
      await sleep(300);
    }
    expect(dueOf.size).toBe(30);
    const requests = await until(() => at('/on-time'), (r) => r.length === 30);
    const loginOf = new Map(users.map((id, i) => [`ev-lead-${i}`, id]));
    for (const request of requests) {
      const { userid } = JSON.parse(request.body) as { userid: string };
      // The receiver stamps a request when it has arrived: never before its due time (ms, as the database's clock truncated).
      expect(request.receivedAt).toBeGreaterThanOrEqual(Math.floor(dueOf.get(loginOf.get(userid)!)!));
    }
  });

  it('events while paused are stored, not acted on, and not replayed on resume', async () => {
    const campaign = await launch('paused listener', '/paused', { type: 'event', event: 'share', frequency: { atMostEvery: 'PT1S' } });
    const paused = await api.call('POST', `/api/campaigns/${campaign.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('paused');
    expect((await ingest([{ name: 'share', loginId: 'ev-gold-3' }])).body).toMatchObject({ accepted: 1 });
    await sleep(1500);
    const resumed = await api.call('POST', `/api/campaigns/${campaign.id}/resume`);
    expect(resumed.body.status).toBe('running');
    await sleep(2000);
    expect(at('/paused')).toHaveLength(0);
    const [stored] = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM events WHERE name = 'share'`);
    expect(stored!.n).toBe(1);
    await ingest([{ name: 'share', loginId: 'ev-gold-3' }]);
    await until(() => at('/paused'), (r) => r.length === 1);
  });

  it('a send falling due during a pause waits and goes out once after the resume', async () => {
    const campaign = await launch('held over a pause', '/held', { type: 'event', event: 'bookmark', delay: 'PT1S' });
    await ingest([{ name: 'bookmark', loginId: 'ev-gold' }]);
    expect((await api.call('POST', `/api/campaigns/${campaign.id}/pause`)).body.status).toBe('paused');
    await sleep(2500);
    expect(at('/held')).toHaveLength(0);
    // Due during the pause: waiting, and the API shows how long it has been due.
    const waiting = await api.call('GET', `/api/campaigns/${campaign.id}`);
    expect(waiting.body.eventTrigger).toMatchObject({ eventsCounted: 1, firingsWaiting: 1, firingsDue: 1 });
    expect(waiting.body.eventTrigger.lagMs).toBeGreaterThan(1000);
    await api.call('POST', `/api/campaigns/${campaign.id}/resume`);
    await until(() => at('/held'), (r) => r.length === 1);
    await sleep(1000);
    expect(at('/held')).toHaveLength(1);
    const after = await until(() => api.call('GET', `/api/campaigns/${campaign.id}`), (r) => r.body.deliveries.succeeded === 1);
    expect(after.body.eventTrigger).toMatchObject({ eventsCounted: 1, firingsWaiting: 0, firingsDue: 0, lagMs: 0 });
  });

  it('cancel drops the sends still waiting and the counting state; nothing is sent, and new events count for nothing', async () => {
    const campaign = await launch('long delay', '/cancelled', { type: 'event', event: 'wishlist', delay: 'PT30S' });
    await launch('three wishes', '/three', { type: 'event', event: 'wishlist', times: 3, within: 'PT1H' });
    await ingest([
      { name: 'wishlist', loginId: 'ev-gold' },
      { name: 'wishlist', loginId: 'ev-gold-2' },
    ]);
    const waiting = await until(() => api.call('GET', `/api/campaigns/${campaign.id}`), (r) => r.body.eventTrigger?.firingsWaiting === 2);
    expect(waiting.body.eventTrigger).toMatchObject({ eventsCounted: 2, firingsDue: 0 });
    const cancelled = await api.call('POST', `/api/campaigns/${campaign.id}/cancel`);
    expect(cancelled.status).toBe(202);
    await until(() => api.call('GET', `/api/campaigns/${campaign.id}`), (r) => r.body.status === 'cancelled');
    const [left] = await database.db.execute<{ firings: number; state: number }>(sql`
      SELECT (SELECT count(*)::int FROM trigger_firings f JOIN campaign_runs r ON r.id = f.run_id WHERE r.campaign_id = ${campaign.id}) AS firings,
             (SELECT count(*)::int FROM trigger_state WHERE campaign_id = ${campaign.id}) AS state`);
    expect(left).toEqual({ firings: 0, state: 0 });
    // The campaign no longer listens: a new event counts for nothing there (the other campaign still counts it).
    await ingest([{ name: 'wishlist', loginId: 'ev-gold-3' }]);
    await sleep(1000);
    const after = await api.call('GET', `/api/campaigns/${campaign.id}`);
    expect(after.body.eventTrigger).toMatchObject({ eventsCounted: 2, firingsWaiting: 0 });
    expect(at('/cancelled')).toHaveLength(0);
    // The three-event campaign counted three events of three users: state for each, nobody fired.
    const [counting] = await database.db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM trigger_state s JOIN campaigns c ON c.id = s.campaign_id WHERE c.name = 'three wishes' AND jsonb_array_length(s.counted) = 1`);
    expect(counting!.n).toBe(3);
  });
});
