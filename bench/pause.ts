/**
 * `npm run bench:pause [-- --users 50000 --cycles 10 --send-s 1.5 --paused-s 3]`
 *
 * Pause acknowledgement at full speed: a campaign of `--users` runs against
 * the fast receiver; `--cycles` times, after `--send-s` seconds of sending,
 * `POST /api/campaigns/:id/pause` goes through the real API process and its
 * answer is timed; the campaign stays paused `--paused-s` seconds, then is
 * resumed. The receiver's arrival times give, per cycle, the requests that
 * arrived between the pause call and its acknowledgement, within 1 s after it
 * (allowed: already decided), and later than 1 s after it until the resume
 * call ("late": the contract says none). Prints figures; asserts nothing.
 */
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { authHeader } from '../test/credentials.js';
import { DEFAULT_FAN_OUT } from '../runs/lifecycle.js';
import {
  benchCampaigns,
  createBenchChannel,
  freshDatabase,
  launchCampaign,
  logger,
  markdownTable,
  percentile,
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
  waitForEnd,
} from './harness.js';

const say = logger('bench:pause');
const GRACE_MS = 1000;
const PATH = '/pause';

function options() {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      cycles: { type: 'string' },
      'send-s': { type: 'string' },
      'paused-s': { type: 'string' },
      batch: { type: 'string' },
      window: { type: 'string' },
      concurrency: { type: 'string' },
      'timeout-s': { type: 'string' },
    },
  });
  const seconds = (name: string, value: string | undefined, fallback: number) => {
    const parsed = value === undefined ? fallback : Number(value);
    if (!(parsed > 0)) throw new Error(`--${name} must be a positive number of seconds`);
    return parsed;
  };
  const pausedS = seconds('paused-s', values['paused-s'], 3);
  if (pausedS * 1000 <= GRACE_MS) throw new Error('--paused-s must exceed 1 s, or no late request could be seen');
  return {
    users: positive('users', values.users, 50_000),
    cycles: positive('cycles', values.cycles, 10),
    sendS: seconds('send-s', values['send-s'], 1.5),
    pausedS,
    fanOut: { batchSize: positive('batch', values.batch, DEFAULT_FAN_OUT.batchSize), window: positive('window', values.window, DEFAULT_FAN_OUT.window), childrenPerExecution: DEFAULT_FAN_OUT.childrenPerExecution },
    concurrency: positive('concurrency', values.concurrency, 32),
    timeoutS: positive('timeout-s', values['timeout-s'], 600),
  };
}

interface Cycle {
  cycle: number;
  ackMs: number;
  status: number;
  /** Arrivals in [pause call, acknowledgement). */
  duringCall: number;
  /** Arrivals in [ack, ack + 1 s). */
  withinGrace: number;
  /** Arrivals in [ack + 1 s, resume call): must be 0. */
  late: number;
  /** The last arrival before the resume call, ms after the pause call (to the next 50 ms); null: none since the call. */
  lastArrivalMs: number | null;
}

async function post(url: string): Promise<{ status: number; body: string }> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...authHeader }, body: '{}', headersTimeout: 120_000, bodyTimeout: 120_000 });
  return { status: res.statusCode, body: await res.body.text() };
}

