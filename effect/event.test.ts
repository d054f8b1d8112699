import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { insertSegment, userIdChannel, waitForCampaign, type CampaignApi } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { eventCampaignApi, type EventCampaignApi } from '../test/event-kit.js';
import { expectedFigures, insertGenerated, recipientsOf, type GeneratedEvent } from '../test/effect-kit.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';
import { isHeldOut } from './holdout.js';
import { finalizeRunEffect } from './store.js';

/*
 * An event-triggered campaign's run end to end: events ingested through the
 * API, counted by the relay, claimed by the run's workflow on the real
 * worker, which records the control group (the hold-out hash, decided in the
 * claim's INSERT) and sends the rest through the batch path. Attribution and
 * the stored figures work on those rows as on any run's.
 */
const database = useTestDatabase();
const temporal = useTemporal(database);
let api: EventCampaignApi;
let receiver: Receiver;
const USERS = 300;
const MINUTE = 60_000;

beforeAll(async () => {
  api = eventCampaignApi(database, temporal);
  await api.start();
  receiver = await startReceiver();
  await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `ev-${i}`, attributes: { cohort: 'event-effect' } })));
});
afterAll(async () => {
  await api?.stop();
  await receiver?.close();
});

describe('the effect of an event-triggered campaign', () => {
  it('measures firings recorded with held-out rows and sent through the batch path, and stores the figures once the run has ended', async () => {
    const segment = await insertSegment(database, 'event effect', { attribute: 'cohort', op: 'equals', value: 'event-effect' });
    const channelId = await userIdChannel(api as unknown as CampaignApi, 'event effect channel', `${receiver.url}/event`);
    const goal = { event: 'order', within: 'PT1H', value: 'amount' };
    const draft = await api.call('POST', '/api/campaigns', {
      name: 'cart reminder',
      segmentId: segment.id,
      channelId,
      goal,
      holdout: { percent: 10 },
      trigger: { type: 'event', event: 'add_to_cart' },
    });
    const id = draft.body.id as string;
    const launched = await api.call('POST', `/api/campaigns/${id}/launch`);
    expect(launched.status).toBe(200);
    const runId = launched.body.run.id as string;
    expect(launched.body.run.definition.holdout).toEqual({ percent: 10, draw: 1 });

    // Every user adds to cart once: each event fires, and the run's claims record the control group or send.
    const draw = { campaignId: id, ...launched.body.run.definition.holdout };
    const events = Array.from({ length: USERS }, (_, i) => ({ name: 'add_to_cart', loginId: `ev-${i}` }));
    expect((await api.call('POST', '/api/events', { events })).body.accepted).toBe(USERS);
    for (const deadline = Date.now() + 60_000; ; ) {
      const [row] = await database.db.execute<{ done: number }>(sql`
        SELECT count(*)::int AS done FROM run_recipients WHERE run_id = ${runId} AND (status = 'succeeded' OR (status = 'held_out' AND held_out_at IS NOT NULL))`);
      if (row!.done === USERS) break;
      if (Date.now() > deadline) throw new Error(`only ${row!.done} of ${USERS} users settled`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const recipients = await recipientsOf(database, runId);
    const heldOut = recipients.filter((r) => r.status === 'held_out');
    expect(new Set(heldOut.map((r) => r.userId))).toEqual(new Set(recipients.filter((r) => isHeldOut(draw, r.userId)).map((r) => r.userId)));
    expect(heldOut.every((r) => r.start !== null)).toBe(true);
    expect(recipients.filter((r) => r.status === 'succeeded')).toHaveLength(USERS - heldOut.length);
    const requested = new Set(receiver.requests.map((r) => (JSON.parse(r.body) as { userid: string }).userid));
    expect(heldOut.filter((r) => requested.has(r.loginId!))).toEqual([]);

    const generated: GeneratedEvent[] = recipients.flatMap((r, i) =>
      i % 3 === 0 ? [{ userId: r.userId, name: 'order', at: new Date(r.start!.getTime() + (i % 50) * MINUTE), properties: { amount: 100 + i } }] : [],
    );
    await insertGenerated(database, generated);
    const expected = expectedFigures(recipients, generated, 3_600_000, (e) => e.name === 'order');
    const live = (await api.call('GET', `/api/campaigns/${id}/effect`)).body;
    expect(live).toMatchObject({
      runs: 1,
      status: 'provisional',
      windowOpen: true,
      // The run still listens: when its last window closes is not known yet.
      windowClosesAt: null,
      sent: { users: expected.sent.users, conversions: expected.sent.conversions, value: expected.sent.value },
      control: { users: expected.control.users, conversions: expected.control.conversions, value: expected.control.value },
    });

    // The run ends (cancelled here); its workflow's finalizeEffect stores the figures once the window and grace have passed.
    expect((await api.call('POST', `/api/campaigns/${id}/cancel`)).status).toBe(202);
    const ended = await waitForCampaign(api, id, (c) => c.status === 'cancelled');
    const finishedAt = Date.parse(ended.run.finishedAt);
    expect(await finalizeRunEffect(database.db, runId, new Date(finishedAt + 1000))).toEqual({ waitUntil: new Date(finishedAt + 2 * 3_600_000).toISOString() });
    expect(await finalizeRunEffect(database.db, runId, new Date(finishedAt + 2 * 3_600_000))).toEqual({ stored: true });
    const final = (await api.call('GET', `/api/campaigns/${id}/effect`)).body;
    expect(final).toMatchObject({ status: 'final', windowOpen: false, sent: live.sent, control: live.control, difference: live.difference });
  }, 120_000);
});
