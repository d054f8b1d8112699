/**
 * Shared set-up of the campaign benchmarks: a fresh database, the Temporal dev
 * server, the worker (and optionally the API) as child processes, the fast
 * receiver, audiences and campaigns, the raw undici baseline, and the /proc
 * readings (CPU seconds, peak RSS) the figures are made of.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { Agent, request } from 'undici';
import { campaignDraftSchema } from '../contracts/campaign.js';
import { createCampaignService, type CampaignService } from '../campaigns/store.js';
import { createChannelStore } from '../channels/store.js';
import { channelInputSchema } from '../contracts/channel.js';
import { createDatabase } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { segments } from '../db/schema.js';
import { resolveTemporalCli } from '../temporal/cli.js';
import { startDevServer } from '../temporal/dev-server.js';
import { loadEnv } from '../config/env.js';
import { freeTemporalServerPort, setUpTemporalDatabases, startTemporalPgServer } from '../temporal/postgres-server.js';
import { findTemporalServerBinaries, temporalServerPaths } from '../temporal/server-binaries.js';
import { distDir, ensureBuilt } from '../scripts/build.js';
import { testEnv } from '../test/credentials.js';
import { freePort } from '../test/ports.js';
import { connectProfiler, inspectorUrl, type Profiler } from './inspector.js';
import type { ReceiverQuery, ReceiverStats } from './receiver-protocol.js';
import type { FanOut } from '../runs/lifecycle.js';
import { workflowIds } from '../contracts/workflow-ids.js';

export { markdownTable, percentile } from './stats.js';

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TERMINAL = ['completed', 'failed', 'cancelled'];

export type Log = (line: string) => void;
export const logger = (tag: string): Log => (line) => console.log(`[${tag}] ${line}`);
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
// Benchmarks run as tests do: the test admin key (registered by the API it spawns), the
// test encryption key, and loopback opened for their receivers; the processes they spawn inherit these.
// The test credentials, but answers go unchecked, as in production: a benchmark measures what users run.
for (const [name, value] of Object.entries({ ...testEnv, HOOKCAST_VALIDATE_RESPONSES: '0' })) process.env[name] ??= value;

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

const cleanups: (() => Promise<unknown> | unknown)[] = [];

/**
 * Stops everything the harness started (processes, dev server, connections),
 * newest first. Benchmarks call it in a `finally`, so a failure half-way does
 * not leave a dev server or worker behind.
 */
