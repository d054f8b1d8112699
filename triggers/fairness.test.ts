import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { insertSegment, userIdChannel } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { eventCampaignApi, type EventCampaignApi } from '../test/event-kit.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

/*
 * No campaign starves another: while an event campaign works through a
 * backlog of 10,000 due sends on a slow endpoint, a one-time campaign launched
 * beside it on the same worker starts sending at once and finishes while the
 * backlog is still there, and the operator's pause, resume and cancel of
 * either are acknowledged at once. (Before the due-firing queue, a burst was
 * 10,000 workflows queued ahead of everything else: the one-time campaign
 * sent nothing for minutes, and so did a cancel.) The bounds here only tell
 * "at once" from "minutes"; bench:trigger prints the figures.
 */

const database = useTestDatabase();
const temporal = useTemporal(database);
let api: EventCampaignApi;
let receiver: Receiver;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const at = (path: string) => receiver.requests.filter((r) => r.url === path);

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: Math.round(performance.now() - started) };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  for (const deadline = Date.now() + timeoutMs; !(await check()); ) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

beforeAll(async () => {
  // One-time runs fan out as in production (batches of a few users would be slow for reasons of their own).
  api = eventCampaignApi(database, temporal, { fanOut: { batchSize: 250, window: 4, childrenPerExecution: 400 } });
  await api.start();
  receiver = await startReceiver();
  // Slow endpoints: the burst's requests take 200 ms, the one-time campaign's 100 ms.
  receiver.behave((request) => ({ status: 200, delayMs: request.url === '/burst' ? 200 : 100 }));
});

afterAll(async () => {
  await api?.stop();
  await receiver?.close();
});

describe('an event campaign with a backlog of 10,000 due sends', () => {
  it('does not hold up a one-time campaign beside it, nor the controls of either', async () => {
    const everyone = await insertSegment(database, 'everyone', { attribute: 'cohort', op: 'notExists' });
    const burst = await api.call('POST', '/api/campaigns', {
      name: 'burst',
      segmentId: everyone.id,
      channelId: await userIdChannel(api, 'burst', `${receiver.url}/burst`),
      trigger: { type: 'event', event: 'flash', delay: 'PT2S' },
    });
    expect((await api.call('POST', `/api/campaigns/${burst.body.id}/launch`)).status).toBe(200);
    for (let b = 0; b < 10; b += 1) {
      const events = Array.from({ length: 1000 }, (_, i) => ({ name: 'flash', loginId: `burst-${b * 1000 + i}` }));
      expect((await api.call('POST', '/api/events', { events })).body.accepted).toBe(1000);
    }
    const figures = async () => (await api.call('GET', `/api/campaigns/${burst.body.id}`)).body.eventTrigger as { firingsDue: number; firingsWaiting: number };
    await until(async () => (await figures()).firingsWaiting === 10_000 || at('/burst').length > 0, 20_000, 'the burst counted');
    await until(() => at('/burst').length > 100, 30_000, 'the burst sending');

    // A one-time campaign launched beside the backlog.
    await insertUsers(database.db, Array.from({ length: 3000 }, (_, i) => ({ loginId: `once-${i}`, attributes: { cohort: 'once' } })));
    const cohort = await insertSegment(database, 'once cohort', { attribute: 'cohort', op: 'equals', value: 'once' });
    const once = await api.call('POST', '/api/campaigns', { name: 'beside', segmentId: cohort.id, channelId: await userIdChannel(api, 'once', `${receiver.url}/once`) });
    const launch = await timed(() => api.call('POST', `/api/campaigns/${once.body.id}/launch`));
    expect(launch.value.status).toBe(200);
    const launchedAt = Date.now();
    await until(() => at('/once').length > 0, 10_000, 'the one-time campaign\'s first request');
    const firstRequestMs = at('/once')[0]!.receivedAt - launchedAt;
    const dueAtFirst = (await figures()).firingsDue;
    const burstAtFirst = at('/burst').length;

    // Pause and resume the one-time campaign while it sends, then the event campaign.
    const pauseOnce = await timed(() => api.call('POST', `/api/campaigns/${once.body.id}/pause`));
    expect(pauseOnce.value.body.status).toBe('paused');
    const resumeOnce = await timed(() => api.call('POST', `/api/campaigns/${once.body.id}/resume`));
    expect(resumeOnce.value.body.status).toBe('running');
    const pauseBurst = await timed(() => api.call('POST', `/api/campaigns/${burst.body.id}/pause`));
    expect(pauseBurst.value.body.status).toBe('paused');
    const resumeBurst = await timed(() => api.call('POST', `/api/campaigns/${burst.body.id}/resume`));
    expect(resumeBurst.value.body.status).toBe('running');

    // The one-time campaign finishes while the backlog is still there: it got its share.
    await until(async () => (await api.call('GET', `/api/campaigns/${once.body.id}`)).body.status === 'completed', 60_000, 'the one-time campaign finished');
    const dueAtEnd = (await figures()).firingsDue;
    const burstAtEnd = at('/burst').length;
    expect(at('/once')).toHaveLength(3000);
    expect(dueAtEnd).toBeGreaterThan(0);

    const cancelBurst = await timed(() => api.call('POST', `/api/campaigns/${burst.body.id}/cancel`));
    expect(cancelBurst.value.status).toBe(202);
    await until(async () => (await api.call('GET', `/api/campaigns/${burst.body.id}`)).body.status === 'cancelled', 20_000, 'the burst cancelled');
    const sentBeforeCancel = at('/burst').length;
    await sleep(1500);
    // Requests in flight at the cancel finish; none starts after it.
    expect(at('/burst').length - sentBeforeCancel).toBeLessThanOrEqual(32);
    const [left] = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM trigger_firings`);
    expect(left!.n).toBe(0);

    console.log(
      `[fairness] one-time launch answered in ${launch.ms} ms, first request ${firstRequestMs} ms after it (${dueAtFirst} burst sends due then); ` +
        `pause/resume of the one-time run ${pauseOnce.ms}/${resumeOnce.ms} ms, of the burst ${pauseBurst.ms}/${resumeBurst.ms} ms, cancel ${cancelBurst.ms} ms; ` +
        `${dueAtEnd} burst sends still due when the one-time campaign completed; burst requests ${burstAtFirst} then ${burstAtEnd}`,
    );
    // "At once", not "minutes": generous bounds for a loaded 2-core machine.
    expect(firstRequestMs).toBeLessThan(10_000);
    for (const control of [pauseOnce, resumeOnce, pauseBurst, resumeBurst, cancelBurst]) expect(control.ms).toBeLessThan(5_000);
  }, 180_000);
});
