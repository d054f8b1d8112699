import { WorkflowNotFoundError } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { insertSegment } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { eventCampaignApi, type EventCampaignApi } from '../test/event-kit.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';
import { eventTriggerWorkflowId } from '../workflows/event-trigger.js';

/*
 * Event-triggered campaigns end to end: POST /api/events → outbox → relay →
 * per-user workflow on the real dev server and worker → signed request to a
 * real receiver, with the delivery records the API shows.
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
  api = eventCampaignApi(database, temporal, { workflowTuning: { pauseRecheckMs: 300 } });
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
    expect(res.body.issues).toEqual([{ path: 'trigger.within', message: expect.stringMatching(/required when times is more than 1/) }]);
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

  it('cancel stops every per-user workflow of the campaign, and nothing is sent', async () => {
    const campaign = await launch('long delay', '/cancelled', { type: 'event', event: 'wishlist', delay: 'PT30S' });
    await ingest([
      { name: 'wishlist', loginId: 'ev-gold' },
      { name: 'wishlist', loginId: 'ev-gold-2' },
    ]);
    const handles = [ids.gold!, ids.gold2!].map((user) => temporal.client.workflow.getHandle(eventTriggerWorkflowId(campaign.id, user)));
    for (const handle of handles) await until(() => handle.describe().then((d) => d.status.name, (e: unknown) => (e instanceof WorkflowNotFoundError ? 'none' : 'error')), (s) => s === 'RUNNING');
    const cancelled = await api.call('POST', `/api/campaigns/${campaign.id}/cancel`);
    expect(cancelled.status).toBe(202);
    await until(() => api.call('GET', `/api/campaigns/${campaign.id}`), (r) => r.body.status === 'cancelled');
    for (const handle of handles) expect((await handle.describe()).status.name).toBe('CANCELLED');
    // The campaign no longer listens: a new event starts nothing.
    await ingest([{ name: 'wishlist', loginId: 'ev-gold-3' }]);
    await sleep(1000);
    await expect(temporal.client.workflow.getHandle(eventTriggerWorkflowId(campaign.id, ids.gold3!)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(at('/cancelled')).toHaveLength(0);
  });
});
