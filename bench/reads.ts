/**
 * `npm run bench:reads [-- --users 20000 --readers 50 --targets detail,user --rest-s 5]`
 *
 * Campaign reads under load: the API runs as its own process (`api/server.ts`)
 * beside the worker process; while a campaign of `--users` runs at full speed,
 * `--readers` concurrent clients (in a process of their own) loop on
 * `GET /api/campaigns/:id` (`detail`) and, with `--targets detail,user`, on
 * `GET /api/campaigns/:id/deliveries/<login id>` (`user`). Reading stops when
 * the campaign completes. Then the same readers run `--rest-s` seconds at
 * rest, and one reader alone, for comparison. Prints figures; asserts nothing.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  benchCampaigns,
  createBenchChannel,
  freshDatabase,
  launchCampaign,
  logger,
  markdownTable,
  positive,
  seedAudience,
  sleep,
  spawnApi,
  spawnWorker,
  startReceiver,
  startTemporal,
  runBench,
  stopAll,
  TERMINAL,
} from './harness.js';
import type { LatencySummary } from './stats.js';
import { DEFAULT_FAN_OUT } from '../runs/lifecycle.js';

const say = logger('bench:reads');

function options() {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      readers: { type: 'string' },
      targets: { type: 'string', default: 'detail' },
      'rest-s': { type: 'string' },
      batch: { type: 'string' },
      window: { type: 'string' },
      concurrency: { type: 'string' },
      'timeout-s': { type: 'string' },
    },
  });
  const targets = values.targets.split(',').map((t) => t.trim());
  for (const target of targets) if (!['detail', 'user'].includes(target)) throw new Error(`--targets takes detail and/or user, got ${target}`);
  return {
    users: positive('users', values.users, 20_000),
    readers: positive('readers', values.readers, 50),
    targets,
    restS: positive('rest-s', values['rest-s'], 5),
    fanOut: { batchSize: positive('batch', values.batch, DEFAULT_FAN_OUT.batchSize), window: positive('window', values.window, DEFAULT_FAN_OUT.window), childrenPerExecution: DEFAULT_FAN_OUT.childrenPerExecution },
    concurrency: positive('concurrency', values.concurrency, 32),
    timeoutS: positive('timeout-s', values['timeout-s'], 600),
  };
}

interface Readers {
  start(readers: number, targets: { label: string; url: string }[]): Promise<void>;
  stop(): Promise<{ byLabel: Record<string, LatencySummary>; errorSamples: string[] }>;
  close(): void;
}

async function startReaders(): Promise<Readers> {
  const proc = fork(fileURLToPath(new URL('./readers-process.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
  const next = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const listener = (m: { type: string }) => {
        if (m.type !== type) return;
        proc.off('message', listener);
        resolve(m as T);
      };
      proc.on('message', listener);
    });
  return {
    start: async (readers, targets) => {
      const started = next('started');
      proc.send({ type: 'start', readers, targets });
      await started;
    },
    stop: async () => {
      const stopped = next<{ byLabel: Record<string, LatencySummary>; errorSamples: string[] }>('stopped');
      proc.send({ type: 'stop' });
      return stopped;
    },
    close: () => proc.kill(),
  };
}

async function main() {
  const opts = options();
  say(`users=${opts.users} readers=${opts.readers} targets=${opts.targets.join(',')} batch=${opts.fanOut.batchSize} window=${opts.fanOut.window} concurrency/batch=${opts.concurrency}`);
  const bench = await freshDatabase('hookcast_bench_reads');
  const receiver = await startReceiver();
  const temporal = await startTemporal(say);
  const worker = await spawnWorker({ bench, temporal, concurrency: opts.concurrency, log: say });
  const api = await spawnApi({ bench, temporal });
  const readers = await startReaders();
  say(`worker polling (pid ${worker.pid}), API at ${api.url} (pid ${api.pid})`);
  const rows: [string, string, LatencySummary][] = [];
  const report = (phase: string, result: Awaited<ReturnType<Readers['stop']>>) => {
    for (const [label, summary] of Object.entries(result.byLabel)) {
      rows.push([phase, label, summary]);
      say(`${phase} ${label}: ${JSON.stringify(summary)}`);
    }
    for (const sample of result.errorSamples) say(`${phase} error: ${sample}`);
  };

  try {
    const segmentId = await seedAudience(bench, 'reads', opts.users);
    const channelId = await createBenchChannel(bench, `${receiver.url}/reads`, '白鸽卡券中心');
    const campaigns = benchCampaigns(bench, temporal, opts.fanOut);
    const launched = await launchCampaign(campaigns, { name: 'bench reads', segmentId, channelId });
    const started = performance.now();
    const paths: Record<string, string> = {
      detail: `/api/campaigns/${launched.id}`,
      user: `/api/campaigns/${launched.id}/deliveries/reads-${Math.ceil(opts.users / 2)}`,
    };
    const targets = opts.targets.map((label) => ({ label, url: `${api.url}${paths[label]}` }));
    await readers.start(opts.readers, targets);
    let status = 'scheduled';
    while (!TERMINAL.includes(status) && performance.now() - started < opts.timeoutS * 1000) {
      await sleep(200);
      status = (await campaigns.get(launched.id)).status;
    }
    const seconds = (performance.now() - started) / 1000;
    // Waits for the requests in flight, so the slowest answers are counted too.
    const loaded = await readers.stop();
    const counts = await campaigns.deliveryCounts(launched.runId);
    const received = await receiver.statsOf('/reads');
    say(`campaign ${status}: ${counts.succeeded}/${counts.total} succeeded in ${seconds.toFixed(1)} s (${Math.round(counts.succeeded / seconds)} deliveries/s while read); duplicates: ${received.duplicates} (must be 0)`);
    report('during the run', loaded);

    await readers.start(opts.readers, targets);
    await sleep(opts.restS * 1000);
    report('at rest', await readers.stop());
    await readers.start(1, targets);
    await sleep(opts.restS * 1000);
    report('at rest, 1 reader', await readers.stop());
  } finally {
    readers.close();
    await stopAll();
  }

  say('summary (paste into docs/benchmarks.md):');
  console.log(
    markdownTable(
      ['phase', 'endpoint', 'readers', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'],
      rows.map(([phase, label, s]) => [phase, label === 'detail' ? 'GET /api/campaigns/:id' : 'GET …/deliveries/:user', phase.endsWith('1 reader') ? 1 : opts.readers, s.requests, s.perSecond, s.p50Ms, s.p95Ms, `**${s.p99Ms}**`, s.maxMs, s.errors]),
    ),
  );
}

runBench(main);