export async function stopAll(): Promise<void> {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (error) {
      console.error(`[bench] clean-up step failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** A positive whole number from a command-line value (`_` separators allowed). */
export function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  return parsed;
}

export function databaseUrl(admin: string, name: string): string {
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

// ---------------------------------------------------------------------------
// Processes and their /proc figures

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  comm: string;
  /** utime + stime in seconds. */
  cpu: number;
  /** cutime + cstime (children reaped by this process) in seconds. */
  childCpu: number;
}

function readStat(pid: number, tid?: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  // Fields after the command name start at field 3 (state); utime is field 14.
  const fields = text.slice(close + 2).split(' ');
  const tick = (i: number) => Number(fields[i - 3]) / CLOCK_TICKS;
  return { comm: text.slice(open + 1, close), cpu: tick(14) + tick(15), childCpu: tick(16) + tick(17) };
}

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  return readStat(pid)?.cpu ?? NaN;
}

/**
 * User + system CPU seconds of a process's main thread alone (its thread id is
 * the process id): for Node, the event loop that runs the activities, without
 * the GC helpers, the workflow thread and Temporal's Rust core.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return readStat(pid, pid)?.cpu ?? NaN;
}

/**
 * The whole machine's CPU from /proc/stat so far: seconds busy (user, nice,
 * system, interrupts; not idle, I/O wait or time stolen by the hypervisor,
 * summed over cores), all seconds counted, and the cores it counts (its
 * `cpuN` lines). Two readings apart tell how full the machine was meanwhile:
 * our processes and everything else on it.
 */
export function machineCpuSeconds(): { busy: number; capacity: number; cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  // user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
  const values = lines[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, , , irq, softirq] = values;
  const total = values.reduce((sum, v) => sum + v, 0);
  return {
    busy: (user! + nice! + system! + irq! + softirq!) / CLOCK_TICKS,
    capacity: total / CLOCK_TICKS,
    cores: lines.filter((line) => /^cpu\d+ /.test(line)).length,
  };
}

/** Peak resident set (VmHWM) of a process, MiB. */
export function peakRssMiB(pid: number): number {
  try {
    const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    return Math.round(kb / 1024);
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds of PostgreSQL while a benchmark phase runs, from /proc, sampled
 * every second so backends that come and go are counted up to their last
 * sample. `database` counts the backends connected to the given database(s)
 * (from pg_stat_activity: the bench database, or Temporal's own two); `all`
 * every process named postgres on the machine (WAL writer, checkpointer,
 * autovacuum, and other users of the same server).
 */
export class PostgresCpuMeter {
  private readonly baseline = new Map<number, number>();
  private readonly databaseNames: string[];
  private readonly latest = new Map<number, number>();
  private readonly databasePids = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(
    private readonly admin: postgres.Sql,
    databaseNames: string | string[],
  ) {
    this.databaseNames = Array.isArray(databaseNames) ? databaseNames : [databaseNames];
  }

  private postgresPids(): number[] {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((pid) => readStat(pid)?.comm === 'postgres');
  }

  private async sample(): Promise<void> {
    const rows = await this.admin<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = ANY (${this.databaseNames})`;
    for (const row of rows) this.databasePids.add(row.pid);
    for (const pid of this.postgresPids()) {
      const stat = readStat(pid);
      if (stat) this.latest.set(pid, stat.cpu);
    }
  }

  start(): void {
    this.baseline.clear();
    this.latest.clear();
    this.databasePids.clear();
    for (const pid of this.postgresPids()) this.baseline.set(pid, readStat(pid)?.cpu ?? 0);
    this.timer = setInterval(() => {
      this.sampling = this.sample().catch(() => {});
    }, 1000);
    this.sampling = this.sample().catch(() => {});
  }

  async stop(): Promise<{ database: number; all: number }> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample().catch(() => {});
    let database = 0;
    let all = 0;
    for (const [pid, cpu] of this.latest) {
      const used = cpu - (this.baseline.get(pid) ?? 0);
      all += used;
      if (this.databasePids.has(pid)) database += used;
    }
    return { database, all };
  }
}

// ---------------------------------------------------------------------------
// Database, audience, channel, campaign

export interface BenchDatabase {
  name: string;
  url: string;
  database: ReturnType<typeof createDatabase>;
  admin: postgres.Sql;
}

/** Drops and recreates `name`, applies the migrations. */
export async function freshDatabase(name: string): Promise<BenchDatabase> {
  const admin = postgres(ADMIN_URL, { max: 2, onnotice: () => {} });
  cleanups.push(() => admin.end({ timeout: 5 }));
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = databaseUrl(ADMIN_URL, name);
  const database = createDatabase(url);
  cleanups.push(() => database.close());
  await migrateDatabase(database.db);
  return { name, url, database, admin };
}

/**
 * `count` new users with attribute `cohort` and a segment selecting exactly
 * them. Nothing is ANALYZEd here: planner statistics are whatever autovacuum
 * has gathered, as on a live system.
 */
export async function seedAudience(bench: BenchDatabase, cohort: string, count: number): Promise<string> {
  await bench.database.client.unsafe(
    `INSERT INTO users (login_id, attributes)
     SELECT $1::text || '-' || i, jsonb_build_object('cohort', $1::text, 'name', 'user ' || i) FROM generate_series(1, $2::int) AS i`,
    [cohort, count],
  );
  const [segment] = await bench.database.db
    .insert(segments)
    .values({ name: `bench ${cohort}`, rule: { attribute: 'cohort', op: 'equals', value: cohort } })
    .returning();
  return segment!.id;
}

/** What the planner knows about run_recipients when a run is launched. */
export async function recipientsStatistics(bench: BenchDatabase) {
  const [row] = await bench.database.client<{ live: number; modified: number; analyzed: string | null }[]>`
    SELECT n_live_tup::int AS live, n_mod_since_analyze::int AS modified, greatest(last_analyze, last_autoanalyze)::text AS analyzed
    FROM pg_stat_user_tables WHERE relname = 'run_recipients'`;
  // Drizzle's client hands timestamps over as text here: parse it ourselves.
  return row ? { ...row, analyzed: row.analyzed ? new Date(row.analyzed) : null } : { live: 0, modified: 0, analyzed: null };
}

