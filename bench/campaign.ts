/**
 * `npm run bench:campaign [-- --users N]`: one campaign of N users (default
 * 100,000) through a real Temporal dev server, PostgreSQL and a worker process,
 * against a fast loopback receiver; then, in the same run, a plain undici loop
 * at the same concurrency against the same receiver. Prints figures; asserts nothing.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { Agent, request } from 'undici';
import { createCampaignService } from '../campaigns/store.js';
import { createChannelStore } from '../channels/store.js';
import { createDatabase } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { segments } from '../db/schema.js';
import { resolveTemporalCli } from '../temporal/cli.js';
import { startDevServer } from '../temporal/dev-server.js';
import { freePort } from '../test/ports.js';

const args = new Map<string, string>();
process.argv.slice(2).forEach((arg, i, all) => arg.startsWith('--') && args.set(arg.slice(2), all[i + 1] ?? ''));
const USERS = Number(args.get('users') ?? 100_000);
const BATCH = Number(args.get('batch') ?? 500);
const WINDOW = Number(args.get('window') ?? 8);
const CONCURRENCY = Number(args.get('concurrency') ?? 32);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'hookcast_bench_campaign';
const say = (line: string) => console.log(`[bench:campaign] ${line}`);

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function startReceiver(): Promise<{ url: string; proc: ChildProcess; count(): Promise<number> }> {
  const proc = fork(fileURLToPath(new URL('./receiver-process.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => proc.once('message', (m: { port: number }) => resolve(m.port)));
  return {
    url: `http://127.0.0.1:${port}`,
    proc,
    count: () =>
      new Promise((resolve) => {
        proc.once('message', (m: { count: number }) => resolve(m.count));
        proc.send({ type: 'count' });
      }),
  };
}

/** The baseline: fire-and-forget undici requests, no durability, same concurrency. */
async function rawLoop(url: string, total: number, concurrency: number): Promise<number> {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        const res = await request(`${url}/raw`, { method: 'POST', body: '{"userid":"x","amount":100}', headers: { 'content-type': 'application/json' }, dispatcher: agent });
        await res.body.dump();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return total / seconds;
}

async function historyLength(client: Client, workflowId: string, runId?: string) {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  let activities = 0;
  let nextRun: string | undefined;
  for (const event of events) {
    if (event.activityTaskScheduledEventAttributes) activities += 1;
    const continued = event.workflowExecutionContinuedAsNewEventAttributes;
    if (continued?.newExecutionRunId) nextRun = continued.newExecutionRunId;
  }
  return { length: events.length, activities, nextRun };
}

async function main() {
  say(`users=${USERS} batch=${BATCH} window=${WINDOW} concurrency/batch=${CONCURRENCY}`);
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${DB_NAME}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  const database = createDatabase(url.toString());
  await migrateDatabase(database.db);
  await database.client.unsafe(`
    INSERT INTO users (login_id, attributes)
    SELECT 'bench-' || i, jsonb_build_object('cohort', 'bench', 'name', 'user ' || i) FROM generate_series(1, ${USERS}) AS i;
    ANALYZE users;`);
  const [segment] = await database.db
    .insert(segments)
    .values({ name: 'bench', rule: { attribute: 'cohort', op: 'equals', value: 'bench' } })
    .returning();
  say(`seeded ${USERS} users`);

  const receiver = await startReceiver();
  const cli = await resolveTemporalCli({ log: say });
  const temporal = await startDevServer({ cli, port: await freePort() });
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  const taskQueue = 'bench';
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const worker = spawn(process.execPath, [...profile, '--import', 'tsx', fileURLToPath(new URL('../worker/main.ts', import.meta.url))], {
    env: { ...process.env, DATABASE_URL: url.toString(), TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue, DELIVERY_CONCURRENCY: String(CONCURRENCY), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Launch only once the worker polls, so start-up (bundling workflows) is not counted as delivery time.
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    worker.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      if (buffered.includes('"worker polling"')) resolve();
    });
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  say('worker is polling');

  try {
    const channels = createChannelStore(database.db, async () => []);
    const channel = await channels.create({
      name: '白鸽卡券中心',
      url: `${receiver.url}/coupons`,
      auth: { type: 'secret' },
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
      templateParams: [{ name: 'amount', displayName: '券面值', type: 'integer' }],
    });
    const campaigns = createCampaignService({ db: database.db, temporal: client, taskQueue, fanOut: { batchSize: BATCH, window: WINDOW, childrenPerExecution: 400 } });
    const draft = await campaigns.create({ name: 'bench', segmentId: segment!.id, channelId: channel.id, templateValues: { amount: 100 } });
    const started = performance.now();
    const launched = await campaigns.launch(draft.id);
    let status = launched.status;
    while (!['completed', 'failed', 'cancelled'].includes(status)) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await campaigns.get(draft.id)).status;
    }
    const seconds = (performance.now() - started) / 1000;
    const counts = await campaigns.deliveryCounts(launched.currentRunId);
    const rss = peakRssMiB(worker.pid!);
    const perSecond = counts.succeeded / seconds;
    say(`campaign ${status}: ${counts.succeeded}/${counts.total} succeeded in ${seconds.toFixed(1)} s`);

    // Histories: the parent's runs (continue-as-new chain) and every batch child.
    let parentMax = 0;
    let parentRuns = 0;
    let activities = 0;
    // getHandle without a run id reads the latest run; walk the chain from the first one.
    const described = await client.workflow.getHandle(launched.workflowId!).describe();
    let runId: string | undefined = described.raw.workflowExecutionInfo?.firstRunId ?? undefined;
    do {
      const h = await historyLength(client, launched.workflowId!, runId);
      parentMax = Math.max(parentMax, h.length);
      parentRuns += 1;
      activities += h.activities;
      runId = h.nextRun;
    } while (runId);
    for (let from = 1; from <= counts.total; from += BATCH) {
      const to = Math.min(counts.total, from + BATCH - 1);
      activities += (await historyLength(client, `${launched.workflowId}-batch-${from}-${to}`)).activities;
    }

    const raw = await rawLoop(receiver.url, Math.min(USERS, 50_000), WINDOW * CONCURRENCY);
    say('figures:');
    console.log(
      JSON.stringify(
        {
          users: USERS,
          deliveriesPerSecond: Math.round(perSecond),
          rawUndiciPerSecond: Math.round(raw),
          ratioToRaw: Number((perSecond / raw).toFixed(3)),
          activitiesPerDelivery: Number((activities / counts.succeeded).toFixed(4)),
          activities,
          parentLargestHistory: parentMax,
          parentRuns,
          workerPeakRssMiB: rss,
          concurrency: WINDOW * CONCURRENCY,
        },
        null,
        2,
      ),
    );
  } finally {
    worker.kill('SIGTERM');
    receiver.proc.kill();
    await client.connection.close();
    await temporal.stop();
    await database.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