async function main() {
  const opts = options();
  say(`users=${opts.users} cycles=${opts.cycles} send=${opts.sendS}s paused=${opts.pausedS}s batch=${opts.fanOut.batchSize} window=${opts.fanOut.window} concurrency/batch=${opts.concurrency}`);
  const bench = await freshDatabase('hookcast_bench_pause');
  const receiver = await startReceiver();
  const temporal = await startTemporal(say);
  const worker = await spawnWorker({ bench, temporal, concurrency: opts.concurrency, log: say });
  const api = await spawnApi({ bench, temporal });
  say(`worker polling (pid ${worker.pid}), API at ${api.url} (pid ${api.pid})`);
  const cycles: Cycle[] = [];

  try {
    const segmentId = await seedAudience(bench, 'pause', opts.users);
    const channelId = await createBenchChannel(bench, `${receiver.url}${PATH}`, '白鸽卡券中心');
    const campaigns = benchCampaigns(bench, temporal, opts.fanOut);
    const launched = await launchCampaign(campaigns, { name: 'bench pause', segmentId, channelId });
    const started = performance.now();
    // Sending starts after the audience freeze; time the first cycle from the first request.
    while ((await receiver.statsOf(PATH)).requests === 0) {
      if (performance.now() - started > opts.timeoutS * 1000) throw new Error('no request arrived');
      await sleep(50);
    }
    say(`first request after ${((performance.now() - started) / 1000).toFixed(1)} s`);

    for (let cycle = 1; cycle <= opts.cycles; cycle += 1) {
      await sleep(opts.sendS * 1000);
      const { status } = await campaigns.get(launched.id);
      if (TERMINAL.includes(status)) {
        say(`campaign ${status} before cycle ${cycle}: use more --users for more cycles`);
        break;
      }
      const callAt = Date.now();
      const answer = await post(`${api.url}/api/campaigns/${launched.id}/pause`);
      const ackAt = Date.now();
      if (answer.status !== 200) {
        say(`cycle ${cycle}: pause answered ${answer.status} after ${ackAt - callAt} ms: ${answer.body.slice(0, 300)}`);
        if (answer.status === 409) break;
      }
      await sleep(opts.pausedS * 1000);
      const resumeAt = Date.now();
      const [duringCall, withinGrace, late] = await receiver.windows(PATH, [callAt, ackAt, ackAt + GRACE_MS, resumeAt]);
      // When sending actually stopped, to set the gate (requests) apart from the answer (ack).
      const step = 50;
      const edges = Array.from({ length: Math.ceil((resumeAt - callAt) / step) + 1 }, (_, i) => Math.min(resumeAt, callAt + i * step));
      const lastWindow = (await receiver.windows(PATH, edges)).findLastIndex((n) => n > 0);
      const lastArrivalMs = lastWindow < 0 ? null : (lastWindow + 1) * step;
      const row: Cycle = { cycle, ackMs: ackAt - callAt, status: answer.status, duringCall: duringCall!, withinGrace: withinGrace!, late: late!, lastArrivalMs };
      cycles.push(row);
      say(`cycle ${cycle}: ack ${row.ackMs} ms (HTTP ${row.status}); arrivals: ${row.duringCall} during the call, ${row.withinGrace} within 1 s after the ack, ${row.late} later (must be 0); the last request arrived < ${row.lastArrivalMs ?? '-'} ms after the pause call`);
      const resumed = await post(`${api.url}/api/campaigns/${launched.id}/resume`);
      if (resumed.status !== 200) say(`cycle ${cycle}: resume answered ${resumed.status}: ${resumed.body.slice(0, 300)}`);
    }

    const ended = await waitForEnd(campaigns, launched.id, opts.timeoutS * 1000);
    const counts = await campaigns.deliveryCounts(launched.runId);
    const received = await receiver.statsOf(PATH);
    say(`campaign ${ended.timedOut ? `still ${ended.status} after the time limit` : ended.status}: ${counts.succeeded}/${counts.total} succeeded; requests ${received.requests}, duplicates: ${received.duplicates} (must be 0)`);
  } finally {
    await stopAll();
  }

  const acks = cycles.filter((c) => c.status === 200).map((c) => c.ackMs).sort((a, b) => a - b);
  const late = cycles.reduce((sum, c) => sum + c.late, 0);
  const stops = cycles.map((c) => c.lastArrivalMs ?? 0).sort((x, y) => x - y);
  say('per cycle:');
  console.log(markdownTable(['cycle', 'ack ms', 'HTTP', 'requests during the call', 'within 1 s after ack', 'later than 1 s (must be 0)', 'last request after the call, ms'], cycles.map((c) => [c.cycle, c.ackMs, c.status, c.duringCall, c.withinGrace, c.late, c.lastArrivalMs === null ? '-' : `< ${c.lastArrivalMs}`])));
  say('summary (paste into docs/benchmarks.md):');
  console.log(
    markdownTable(
      ['users', 'cycles', 'ack p50 ms', 'ack p95 ms', 'ack max ms', 'requests during the pause call (mean / max)', 'last request after the call, ms (p50 / max)', 'late requests (must be 0)'],
      [
        [
          opts.users.toLocaleString('en-US'),
          cycles.length,
          percentile(acks, 50),
          `**${percentile(acks, 95)}**`,
          acks.at(-1) ?? NaN,
          `${Math.round(cycles.reduce((s, c) => s + c.duringCall, 0) / Math.max(1, cycles.length))} / ${Math.max(0, ...cycles.map((c) => c.duringCall))}`,
          `${percentile(stops, 50)} / ${stops.at(-1) ?? NaN}`,
          `**${late}**`,
        ],
      ],
    ),
  );
}

runBench(main);