export async function createBenchChannel(bench: BenchDatabase, url: string, name: string): Promise<string> {
  const channels = createChannelStore(bench.database.db, async () => []);
  const channel = await channels.create(channelInputSchema.parse({
    name,
    url,
    auth: { type: 'secret' },
    userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
    templateParams: [{ name: 'amount', displayName: '券面值', type: 'integer' }],
  }));
  return channel.id;
}

export type { FanOut };

export function benchCampaigns(bench: BenchDatabase, temporal: BenchTemporal, fanOut: FanOut): CampaignService {
  return createCampaignService({ db: bench.database.db, temporal: temporal.client, taskQueue: temporal.taskQueue, fanOut });
}

/** Creates and launches a campaign; returns its id and run ids. */
export async function launchCampaign(campaigns: CampaignService, input: { name: string; segmentId: string; channelId: string }) {
  const draft = await campaigns.create(campaignDraftSchema.parse({ name: input.name, segmentId: input.segmentId, channelId: input.channelId, templateValues: { amount: 100 } }));
  const launched = await campaigns.launch(draft.id);
  return { id: draft.id, runId: launched.currentRunId!, workflowId: launched.workflowId! };
}

/** Polls until the campaign ends or `timeoutMs` passes. */
export async function waitForEnd(campaigns: CampaignService, id: string, timeoutMs: number, pollMs = 200): Promise<{ status: string; timedOut: boolean }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { status } = await campaigns.get(id);
    if (TERMINAL.includes(status)) return { status, timedOut: false };
    if (performance.now() > deadline) return { status, timedOut: true };
    await sleep(pollMs);
  }
}

// ---------------------------------------------------------------------------
// Temporal, worker, API

/**
 * `dev`: the dev server in memory (what the test suite runs); `file`: the dev
 * server keeping its state in a SQLite file, as `npm start` runs it; `pg`: the
 * Temporal server on PostgreSQL, the production shape.
 */
export type TemporalKind = 'dev' | 'file' | 'pg';

export interface BenchTemporal {
  kind: TemporalKind;
  /** The server process: its pid gives the server's own CPU (absent for the SDK-downloaded dev server). */
  server: { pid?: number; stop(): Promise<void> };
  client: Client;
  address: string;
  namespace: string;
  taskQueue: string;
  /** Temporal's own databases on the bench PostgreSQL (`pg` only), for their backends' CPU. */
  databases: string[];
}


/**
 * The Temporal server the benchmark runs on: `dev`, a headless in-memory dev
 * server (one process, SQLite); `pg`, the PostgreSQL-backed server of
 * `npm run temporal:pg`, started through the same code on free ports with its
 * own two databases, `<databasePrefix>_temporal` and `…_temporal_visibility`,
 * recreated on the bench PostgreSQL.
 */
