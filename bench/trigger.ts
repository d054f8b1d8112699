/**
 * `npm run bench:trigger [-- --rates 100,300,1000,3000 --seconds 20 --temporal file,dev,pg]`
 * `npm run bench:trigger -- --scenario counting [--users 1000000]`
 * `npm run bench:trigger -- --scenario delay [--users 100000] [--warm] [--cpu-prof [--top 15]]`
 *
 * Event-triggered sends, measured as an integrator produces them: events are
 * posted to the real API process (`POST /api/events`) in batches every 100 ms,
 * as an SDK collector or a server does, for a campaign with `times: 1` and no
 * delay, each event from a user not seen before. Per rate, for `--seconds`:
 * events, requests the receiver got, duplicates (a user sent under a second
 * webhook-id: a second send), resends (the same webhook-id again: the
 * at-least-once resend of a batch whose outcomes could not be written), p50/p95/p99 from the ingest answer of an event's batch to its
 * request arriving at the receiver, the lag (how long the oldest due send has
 * waited, from the campaign's API answer) at the end of the phase and its
 * peak during it, and the CPU seconds of each process (API, worker, Temporal
 * server, hookcast's PostgreSQL backends, and Temporal's own PostgreSQL
 * backends on `pg`) per 1,000 triggered sends, counted until the last request
 * arrived. Each Temporal shape gets a fresh stack: `file` is the dev server as
 * `npm start` runs it (state in a SQLite file), `dev` the in-memory dev server
 * the tests use, `pg` the Temporal server on PostgreSQL (skipped with a note
 * when its binaries are not built). The worker runs compiled, as `npm start`
 * runs it.
 *
 * `--scenario counting`: `times: 3, within: PT24H`, `--users` users (default
 * 1,000,000) sending one or two events each, so none fires: prints the
 * Temporal executions of the campaign (one: its run), and the counting
 * state's rows and size. `--scenario delay`: `delay: PT1M`, `--users` users
 * (default 100,000) firing within about 10 s: each must be sent once; prints
 * p50/p95/p99 of (request arrived − due time), the first request's delay,
 * the sends in each second (a slow start apart from a slow pace), when the
 * run's sending activities started and the wakes that started them,
 * and from the first due time to the last request the CPU ms a send of each
 * process (worker, Temporal, API, PostgreSQL; the receiver, this benchmark,
 * the rest of the machine) and how busy the machine was; with `--cpu-prof`, a CPU
 * profile of the worker's main thread from the first due time to the last
 * request, saved and summarized as bench:campaign does. The measured burst is
 * the first the worker sends, as after a (re)start; with `--warm`, it follows a
 * burst of 20,000 sent a minute before, as a running deployment's worker has
 * sent before. Both on `file` unless
 * `--temporal` says otherwise. Prints figures; asserts nothing.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { campaignDraftSchema } from '../contracts/campaign.js';
import { segments } from '../db/schema.js';
import { findTemporalServerBinaries } from '../temporal/server-binaries.js';
import { authHeader } from '../test/credentials.js';
import {
  type BenchDatabase,
  type BenchTemporal,
  type TemporalKind,
  type WorkerProcess,
  benchCampaigns,
  cpuSeconds,
  createBenchChannel,
  ensureCompiledWorker,
  freshDatabase,
  logger,
  machineCpuSeconds,
  markdownTable,
  percentile,
  positive,
  rawLoop,
  PostgresCpuMeter,
  runBench,
  sleep,
  spawnApi,
  spawnWorker,
  startTemporal,
  stopAll,
} from './harness.js';
import { formatProfileSummary, sourceMapResolver, summarizeProfile } from './cpu-profile.js';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { workflowIds } from '../contracts/workflow-ids.js';
import { DEFAULT_DUE_QUEUE } from '../workflows/inputs.js';

// Credentials and the unchecked answers of production come from bench/harness.ts, set when it is imported.
const say = logger('bench:trigger');

type Scenario = 'rates' | 'counting' | 'delay';
const KINDS: TemporalKind[] = ['file', 'dev', 'pg'];

function options() {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'rates' },
      rates: { type: 'string', default: '100,300,1000,3000' },
      seconds: { type: 'string' },
      'drain-s': { type: 'string' },
      temporal: { type: 'string' },
      users: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      warm: { type: 'boolean', default: false },
      top: { type: 'string' },
    },
  });
  const scenario = values.scenario as Scenario;
  if (!['rates', 'counting', 'delay'].includes(scenario)) throw new Error(`--scenario must be rates, counting or delay, got ${JSON.stringify(scenario)}`);
  const kinds = (values.temporal ?? (scenario === 'rates' ? KINDS.join(',') : 'file')).split(',') as TemporalKind[];
  for (const kind of kinds) if (!KINDS.includes(kind)) throw new Error(`--temporal takes file, dev and pg, got ${JSON.stringify(kind)}`);
  return {
    scenario,
    kinds,
    rates: values.rates.split(',').map((r) => positive('rates', r, 100)),
    seconds: positive('seconds', values.seconds, 20),
    drainS: positive('drain-s', values['drain-s'], 60),
    users: positive('users', values.users, scenario === 'counting' ? 1_000_000 : 100_000),
    cpuProf: values['cpu-prof'],
    warm: values.warm,
    top: positive('top', values.top, 15),
  };
}

/** The forked receiver (bench/trigger-receiver.ts): per user, the first arrival, the number of requests and of distinct webhook-ids. */
async function startArrivals() {
  const proc: ChildProcess = fork(fileURLToPath(new URL('./trigger-receiver.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => proc.once('message', (m: { port: number }) => resolve(m.port)));
  let nextId = 0;
  const waiting = new Map<number, (m: { arrivals?: [string, number, number, number][]; count?: number }) => void>();
  proc.on('message', (m: { id?: number; arrivals?: [string, number, number, number][]; count?: number }) => {
    if (m.id === undefined) return;
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  const ask = <T>(type: 'arrivals' | 'count', prefix: string, read: (m: { arrivals?: [string, number, number, number][]; count?: number }) => T) =>
    new Promise<T>((resolve) => {
      nextId += 1;
      waiting.set(nextId, (m) => resolve(read(m)));
      proc.send({ id: nextId, type, prefix });
    });
  return {
    url: `http://127.0.0.1:${port}/trigger`,
    pid: proc.pid!,
    /** Users whose id starts with `prefix`: first arrival (epoch ms), request count and distinct webhook-ids. */
    arrivals: (prefix: string) =>
      ask('arrivals', prefix, (m) => new Map((m.arrivals ?? []).map(([user, first, requests, ids]) => [user, { first, requests, ids }]))),
    /** How many users whose id starts with `prefix` have arrived: cheap enough to poll while the run sends. */
    count: (prefix: string) => ask('count', prefix, (m) => m.count ?? 0),
    stop: () => proc.kill(),
  };
}
type Arrivals = Awaited<ReturnType<typeof startArrivals>>;

interface Stack {
  kind: TemporalKind;
  bench: BenchDatabase;
  temporal: BenchTemporal;
  worker: WorkerProcess;
  api: { url: string; pid: number };
  receiver: Arrivals;
  http: Agent;
  campaignId: string;
}

/** A fresh database, Temporal of `kind`, a compiled worker, the API process, the receiver, and one launched event campaign. */
async function startStack(kind: TemporalKind, trigger: Record<string, unknown>, options: { profile?: boolean } = {}): Promise<Stack> {
  const bench = await freshDatabase(`hookcast_bench_trigger_${kind}`);
  const receiver = await startArrivals();
  const temporal = await startTemporal(say, kind, `hookcast_bench_trigger_${kind}`);
  const worker = await spawnWorker({ bench, temporal, concurrency: 32, compiled: true, profile: options.profile, log: say });
  const api = await spawnApi({ bench, temporal });
  const [segment] = await bench.database.db.insert(segments).values({ name: 'everyone', rule: { attribute: 'cohort', op: 'notExists' } }).returning();
  const channelId = await createBenchChannel(bench, receiver.url, 'trigger bench');
  const campaigns = benchCampaigns(bench, temporal, { batchSize: 2000, window: 8, childrenPerExecution: 400 });
  const draft = await campaigns.create(campaignDraftSchema.parse({ name: 'bench trigger', segmentId: segment!.id, channelId, templateValues: { amount: 100 }, trigger: { type: 'event', event: 'bench_trigger', ...trigger } }));
  await campaigns.launch(draft.id);
  // The API process learns of the launch through PostgreSQL's notification.
  await sleep(1000);
  return { kind, bench, temporal, worker, api, receiver, http: new Agent({ connections: 32 }), campaignId: draft.id };
}

/** Batches the API asked to come back later (503 ingest_busy), counted per phase: a client retries them after Retry-After. */
let busyAnswers = 0;

/** Posts one batch of events, as a client would (again after Retry-After while ingestion is busy); resolves with the time its answer arrived (epoch ms). */
async function post(stack: Stack, users: string[]): Promise<number> {
  for (;;) {
    const res = await request(`${stack.api.url}/api/events`, {
      method: 'POST',
      dispatcher: stack.http,
      headers: { 'content-type': 'application/json', ...authHeader },
      body: JSON.stringify({ events: users.map((loginId) => ({ name: 'bench_trigger', loginId })) }),
    });
    const body = (await res.body.json()) as { accepted: number };
    if (res.statusCode === 503) {
      busyAnswers += 1;
      await sleep(Number(res.headers['retry-after'] ?? 1) * 1000);
      continue;
    }
    if (res.statusCode !== 200 || body.accepted !== users.length) throw new Error(`ingest answered ${res.statusCode} ${JSON.stringify(body).slice(0, 300)}`);
    return Date.now();
  }
}

/** The run workflow's claims so far (its progress query), or NaN when it does not answer. */
async function claimsOf(stack: Stack): Promise<number> {
  const progress = await stack.temporal.client.workflow
    .getHandle(workflowIds.eventsRun(stack.campaignId))
    .query<{ batchesDone: number }>('progress')
    .catch(() => ({ batchesDone: NaN }));
  return progress.batchesDone;
}

/** The campaign's queue figures from the API (GET /api/campaigns/:id). */
async function queue(stack: Stack): Promise<{ lagMs: number; firingsDue: number; firingsWaiting: number; eventsCounted: number }> {
  const res = await request(`${stack.api.url}/api/campaigns/${stack.campaignId}`, { dispatcher: stack.http, headers: authHeader });
  const body = (await res.body.json()) as { eventTrigger: { lagMs: number; firingsDue: number; firingsWaiting: number; eventsCounted: number } };
  return body.eventTrigger;
}

/** CPU seconds of every process of the stack so far (PostgreSQL through its meters). */
function cpuOf(stack: Stack) {
  return { api: cpuSeconds(stack.api.pid), worker: cpuSeconds(stack.worker.pid), temporal: cpuSeconds(stack.temporal.server.pid ?? 0) };
}

/**
 * Sends `total` events (one per new user, ids `prefix<i>`) in batches every
 * 100 ms at `rate` per second; samples the lag every second meanwhile.
 * Answers each user's ingest answer time and the lag's samples.
 */
async function drive(stack: Stack, prefix: string, rate: number, seconds: number) {
  const perBatch = Math.max(1, Math.round(rate / 10));
  const batches = Math.ceil((rate * seconds) / perBatch);
  const answered = new Map<string, number>();
  const lags: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      lags.push((await queue(stack).catch(() => ({ lagMs: NaN }))).lagMs);
      await sleep(1000);
    }
  })();
  const started = performance.now();
  let late = 0;
  const inFlight: Promise<void>[] = [];
  for (let b = 0; b < batches; b += 1) {
    const wait = started + b * 100 - performance.now();
    if (wait > 0) await sleep(wait);
    else if (wait < -50) late += 1;
    const users = Array.from({ length: perBatch }, (_, k) => `${prefix}${b * perBatch + k}`);
    inFlight.push(
      post(stack, users).then(
        (at) => users.forEach((u) => answered.set(u, at)),
        (error: unknown) => say(`  batch ${b} failed: ${error instanceof Error ? error.message : String(error)}`),
      ),
    );
  }
  await Promise.all(inFlight);
  sampling = false;
  await sampler;
  return { answered, lags, late, postedInMs: performance.now() - started };
}

/** Waits until every answered user has a request (or `drainS` passes); answers the arrivals. */
async function drain(stack: Stack, prefix: string, expected: number, drainS: number) {
  const deadline = Date.now() + drainS * 1000;
  while ((await stack.receiver.count(prefix)) < expected && Date.now() <= deadline) await sleep(250);
  return stack.receiver.arrivals(prefix);
}

function ms(xs: number[], p: number) {
  return Math.round(percentile(xs, p));
}

/** What the run's workflow wrote to Temporal: history events by type over its executions (continue-as-new chain). */
async function historyShape(stack: Stack) {
  const types = new Map<string, number>();
  let executions = 0;
  let runId: string | undefined;
  for (;;) {
    const handle = stack.temporal.client.workflow.getHandle(workflowIds.eventsRun(stack.campaignId), runId);
    const history = await handle.fetchHistory();
    executions += 1;
    for (const event of history.events ?? []) {
      const type = String(event.eventType ?? '').replace('EVENT_TYPE_', '');
      types.set(type, (types.get(type) ?? 0) + 1);
    }
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    runId = started?.continuedExecutionRunId ?? undefined;
    if (!runId || executions > 50) break;
  }
  const line = [...types].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${n}`).join(', ');
  say(`  the run's history over ${executions} execution(s): ${line}`);
}

async function ratesScenario(opts: ReturnType<typeof options>) {
  const table: (string | number)[][] = [];
  for (const kind of opts.kinds) {
    if (kind === 'pg' && !findTemporalServerBinaries()) {
      say('--temporal pg skipped: the Temporal server binaries are not built (npm run temporal:pg -- --install-only)');
      continue;
    }
    say(`== Temporal ${kind === 'file' ? 'dev server with its state in a SQLite file (as npm start runs it)' : kind === 'dev' ? 'dev server in memory' : 'server on PostgreSQL'}`);
    const stack = await startStack(kind, {});
    const hookcastPg = new PostgresCpuMeter(stack.bench.admin, stack.bench.name);
    const temporalPg = new PostgresCpuMeter(stack.bench.admin, stack.temporal.databases);
    // What Temporal costs with nothing to do (the worker's and the API's polls, the server's own timers).
    const idleBefore = cpuOf(stack);
    await sleep(10_000);
    const idlePerSecond = (cpuOf(stack).temporal - idleBefore.temporal) / 10;
    say(`  idle, 10 s: Temporal server ${(idlePerSecond * 1000).toFixed(0)} ms CPU per second`);
    for (const rate of opts.rates) {
      const prefix = `${kind}-${rate}-`;
      const before = cpuOf(stack);
      const claimsBefore = await claimsOf(stack);
      busyAnswers = 0;
      const phaseStarted = performance.now();
      hookcastPg.start();
      temporalPg.start();
      const driven = await drive(stack, prefix, rate, opts.seconds);
      const atEnd = await queue(stack);
      const arrivals = await drain(stack, prefix, driven.answered.size, opts.drainS);
      const after = cpuOf(stack);
      const phaseSeconds = (performance.now() - phaseStarted) / 1000;
      const claims = (await claimsOf(stack)) - claimsBefore;
      const pgCpu = await hookcastPg.stop();
      const temporalPgCpu = kind === 'pg' ? (await temporalPg.stop()).database : NaN;
      if (kind !== 'pg') await temporalPg.stop();
      const latencies: number[] = [];
      let requests = 0;
      let ids = 0;
      for (const [user, answeredAt] of driven.answered) {
        const arrival = arrivals.get(user);
        if (!arrival) continue;
        requests += arrival.requests;
        ids += arrival.ids;
        // A request can beat the batch's answer to the client (the relay runs right after the commit): 0.
        latencies.push(Math.max(0, arrival.first - answeredAt));
      }
      latencies.sort((a, b) => a - b);
      const sends = latencies.length;
      const per1000 = (cpu: number) => (sends > 0 ? ((cpu * 1000) / sends).toFixed(2) : 'n/a');
      const temporalCpu = after.temporal - before.temporal;
      // Beyond what an idle server costs over the same time: what the sends themselves cost Temporal.
      const temporalMarginal = temporalCpu - idlePerSecond * phaseSeconds;
      const maxLag = Math.max(0, ...driven.lags.filter((l) => !Number.isNaN(l)));
      say(
        `  ${rate}/s: ${driven.answered.size} events, ${requests} requests, ${ids - sends} duplicates (another webhook-id), ${requests - ids} resends (the same webhook-id again), ${driven.answered.size - sends} missing; ` +
          `p50 ${ms(latencies, 50)} / p95 ${ms(latencies, 95)} / p99 ${ms(latencies, 99)} ms; lag at the end ${atEnd.lagMs} ms (${atEnd.firingsDue} due), peak ${maxLag} ms; ` +
          `${driven.late} batches posted late, ${busyAnswers} answered busy (retried); ${claims} claims (${Math.round(sends / Math.max(1, claims))} sends a claim); ` +
          `Temporal CPU ${((temporalCpu * 1000) / Math.max(1, claims)).toFixed(1)} ms a claim, beyond idle ${((temporalMarginal * 1000) / Math.max(1, sends)).toFixed(3)} ms a send; CPU s per 1,000 sends: API ${per1000(after.api - before.api)}, worker ${per1000(after.worker - before.worker)}, ` +
          `Temporal ${per1000(temporalCpu)}, PostgreSQL ${per1000(pgCpu.database)}${kind === 'pg' ? `, Temporal's PostgreSQL ${per1000(temporalPgCpu)}` : ''}`,
      );
      table.push([
        kind,
        rate,
        driven.answered.size,
        requests,
        ids - sends,
        requests - ids,
        ms(latencies, 50),
        `**${ms(latencies, 95)}**`,
        ms(latencies, 99),
        `${atEnd.lagMs} (peak ${maxLag})`,
        per1000(after.api - before.api),
        per1000(after.worker - before.worker),
        per1000(temporalCpu),
        per1000(pgCpu.database),
        kind === 'pg' ? per1000(temporalPgCpu) : '—',
        sends > 0 ? ((temporalCpu * 1000) / sends).toFixed(3) : 'n/a',
        sends > 0 ? ((temporalMarginal * 1000) / sends).toFixed(3) : 'n/a',
        claims,
      ]);
    }
    await historyShape(stack);
    await stack.http.close();
    stack.receiver.stop();
    await stopAll();
  }
  say('summary (docs/benchmarks.md):');
  console.log(
    markdownTable(
      [
        'Temporal',
        'events/s',
        'events',
        'requests',
        'duplicates',
        'resends',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'lag at end ms',
        'API CPU s / 1k',
        'worker CPU s / 1k',
        'Temporal CPU s / 1k',
        'PostgreSQL CPU s / 1k',
        "Temporal's PostgreSQL CPU s / 1k",
        'Temporal CPU ms per send',
        'of it beyond idle',
        'claims',
      ],
      table,
    ),
  );
}

/** `times: 3` within a day, every user one or two events: nothing fires; what does the counting keep? */
async function countingScenario(opts: ReturnType<typeof options>) {
  const kind = opts.kinds[0]!;
  const stack = await startStack(kind, { times: 3, within: 'PT24H' });
  try {
    const perBatch = 1000;
    const started = performance.now();
    let posted = 0;
    // Every user sends one event; every other user a second one, in a later batch.
    const users = opts.users;
    const batches: string[][] = [];
    for (let i = 0; i < users; i += perBatch) batches.push(Array.from({ length: Math.min(perBatch, users - i) }, (_, k) => `count-${i + k}`));
    for (let i = 0; i < users; i += perBatch * 2) batches.push(Array.from({ length: Math.min(perBatch, Math.ceil((users - i) / 2)) }, (_, k) => `count-${i + 2 * k}`));
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          await post(stack, batch);
          posted += batch.length;
          if (posted % 100_000 < perBatch) say(`  ${posted} events posted`);
        }
      }),
    );
    const postMs = performance.now() - started;
    // Until the relay has counted every event.
    for (let i = 0; i < 600 && (await queue(stack)).eventsCounted < posted; i += 1) await sleep(500);
    const counted = (await queue(stack)).eventsCounted;
    const executions = await stack.temporal.client.workflow.count(`CampaignId = "${stack.campaignId}"`);
    const [state] = await stack.bench.database.client<{ rows: number; size: string; avg: number; firings: number; outbox: number }[]>`
      SELECT (SELECT count(*)::int FROM trigger_state) AS rows, pg_size_pretty(pg_total_relation_size('trigger_state')) AS size,
             (SELECT round(avg(pg_column_size(t.*)))::int FROM trigger_state t) AS avg,
             (SELECT count(*)::int FROM trigger_firings) AS firings, (SELECT count(*)::int FROM trigger_outbox) AS outbox`;
    say(
      `counting scenario (times 3 within PT24H, Temporal ${kind}): ${users} users, ${posted} events posted in ${(postMs / 1000).toFixed(1)} s ` +
        `(${Math.round(posted / (postMs / 1000))}/s), ${counted} counted; Temporal executions of the campaign: ${executions.count}; ` +
        `counting state: ${state!.rows} rows, ${state!.size} with indexes (${state!.avg} bytes a row); firings ${state!.firings}; outbox ${state!.outbox}`,
    );
  } finally {
    await stack.http.close();
    stack.receiver.stop();
    await stopAll();
  }
}

