/**
 * `npm run bench:campaign [-- --sizes 1000,10000,20000,50000,100000 | --users N]`
 *
 * A size sweep: for each size, a fresh campaign over a fresh set of users (so
 * each run's `run_recipients` rows are new, with whatever statistics autovacuum
 * happens to have), all on one database, one Temporal dev server and one worker
 * process, against a fast loopback receiver that counts requests and distinct
 * `webhook-id`s. Before each size, a plain undici loop at the same total
 * concurrency against the same receiver gives the baseline of that moment.
 *
 * Options: --batch 500 --window 8 --concurrency 32 (per batch) --timeout-s 600
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
import {
  benchCampaigns,
  cpuSeconds,
  createBenchChannel,
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
  type FanOut,
} from './harness.js';

const say = logger('bench:campaign');

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
    },
  });
  if (values.sizes && values.users) throw new Error('give --sizes or --users, not both');
  const sizes = values.users
    ? [positive('users', values.users, 0)]
    : (values.sizes ?? '1000,10000,20000,50000,100000').split(',').map((s) => positive('sizes', s.trim(), 0));
  const profileDir = values['cpu-prof-dir'] ?? process.env.BENCH_CPU_PROF ?? (values['cpu-prof'] ? mkdtempSync(join(tmpdir(), 'hookcast-prof-')) : undefined);
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  return {
    sizes,
    fanOut: { batchSize: positive('batch', values.batch, 500), window: positive('window', values.window, 8), childrenPerExecution: 400 } satisfies FanOut,
    concurrency: positive('concurrency', values.concurrency, 32),
    timeoutS: positive('timeout-s', values['timeout-s'], 600),
    rawRequests: positive('raw-requests', values['raw-requests'], 30_000),
    profileDir,
    top: positive('top', values.top, 15),
  };
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
  recipientsAnalyzedBeforeLaunch: string;
  /**
   * Non-idle time of the worker's main thread in its CPU profile, per delivery:
   * wall time while runnable, so above the CPU figure when cores are contended.
   */
  profiledBusyMsPerDelivery?: number;
}

const round = (value: number, digits = 0) => Number(value.toFixed(digits));

async function main() {
  const opts = options();
  const totalConcurrency = opts.fanOut.window * opts.concurrency;
  say(`sizes=${opts.sizes.join(',')} batch=${opts.fanOut.batchSize} window=${opts.fanOut.window} concurrency/batch=${opts.concurrency} (total ${totalConcurrency}) timeout=${opts.timeoutS}s`);
  const bench = await freshDatabase('hookcast_bench_campaign');
  const receiver = await startReceiver();
  const temporal = await startTemporal(say);
  const worker = await spawnWorker({ bench, temporal, concurrency: opts.concurrency, profile: opts.profileDir !== undefined, log: say });
  say(`worker is polling (pid ${worker.pid}${opts.profileDir ? `; CPU profiles of each size go to ${opts.profileDir}` : ''})`);
  const campaigns = benchCampaigns(bench, temporal, opts.fanOut);
  const pgCpu = new PostgresCpuMeter(bench.admin, bench.name);
  const results: SizeFigures[] = [];

  try {
    for (const [index, users] of opts.sizes.entries()) {
      const cohort = `s${index + 1}-${users}`;
      const segmentId = await seedAudience(bench, cohort, users);
      const channelId = await createBenchChannel(bench, `${receiver.url}/${cohort}`, `白鸽卡券中心 ${cohort}`);
      const { perSecond: raw, cpuMsPerRequest: rawCpuMs } = await rawLoop(`${receiver.url}/raw-${cohort}`, opts.rawRequests, totalConcurrency);
      const statistics = await recipientsStatistics(bench);
      say(`size ${users}: seeded; raw undici loop ${Math.round(raw)}/s; run_recipients before launch: ${statistics.live} live rows, last analyzed ${statistics.analyzed?.toISOString() ?? 'never'}, ${statistics.modified} modified since`);

      const workerCpuBefore = cpuSeconds(worker.pid);
      const workerMainBefore = mainThreadCpuSeconds(worker.pid);
      const warningsBefore = worker.warnings.length;
      pgCpu.start();
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
      const workerCpu = cpuSeconds(worker.pid) - workerCpuBefore;
      const workerMainCpu = mainThreadCpuSeconds(worker.pid) - workerMainBefore;
      const postgres = await pgCpu.stop();
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
        workerPeakRssMiB: peakRssMiB(worker.pid),
        workerWarnings: worker.warnings.length - warningsBefore,
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
      say(`size ${users}: duplicates: ${figures.duplicates} (must be 0); requests ${figures.requests}, distinct webhook-ids ${figures.distinctWebhookIds}`);
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

  say('summary (paste into the README):');
  console.log(
    markdownTable(
      ['users', 'outcome', 'deliveries/s', 'raw loop/s', 'ratio', 'requests', 'distinct ids', 'duplicates', 'CPU s, worker / PostgreSQL', 'worker CPU ms/delivery', 'worker main thread CPU ms/delivery', 'raw loop CPU ms/request', 'PostgreSQL CPU ms/delivery', 'activities/delivery', 'activity retries', 'parent history', 'worker peak RSS MiB', ...(opts.profileDir ? ['main-thread busy ms/delivery (profile)'] : [])],
      results.map((r) => [
        r.users.toLocaleString('en-US'),
        r.timedOut ? `**timed out** (${r.succeeded.toLocaleString('en-US')} succeeded)` : `${r.status} in ${r.seconds} s`,
        `**${r.deliveriesPerSecond.toLocaleString('en-US')}**`,
        r.rawUndiciPerSecond.toLocaleString('en-US'),
        `**${r.ratioToRaw.toFixed(3)}**`,
        r.requests.toLocaleString('en-US'),
        r.distinctWebhookIds.toLocaleString('en-US'),
        `**${r.duplicates.toLocaleString('en-US')}**`,
        `${r.workerCpuSeconds} / ${r.postgresCpuSeconds}`,
        r.workerCpuMsPerDelivery.toFixed(3),
        r.workerMainThreadCpuMsPerDelivery.toFixed(3),
        r.rawCpuMsPerRequest.toFixed(3),
        r.postgresCpuMsPerDelivery.toFixed(3),
        r.activitiesPerDelivery.toFixed(4),
        r.activityRetries,
        `${r.parentLargestHistory}${r.parentRuns > 1 ? ` (${r.parentRuns} runs)` : ''}`,
        r.workerPeakRssMiB,
        ...(opts.profileDir ? [r.profiledBusyMsPerDelivery?.toFixed(3) ?? ''] : []),
      ]),
    ),
  );
  const duplicates = results.reduce((sum, r) => sum + r.duplicates, 0);
  say(`duplicates over all sizes: ${duplicates} (must be 0); timed out sizes: ${results.filter((r) => r.timedOut).length}`);
  say(`deliveries/s by size (must not drop with size): ${results.map((r) => `${r.users}: ${r.deliveriesPerSecond}`).join(', ')}`);

}

runBench(main);