export async function startTemporal(log: Log, kind: TemporalKind = 'dev', databasePrefix = 'hookcast_bench'): Promise<BenchTemporal> {
  const namespace = 'default';
  let server: BenchTemporal['server'];
  let address: string;
  const databases: string[] = [];
  if (kind === 'pg') {
    const temporalDatabases = [`${databasePrefix}_temporal`, `${databasePrefix}_temporal_visibility`] as const;
    const binaries = findTemporalServerBinaries();
    if (!binaries) throw new Error(`--temporal pg needs the Temporal server binaries (${temporalServerPaths().server}); build them with \`npm run temporal:pg -- --install-only\``);
    const admin = new URL(ADMIN_URL);
    const env = loadEnv({
      TEMPORAL_PORT: String(await freeTemporalServerPort()),
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_PG_HOST: admin.hostname,
      TEMPORAL_PG_PORT: admin.port || '5432',
      TEMPORAL_PG_USER: decodeURIComponent(admin.username) || 'postgres',
      TEMPORAL_PG_PASSWORD: decodeURIComponent(admin.password),
      TEMPORAL_PG_DATABASE: temporalDatabases[0],
      TEMPORAL_PG_VISIBILITY_DATABASE: temporalDatabases[1],
    });
    const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      for (const name of temporalDatabases) await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await sql.end();
    }
    await setUpTemporalDatabases(env, binaries, (line) => log(`temporal pg: ${line}`));
    let lines = 0;
    let stopping = false;
    const pg = await startTemporalPgServer({
      env,
      binaries,
      log: (line) => log(`temporal pg: ${line}`),
      // At TEMPORAL_LOG_LEVEL=warn: the first lines say what went wrong, the rest would flood the figures.
      onOutput: (line) => {
        // While stopping, its services log every connection they lose to each other: noise, not news.
        if (stopping) return;
        lines += 1;
        if (lines <= 10) log(`temporal pg server: ${line.slice(0, 300)}`);
        else if (lines === 11) log('temporal pg server: (further server output not shown)');
      },
    });
    cleanups.push(() => {
      stopping = true;
      return pg.stop();
    });
    server = pg;
    address = pg.address;
    databases.push(...temporalDatabases);
    log(`Temporal on PostgreSQL at ${address} (pid ${pg.pid}; databases ${temporalDatabases.join(', ')}; ${env.TEMPORAL_HISTORY_SHARDS} history shards)`);
  } else {
    const cli = await resolveTemporalCli({ log });
    // As `npm start` runs it: state in a SQLite file (here a throwaway one).
    const state = kind === 'file' ? mkdtempSync(join(tmpdir(), 'hookcast-bench-temporal-')) : undefined;
    // Clean-ups run last first: the folder goes after the server has stopped.
    if (state) cleanups.push(() => rmSync(state, { recursive: true, force: true }));
    const dev = await startDevServer({ cli, port: await freePort(), ...(state ? { dbFilename: join(state, 'temporal.sqlite') } : {}) });
    cleanups.push(() => dev.stop());
    server = dev;
    address = dev.address;
  }
  const client = new Client({ connection: await Connection.connect({ address }), namespace });
  cleanups.push(() => client.connection.close());
  return { kind, server, client, address, namespace, taskQueue: 'bench', databases };
}

