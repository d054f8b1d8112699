/**
 * `npm run bench:campaign [-- --sizes 1000,10000,20000,50000,100000 | --users N] [--workers N] [--temporal dev|pg] [--compiled]`
 *
 * A size sweep: for each size, a fresh campaign over a fresh set of users (so
 * each run's `run_recipients` rows are new, with whatever statistics autovacuum
 * happens to have), all on one database, one Temporal server and `--workers`
 * worker processes (1) on one task queue, against a fast loopback receiver
 * that counts requests and distinct `webhook-id`s. Before each size, a plain
 * undici loop at the same total concurrency against the same receiver gives
 * the baseline of that moment.
 *
 * --temporal dev (default): a headless in-memory dev server; pg: the
 * PostgreSQL-backed server of `npm run temporal:pg` (binaries built
 * beforehand), on databases of its own recreated on the bench PostgreSQL. The
 * Temporal server's own CPU (and with pg its PostgreSQL backends') is
 * reported. --compiled runs the workers from dist/ with the prebuilt workflow
 * bundle (built first when stale), as production does. --database NAME
 * (hookcast_bench_campaign): the bench database, dropped and recreated, with
 * NAME_temporal and NAME_temporal_visibility for `pg`; give another name when
 * another benchmark may be running on the same PostgreSQL.
 *
 * How the work split: each worker's succeeded and other attempts (from its
 * own metrics), the activities it ran (by its identity in the histories), its
 * CPU and peak RSS. Exactly once: per run, every recipient row terminal, one
 * per user, no user with two successful attempts, and at the receiver
 * requests = distinct webhook-ids = users.
 *
 * Options: --batch 2000 --window 8 --concurrency 32 (per batch) --timeout-s 600
 * (per size: then the campaign is cancelled and the size reported as timed
 * out) --raw-requests 30000 --cpu-prof [--cpu-prof-dir DIR] (or
 * BENCH_CPU_PROF=DIR): a CPU profile of the worker's main thread during each
 * size (through the inspector, so start-up is not in it), saved as
 * DIR/worker-<size>.cpuprofile and summarized (top `--top 15` self-time
 * functions and files).
 *
 * Prints figures; asserts nothing.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProfileSummary, sourceMapResolver, summarizeProfile } from './cpu-profile.js';
import { DEFAULT_FAN_OUT } from '../runs/lifecycle.js';
import {
  benchCampaigns,
  cpuSeconds,
  createBenchChannel,
  deliveryAttemptsOf,
  ensureCompiledWorker,
  freshDatabase,
  launchCampaign,
  logger,
  mainThreadCpuSeconds,
  markdownTable,
  peakRssMiB,
  positive,
  PostgresCpuMeter,
  rawLoop,
  recipientsStatistics,
  runFootprint,
  seedAudience,
  spawnWorker,
  startReceiver,
  startTemporal,
  runBench,
  stopAll,
  waitForEnd,
  type BenchDatabase,
  type FanOut,
  type TemporalKind,
  type WorkerProcess,
} from './harness.js';

const say = logger('bench:campaign');

/** The bench database's name: recreated by each run, so two benchmarks at once need different ones. */
function database(name = 'hookcast_bench_campaign'): string {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(name)) throw new Error(`--database must be a lower-case identifier of at most 41 characters, got ${JSON.stringify(name)}`);
  return name;
}

