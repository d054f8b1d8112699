import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, countMismatches, insertSegment, userIdChannel, waitForCampaign, type CampaignApi } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

/*
 * Quiet hours and per-user caps end to end: the real dev server and worker,
 * PostgreSQL, and a loopback receiver.
 */
const database = useTestDatabase();
const temporal = useTemporal(database);
let api: CampaignApi;
let receiver: Receiver;

beforeAll(async () => {
  api = campaignApi(database, temporal);
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

const userid = (request: ReceivedRequest) => (JSON.parse(request.body) as { userid: string }).userid;
const at = (path: string) => receiver.requests.filter((r) => r.url === path);

async function cohort(name: string, loginIds: string[]) {
  await insertUsers(database.db, loginIds.map((loginId) => ({ loginId, attributes: { cohort: name } })));
  return insertSegment(database, `cohort ${name}`, { attribute: 'cohort', op: 'equals', value: name });
}

async function draft(body: Record<string, unknown>): Promise<string> {
  const created = await api.call('POST', '/api/campaigns', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

async function launch(id: string) {
  const launched = await api.call('POST', `/api/campaigns/${id}/launch`);
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
}

/** Every delivery of a campaign's current run with the given status. */
async function deliveries(id: string, status: string) {
  const page = await api.call('GET', `/api/campaigns/${id}/deliveries?status=${status}&limit=500`);
  expect(page.status).toBe(200);
  return page.body.items as { user: { loginId: string }; status: string; attempts: number; lastError: { class: string; message: string } | null }[];
}

describe('a channel per-user cap', () => {
  it('holds when two campaigns reach the same users at the same moment: each user gets at most max requests', async () => {
    const USERS = 40;
    const loginIds = Array.from({ length: USERS }, (_, i) => `both-${i}`);
    const segment = await cohort('both', loginIds);
    receiver.behave(() => ({ status: 200, delayMs: 20 }));
    const channelId = await userIdChannel(api, 'capped once a day', `${receiver.url}/capped`, { userCap: { max: 1, per: 'P1D' } });
    const ids = [await draft({ name: 'cap A', segmentId: segment.id, channelId }), await draft({ name: 'cap B', segmentId: segment.id, channelId })];
    await Promise.all(ids.map(launch));
    const done = await Promise.all(ids.map((id) => waitForCampaign(api, id)));

    const received = at('/capped').map(userid);
    expect(received).toHaveLength(USERS);
    expect(new Set(received).size).toBe(USERS);
    expect(done.every((c) => c.status === 'completed')).toBe(true);
    expect(done[0].deliveries.succeeded + done[1].deliveries.succeeded).toBe(USERS);
    expect(done[0].deliveries.skipped + done[1].deliveries.skipped).toBe(USERS);
    const skipped = [...(await deliveries(ids[0]!, 'skipped')), ...(await deliveries(ids[1]!, 'skipped'))];
    expect(skipped).toHaveLength(USERS);
    for (const d of skipped) {
      expect(d.lastError?.class).toBe('user_cap');
      expect(d.attempts).toBe(0);
    }
    // Whoever won a user, the other run skipped exactly that user.
    const sentByA = new Set((await deliveries(ids[0]!, 'succeeded')).map((d) => d.user.loginId));
    const skippedByB = new Set((await deliveries(ids[1]!, 'skipped')).map((d) => d.user.loginId));
    expect(skippedByB).toEqual(sentByA);
    expect(await countMismatches(database)).toHaveLength(0);
  }, 120_000);

  it('a failed delivery does not use up the cap, and a retried one counts once', async () => {
    const segment = await cohort('retry', ['fails', 'flaky', 'fine']);
    let flakyCalls = 0;
    receiver.behave((request) => {
      const who = userid(request);
      if (who === 'fails') return { status: 400 };
      if (who === 'flaky' && flakyCalls++ === 0) return { status: 503 };
      return { status: 200 };
    });
    const channelId = await userIdChannel(api, 'capped, retrying', `${receiver.url}/retrying`, {
      userCap: { max: 1, per: 'PT12H' },
      retry: { initialIntervalMs: 200, maxIntervalMs: 1_000, maxDurationMs: 60_000 },
    });
    const first = await draft({ name: 'first', segmentId: segment.id, channelId });
    await launch(first);
    const one = await waitForCampaign(api, first);
    // With max 1, a retry that counted its own earlier attempt would have been skipped.
    expect(one.deliveries).toMatchObject({ succeeded: 2, failed: 1, skipped: 0 });
    expect((await deliveries(first, 'succeeded')).find((d) => d.user.loginId === 'flaky')?.attempts).toBe(2);

    receiver.behave(() => ({ status: 200 }));
    const second = await draft({ name: 'second', segmentId: segment.id, channelId });
    await launch(second);
    const two = await waitForCampaign(api, second);
    expect(two.deliveries).toMatchObject({ succeeded: 1, skipped: 2 });
    expect((await deliveries(second, 'succeeded')).map((d) => d.user.loginId)).toEqual(['fails']);
    expect(at('/retrying').map(userid).sort()).toEqual(['fails', 'fails', 'fine', 'flaky', 'flaky']);
  }, 120_000);
});

/** HH:MM of an instant in UTC. */
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

describe('quiet hours', () => {
  it('skip mode records every user skipped with reason quiet_hours and sends nothing', async () => {
    const segment = await cohort('night owls', ['owl-1', 'owl-2', 'owl-3']);
    receiver.behave(() => ({ status: 200 }));
    const channelId = await userIdChannel(api, 'quiet skip', `${receiver.url}/quiet-skip`);
    const now = Date.now();
    const id = await draft({
      name: 'quiet, skipping',
      segmentId: segment.id,
      channelId,
      timeZone: 'UTC',
      quietHours: { from: hhmm(now - 60_000), to: hhmm(now + 120_000), mode: 'skip' },
    });
    await launch(id);
    const done = await waitForCampaign(api, id);
    expect(done.status).toBe('completed');
    expect(done.deliveries).toMatchObject({ total: 3, skipped: 3, succeeded: 0 });
    const skipped = await deliveries(id, 'skipped');
    expect(skipped.map((d) => d.lastError?.class)).toEqual(['quiet_hours', 'quiet_hours', 'quiet_hours']);
    expect(at('/quiet-skip')).toHaveLength(0);
  }, 60_000);

  it('wait mode: a send and a retry due inside quiet hours wait durably until they end, then go out', async () => {
    // The quiet window is the next whole minute (quiet hours are minutes of the clock), at least 8 s away.
    let windowStart = Math.ceil(Date.now() / 60_000) * 60_000;
    if (windowStart - Date.now() < 8_000) windowStart += 60_000;
    const windowEnd = windowStart + 60_000;
    const quietHours = { from: hhmm(windowStart), to: hhmm(windowEnd) };

    // A campaign scheduled to send inside the window.
    const sleepers = await cohort('sleepers', ['sleeper-1', 'sleeper-2', 'sleeper-3', 'sleeper-4', 'sleeper-5', 'sleeper-6']);
    const late = await cohort('late', ['late-1']);
    const channelId = await userIdChannel(api, 'quiet wait', `${receiver.url}/quiet-wait`, {
      retry: { initialIntervalMs: 100, maxIntervalMs: 1_000, maxDurationMs: 600_000 },
    });
    // The late user's first attempt, before the window, asks to be retried once the window has begun.
    let lateCalls = 0;
    receiver.behave((request) => {
      if (userid(request) === 'late-1' && lateCalls++ === 0) {
        return { status: 503, headers: { 'retry-after': String(Math.ceil((windowStart - Date.now()) / 1000) + 2) } };
      }
      return { status: 200 };
    });
    const scheduled = await draft({
      name: 'scheduled into the quiet hours',
      segmentId: sleepers.id,
      channelId,
      timeZone: 'UTC',
      quietHours,
      trigger: { type: 'once', sendAt: new Date(windowStart + 2_000).toISOString() },
    });
    const retried = await draft({ name: 'retried into the quiet hours', segmentId: late.id, channelId, timeZone: 'UTC', quietHours });
    await launch(scheduled);
    await launch(retried);

    // Inside the window: the scheduled run shows its wait and nothing has gone out but the first attempt.
    await new Promise((r) => setTimeout(r, windowStart + 6_000 - Date.now()));
    const waiting = await waitForCampaign(api, scheduled, (c) => c.run?.quietUntil !== null && c.run?.quietUntil !== undefined, 20_000);
    expect(waiting.run.quietUntil).toBe(new Date(windowEnd).toISOString());
    expect(waiting.deliveries).toMatchObject({ pending: 6, succeeded: 0 });
    expect(at('/quiet-wait').map(userid)).toEqual(['late-1']);
    const retriedNow = await api.call('GET', `/api/campaigns/${retried}`);
    expect(retriedNow.body.run.quietUntil).toBe(new Date(windowEnd).toISOString());

    const [a, b] = await Promise.all([waitForCampaign(api, scheduled, undefined, 90_000), waitForCampaign(api, retried, undefined, 90_000)]);
    expect(a.deliveries).toMatchObject({ total: 6, succeeded: 6 });
    expect(b.deliveries).toMatchObject({ total: 1, succeeded: 1 });
    expect(a.run.quietUntil).toBeNull();
    const requests = at('/quiet-wait');
    expect(requests).toHaveLength(8);
    // Everything but the first attempt arrived after the window ended, and nothing in it.
    expect(requests[0]!.receivedAt).toBeLessThan(windowStart);
    for (const r of requests.slice(1)) expect(r.receivedAt).toBeGreaterThanOrEqual(windowEnd);
  }, 200_000);
});
