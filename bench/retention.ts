/**
 * `npm run bench:retention [-- --events 10000000 --seconds 15 --clients 4]`
 *
 * Does retention disturb ingestion? Seeds `--events` events (default
 * 1,000,000; the figure is 10,000,000) over 10,000 users, the oldest
 * 30 % received 40 days ago and the rest within the last 29, then runs the API
 * and a worker as their own processes. Phase 1: `--clients` concurrent clients
 * POST batches of 100 events to /api/events for `--seconds`. Phase 2: the same
 * load while the maintenance workflow (workflows/retention.ts, the one the
 * daily Schedule starts) applies EVENT_RETENTION_DAYS=30 through its real
 * activity. In each phase a one-time campaign of `--campaign-users` users
 * (default 30,000) also sends to a loopback receiver, launched with the
 * phase's load (in phase 2 right after retention starts). Prints the time
 * retention took, its rate, the ingest latency percentiles and the campaign's
 * sending rate of both phases. Before the phases, one user's export
 * (`--export-events`, default 100,000 events) is streamed from the API
 * process, whose peak memory (VmHWM) is printed before and after it.
 * Prints figures; asserts nothing.
 */
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { authHeader } from '../test/credentials.js';
import { DEFAULT_FAN_OUT } from '../runs/lifecycle.js';
import { benchCampaigns, createBenchChannel, freshDatabase, launchCampaign, logger, markdownTable, peakRssMiB, positive, runBench, seedAudience, sleep, spawnApi, spawnWorker, startReceiver, startTemporal, waitForEnd } from './harness.js';
import { summarizeLatencies, type LatencySummary } from './stats.js';
import type { RetentionResult } from '../workflows/retention.js';

const say = logger('bench:retention');
const USERS = 10_000;
const SEED_CHUNK = 1_000_000;

function options() {
  const { values } = parseArgs({
    options: { events: { type: 'string' }, seconds: { type: 'string' }, clients: { type: 'string' }, 'export-events': { type: 'string' }, 'campaign-users': { type: 'string' }, database: { type: 'string', default: 'hookcast_bench_retention' } },
  });
  return {
    events: positive('events', values.events, 1_000_000),
    seconds: positive('seconds', values.seconds, 15),
    clients: positive('clients', values.clients, 4),
    exportEvents: positive('export-events', values['export-events'], 100_000),
    campaignUsers: positive('campaign-users', values['campaign-users'], 30_000),
    database: values.database,
  };
}

/** `clients` loops POSTing 100-event batches until stopped; the latencies of the answers. */
function ingestLoad(url: string, clients: number) {
  const latencies: number[] = [];
  let errors = 0;
  let running = true;
  let n = 0;
  const started = performance.now();
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const events = Array.from({ length: 100 }, () => ({ name: 'bench_view', loginId: `ret-${(n++ * 7919) % USERS}`, properties: { sku: `sku-${n % 500}` } }));
      const t0 = performance.now();
      try {
        const res = await request(`${url}/api/events`, { method: 'POST', headers: { ...authHeader, 'content-type': 'application/json' }, body: JSON.stringify({ events }), headersTimeout: 60_000 });
        await res.body.dump();
        if (res.statusCode === 200) latencies.push(performance.now() - t0);
        else errors += 1;
      } catch {
        errors += 1;
      }
    }
  });
  return async (): Promise<LatencySummary> => {
    running = false;
    await Promise.all(loops);
    return summarizeLatencies(latencies, errors, (performance.now() - started) / 1000);
  };
}