export interface WorkerProcess {
  pid: number;
  /** The worker's Temporal identity (the SDK's default, pid@host): activity task events name it. */
  identity: string;
  /** Its Prometheus metrics (WORKER_METRICS_PORT). */
  metricsUrl: string;
  proc: ChildProcess;
  /** Warning and error log lines seen so far. */
  warnings: string[];
  /** With `profile`: CPU profiles of the worker's main thread (activities), one phase at a time. */
  profiler?: Profiler;
  /** SIGTERM, then waits for the exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

function waitExit(proc: ChildProcess, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/**
 * The worker as its own process (`worker/main.ts` through tsx, or with
 * `compiled` dist/worker/main.js and the prebuilt workflow bundle, as
 * production runs it; see ensureCompiledWorker), resolved once it logs
 * "worker polling", so start-up (bundling workflows) is not counted. With
 * `profile` it listens for an inspector on a free loopback port, and the
 * returned profiler takes CPU profiles of chosen phases only. Every worker
 * serves its metrics on a port of its own.
 */
export async function spawnWorker(options: { bench: BenchDatabase; temporal: BenchTemporal; concurrency: number; profile?: boolean; compiled?: boolean; log: Log }): Promise<WorkerProcess> {
  const inspect = options.profile ? ['--inspect=127.0.0.1:0'] : [];
  const entry = options.compiled ? ['--enable-source-maps', `${distDir}/worker/main.js`] : ['--import', 'tsx', here('../worker/main.ts')];
  const metricsPort = await freePort();
  const proc = spawn(process.execPath, [...inspect, ...entry], {
    env: {
      ...process.env,
      DATABASE_URL: options.bench.url,
      TEMPORAL_ADDRESS: options.temporal.address,
      TEMPORAL_NAMESPACE: options.temporal.namespace,
      TEMPORAL_TASK_QUEUE: options.temporal.taskQueue,
      API_HOST: '127.0.0.1',
      WORKER_METRICS_PORT: String(metricsPort),
      DELIVERY_CONCURRENCY: String(options.concurrency),
      LOG_LEVEL: 'info',
      // Exits when our end of its stdin closes, even if this benchmark is killed.
      HOOKCAST_SUPERVISED: '1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let profiler: Profiler | undefined;
  cleanups.push(() => {
    profiler?.close();
    return waitExit(proc, 60_000);
  });
  const inspectorAt = new Promise<string>((resolve) => {
    proc.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      const url = inspectorUrl(text);
      if (url) resolve(url);
      // The inspector's own notices are noise; anything else is the worker's.
      const rest = text
        .split('\n')
        .filter((line) => line && !/Debugger (listening|attached|ending)|Waiting for the debugger|For help, see: https:\/\/nodejs.org/.test(line))
        .join('\n');
      if (rest) process.stderr.write(`${rest}\n`);
    });
  });
  const warnings: string[] = [];
  await new Promise<void>((resolve, reject) => {
    let partial = '';
    // Keep reading after start-up: a full pipe would block the worker.
    proc.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('"worker polling"')) resolve();
        const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
        if (level >= 40) {
          warnings.push(line);
          if (warnings.length <= 5) options.log(`worker ${level >= 50 ? 'error' : 'warning'}: ${line.slice(0, 400)}`);
        }
      }
    });
    proc.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  if (options.profile) profiler = await connectProfiler(await inspectorAt);
  return {
    pid: proc.pid!,
    identity: `${proc.pid}@${hostname()}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    proc,
    warnings,
    profiler,
    stop: (graceMs = 60_000) => {
      profiler?.close();
      return waitExit(proc, graceMs);
    },
  };
}

/** Builds dist/ when it is stale (as `npm start` does), for `spawnWorker({ compiled: true })`. */
export async function ensureCompiledWorker(log: Log): Promise<void> {
  await ensureBuilt(log);
}

/**
 * A worker's delivery attempts so far by outcome (`succeeded`, `retry`,
 * `failed`), summed over channels and error classes, from its
 * `hookcast_delivery_attempts_total` counter.
 */
export async function deliveryAttemptsOf(worker: WorkerProcess): Promise<Record<string, number>> {
  const res = await request(worker.metricsUrl);
  const text = await res.body.text();
  const byOutcome: Record<string, number> = {};
  for (const match of text.matchAll(/^hookcast_delivery_attempts_total\{([^}]*)\} (\S+)$/gm)) {
    const outcome = /outcome="([^"]*)"/.exec(match[1]!)?.[1] ?? 'unknown';
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + Number(match[2]);
  }
  return byOutcome;
}

export interface ApiProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** The API as its own process (`api/server.ts`), resolved once /healthz answers. */
export async function spawnApi(options: { bench: BenchDatabase; temporal: BenchTemporal; env?: Record<string, string> }): Promise<ApiProcess> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', here('../api/server.ts')], {
    env: {
      ...process.env,
      DATABASE_URL: options.bench.url,
      TEMPORAL_ADDRESS: options.temporal.address,
      TEMPORAL_NAMESPACE: options.temporal.namespace,
      TEMPORAL_TASK_QUEUE: options.temporal.taskQueue,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      LOG_LEVEL: 'info',
      HOOKCAST_SUPERVISED: '1',
      ...options.env,
    },
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  cleanups.push(() => waitExit(proc, 10_000));
  let exited: number | null | undefined;
  proc.once('exit', (code) => (exited = code));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`API exited with ${exited}`);
    try {
      const res = await request(`${url}/healthz`);
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('API did not answer /healthz within 60 s');
    await sleep(200);
  }
  return { url, pid: proc.pid!, stop: () => waitExit(proc, 10_000) };
}

// ---------------------------------------------------------------------------
// Receiver and the raw baseline

export interface Receiver {
  url: string;
  pid: number;
  stats(): Promise<Record<string, ReceiverStats>>;
  statsOf(path: string): Promise<ReceiverStats>;
  /** Arrivals on `path` per window [edges[i], edges[i+1]) (epoch ms). */
  windows(path: string, edges: number[]): Promise<number[]>;
  reset(path?: string): Promise<void>;
  stop(): void;
}

type Distributed<T> = T extends unknown ? Omit<T, 'id'> : never;

export async function startReceiver(): Promise<Receiver> {
  const proc = fork(here('./receiver-process.ts'), { execArgv: ['--import', 'tsx'] });
  cleanups.push(() => proc.kill());
  const port = await new Promise<number>((resolve) => proc.once('message', (m: { port: number }) => resolve(m.port)));
  let nextId = 0;
  const waiting = new Map<number, (reply: Record<string, unknown>) => void>();
  proc.on('message', (m: { id?: number }) => {
    if (m.id === undefined) return;
    waiting.get(m.id)?.(m as Record<string, unknown>);
    waiting.delete(m.id);
  });
  const ask = (query: Distributed<ReceiverQuery>) =>
    new Promise<Record<string, unknown>>((resolve) => {
      nextId += 1;
      waiting.set(nextId, resolve);
      proc.send({ ...query, id: nextId });
    });
  const empty: ReceiverStats = { requests: 0, distinctWebhookIds: 0, duplicates: 0, withoutId: 0 };
  const stats = async () => (await ask({ type: 'stats' })).stats as Record<string, ReceiverStats>;
  return {
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid!,
    stats,
    statsOf: async (path) => (await stats())[path] ?? empty,
    windows: async (path, edges) => (await ask({ type: 'windows', path, edges })).counts as number[],
    reset: async (path) => {
      await ask(path ? { type: 'reset', path } : { type: 'reset' });
    },
    stop: () => proc.kill(),
  };
}

/**
 * The baseline: plain undici requests, no durability, at the given concurrency.
 * Answers requests per second and this process's CPU milliseconds per request
 * (the same yardstick as the worker's CPU per delivery).
 */
export async function rawLoop(url: string, total: number, concurrency: number): Promise<{ perSecond: number; cpuMsPerRequest: number }> {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        const res = await request(url, { method: 'POST', body: '{"userid":"x","amount":100}', headers: { 'content-type': 'application/json' }, dispatcher: agent });
        await res.body.dump();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await agent.close();
  return { perSecond: total / seconds, cpuMsPerRequest: (used.user + used.system) / 1000 / total };
}

// ---------------------------------------------------------------------------
// Temporal histories

/**
 * The run's Temporal footprint: the parent's continue-as-new chain (largest
 * history, number of executions) and activities scheduled by the parent and
 * every batch child, plus activity retries (attempts beyond the first) and
 * the activities each worker identity ran (local activities not included).
 */
export async function runFootprint(client: Client, workflowId: string, total: number, batchSize: number) {
  const figures = {
    parentLargestHistory: 0,
    parentRuns: 0,
    activities: 0,
    activityRetries: 0,
    missingBatches: 0,
    batchActivitiesRunningMean: 0,
    batchActivityMeanS: 0,
    /** Mean ms of each step of a batch's life (server clock), where a window slot stands empty between two batches. */
    batchLifecycleMs: {} as Record<string, number>,
    activitiesByIdentity: {} as Record<string, number>,
  };
  // Per batch workflow id: when the parent asked for it, and when it heard of its end; per batch child: its own steps.
  const parentSide = new Map<string, { initiated?: number; completed?: number }>();
  const steps: Record<string, number[]> = { childStart: [], toActivity: [], activityDispatch: [], activity: [], toChildEnd: [], toParent: [], refill: [] };
  // When each batch's deliverBatch attempts ran (server clock): how full the window of sending batches was kept.
  const spans: { from: number; to: number }[] = [];
  const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : NaN);
  const read = async (id: string, runId?: string) => {
    const history = await client.workflow.getHandle(id, runId).fetchHistory();
    let nextRun: string | undefined;
    const events = history.events ?? [];
    let startedAt: number | undefined;
    const isParent = !id.includes('-batch-');
    const mark: Record<string, number> = {};
    for (const event of events) {
      const at = millis(event.eventTime);
      if (isParent) {
        const initiated = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
        if (initiated) parentSide.set(initiated, { ...parentSide.get(initiated), initiated: at });
        const completed = event.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId;
        if (completed) parentSide.set(completed, { ...parentSide.get(completed), completed: at });
      } else {
        if (event.workflowExecutionStartedEventAttributes) mark.started = at;
        if (event.activityTaskScheduledEventAttributes && mark.scheduled === undefined) mark.scheduled = at;
        if (event.activityTaskStartedEventAttributes && mark.activityStarted === undefined) mark.activityStarted = at;
        if (event.activityTaskCompletedEventAttributes && mark.activityCompleted === undefined) mark.activityCompleted = at;
        if (event.workflowExecutionCompletedEventAttributes) mark.ended = at;
      }
      if (event.activityTaskScheduledEventAttributes) figures.activities += 1;
      const attempt = event.activityTaskStartedEventAttributes?.attempt;
      if (attempt && attempt > 1) figures.activityRetries += attempt - 1;
      // The started event is written when the attempt ends, naming the worker that ran it.
      const identity = event.activityTaskStartedEventAttributes?.identity;
      if (identity) figures.activitiesByIdentity[identity] = (figures.activitiesByIdentity[identity] ?? 0) + 1;
      if (event.activityTaskStartedEventAttributes) startedAt = millis(event.eventTime);
      if ((event.activityTaskCompletedEventAttributes || event.activityTaskFailedEventAttributes) && startedAt !== undefined) {
        spans.push({ from: startedAt, to: millis(event.eventTime) });
        startedAt = undefined;
      }
      const continued = event.workflowExecutionContinuedAsNewEventAttributes;
      if (continued?.newExecutionRunId) nextRun = continued.newExecutionRunId;
    }
    if (!isParent) {
      const parent = parentSide.get(id);
      const step = (name: string, from: number | undefined, to: number | undefined) => {
        if (from !== undefined && to !== undefined && to >= from) steps[name]!.push(to - from);
      };
      step('childStart', parent?.initiated, mark.started);
      step('toActivity', mark.started, mark.scheduled);
      step('activityDispatch', mark.scheduled, mark.activityStarted);
      step('activity', mark.activityStarted, mark.activityCompleted);
      step('toChildEnd', mark.activityCompleted, mark.ended);
      step('toParent', mark.ended, parent?.completed);
    }
    return { length: events.length, nextRun };
  };
  const described = await client.workflow.getHandle(workflowId).describe();
  let runId: string | undefined = described.raw.workflowExecutionInfo?.firstRunId ?? undefined;
  do {
    const h = await read(workflowId, runId);
    figures.parentLargestHistory = Math.max(figures.parentLargestHistory, h.length);
    figures.parentRuns += 1;
    runId = h.nextRun;
  } while (runId);
  for (let from = 1; from <= total; from += batchSize) {
    const to = Math.min(total, from + batchSize - 1);
    try {
      await read(workflowIds.batch(workflowId, from, to));
    } catch {
      figures.missingBatches += 1; // never started (a timed-out or cancelled run)
    }
  }
  // The i-th batch to end frees the slot the (window + i)-th batch takes: how long after the parent heard of it.
  const initiated = [...parentSide.values()].map((p) => p.initiated).filter((t): t is number => t !== undefined).sort((x, y) => x - y);
  const completed = [...parentSide.values()].map((p) => p.completed).filter((t): t is number => t !== undefined).sort((x, y) => x - y);
  const window = initiated.findIndex((t, i) => i > 0 && completed.length > 0 && t > completed[0]!);
  if (window > 0) for (let i = 0; i + window < initiated.length && i < completed.length; i++) steps.refill!.push(Math.max(0, initiated[i + window]! - completed[i]!));
  for (const [name, values] of Object.entries(steps)) {
    if (values.length > 0) figures.batchLifecycleMs[name] = Math.round(values.reduce((a, b) => a + b, 0) / values.length);
  }
  const valid = spans.filter((s) => Number.isFinite(s.from) && Number.isFinite(s.to) && s.to >= s.from);
  if (valid.length > 0) {
    const busy = valid.reduce((sum, s) => sum + (s.to - s.from), 0);
    const wall = Math.max(...valid.map((s) => s.to)) - Math.min(...valid.map((s) => s.from));
    figures.batchActivitiesRunningMean = wall > 0 ? Number((busy / wall).toFixed(2)) : 0;
    figures.batchActivityMeanS = Number((busy / valid.length / 1000).toFixed(2));
  }
  return figures;
}

// ---------------------------------------------------------------------------
// Figures

/** Runs a benchmark's main and exits with its outcome, stopping what the harness started even when set-up failed half-way. */
export function runBench(main: () => Promise<void>): void {
  main()
    .finally(stopAll)
    .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
}
