/**
 * `npm run bench:ingest [-- --clients 200 --seconds 20]`
 *
 * Does the heaviest ingest starve the rest of the API? The API runs as its own
 * process (`api/server.ts`), once with ingestion bounded (INGEST_CONCURRENCY,
 * default 4) and once without (0), in the same run. Each time `--clients`
 * concurrent clients (a process of their own) POST batches of 1,000 events to
 * /api/events as fast as they are answered, and meanwhile a probe asks
 * `/healthz` every 20 ms and `GET /api/campaigns/:id` every 50 ms, one at a
 * time each. Prints their latency percentiles and what the ingest got through;
 * the target is /healthz p99 under 100 ms and a campaign GET under 200 ms.
 * Prints figures; asserts nothing.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { authHeader } from '../test/credentials.js';
import { freshDatabase, logger, markdownTable, positive, runBench, sleep, spawnApi, startTemporal } from './harness.js';
import { summarizeLatencies, type LatencySummary } from './stats.js';

const say = logger('bench:ingest');

function options() {
  const { values } = parseArgs({ options: { clients: { type: 'string' }, seconds: { type: 'string' }, database: { type: 'string', default: 'hookcast_bench_ingest' } } });
  return { clients: positive('clients', values.clients, 200), seconds: positive('seconds', values.seconds, 20), database: values.database };
}

async function call(url: string, method: string, path: string, body?: unknown) {
  const res = await request(`${url}${path}`, { method, headers: { ...authHeader, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
  return JSON.parse(text) as { id: string };
}

/** Asks `path` one request at a time, every `everyMs`, until stopped; the latencies of the answers. */
function probe(url: string, path: string, everyMs: number) {
  const latencies: number[] = [];
  let errors = 0;
  let running = true;
  const started = performance.now();
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const res = await request(`${url}${path}`, { headers: authHeader, headersTimeout: 60_000 });
        await res.body.dump();
        if (res.statusCode === 200) latencies.push(performance.now() - t0);
        else errors += 1;
      } catch {
        errors += 1;
      }
      await sleep(Math.max(0, everyMs - (performance.now() - t0)));
    }
  })();
  return async (): Promise<LatencySummary> => {
    running = false;
    await loop;
    return summarizeLatencies(latencies, errors, (performance.now() - started) / 1000);
  };
}

function loadProcess(): { proc: ChildProcess; next: () => Promise<Record<string, number>> } {
  const proc = fork(fileURLToPath(new URL('./ingest-load.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
  const next = () => new Promise<Record<string, number>>((resolve) => proc.once('message', (m) => resolve(m as Record<string, number>)));
  return { proc, next };
}

runBench(async function main() {
  const opts = options();
  say(`clients=${opts.clients} batches of 1,000 events, ${opts.seconds} s per phase`);
  const temporal = await startTemporal(say);
  const rows: (string | number)[][] = [];
  for (const [label, concurrency] of [['bounded (INGEST_CONCURRENCY=4)', '4'], ['unbounded (INGEST_CONCURRENCY=0)', '0']] as const) {
    const bench = await freshDatabase(opts.database);
    const api = await spawnApi({ bench, temporal, env: { INGEST_CONCURRENCY: concurrency, LOG_LEVEL: 'warn' } });
    // The API registers the bench's key in the background after it starts.
    for (let i = 0; i < 50 && (await request(`${api.url}/api/channels`, { headers: authHeader }).then(async (r) => (await r.body.dump(), r.statusCode))) !== 200; i++) await sleep(200);
    const channel = await call(api.url, 'POST', '/api/channels', { name: 'bench', url: 'https://hooks.example/x', auth: { type: 'none' } });
    const segment = await call(api.url, 'POST', '/api/segments', { name: 'bench', rule: { attribute: 'cohort', op: 'equals', value: 'bench' } });
    const campaign = await call(api.url, 'POST', '/api/campaigns', { name: 'bench', segmentId: segment.id, channelId: channel.id });
    const load = loadProcess();
    load.proc.send({ type: 'start', url: api.url, clients: opts.clients });
    await load.next();
    // Let the load build up before measuring.
    await sleep(2_000);
    const health = probe(api.url, '/healthz', 20);
    const detail = probe(api.url, `/api/campaigns/${campaign.id}`, 50);
    await sleep(opts.seconds * 1000);
    const [h, d] = [await health(), await detail()];
    const stopped = load.next();
    load.proc.send({ type: 'stop' });
    const counts = await stopped;
    load.proc.kill();
    await api.stop();
    for (const [endpoint, s] of [['/healthz', h], ['GET /api/campaigns/:id', d]] as const) {
      rows.push([label, endpoint, s.requests, s.p50Ms, s.p95Ms, s.p99Ms, s.maxMs, s.errors, endpoint === '/healthz' ? `${counts.ok} ok, ${counts.busy} busy, ${counts.errors} errors; ${Math.round(counts.events! / (opts.seconds + 2))} events/s` : '']);
    }
    say(`${label}: /healthz p99 ${h.p99Ms} ms, campaign GET p99 ${d.p99Ms} ms; ingest ${counts.ok} batches ok, ${counts.busy} refused busy`);
  }
  console.log(markdownTable(['ingestion', 'probe', 'requests', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors', 'ingest meanwhile'], rows));
});