function options() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      users: { type: 'string' },
      batch: { type: 'string' },
      window: { type: 'string' },
      concurrency: { type: 'string' },
      'timeout-s': { type: 'string' },
      'raw-requests': { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'cpu-prof-dir': { type: 'string' },
      top: { type: 'string' },
      workers: { type: 'string' },
      temporal: { type: 'string' },
      compiled: { type: 'boolean', default: false },
      database: { type: 'string' },
    },
  });
  const temporal = values.temporal ?? 'dev';
  if (temporal !== 'dev' && temporal !== 'pg') throw new Error(`--temporal must be dev or pg, got ${JSON.stringify(temporal)}`);
  if (values.sizes && values.users) throw new Error('give --sizes or --users, not both');
  const sizes = values.users
    ? [positive('users', values.users, 0)]
    : (values.sizes ?? '1000,10000,20000,50000,100000').split(',').map((s) => positive('sizes', s.trim(), 0));
  const profileDir = values['cpu-prof-dir'] ?? process.env.BENCH_CPU_PROF ?? (values['cpu-prof'] ? mkdtempSync(join(tmpdir(), 'hookcast-prof-')) : undefined);
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  return {
    sizes,
    fanOut: { batchSize: positive('batch', values.batch, DEFAULT_FAN_OUT.batchSize), window: positive('window', values.window, DEFAULT_FAN_OUT.window), childrenPerExecution: DEFAULT_FAN_OUT.childrenPerExecution } satisfies FanOut,
    concurrency: positive('concurrency', values.concurrency, 32),
    timeoutS: positive('timeout-s', values['timeout-s'], 600),
    rawRequests: positive('raw-requests', values['raw-requests'], 30_000),
    profileDir,
    top: positive('top', values.top, 15),
    workers: positive('workers', values.workers, 1),
    temporal: temporal as TemporalKind,
    compiled: values.compiled,
    database: database(values.database),
  };
}

interface WorkerFigures {
  pid: number;
  succeeded: number;
  /** Attempts that did not succeed (retry, failed). */
  otherAttempts: number;
  activities: number;
  cpuSeconds: number;
  cpuMsPerDelivery: number;
  peakRssMiB: number;
}

interface ExactlyOnce {
  /** Recipient rows of the run, users among them, rows in a terminal status. */
  rows: number;
  users: number;
  terminal: number;
  /** Users with more than one successful attempt. */
  duplicateSuccesses: number;
}

interface SizeFigures {
  users: number;
  status: string;
  timedOut: boolean;
  succeeded: number;
  seconds: number;
  deliveriesPerSecond: number;
  rawUndiciPerSecond: number;
  ratioToRaw: number;
  /** CPU per request of the raw loop, measured in the same run. */
  rawCpuMsPerRequest: number;
  requests: number;
  distinctWebhookIds: number;
  duplicates: number;
  workerCpuSeconds: number;
  workerCpuMsPerDelivery: number;
  /** The worker's main thread (the event loop the activities run on) alone. */
  workerMainThreadCpuMsPerDelivery: number;
  postgresCpuSeconds: number;
  postgresAllCpuSeconds: number;
  postgresCpuMsPerDelivery: number;
  activities: number;
  activitiesPerDelivery: number;
  activityRetries: number;
  /** Batch activities running at once, averaged from the first batch's start to the last one's end (the window is the most). */
  batchActivitiesRunningMean: number;
  /** A batch activity's mean duration: lease, load, sends and the last outcome write. */
  batchActivityMeanS: number;
  /** Mean ms of each step of a batch's life: parent asks → child starts → activity scheduled → started → done → child done → parent hears → next batch asked. */
  batchLifecycleMs: Record<string, number>;
  parentLargestHistory: number;
  parentRuns: number;
  workerPeakRssMiB: number;
  workerWarnings: number;
  workers: WorkerFigures[];
  exactlyOnce: ExactlyOnce;
  temporalCpuSeconds: number;
  temporalCpuMsPerDelivery: number;
  /** `--temporal pg`: CPU of the PostgreSQL backends serving Temporal's own databases. */
  temporalPostgresCpuSeconds?: number;
  temporalPostgresCpuMsPerDelivery?: number;
  recipientsAnalyzedBeforeLaunch: string;
  /**
   * Non-idle time of the worker's main thread in its CPU profile, per delivery:
   * wall time while runnable, so above the CPU figure when cores are contended.
   */
  profiledBusyMsPerDelivery?: number;
}

const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/** What the database says about a finished run: every user once, terminal, at most one success each. */
async function exactlyOnce(bench: BenchDatabase, runId: string): Promise<ExactlyOnce> {
  const [row] = await bench.database.client<ExactlyOnce[]>`
    SELECT count(*)::int AS rows, count(DISTINCT user_id)::int AS users,
           count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'skipped', 'cancelled'))::int AS terminal,
           (SELECT count(*)::int FROM (SELECT seq FROM delivery_attempts WHERE run_id = ${runId} AND outcome = 'succeeded' GROUP BY seq HAVING count(*) > 1) twice) AS "duplicateSuccesses"
    FROM run_recipients WHERE run_id = ${runId}`;
  return row!;
}

