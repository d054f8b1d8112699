/**
 * `npm run bench:startup`: how long a worker takes from spawn to polling,
 * run from sources (tsx, bundling the workflows at start) and compiled (node
 * with the prebuilt bundle of `npm run build`), interleaved in one run.
 *
 * Options: `--runs 3`.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../scripts/build.js';
import { freshDatabase, logger, markdownTable, percentile, positive, runBench, startTemporal, stopAll } from './harness.js';

const log = logger('startup');
const root = fileURLToPath(new URL('..', import.meta.url));

function timeToPolling(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const proc = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env, HOOKCAST_SUPERVISED: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`no "worker polling" within 120 s: ${out.slice(-500)}`));
    }, 120_000);
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes('worker polling')) return;
      const ms = performance.now() - started;
      clearTimeout(timer);
      proc.once('exit', () => resolve(ms));
      proc.kill('SIGTERM');
    });
    proc.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  });
}

runBench(async () => {
  const { values } = parseArgs({ options: { runs: { type: 'string' } } });
  const runs = positive('runs', values.runs, 3);
  await ensureBuilt(log);
  const bench = await freshDatabase('hookcast_bench_startup');
  const temporal = await startTemporal(log);
  const env = { DATABASE_URL: bench.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: 'startup', LOG_LEVEL: 'info' };
  const modes = {
    'tsx, bundled at start': ['--import', 'tsx', 'worker/main.ts'],
    'compiled, prebuilt bundle': ['--enable-source-maps', 'dist/worker/main.js'],
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
  for (let i = 0; i < runs; i += 1) {
    for (const [mode, args] of Object.entries(modes)) {
      const ms = await timeToPolling(args, env);
      times[mode]!.push(ms);
      log(`${mode}: ${(ms / 1000).toFixed(2)} s`);
    }
  }
  const median = (list: number[]) => percentile([...list].sort((a, b) => a - b), 50);
  const [source, compiled] = Object.values(times).map(median) as [number, number];
  console.log(
    markdownTable(
      ['worker', 'runs', 'median to polling', 'min', 'max'],
      Object.entries(times).map(([mode, list]) => [mode, list.length, `${(median(list) / 1000).toFixed(2)} s`, `${(Math.min(...list) / 1000).toFixed(2)} s`, `${(Math.max(...list) / 1000).toFixed(2)} s`]),
    ),
  );
  console.log(`compiled / tsx median: ${(compiled / source).toFixed(2)}`);
  await stopAll();
});