/** `delay: PT1M`: `--users` users fire within about 10 s; how late is each send against its due time? */
async function delayScenario(opts: ReturnType<typeof options>) {
  const kind = opts.kinds[0]!;
  const stack = await startStack(kind, { delay: 'PT1M' }, { profile: opts.cpuProf });
  try {
    const rate = Math.ceil(opts.users / 10);
    if (opts.warm) {
      // A worker that has sent before, as a deployment's has: a first burst, all sent, then the measured one a
      // minute (its delay) after it, the worker idle in between.
      const warm = await drive(stack, 'warm-', 10_000, 2);
      say(`  warm-up: ${warm.answered.size} events posted, sent after the delay; the measured burst's events follow`);
      await drain(stack, 'warm-', warm.answered.size, 60 + opts.drainS);
    }
    const driven = await drive(stack, 'delay-', rate, 10);
    say(`  ${driven.answered.size} events posted in ${(driven.postedInMs / 1000).toFixed(1)} s; waiting for the delay`);
    // Each send's own due time, read while every firing still waits inside its delay.
    const firings = async () => (await stack.bench.database.client<{ n: number }[]>`SELECT count(*)::int AS n FROM trigger_firings`)[0]!.n;
    for (let i = 0; i < 200 && (await firings()) < driven.answered.size; i += 1) await sleep(100);
    const dueRows = await stack.bench.database.client<{ login_id: string; due: Date }[]>`
      SELECT u.login_id, f.due_at AS due FROM trigger_firings f JOIN users u ON u.id = f.user_id`;
    const dueOf = new Map(dueRows.map((r) => [r.login_id, new Date(r.due).getTime()]));
    // Loops, not Math.min(...values): a spread of a few hundred thousand arguments overflows the stack.
    let firstDue = Infinity;
    let lastDue = -Infinity;
    for (const due of dueOf.values()) {
      firstDue = Math.min(firstDue, due);
      lastDue = Math.max(lastDue, due);
    }
    say(`  ${dueOf.size} firings waiting, due from ${new Date(firstDue).toISOString()} to ${new Date(lastDue).toISOString()}`);
    // What this machine sends right now with nothing durable around it: plain undici requests to the same receiver,
    // as many in flight as the run's sending activities together. The delay's target needs the burst's due rate;
    // the raw loop tells whether the machine has it at all, and the ratio compares with bench:campaign's.
    const inFlight = DEFAULT_DUE_QUEUE.window * 32;
    const raw = await rawLoop(stack.receiver.url, 30_000, inFlight);
    say(`  raw undici loop to the same receiver, ${inFlight} in flight: ${Math.round(raw.perSecond)} requests/s`);
    // Measured and profiled from the first due time: the burst's sending, not the posting or the wait before it.
    await sleep(Math.max(0, firstDue - Date.now()));
    const pgCpu = new PostgresCpuMeter(stack.bench.admin, stack.bench.name);
    pgCpu.start();
    const before = { ...cpuOf(stack), receiver: cpuSeconds(stack.receiver.pid), bench: process.cpuUsage(), machine: machineCpuSeconds() };
    await stack.worker.profiler?.start();
    const arrivals = await drain(stack, 'delay-', driven.answered.size, 60 + opts.drainS);
    const after = { ...cpuOf(stack), receiver: cpuSeconds(stack.receiver.pid), bench: process.cpuUsage(before.bench), machine: machineCpuSeconds() };
    const postgresCpu = await pgCpu.stop();
    if (stack.worker.profiler) {
      const profile = await stack.worker.profiler!.stop();
      const file = join(mkdtempSync(join(tmpdir(), 'hookcast-prof-')), 'worker-delay.cpuprofile');
      writeFileSync(file, JSON.stringify(profile));
      const summary = summarizeProfile(profile, { top: opts.top, resolveLine: sourceMapResolver(await stack.worker.profiler!.sourceMapUrls()) });
      say(`  worker main-thread CPU profile from the first due time to the last request (${(summary.busyMs / Math.max(1, driven.answered.size)).toFixed(3)} busy ms a send): ${file}`);
      for (const line of formatProfileSummary(summary)) console.log(line);
    }
    const late: number[] = [];
    // By the second a send fell due (from the first due time): whether the lateness is there from the start or builds up.
    const bySecond: number[][] = [];
    let requests = 0;
    let ids = 0;
    for (const [user] of driven.answered) {
      const arrival = arrivals.get(user);
      const due = dueOf.get(user);
      if (!arrival || due === undefined) continue;
      requests += arrival.requests;
      ids += arrival.ids;
      late.push(arrival.first - due);
      (bySecond[Math.floor((due - firstDue) / 1000)] ??= []).push(arrival.first - due);
    }
    late.sort((a, b) => a - b);
    let firstArrival = Infinity;
    let lastArrival = -Infinity;
    for (const { first } of arrivals.values()) {
      firstArrival = Math.min(firstArrival, first);
      lastArrival = Math.max(lastArrival, first);
    }
    // Sends in each second, and sends and due firings in each quarter of the first three, from the first due time:
    // a slow start shows apart from a slow pace.
    const sentBySecond: number[] = [];
    for (const { first } of arrivals.values()) {
      const s = Math.floor((first - firstDue) / 1000);
      sentBySecond[s] = (sentBySecond[s] ?? 0) + 1;
    }
    const firstQuarters = (times: Iterable<number>) => {
      const counts: number[] = Array.from({ length: 12 }, () => 0);
      for (const time of times) {
        const q = Math.floor((time - firstDue) / 250);
        if (q >= 0 && q < 12) counts[q]! += 1;
      }
      return counts.join(', ');
    };
    const sendRate = late.length / Math.max(0.001, (lastArrival - firstDue) / 1000);
    const dueRate = dueOf.size / Math.max(0.001, (lastDue - firstDue) / 1000);
    const seconds = [...bySecond].map((l, s) => (l ? `${s}s: ${l.length} due, p95 ${ms(l.sort((a, b) => a - b), 95)}` : `${s}s: none`));
    say(`  first request ${firstArrival - firstDue} ms after the first due time; sent − due by the second they fell due: ${seconds.join('; ')}`);
    say(`  sent in each second from the first due time: ${Array.from(sentBySecond, (n, s) => `${s}s: ${n ?? 0}`).join('; ')}`);
    const sentTimes = Array.from(arrivals.values(), (a) => a.first);
    say(`  in each quarter second of the first three, due: ${firstQuarters(dueOf.values())}; sent: ${firstQuarters(sentTimes)}`);
    // How fast the run's window of sending activities filled: when each started, and the asks that started them.
    const history = await stack.temporal.client.workflow.getHandle(workflowIds.eventsRun(stack.campaignId)).fetchHistory();
    const starts: string[] = [];
    for (const event of history.events ?? []) {
      const ms = tsToMs(event.eventTime) - firstDue;
      if (ms <= -2000 || ms >= 5000) continue;
      const at = `${ms >= 0 ? '+' : ''}${ms}`;
      if (event.workflowExecutionSignaledEventAttributes) starts.push(`wake ${at}`);
      if (event.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverDue') starts.push(`activity ${at}`);
      if (event.activityTaskStartedEventAttributes) starts.push(`(started ${at})`);
    }
    say(`  the run's signals and sending activities in its first 5 s, ms from the first due time: ${starts.join(', ')}`);
    say(
      `delay scenario (PT1M, Temporal ${kind}): ${driven.answered.size} events, ${late.length} users sent, ${requests} requests, ${ids - late.length} duplicates (another webhook-id), ${requests - ids} resends (the same webhook-id), ` +
        `${driven.answered.size - late.length} missing; sent − due p50 ${ms(late, 50)} / p95 ${ms(late, 95)} / p99 ${ms(late, 99)} / max ${Math.round(late.at(-1) ?? NaN)} ms; ` +
        `CPU s while due: worker ${(after.worker - before.worker).toFixed(1)}, Temporal ${(after.temporal - before.temporal).toFixed(1)}; ` +
        `due ${Math.round(dueRate)}/s, sent ${Math.round(sendRate)}/s from the first due time to the last request, ${(sendRate / raw.perSecond).toFixed(2)} × the raw loop's ${Math.round(raw.perSecond)}/s`,
    );
    // Where the machine's cores went from the first due time to the last arrival (give or take the drain's 250 ms
    // poll): the engine's processes, the receiver standing in for the customer's endpoint, this benchmark, the rest.
    const machineBusy = after.machine.busy - before.machine.busy;
    const machineCapacity = after.machine.capacity - before.machine.capacity;
    const per = (seconds: number) => ((seconds * 1000) / Math.max(1, late.length)).toFixed(3);
    const engine = after.worker - before.worker + (after.temporal - before.temporal) + (after.api - before.api) + postgresCpu.database;
    const receiverCpu = after.receiver - before.receiver;
    const benchCpu = (after.bench.user + after.bench.system) / 1e6;
    say(
      `  CPU ms per send while due: worker ${per(after.worker - before.worker)}, Temporal ${per(after.temporal - before.temporal)}, API ${per(after.api - before.api)}, PostgreSQL ${per(postgresCpu.database)} ` +
        `(engine ${per(engine)}); receiver ${per(receiverCpu)}, this benchmark ${per(benchCpu)}, other PostgreSQL ${per(postgresCpu.all - postgresCpu.database)}, ` +
        `rest of the machine ${per(machineBusy - engine - receiverCpu - benchCpu - (postgresCpu.all - postgresCpu.database))}; ` +
        `the machine ${((100 * machineBusy) / Math.max(0.001, machineCapacity)).toFixed(0)} % busy over ${(machineCapacity / Math.max(1, after.machine.cores)).toFixed(1)} s on ${after.machine.cores} cores`,
    );
  } finally {
    await stack.http.close();
    stack.receiver.stop();
    await stopAll();
  }
}

async function main() {
  const opts = options();
  say(`scenario ${opts.scenario}; Temporal ${opts.kinds.join(', ')}${opts.scenario === 'rates' ? `; ${opts.rates.join(', ')} events/s for ${opts.seconds} s each` : `; ${opts.users} users`}`);
  await ensureCompiledWorker(say);
  if (opts.scenario === 'rates') await ratesScenario(opts);
  else if (opts.scenario === 'counting') await countingScenario(opts);
  else await delayScenario(opts);
}

runBench(main);