runBench(async function main() {
  const opts = options();
  const expired = Math.round(opts.events * 0.3);
  say(`${opts.events.toLocaleString('en')} events (${expired.toLocaleString('en')} expired), ${opts.clients} ingest clients, ${opts.seconds} s per phase`);
  const temporal = await startTemporal(say);
  const bench = await freshDatabase(opts.database);
  const sql = bench.database.client;
  await sql.unsafe(`INSERT INTO users (login_id, attributes) SELECT 'ret-' || i, '{}' FROM generate_series(0, ${USERS - 1}) i`);
  const seedStarted = performance.now();
  // Oldest first, as ingestion stores them: ids grow with the time events were received.
  for (let from = 0; from < opts.events; from += SEED_CHUNK) {
    const to = Math.min(opts.events, from + SEED_CHUNK) - 1;
    await sql.unsafe(`
      INSERT INTO events (user_id, name, properties, occurred_at, received_at)
      SELECT u.id, 'seed_' || (i % 20), jsonb_build_object('n', i),
             t, t
      FROM generate_series(${from}, ${to}) i
      JOIN LATERAL (SELECT CASE WHEN i < ${expired} THEN now() - interval '40 days' + make_interval(secs => i::double precision / ${expired} * 3600)
                                ELSE now() - interval '29 days' + make_interval(secs => (i - ${expired})::double precision / ${opts.events - expired} * 29 * 86000) END AS t) times ON true
      JOIN users u ON u.login_id = 'ret-' || (i % ${USERS})`);
    say(`seeded ${(to + 1).toLocaleString('en')} events`);
  }
  await sql.unsafe(`INSERT INTO users (login_id, attributes) VALUES ('export-me', '{"phone":"13800000000","name":"李四"}')`);
  await sql.unsafe(`
    INSERT INTO events (user_id, name, properties, occurred_at)
    SELECT (SELECT id FROM users WHERE login_id = 'export-me'), 'view_item', jsonb_build_object('n', i, 'sku', 'sku-' || i, 'title', repeat('x', 100)), now() - make_interval(secs => i)
    FROM generate_series(1, ${opts.exportEvents}) i`);
  const receiver = await startReceiver();
  const audiences = { alone: await seedAudience(bench, 'rate-alone', opts.campaignUsers), during: await seedAudience(bench, 'rate-during', opts.campaignUsers) };
  const channelId = await createBenchChannel(bench, `${receiver.url}/campaign`, 'retention bench');
  await sql.unsafe('VACUUM ANALYZE events');
  say(`seeding took ${((performance.now() - seedStarted) / 1000).toFixed(0)} s`);

  const api = await spawnApi({ bench, temporal, env: { LOG_LEVEL: 'warn' } });
  for (let i = 0; i < 50 && (await request(`${api.url}/api/channels`, { headers: authHeader }).then(async (r) => (await r.body.dump(), r.statusCode))) !== 200; i++) await sleep(200);
  const worker = await spawnWorker({ bench, temporal, concurrency: 32, log: say });
  const campaigns = benchCampaigns(bench, temporal, DEFAULT_FAN_OUT);
  /** A one-time campaign to `segmentId` from launch to its end: deliveries a second (every user once). */
  async function campaignRate(name: string, segmentId: string): Promise<{ perSecond: number; status: string }> {
    const started = performance.now();
    const launched = await launchCampaign(campaigns, { name, segmentId, channelId });
    const ended = await waitForEnd(campaigns, launched.id, 10 * 60_000, 50);
    return { perSecond: Math.round(opts.campaignUsers / ((performance.now() - started) / 1000)), status: ended.status };
  }

  say(`export of one user with ${opts.exportEvents.toLocaleString('en')} events`);
  const peakBefore = peakRssMiB(api.pid);
  const exportStarted = performance.now();
  const exported = await request(`${api.url}/api/users/export-me/export`, { headers: authHeader, bodyTimeout: 600_000 });
  let bytes = 0;
  let text = '';
  for await (const chunk of exported.body) {
    bytes += (chunk as Buffer).length;
    text += (chunk as Buffer).toString('utf8');
  }
  const exportSeconds = (performance.now() - exportStarted) / 1000;
  const parsed = JSON.parse(text) as { events: unknown[] };
  text = '';
  const peakAfter = peakRssMiB(api.pid);

  say('phase 1: ingest and a campaign, alone');
  let stop = ingestLoad(api.url, opts.clients);
  const phaseStarted = performance.now();
  const sendingAlone = await campaignRate('rate alone', audiences.alone);
  await sleep(Math.max(0, opts.seconds * 1000 - (performance.now() - phaseStarted)));
  const alone = await stop();

  say('phase 2: ingest while retention runs');
  stop = ingestLoad(api.url, opts.clients);
  await sleep(1_000);
  const started = performance.now();
  const retention = temporal.client.workflow.execute('retentionWorkflow', {
    taskQueue: temporal.taskQueue,
    workflowId: `bench-retention-${Date.now()}`,
    args: [{ days: { events: 30, deliveries: null, responseBodies: null } }],
  }) as Promise<RetentionResult>;
  const sendingDuring = await campaignRate('rate during retention', audiences.during);
  const result = await retention;
  const retentionSeconds = (performance.now() - started) / 1000;
  // At least as long a window as phase 1, so the percentiles compare like with like.
  const remaining = opts.seconds * 1000 - (performance.now() - started) - 1_000;
  if (remaining > 0) await sleep(remaining);
  const during = await stop();
  const [left] = await sql<{ n: string }[]>`SELECT count(*)::text AS n FROM events WHERE received_at < now() - interval '30 days'`;
  await worker.stop();
  await api.stop();

  say(`retention deleted ${result.changed.events.toLocaleString('en')} events in ${retentionSeconds.toFixed(1)} s (${result.steps} steps), ${left!.n} expired left`);
  console.log(
    markdownTable(
      ['export: events', 'MiB', 'seconds', 'valid JSON', 'API peak RSS before MiB', 'API peak RSS after MiB'],
      [[parsed.events.length.toLocaleString('en'), (bytes / 1024 / 1024).toFixed(1), exportSeconds.toFixed(1), exported.statusCode === 200 ? 'yes' : `HTTP ${exported.statusCode}`, peakBefore, peakAfter]],
    ),
  );
  console.log(
    markdownTable(
      ['events', 'expired deleted', 'retention s', 'deleted/s', 'steps'],
      [[opts.events.toLocaleString('en'), result.changed.events.toLocaleString('en'), retentionSeconds.toFixed(1), Math.round(result.changed.events / retentionSeconds).toLocaleString('en'), result.steps]],
    ),
  );
  console.log(
    markdownTable(
      ['POST /api/events (100 a batch)', 'requests', 'per s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'],
      [
        ['alone', alone.requests, alone.perSecond, alone.p50Ms, alone.p95Ms, alone.p99Ms, alone.maxMs, alone.errors],
        ['while retention runs', during.requests, during.perSecond, during.p50Ms, during.p95Ms, during.p99Ms, during.maxMs, during.errors],
      ],
    ),
  );
  console.log(
    markdownTable(
      [`one-time campaign of ${opts.campaignUsers.toLocaleString('en')} users, beside the ingest`, 'deliveries/s', 'ended'],
      [
        ['alone', sendingAlone.perSecond, sendingAlone.status],
        ['while retention runs', sendingDuring.perSecond, sendingDuring.status],
      ],
    ),
  );
});
