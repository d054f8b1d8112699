import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, insertSegment, spawnWorkerProcess, userIdChannel, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { freePort } from '../test/ports.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

const database = useTestDatabase();
const temporal = useTemporal(database, { runWorker: false });
const USERS = 30;
const FAILING_FIRST = 10;
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let worker: ChildProcess | undefined;
let metricsPort: number;
let sdkMetricsPort: number;

beforeAll(async () => {
  api = campaignApi(database, temporal, { batchSize: 10, window: 2, childrenPerExecution: 10 });
  // The first request to every third user fails once with a 503.
  receiver = await startReceiver((request, log) => {
    const user = Number((JSON.parse(request.body) as { userid: string }).userid.split('-')[1]);
    const first = log.filter((r) => r.body === request.body).length === 1;
    return first && user % 3 === 0 ? { status: 503 } : { status: 200 };
  });
  await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `m-${i}`, attributes: { cohort: 'metrics' } })));
  metricsPort = await freePort();
  sdkMetricsPort = await freePort();
  worker = spawnWorkerProcess(database, temporal, { WORKER_METRICS_PORT: String(metricsPort), WORKER_SDK_METRICS_PORT: String(sdkMetricsPort) });
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await receiver.close();
});

/** The value of one series in Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Prometheus metrics after a small run', () => {
  it('the worker counts deliveries by channel and outcome, retries, latency, limiter waits, in-flight requests; the SDK its slots and polls; the API its requests and events', async () => {
    const events = await api.call('POST', '/api/events', {
      events: [
        { name: 'metrics_seen', loginId: 'm-1', clientEventId: 'e-1' },
        { name: 'metrics_seen', loginId: 'm-2', clientEventId: 'e-2' },
        { name: 'metrics_seen', loginId: 'm-2', clientEventId: 'e-2' },
        { name: 'metrics_seen', loginId: 'm-3', time: 'yesterday', clientEventId: 7 },
      ],
    });
    expect(events.status).toBe(200);
    const segment = await insertSegment(database, 'metrics', { attribute: 'cohort', op: 'equals', value: 'metrics' });
    // A rate limit makes sends wait for the limiter.
    const channelId = await userIdChannel(api, 'metrics channel', `${receiver.url}/metrics`, {
      rateLimit: { perSecond: 50, concurrency: 2 },
      retry: { initialIntervalMs: 100, maxIntervalMs: 200, maxDurationMs: 60_000 },
    });
    const draft = await api.call('POST', '/api/campaigns', { name: 'metrics', segmentId: segment.id, channelId });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
    const done = await waitForCampaign(api, draft.body.id, undefined, 90_000);
    expect(done.deliveries).toMatchObject({ total: USERS, succeeded: USERS });
    expect(receiver.requests).toHaveLength(USERS + FAILING_FIRST);

    const scrape = async (port: number) => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      return res.text();
    };
    const worked = await scrape(metricsPort);
    const channel = `channel="${channelId}"`;
    expect(sample(worked, `hookcast_delivery_attempts_total{${channel},outcome="succeeded",error_class=""}`)).toBe(USERS);
    expect(sample(worked, `hookcast_delivery_attempts_total{${channel},outcome="retry",error_class="http_503"}`)).toBe(FAILING_FIRST);
    expect(sample(worked, `hookcast_delivery_retries_total{${channel}}`)).toBe(FAILING_FIRST);
    expect(sample(worked, 'hookcast_delivery_latency_seconds_count')).toBe(USERS + FAILING_FIRST);
    const latencySum = sample(worked, 'hookcast_delivery_latency_seconds_sum')!;
    expect(latencySum).toBeGreaterThan(0);
    expect(latencySum / (USERS + FAILING_FIRST)).toBeLessThan(1);
    expect(sample(worked, 'hookcast_delivery_requests_in_flight')).toBe(0);
    expect(sample(worked, `hookcast_limiter_wait_seconds_count{${channel}}`)).toBeGreaterThan(0);
    expect(sample(worked, 'hookcast_process_resident_memory_bytes')).toBeGreaterThan(10 * 2 ** 20);

    // The Temporal SDK's own worker metrics, from its runtime's exporter.
    const sdk = await scrape(sdkMetricsPort);
    expect(sdk).toMatch(/^temporal_worker_task_slots_available\{.*worker_type="ActivityWorker".*\} \d+/m);
    expect(sdk).toMatch(/^temporal_sticky_cache_size\{.*\} \d+/m);
    expect(sdk).toMatch(/^temporal_workflow_task_execution_latency_count\{.*\} [1-9]/m);
    expect(sdk).toMatch(/^temporal_activity_execution_latency_count\{.*activity_type="deliverBatch".*\} [1-9]/m);

    // The API's own, through its /metrics route (events were ingested by this process's API).
    const served = await (await api.app.request('/metrics')).text();
    expect(sample(served, 'hookcast_events_ingested_total{result="accepted"}')).toBe(2);
    expect(sample(served, 'hookcast_events_ingested_total{result="duplicate"}')).toBe(1);
    // One event with two faults counts once.
    expect(sample(served, 'hookcast_events_ingested_total{result="rejected"}')).toBe(1);
    expect(sample(served, 'hookcast_http_requests_total{method="POST",route="/api/campaigns/:id/launch",status="200"}')).toBe(1);
    // The scrape itself is the one request in flight.
    expect(sample(served, 'hookcast_http_requests_in_flight')).toBe(1);

    // A recurring campaign's manual firing opens a run: one trigger fired.
    const recurring = await api.call('POST', '/api/campaigns', {
      name: 'metrics recurring',
      segmentId: segment.id,
      channelId,
      trigger: { type: 'recurring', schedule: { every: 'day', at: '09:00' } },
    });
    expect((await api.call('POST', `/api/campaigns/${recurring.body.id}/launch`)).status).toBe(200);
    expect((await api.call('POST', `/api/campaigns/${recurring.body.id}/trigger`)).status).toBe(202);
    await waitForCampaign(api, recurring.body.id, (c) => c.run?.status === 'completed', 90_000);
    const after = await scrape(metricsPort);
    expect(sample(after, 'hookcast_triggers_fired_total{trigger="manual",result="open"}')).toBe(1);
    expect(sample(after, `hookcast_delivery_attempts_total{${channel},outcome="succeeded",error_class=""}`)).toBe(2 * USERS);
  }, 120_000);
});