const sumAttempts = (byOutcome: Record<string, number>, outcome?: string) =>
  Object.entries(byOutcome).reduce((sum, [name, n]) => sum + (outcome === undefined || name === outcome ? n : 0), 0);

async function main() {
  const opts = options();
  const totalConcurrency = opts.fanOut.window * opts.concurrency;
  say(`sizes=${opts.sizes.join(',')} batch=${opts.fanOut.batchSize} window=${opts.fanOut.window} concurrency/batch=${opts.concurrency} (total ${totalConcurrency}) timeout=${opts.timeoutS}s`);
  const bench = await freshDatabase(opts.database);
  const receiver = await startReceiver();
  const temporal = await startTemporal(say, opts.temporal, opts.database);
  if (opts.compiled) await ensureCompiledWorker(say);
  const workers: WorkerProcess[] = [];
  for (let i = 0; i < opts.workers; i++) {
    // Only the first worker is profiled: one profile already shows where a worker's time goes.
    workers.push(await spawnWorker({ bench, temporal, concurrency: opts.concurrency, profile: i === 0 && opts.profileDir !== undefined, compiled: opts.compiled, log: (line) => say(`worker ${i + 1}: ${line}`) }));
  }
  const worker = workers[0]!;
  say(
    `${workers.length} worker${workers.length > 1 ? 's' : ''} polling task queue ${temporal.taskQueue} on the ${opts.temporal === 'pg' ? 'PostgreSQL-backed Temporal server' : 'dev server'} (pids ${workers.map((w) => w.pid).join(', ')}; ${opts.compiled ? 'compiled, prebuilt bundle' : 'sources through tsx'})` +
      (opts.profileDir ? `; CPU profiles of worker 1 for each size go to ${opts.profileDir}` : ''),
  );
  const campaigns = benchCampaigns(bench, temporal, opts.fanOut);
  const pgCpu = new PostgresCpuMeter(bench.admin, bench.name);
  const temporalPgCpu = temporal.databases.length > 0 ? new PostgresCpuMeter(bench.admin, temporal.databases) : undefined;
  const results: SizeFigures[] = [];

  try {
    for (const [index, users] of opts.sizes.entries()) {
      const cohort = `s${index + 1}-${users}`;
      const seedStarted = performance.now();
      const segmentId = await seedAudience(bench, cohort, users);
      say(`size ${users}: ${users} users seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
      const channelId = await createBenchChannel(bench, `${receiver.url}/${cohort}`, `白鸽卡券中心 ${cohort}`);
      const { perSecond: raw, cpuMsPerRequest: rawCpuMs } = await rawLoop(`${receiver.url}/raw-${cohort}`, opts.rawRequests, totalConcurrency);
      const statistics = await recipientsStatistics(bench);
      say(`size ${users}: seeded; raw undici loop ${Math.round(raw)}/s; run_recipients before launch: ${statistics.live} live rows, last analyzed ${statistics.analyzed?.toISOString() ?? 'never'}, ${statistics.modified} modified since`);

      const cpuBefore = workers.map((w) => cpuSeconds(w.pid));
      const attemptsBefore = await Promise.all(workers.map((w) => deliveryAttemptsOf(w)));
      const warningsBefore = workers.map((w) => w.warnings.length);
      const temporalCpuBefore = cpuSeconds(temporal.server.pid ?? 0);
      const mainBefore = workers.map((w) => mainThreadCpuSeconds(w.pid));
      pgCpu.start();
      temporalPgCpu?.start();
      await worker.profiler?.start();
      const started = performance.now();
      const launched = await launchCampaign(campaigns, { name: `bench ${cohort}`, segmentId, channelId });
      const ended = await waitForEnd(campaigns, launched.id, opts.timeoutS * 1000);
      let status = ended.status;
      const timedOut = ended.timedOut;
      // Launch to terminal status (or to the time limit), audience freeze included.
      const seconds = (performance.now() - started) / 1000;
      let counts = await campaigns.deliveryCounts(launched.runId);
      const succeededInTime = counts.succeeded;
      if (timedOut) {
        say(`size ${users}: TIMED OUT after ${opts.timeoutS} s with ${counts.succeeded}/${counts.total} succeeded; cancelling`);
        await campaigns.cancel(launched.id).catch((error: unknown) => say(`cancel failed: ${String(error)}`));
        status = (await waitForEnd(campaigns, launched.id, 120_000)).status;
        counts = await campaigns.deliveryCounts(launched.runId);
      }
      const workerCpus = workers.map((w, i) => cpuSeconds(w.pid) - cpuBefore[i]!);
      const workerCpu = workerCpus.reduce((a, b) => a + b, 0);
      const attemptsAfter = await Promise.all(workers.map((w) => deliveryAttemptsOf(w)));
      const temporalCpu = cpuSeconds(temporal.server.pid ?? 0) - temporalCpuBefore;
      const workerMainCpu = workers.reduce((sum, w, i) => sum + mainThreadCpuSeconds(w.pid) - mainBefore[i]!, 0);
      const postgres = await pgCpu.stop();
      const temporalPostgres = await temporalPgCpu?.stop();
      const once = await exactlyOnce(bench, launched.runId);
      const profile = await worker.profiler?.stop();
      const received = await receiver.statsOf(`/${cohort}`);
      const footprint = await runFootprint(temporal.client, launched.workflowId, counts.total, opts.fanOut.batchSize);
      const perSecond = succeededInTime / seconds;
      const figures: SizeFigures = {
        users,
        status,
        timedOut,
        succeeded: succeededInTime,
        seconds: round(seconds, 1),
        deliveriesPerSecond: Math.round(perSecond),
        rawUndiciPerSecond: Math.round(raw),
        ratioToRaw: round(perSecond / raw, 3),
        rawCpuMsPerRequest: round(rawCpuMs, 3),
        requests: received.requests,
        distinctWebhookIds: received.distinctWebhookIds,
        duplicates: received.duplicates,
        workerCpuSeconds: round(workerCpu, 1),
        workerCpuMsPerDelivery: round((workerCpu * 1000) / Math.max(1, counts.succeeded), 3),
        workerMainThreadCpuMsPerDelivery: round((workerMainCpu * 1000) / Math.max(1, counts.succeeded), 3),
        postgresCpuSeconds: round(postgres.database, 1),
        postgresAllCpuSeconds: round(postgres.all, 1),
        postgresCpuMsPerDelivery: round((postgres.database * 1000) / Math.max(1, counts.succeeded), 3),
        activities: footprint.activities,
        activitiesPerDelivery: round(footprint.activities / Math.max(1, counts.succeeded), 4),
        activityRetries: footprint.activityRetries,
        batchActivitiesRunningMean: footprint.batchActivitiesRunningMean,
        batchActivityMeanS: footprint.batchActivityMeanS,
        batchLifecycleMs: footprint.batchLifecycleMs,
        parentLargestHistory: footprint.parentLargestHistory,
        parentRuns: footprint.parentRuns,
        workerPeakRssMiB: Math.max(...workers.map((w) => peakRssMiB(w.pid))),
        workerWarnings: workers.reduce((sum, w, i) => sum + w.warnings.length - warningsBefore[i]!, 0),
        workers: workers.map((w, i) => {
          const succeeded = sumAttempts(attemptsAfter[i]!, 'succeeded') - sumAttempts(attemptsBefore[i]!, 'succeeded');
          return {
            pid: w.pid,
            succeeded,
            otherAttempts: sumAttempts(attemptsAfter[i]!) - sumAttempts(attemptsBefore[i]!) - succeeded,
            activities: footprint.activitiesByIdentity[w.identity] ?? 0,
            cpuSeconds: round(workerCpus[i]!, 1),
            cpuMsPerDelivery: round((workerCpus[i]! * 1000) / Math.max(1, succeeded), 3),
            peakRssMiB: peakRssMiB(w.pid),
          };
        }),
        exactlyOnce: once,
        temporalCpuSeconds: round(temporalCpu, 1),
        temporalCpuMsPerDelivery: round((temporalCpu * 1000) / Math.max(1, counts.succeeded), 3),
        ...(temporalPostgres
          ? { temporalPostgresCpuSeconds: round(temporalPostgres.database, 1), temporalPostgresCpuMsPerDelivery: round((temporalPostgres.database * 1000) / Math.max(1, counts.succeeded), 3) }
          : {}),
        recipientsAnalyzedBeforeLaunch: statistics.analyzed ? `${statistics.analyzed.toISOString()} (${statistics.modified} modified since)` : 'never',
      };
      if (profile && opts.profileDir) {
        const file = join(opts.profileDir, `worker-${cohort}.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
        const summary = summarizeProfile(profile, { top: opts.top, resolveLine: sourceMapResolver(await worker.profiler!.sourceMapUrls()) });
        figures.profiledBusyMsPerDelivery = round(summary.busyMs / Math.max(1, counts.succeeded), 3);
        say(`size ${users}: worker main-thread CPU profile (activities; workflow threads and the Rust core are not in it): ${file}`);
        for (const line of formatProfileSummary(summary)) console.log(line);
      }
      results.push(figures);
      say(`size ${users}: campaign ${status}: ${counts.succeeded}/${counts.total} succeeded in ${figures.seconds} s`);
      say(`size ${users}: duplicates: ${figures.duplicates} (must be 0); requests ${figures.requests}, distinct webhook-ids ${figures.distinctWebhookIds} (both must be ${users})`);
      say(
        `size ${users}: recipient rows ${once.rows}, distinct users ${once.users}, terminal ${once.terminal} (all must be ${users}); users with two successes ${once.duplicateSuccesses} (must be 0)`,
      );
      for (const [i, w] of figures.workers.entries()) {
        say(`size ${users}: worker ${i + 1} (pid ${w.pid}): ${w.succeeded} succeeded, ${w.otherAttempts} other attempts, ${w.activities} activities, ${w.cpuSeconds} CPU s, peak RSS ${w.peakRssMiB} MiB`);
      }
      say(
        `size ${users}: Temporal server (${opts.temporal}) ${figures.temporalCpuSeconds} CPU s, ${figures.temporalCpuMsPerDelivery} ms/delivery` +
          (figures.temporalPostgresCpuSeconds !== undefined ? `; its PostgreSQL backends ${figures.temporalPostgresCpuSeconds} CPU s, ${figures.temporalPostgresCpuMsPerDelivery} ms/delivery` : ''),
      );
      say(`size ${users}: ${figures.deliveriesPerSecond} deliveries/s, ratio to the raw loop ${figures.ratioToRaw}${users >= 50_000 ? ' (target at 50,000 users and more: at least 0.4)' : ''}`);
      say(`size ${users}: worker CPU ${figures.workerCpuMsPerDelivery} ms/delivery (main thread ${figures.workerMainThreadCpuMsPerDelivery}); batch activities running ${figures.batchActivitiesRunningMean} on average (window ${opts.fanOut.window}), ${figures.batchActivityMeanS} s each`);
      say(`size ${users}: a batch's life, mean ms: ${Object.entries(figures.batchLifecycleMs).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      console.log(JSON.stringify(figures, null, 2));
      await receiver.reset(`/${cohort}`);
      await receiver.reset(`/raw-${cohort}`);
    }
  } finally {
    await stopAll();
  }

  say('summary (paste into docs/benchmarks.md):');
  console.log(
    markdownTable(
      [
        'users',
        'outcome',
        'deliveries/s',
        'raw loop/s',
        'ratio',
        'requests',
        'distinct ids',
        'duplicates',
        'terminal users (rows, distinct) / two successes',
        'CPU s, workers / PostgreSQL',
        'worker CPU ms/delivery',
        'worker main thread CPU ms/delivery',
        'raw loop CPU ms/request',
        'PostgreSQL CPU ms/delivery',
        `Temporal server (${opts.temporal}) CPU s, ms/delivery`,
        ...(opts.temporal === 'pg' ? ["Temporal's PostgreSQL CPU s, ms/delivery"] : []),
        'activities/delivery',
        'activity retries',
        'parent history',
        'worker peak RSS MiB',
        ...(opts.profileDir ? ['main-thread busy ms/delivery (profile)'] : []),
      ],
      results.map((r) => [
        r.users.toLocaleString('en-US'),
        r.timedOut ? `**timed out** (${r.succeeded.toLocaleString('en-US')} succeeded)` : `${r.status} in ${r.seconds} s`,
        `**${r.deliveriesPerSecond.toLocaleString('en-US')}**`,
        r.rawUndiciPerSecond.toLocaleString('en-US'),
        `**${r.ratioToRaw.toFixed(3)}**`,
        r.requests.toLocaleString('en-US'),
        r.distinctWebhookIds.toLocaleString('en-US'),
        `**${r.duplicates.toLocaleString('en-US')}**`,
        `${r.exactlyOnce.terminal.toLocaleString('en-US')} (${r.exactlyOnce.rows.toLocaleString('en-US')}, ${r.exactlyOnce.users.toLocaleString('en-US')}) / **${r.exactlyOnce.duplicateSuccesses}**`,
        `${r.workerCpuSeconds} / ${r.postgresCpuSeconds}`,
        r.workerCpuMsPerDelivery.toFixed(3),
        r.workerMainThreadCpuMsPerDelivery.toFixed(3),
        r.rawCpuMsPerRequest.toFixed(3),
        r.postgresCpuMsPerDelivery.toFixed(3),
        `${r.temporalCpuSeconds}, ${r.temporalCpuMsPerDelivery.toFixed(3)}`,
        ...(opts.temporal === 'pg' ? [`${r.temporalPostgresCpuSeconds ?? ''}, ${r.temporalPostgresCpuMsPerDelivery?.toFixed(3) ?? ''}`] : []),
        r.activitiesPerDelivery.toFixed(4),
        r.activityRetries,
        `${r.parentLargestHistory}${r.parentRuns > 1 ? ` (${r.parentRuns} runs)` : ''}`,
        r.workerPeakRssMiB,
        ...(opts.profileDir ? [r.profiledBusyMsPerDelivery?.toFixed(3) ?? ''] : []),
      ]),
    ),
  );
  say('per worker:');
  console.log(
    markdownTable(
      ['users', 'worker', 'succeeded deliveries', 'share', 'other attempts', 'activities', 'CPU s', 'CPU ms/delivery', 'peak RSS MiB'],
      results.flatMap((r) =>
        r.workers.map((w, i) => [
          r.users.toLocaleString('en-US'),
          `${i + 1} (pid ${w.pid})`,
          w.succeeded.toLocaleString('en-US'),
          `${((100 * w.succeeded) / Math.max(1, r.succeeded)).toFixed(1)} %`,
          w.otherAttempts.toLocaleString('en-US'),
          w.activities.toLocaleString('en-US'),
          w.cpuSeconds,
          w.cpuMsPerDelivery.toFixed(3),
          `**${w.peakRssMiB}**`,
        ]),
      ),
    ),
  );
  const duplicates = results.reduce((sum, r) => sum + r.duplicates, 0);
  say(`duplicates over all sizes: ${duplicates} (must be 0); timed out sizes: ${results.filter((r) => r.timedOut).length}`);
  say(`deliveries/s by size (must not drop with size): ${results.map((r) => `${r.users}: ${r.deliveriesPerSecond}`).join(', ')}`);
  const notOnce = results.filter((r) => r.exactlyOnce.terminal !== r.users || r.exactlyOnce.users !== r.users || r.exactlyOnce.rows !== r.users || r.exactlyOnce.duplicateSuccesses > 0 || r.requests !== r.users || r.distinctWebhookIds !== r.users);
  say(`sizes where a user did not end terminal exactly once, or requests/distinct ids differ from users: ${notOnce.length === 0 ? 'none' : notOnce.map((r) => r.users).join(', ')}`);
  say(`peak RSS of every worker under 1 GiB: ${results.every((r) => r.workers.every((w) => w.peakRssMiB < 1024)) ? 'yes' : 'NO'}`);

}

runBench(main);
