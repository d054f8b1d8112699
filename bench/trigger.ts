/**
 * `npm run bench:trigger [-- --rate 100 --seconds 60] [--rates 50,100,200]`
 *
 * Trigger latency: events are ingested one per `POST /api/events` at a steady
 * rate through the real API process, for an event-triggered campaign with
 * times = 1, no delay (each event from a new user, so each starts its own
 * per-user workflow), and the time from the ingest API's answer to the
 * receiver getting the request is measured per event. In the same run, at the
 * same rate, the bare figure: start a workflow that runs one activity doing the
 * same HTTP request (its own worker process), timed from the start call's
 * answer. With `--rates`, one phase pair per rate (the highest rate whose p95
 * stays under 1 s is the answer to "how fast can events come").
 * `--temporal pg` runs both on the PostgreSQL-backed Temporal server instead of
 * the dev server; `--cpu-prof [--cpu-prof-dir DIR] [--top N]` profiles the
 * worker's main thread during each trigger phase. Prints figures; asserts
 * nothing.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { segments } from '../db/schema.js';
import { type TemporalKind, benchCampaigns, cpuSeconds, createBenchChannel, freshDatabase, logger, markdownTable, percentile, positive, runBench, sleep, spawnApi, spawnWorker, startTemporal, stopAll } from './harness.js';
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { eventTriggerWorkflowId } from '../workflows/event-trigger.js';
import { authHeader, testEnv } from '../test/credentials.js';
import { bareSendWorkflow } from './bare-workflow.js';
import { formatProfileSummary, sourceMapResolver, summarizeProfile } from './cpu-profile.js';

const say = logger('bench:trigger');
// The API process and the channel store need an admin key, a sealing key and loopback allowed as a destination;
// a bench run uses the test suite's values unless given its own.
for (const [name, value] of Object.entries(testEnv)) process.env[name] ??= value;
const BARE_QUEUE = 'bench-bare';

function options() {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      rates: { type: 'string' },
      seconds: { type: 'string' },
      'drain-s': { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'cpu-prof-dir': { type: 'string' },
      top: { type: 'string' },
      temporal: { type: 'string', default: 'dev' },
    },
  });
  const temporal = values.temporal;
  if (temporal !== 'dev' && temporal !== 'pg') throw new Error(`--temporal must be dev or pg, got ${JSON.stringify(temporal)}`);
  const rates = values.rates ? values.rates.split(',').map((r) => positive('rates', r, 100)) : [positive('rate', values.rate, 100)];
  const profileDir = values['cpu-prof-dir'] ?? process.env.BENCH_CPU_PROF ?? (values['cpu-prof'] ? mkdtempSync(join(tmpdir(), 'hookcast-prof-')) : undefined);
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  return { rates, seconds: positive('seconds', values.seconds, 60), drainS: positive('drain-s', values['drain-s'], 15), profileDir, top: positive('top', values.top, 15), temporal: temporal as TemporalKind };
}

/** An in-process receiver that notes when each user's request arrived. */
async function arrivals() {
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      try {
        const { userid } = JSON.parse(Buffer.concat(chunks).toString()) as { userid: string };
        if (!seen.has(userid)) seen.set(userid, at);
      } catch {
        // not ours
      }
      res.writeHead(200).end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/trigger`, seen, close: () => server.close() };
}

interface Phase {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  sent: number;
  missing: number;
  lateStarts: number;
}

/** Fires `send(i)` at `rate` per second for `seconds`, then waits for the arrivals; latencies from each answer. */
async function phase(rate: number, seconds: number, drainS: number, seen: Map<string, number>, key: (i: number) => string, send: (i: number) => Promise<void>): Promise<Phase> {
  const answered = new Map<string, number>();
  const total = rate * seconds;
  const start = performance.now();
  let lateStarts = 0;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else if (wait < -50) lateStarts += 1;
    inFlight.push(
      send(i).then(
        () => void answered.set(key(i), performance.timeOrigin + performance.now()),
        (error: unknown) => say(`send ${i} failed: ${error instanceof Error ? error.message : String(error)}`),
      ),
    );
  }
  await Promise.all(inFlight);
  const deadline = performance.now() + drainS * 1000;
  while ([...answered.keys()].some((k) => !seen.has(k)) && performance.now() < deadline) await sleep(100);
  // An arrival before the answer (the relay can beat the response to the client) counts as 0.
  const latencies = [...answered].filter(([k]) => seen.has(k)).map(([k, at]) => Math.max(0, seen.get(k)! - at)).sort((a, b) => a - b);
  return {
    p50: Math.round(percentile(latencies, 50)),
    p95: Math.round(percentile(latencies, 95)),
    p99: Math.round(percentile(latencies, 99)),
    max: Math.round(latencies.at(-1) ?? NaN),
    sent: answered.size,
    missing: [...answered.keys()].filter((k) => !seen.has(k)).length,
    lateStarts,
  };
}

/**
 * Where a triggered send's time goes, for a sample of the phase's users: event
 * stored → per-user workflow started (outbox and relay) → first attempt
 * recorded, and within the workflow, from its history (server clock): the
 * first workflow task waiting for a poller, the worker's first task, the send
 * activity waiting for a slot, and the activity's own time up to its request.
 */
async function breakdown(bench: Awaited<ReturnType<typeof freshDatabase>>, client: Client, campaignId: string, prefix: string) {
  const rows = await bench.database.client<{ user_id: string; received: Date; attempted: Date | null }[]>`
    SELECT u.id AS user_id, e.received_at AS received, r.first_attempt_at AS attempted
    FROM events e JOIN users u ON u.id = e.user_id LEFT JOIN run_recipients r ON r.trigger_event_id = e.id
    WHERE u.login_id LIKE ${`${prefix}%`} ORDER BY random() LIMIT 40`;
  const relay: number[] = [];
  const workflow: number[] = [];
  const untilRequest: number[] = [];
  const inside = historySteps();
  for (const row of rows) {
    const steps = await inside.add(client, eventTriggerWorkflowId(campaignId, row.user_id));
    relay.push(steps.started - new Date(row.received).getTime());
    if (row.attempted) {
      workflow.push(new Date(row.attempted).getTime() - steps.started);
      untilRequest.push(new Date(row.attempted).getTime() - steps.activityStarted);
    }
  }
  say(`  breakdown of ${rows.length} sampled sends: stored → workflow started ${fmtSteps(relay)}; workflow started → first attempt ${fmtSteps(workflow)}`);
  say(`    inside the workflow: ${inside.summary()}, activity until its request ${fmtSteps(untilRequest)}`);
}

function fmtSteps(xs: number[]) {
  const sorted = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return `p50 ${Math.round(percentile(sorted, 50))} / p95 ${Math.round(percentile(sorted, 95))} ms`;
}

/** Steps of a workflow's first send from its history (server clock), collected over a sample of workflows. */
function historySteps() {
  const taskQueued: number[] = [];
  const firstTask: number[] = [];
  const activityQueued: number[] = [];
  return {
    async add(client: Client, workflowId: string) {
      const history = await client.workflow
        .getHandle(workflowId)
        .fetchHistory()
        .catch(() => null);
      const events = history?.events ?? [];
      const at = (has: (e: (typeof events)[number]) => unknown) => {
        const event = events.find((e) => has(e));
        return event ? tsToMs(event.eventTime) : NaN;
      };
      const started = at((e) => e.workflowExecutionStartedEventAttributes);
      const taskStarted = at((e) => e.workflowTaskStartedEventAttributes);
      const activityScheduled = at((e) => e.activityTaskScheduledEventAttributes);
      const activityStarted = at((e) => e.activityTaskStartedEventAttributes);
      taskQueued.push(taskStarted - at((e) => e.workflowTaskScheduledEventAttributes));
      firstTask.push(activityScheduled - taskStarted);
      activityQueued.push(activityStarted - activityScheduled);
      return { started, activityStarted };
    },
    summary: () => `first task queued ${fmtSteps(taskQueued)}, first task ${fmtSteps(firstTask)}, send activity queued ${fmtSteps(activityQueued)}`,
  };
}

/** The same steps for a sample of the bare phase's workflows. */
async function bareBreakdown(client: Client, ids: string[]) {
  const inside = historySteps();
  for (const id of ids) await inside.add(client, id);
  say(`  bare, inside the workflow (${ids.length} sampled): ${inside.summary()}`);
}

async function main() {
  const opts = options();
  say(`rates=${opts.rates.join(',')}/s for ${opts.seconds} s each`);
  const bench = await freshDatabase('hookcast_bench_trigger');
  const receiver = await arrivals();
  const temporal = await startTemporal(say, opts.temporal, 'hookcast_bench_trigger');
  const worker = await spawnWorker({ bench, temporal, concurrency: 32, profile: opts.profileDir !== undefined, log: say });
  const api = await spawnApi({ bench, temporal });
  const bare = fork(fileURLToPath(new URL('./bare-worker.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: BARE_QUEUE },
  });
  const bareExited = once(bare, 'exit');
  await once(bare, 'message');
  const rows: (string | number)[][] = [];
  try {
    const [segment] = await bench.database.db.insert(segments).values({ name: 'bench trigger', rule: { attribute: 'cohort', op: 'notExists' } }).returning();
    const channelId = await createBenchChannel(bench, receiver.url, 'trigger bench');
    const campaigns = benchCampaigns(bench, temporal, { batchSize: 500, window: 8, childrenPerExecution: 400 });
    const draft = await campaigns.create({ name: 'bench trigger', segmentId: segment!.id, channelId, templateValues: { amount: 100 }, trigger: { type: 'event', event: 'bench_trigger' } });
    await campaigns.launch(draft.id);
    // The API process learns of the launch through PostgreSQL's notification.
    await sleep(1000);
    const http = new Agent({ connections: 64 });
    for (const rate of opts.rates) {
      const cpu = () => ({ worker: cpuSeconds(worker.pid), api: cpuSeconds(api.pid), bare: cpuSeconds(bare.pid!), temporal: cpuSeconds(temporal.server.pid ?? 0) });
      const before = cpu();
      await worker.profiler?.start();
      const trigger = await phase(rate, opts.seconds, opts.drainS, receiver.seen, (i) => `t-${rate}-${i}`, async (i) => {
        const res = await request(`${api.url}/api/events`, {
          method: 'POST',
          dispatcher: http,
          headers: { 'content-type': 'application/json', ...authHeader },
          body: JSON.stringify({ events: [{ name: 'bench_trigger', loginId: `t-${rate}-${i}` }] }),
        });
        const body = (await res.body.json()) as { accepted: number };
        if (res.statusCode !== 200 || body.accepted !== 1) throw new Error(`ingest answered ${res.statusCode} ${JSON.stringify(body)}`);
      });
      const after = cpu();
      const profile = await worker.profiler?.stop();
      if (profile && opts.profileDir) {
        const file = join(opts.profileDir, `worker-trigger-${rate}.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
        const summary = summarizeProfile(profile, { top: opts.top, resolveLine: sourceMapResolver(await worker.profiler!.sourceMapUrls()) });
        say(`  worker main-thread CPU profile of the trigger phase (workflow threads and the Rust core are not in it): ${file}; busy ${((summary.busyMs) / Math.max(1, trigger.sent)).toFixed(2)} ms per event`);
        for (const line of formatProfileSummary(summary)) console.log(line);
      }
      say(`  CPU seconds during the trigger phase: worker ${(after.worker - before.worker).toFixed(1)}, API ${(after.api - before.api).toFixed(1)}, Temporal server ${(after.temporal - before.temporal).toFixed(1)}`);
      await breakdown(bench, temporal.client, draft.id, `t-${rate}-`);
      say(`rate ${rate}/s, trigger: p50 ${trigger.p50} ms, p95 ${trigger.p95} ms, p99 ${trigger.p99} ms, max ${trigger.max} ms; ${trigger.sent} sent, ${trigger.missing} missing, ${trigger.lateStarts} started late`);
      const baseline = await phase(rate, opts.seconds, opts.drainS, receiver.seen, (i) => `b-${rate}-${i}`, async (i) => {
        await temporal.client.workflow.start(bareSendWorkflow, { taskQueue: BARE_QUEUE, workflowId: `bare-${rate}-${i}`, args: [{ url: receiver.url, userid: `b-${rate}-${i}` }] });
      });
      const last = cpu();
      await bareBreakdown(temporal.client, Array.from({ length: 40 }, (_, k) => `bare-${rate}-${Math.floor((k * rate * opts.seconds) / 40)}`));
      say(`  CPU seconds during the bare phase: bare worker ${(last.bare - after.bare).toFixed(1)}, Temporal server ${(last.temporal - after.temporal).toFixed(1)}`);
      say(`rate ${rate}/s, bare: p50 ${baseline.p50} ms, p95 ${baseline.p95} ms, p99 ${baseline.p99} ms, max ${baseline.max} ms; ${baseline.sent} sent, ${baseline.missing} missing`);
      rows.push([
        rate,
        trigger.sent,
        trigger.p50,
        `**${trigger.p95}**`,
        trigger.p99,
        baseline.p50,
        baseline.p95,
        baseline.p99,
        (trigger.p95 / Math.max(1, baseline.p95)).toFixed(2),
        trigger.missing + baseline.missing,
      ]);
    }
    await http.close();
  } finally {
    bare.kill('SIGTERM');
    await bareExited;
    receiver.close();
    await stopAll();
  }
  say('summary (paste into the README):');
  console.log(
    markdownTable(
      ['events/s', 'events', 'trigger p50 ms', 'trigger p95 ms', 'trigger p99 ms', 'bare p50 ms', 'bare p95 ms', 'bare p99 ms', 'p95 ratio', 'missing'],
      rows,
    ),
  );
}

runBench(main);
