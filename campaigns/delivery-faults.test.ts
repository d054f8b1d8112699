import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../lib/metrics.js';
import { campaignApi, countMismatches, insertSegment, waitForCampaign } from '../test/campaign-kit.js';
import { insertUsers } from '../audience/fixtures.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

const database = useTestDatabase();
const temporal = useTemporal(database);
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;

const userOf = (r: ReceivedRequest) => (JSON.parse(r.body) as { userid: string }).userid;
const seenBy = (userid: string) => receiver.requests.filter((r) => userOf(r) === userid);

beforeAll(async () => {
  api = campaignApi(database, temporal);
  receiver = await startReceiver((request, log) => {
    const userid = userOf(request);
    const nth = log.filter((r) => userOf(r) === userid).length;
    if (userid.startsWith('flaky')) return nth <= 2 ? { status: 500 } : { status: 200 };
    if (userid === 'bad') return { status: 400, body: 'no such coupon' };
    if (userid === 'gone') return { status: 410 };
    if (userid === 'busy') return nth === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 };
    if (userid === 'slow') return nth === 1 ? { status: 200, delayMs: 1_500 } : { status: 200 };
    if (userid === 'reset') return nth === 1 ? { reset: true } : { status: 200 };
    return { status: 200 };
  });
  const ids = ['ok1', 'ok2', 'ok3', 'ok4', 'ok5', 'ok6', 'flaky1', 'flaky2', 'bad', 'gone', 'busy', 'slow', 'reset'];
  await insertUsers(database.db, ids.map((loginId) => ({ loginId, attributes: { cohort: 'faults' } })));
});
afterAll(() => receiver.close());

describe('delivery under a misbehaving receiver', () => {
  it('retries what is retryable, per user, and fails the rest at once', async () => {
    const segment = await insertSegment(database, 'faults', { attribute: 'cohort', op: 'equals', value: 'faults' });
    const channel = await api.call('POST', '/api/channels', {
      name: 'flaky coupons',
      url: `${receiver.url}/coupons`,
      auth: { type: 'secret' },
      timeoutMs: 500,
      retry: { initialIntervalMs: 200, maxIntervalMs: 1_000, maxDurationMs: 60_000 },
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
      templateParams: [{ name: 'amount', displayName: '券面值', type: 'integer' }],
    });
    const draft = await api.call('POST', '/api/campaigns', { name: 'faults', segmentId: segment.id, channelId: channel.body.id, templateValues: { amount: 100 } });
    await api.call('POST', `/api/campaigns/${draft.body.id}/launch`);
    const done = await waitForCampaign(api, draft.body.id);
    expect(done.status).toBe('completed');
    expect(done.deliveries).toMatchObject({ total: 13, succeeded: 11, failed: 2, pending: 0 });

    const delivery = async (user: string) => (await api.call('GET', `/api/campaigns/${draft.body.id}/deliveries/${user}`)).body;

    for (const user of ['flaky1', 'flaky2']) {
      expect(await delivery(user)).toMatchObject({ status: 'succeeded', attempts: 3, lastHttpStatus: 200 });
      const requests = seenBy(user);
      expect(requests).toHaveLength(3);
      expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    }
    const flaky = await delivery('flaky1');
    expect(flaky.attemptLog.map((a: { outcome: string; httpStatus: number }) => [a.outcome, a.httpStatus])).toEqual([
      ['retry', 500],
      ['retry', 500],
      ['succeeded', 200],
    ]);

    expect(await delivery('bad')).toMatchObject({ status: 'failed', attempts: 1, lastHttpStatus: 400, lastError: { class: 'http_400' } });
    expect(seenBy('bad')).toHaveLength(1);

    expect(await delivery('gone')).toMatchObject({ status: 'failed', attempts: 1, lastHttpStatus: 410 });
    expect((await api.call('GET', `/api/channels/${channel.body.id}`)).body.flagged).toMatchObject({ reason: expect.stringContaining('410') });

    const busy = seenBy('busy');
    expect(busy).toHaveLength(2);
    expect(busy[1]!.receivedAt - busy[0]!.receivedAt).toBeGreaterThanOrEqual(2_000);

    const slow = await delivery('slow');
    expect(slow).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(slow.attemptLog[0]).toMatchObject({ outcome: 'retry', error: { class: 'timeout' } });

    expect(await delivery('reset')).toMatchObject({ status: 'succeeded', attempts: 2 });

    for (const user of ['ok1', 'ok2', 'ok3', 'ok4', 'ok5', 'ok6']) expect(seenBy(user)).toHaveLength(1);
    expect(await countMismatches(database)).toHaveLength(0);
    // The in-process worker shares this process's metrics registry.
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/hookcast_delivery_attempts_total\{channel="[0-9a-f-]+",outcome="retry",error_class="http_500"\} [4-9]/);
    expect(metrics).toMatch(/hookcast_delivery_attempts_total\{channel="[0-9a-f-]+",outcome="failed",error_class="http_410"\} 1/);

    const failed = await api.call('GET', `/api/campaigns/${draft.body.id}/deliveries?status=failed`);
    expect(failed.body.items.map((d: { user: { loginId: string } }) => d.user.loginId).sort()).toEqual(['bad', 'gone']);
    const page1 = await api.call('GET', `/api/campaigns/${draft.body.id}/deliveries?limit=5`);
    const page2 = await api.call('GET', `/api/campaigns/${draft.body.id}/deliveries?limit=5&cursor=${page1.body.nextCursor}`);
    expect(page1.body.items).toHaveLength(5);
    expect(page2.body.items[0].seq).toBe(page1.body.items[4].seq + 1);
    expect((await api.call('GET', `/api/campaigns/${draft.body.id}/deliveries?cursor=-3`)).status).toBe(400);

    // A flagged channel cannot launch new campaigns until an operator edits it.
    const again = await api.call('POST', '/api/campaigns', { name: 'again', segmentId: segment.id, channelId: channel.body.id, templateValues: { amount: 1 } });
    const refused = await api.call('POST', `/api/campaigns/${again.body.id}/launch`);
    expect(refused.status).toBe(409);
    expect(refused.body.issues[0].path).toBe('channelId');
  });
});
