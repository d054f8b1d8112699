import { createHmac } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { campaigns } from '../db/schema.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvents, insertUsers } from '../audience/fixtures.js';
import { campaignApi, insertSegment, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

const database = useTestDatabase();
const temporal = useTemporal(database);
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let segmentId: string;

const HOUR = 3_600_000;
/** Story 1's segment: gold VIPs who added to cart yesterday and have not paid since yesterday's start. */
const storyRule = {
  all: [
    { attribute: 'vip_level', op: 'equals', value: 'gold' },
    { event: 'add_to_cart', window: { type: 'yesterday' } },
    { noEvent: 'pay_order', window: { type: 'since', daysAgo: 1 } },
  ],
};

beforeAll(async () => {
  api = campaignApi(database, temporal);
  receiver = await startReceiver();
  const now = Date.now();
  const [member, paid, silver, idle, visitor] = await insertUsers(database.db, [
    { loginId: 'story-u1', visitorId: 'v-1', attributes: { vip_level: 'gold', name: '小雪' } },
    { loginId: 'story-u2', visitorId: 'v-2', attributes: { vip_level: 'gold' } },
    { loginId: 'story-u3', attributes: { vip_level: 'silver' } },
    { loginId: 'story-u4', attributes: { vip_level: 'gold' } },
    { visitorId: 'story-v5', attributes: { vip_level: 'gold' } },
  ]);
  const ago = (ms: number) => new Date(now - ms).toISOString();
  await insertEvents(database.db, member!, [['add_to_cart', ago(24 * HOUR)]]);
  await insertEvents(database.db, paid!, [['add_to_cart', ago(24 * HOUR)], ['pay_order', ago(HOUR)]]);
  await insertEvents(database.db, silver!, [['add_to_cart', ago(24 * HOUR)]]);
  await insertEvents(database.db, idle!, [['view_page', ago(24 * HOUR)]]);
  await insertEvents(database.db, visitor!, [['add_to_cart', ago(24 * HOUR)]]);
  segmentId = (await insertSegment(database, 'gold carts without orders', storyRule)).id;
});
afterAll(() => receiver.close());

async function couponChannel(extra: Record<string, unknown> = {}) {
  const res = await api.call('POST', '/api/channels', {
    name: `白鸽卡券中心 ${Math.random().toString(36).slice(2, 8)}`,
    url: `${receiver.url}/coupons`,
    auth: { type: 'secret' },
    templateParams: [{ name: 'amount', displayName: '券面值', type: 'integer' }],
    ...extra,
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; auth: { secret: string } };
}

function verified(secret: string, path: string) {
  const wh = new Webhook(secret);
  return receiver.requests
    .filter((r) => r.url === path)
    .map((r) =>
      wh.verify(r.body, {
        'webhook-id': String(r.headers['webhook-id']),
        'webhook-timestamp': String(r.headers['webhook-timestamp']),
        'webhook-signature': String(r.headers['webhook-signature']),
      }),
    );
}

describe('seed stories end to end', () => {
  it('story 1: every gold VIP cart-abandoner gets a signed 100-yuan coupon request', async () => {
    const channel = await couponChannel({ url: `${receiver.url}/story1` });
    const draft = await api.call('POST', '/api/campaigns', {
      name: '昨日加购未下单黄金会员 100 元券',
      segmentId,
      channelId: channel.id,
      identity: 'visitor',
      templateValues: { amount: 100 },
      trigger: { type: 'once', sendAt: 'now' },
    });
    expect(draft.status).toBe(201);
    expect(draft.body.status).toBe('draft');
    const launched = await api.call('POST', `/api/campaigns/${draft.body.id}/launch`);
    expect(launched.status).toBe(200);
    expect(launched.body.temporal.workflowId).toBe(`campaign-${draft.body.id}-once`);
    expect(launched.body.temporal.url).toContain(`/namespaces/default/workflows/campaign-${draft.body.id}-once`);

    const done = await waitForCampaign(api, draft.body.id);
    expect(done.status).toBe('completed');
    expect(done.deliveries).toMatchObject({ total: 2, succeeded: 2, pending: 0, failed: 0 });
    expect(done.run).toMatchObject({ audience: { total: 2, skipped: 0 }, definition: { templateValues: { amount: 100 }, identity: 'visitor' } });
    expect(done.run.definition.channel.templateParams).toEqual([{ name: 'amount', displayName: '券面值', type: 'integer', required: false }]);
    expect(JSON.stringify(done.run)).not.toContain(channel.auth.secret);
    const bodies = verified(channel.auth.secret, '/story1');
    expect(bodies).toEqual([{ amount: 100 }, { amount: 100 }]);
    const ids = receiver.requests.filter((r) => r.url === '/story1').map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(2);
  });

  it('story 2: the login user id is passed as userid; members without one are recorded as skipped', async () => {
    const channel = await couponChannel({
      url: `${receiver.url}/story2`,
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
    });
    const draft = await api.call('POST', '/api/campaigns', {
      name: 'story 2',
      segmentId,
      channelId: channel.id,
      identity: 'login',
      templateValues: { amount: 100 },
    });
    await api.call('POST', `/api/campaigns/${draft.body.id}/launch`);
    const done = await waitForCampaign(api, draft.body.id);
    expect(done.deliveries).toMatchObject({ total: 2, succeeded: 1, skipped: 1 });
    expect(verified(channel.auth.secret, '/story2')).toEqual([{ userid: 'story-u1', amount: 100 }]);

    const skipped = await api.call('GET', `/api/campaigns/${draft.body.id}/deliveries?status=skipped`);
    expect(skipped.body.items).toHaveLength(1);
    expect(skipped.body.items[0]).toMatchObject({ user: { visitorId: 'story-v5', loginId: null }, status: 'skipped', lastError: { class: 'no_login_id' } });

    const mine = await api.call('GET', `/api/campaigns/${draft.body.id}/deliveries/story-u1`);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ status: 'succeeded', attempts: 1, lastHttpStatus: 200 });
    expect(mine.body.attemptLog).toEqual([expect.objectContaining({ attempt: 1, outcome: 'succeeded', httpStatus: 200 })]);
    expect(Date.parse(mine.body.lastAttemptAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('renders Liquid text per user (story 3 shape) and sends GrowingIO-format batches', async () => {
    const channel = await couponChannel({
      url: `${receiver.url}/gio`,
      format: 'growingio',
      batchSize: 10,
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'visitor' }],
      templateParams: [
        { name: 'amount', displayName: '券面值', type: 'integer' },
        { name: 'message', displayName: '短信', type: 'text' },
      ],
    });
    const draft = await api.call('POST', '/api/campaigns', {
      name: 'gio batch',
      segmentId,
      channelId: channel.id,
      identity: 'visitor',
      templateValues: { amount: 100, message: '亲爱的{{ user.name | default: "会员" }}，生日快乐！' },
    });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
    const done = await waitForCampaign(api, draft.body.id);
    expect(done.deliveries).toMatchObject({ total: 2, succeeded: 2 });
    const sent = receiver.requests.filter((r) => r.url === '/gio');
    expect(sent).toHaveLength(1);
    const signature = createHmac('sha256', channel.auth.secret).update(sent[0]!.body).digest('hex');
    expect(sent[0]!.headers['x-gio-signature']).toBe(signature);
    const body = JSON.parse(sent[0]!.body);
    expect(body.name).toMatch(/^白鸽卡券中心/);
    expect(body.templateParam).toEqual({ amount: 100, message: '亲爱的{{ user.name | default: "会员" }}，生日快乐！' });
    expect(body.timestamp).toMatch(/^\d{13}$/);
    expect(body.userAttr).toEqual(
      expect.arrayContaining([
        { userid: 'v-1', amount: 100, message: '亲爱的小雪，生日快乐！' },
        { userid: 'story-v5', amount: 100, message: '亲爱的会员，生日快乐！' },
      ]),
    );
  });
});

describe('launch and lifecycle rules', () => {
  it('refuses to launch with 409 and every reason', async () => {
    const channel = await couponChannel({ templateParams: [{ name: 'amount', displayName: '券面值', type: 'integer', required: true }] });
    const draft = await api.call('POST', '/api/campaigns', {
      name: 'incomplete',
      channelId: channel.id,
      templateValues: { colour: 'red' },
      trigger: { type: 'once', sendAt: new Date(Date.now() - 5 * 60_000).toISOString() },
    });
    expect(draft.status).toBe(201);
    const res = await api.call('POST', `/api/campaigns/${draft.body.id}/launch`);
    expect(res.status).toBe(409);
    expect(res.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(
      ['segmentId', 'templateValues.amount', 'templateValues.colour', 'trigger.sendAt'].sort(),
    );
    expect((await api.call('GET', `/api/campaigns/${draft.body.id}`)).body.status).toBe('draft');
  });

  it('rejects bad drafts with 400 naming fields, and unknown references', async () => {
    const bad = await api.call('POST', '/api/campaigns', { name: '', identity: 'phone', trigger: { type: 'weekly' }, expiresAt: 'tomorrow' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['expiresAt', 'identity', 'name', 'trigger.type']);
    const missing = await api.call('POST', '/api/campaigns', { name: 'x', channelId: '00000000-0000-4000-8000-000000000000' });
    expect(missing.status).toBe(400);
    expect(missing.body.issues).toEqual([{ path: 'channelId', message: 'no channel has this id', code: 'unknown_reference', params: { kind: 'channel' } }]);
  });

  it('waits for a future send time, edits only drafts, and refuses illegal transitions', async () => {
    const channel = await couponChannel({ url: `${receiver.url}/later` });
    const draft = await api.call('POST', '/api/campaigns', { name: 'later', segmentId, channelId: channel.id, identity: 'visitor', templateValues: { amount: 5 } });
    expect((await api.call('PATCH', `/api/campaigns/${draft.body.id}`, { templateValues: { amount: 7 } })).body.templateValues).toEqual({ amount: 7 });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/pause`)).status).toBe(409);
    const sendAt = new Date(Date.now() + 2_500).toISOString();
    await api.call('PATCH', `/api/campaigns/${draft.body.id}`, { trigger: { type: 'once', sendAt } });
    const launched = await api.call('POST', `/api/campaigns/${draft.body.id}/launch`);
    expect(launched.body.status).toBe('scheduled');
    expect((await api.call('PATCH', `/api/campaigns/${draft.body.id}`, { name: 'renamed' })).status).toBe(409);
    expect((await api.call('DELETE', `/api/campaigns/${draft.body.id}`)).status).toBe(409);
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(409);
    // The channel cannot be deleted while the campaign is live, and editing it does not change the launched run.
    expect((await api.call('DELETE', `/api/channels/${channel.id}`)).status).toBe(409);
    expect((await api.call('DELETE', `/api/segments/${segmentId}`)).status).toBe(409);
    expect((await api.call('PATCH', `/api/channels/${channel.id}`, { url: `${receiver.url}/edited` })).status).toBe(200);

    const done = await waitForCampaign(api, draft.body.id);
    expect(done.status).toBe('completed');
    expect(receiver.requests.filter((r) => r.url === '/edited')).toHaveLength(0);
    const first = receiver.requests.find((r) => r.url === '/later')!;
    expect(first.receivedAt).toBeGreaterThanOrEqual(Date.parse(sendAt));
    const pause = await api.call('POST', `/api/campaigns/${draft.body.id}/pause`);
    expect(pause.status).toBe(409);
    // A stale status (the run ended between our read and Temporal's answer) is still a 409, not a 500.
    await database.db.update(campaigns).set({ status: 'running' }).where(eq(campaigns.id, draft.body.id));
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/pause`)).status).toBe(409);
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/cancel`)).status).toBe(409);
    await database.db.update(campaigns).set({ status: 'completed' }).where(eq(campaigns.id, draft.body.id));
    expect((await api.call('GET', '/api/campaigns?status=completed')).body.items.map((c: { id: string }) => c.id)).toContain(draft.body.id);
    expect((await api.call('GET', '/api/campaigns?status=bogus')).status).toBe(400);
  });

  it('test-sends a campaign to one named user', async () => {
    const channel = await couponChannel({ url: `${receiver.url}/campaign-test`, userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }] });
    const draft = await api.call('POST', '/api/campaigns', { name: 'try', segmentId, channelId: channel.id, templateValues: { amount: 100 } });
    const res = await api.call('POST', `/api/campaigns/${draft.body.id}/test`, { user: 'story-u3' });
    expect(res.status).toBe(200);
    expect(res.body.verdict).toBe('ok');
    expect(verified(channel.auth.secret, '/campaign-test')).toEqual([{ userid: 'story-u3', amount: 100 }]);
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/test`, { user: 'nobody' })).status).toBe(400);
  });
});
