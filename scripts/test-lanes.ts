/**
 * `npm test`, the CI command: type check, lint, then every test lane of
 * test/lanes.ts, and a table of what each step took. Every step runs even when
 * one before it failed, so one CI run reports them all; the exit code is 1 if
 * any failed. `npm test -- --bail` stops at the first failure instead.
 *
 * By default the lanes run in one vitest run, so the machine's two workers
 * stay busy across lanes (as fast as one suite without lanes), and
 * test/lane-times-reporter.ts prints each lane's time. `npm test --
 * --one-by-one` runs the lanes one after the other instead, unit first, each
 * with its own wall time (slower in all: a lane's last long file leaves a
 * worker idle).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { laneNames } from '../test/lanes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bail = process.argv.includes('--bail');
const oneByOne = process.argv.includes('--one-by-one');

interface Step {
  name: string;
  command: string[];
}

const steps: Step[] = [
  { name: 'typecheck', command: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'lint', command: ['npm', 'run', '--silent', 'lint'] },
  ...(oneByOne
    ? laneNames.map((lane) => ({ name: `lane ${lane}`, command: ['npx', 'vitest', 'run', '--project', lane] }))
    : [{ name: `lanes ${laneNames.join(', ')}`, command: ['npx', 'vitest', 'run', '--reporter=default', '--reporter=./test/lane-times-reporter.ts'] }]),
];

function run(step: Step): Promise<number> {
  return new Promise((resolve) => {
    const [command, ...args] = step.command;
    const child = spawn(command!, args, { cwd: root, stdio: 'inherit' });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const results: { name: string; ok: boolean; ms: number }[] = [];
const started = performance.now();
for (const step of steps) {
  console.log(`\n== ${step.name}: ${step.command.join(' ')}`);
  const t0 = performance.now();
  const code = await run(step);
  const ms = performance.now() - t0;
  results.push({ name: step.name, ok: code === 0, ms });
  console.log(`== ${step.name}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${seconds(ms)}`);
  if (code !== 0 && bail) break;
}

const width = Math.max(...results.map((r) => r.name.length));
console.log('\n== npm test: time per step');
for (const r of results) console.log(`  ${r.name.padEnd(width)}  ${r.ok ? 'passed' : 'FAILED'}  ${seconds(r.ms).padStart(8)}`);
console.log(`  ${'total'.padEnd(width)}          ${seconds(performance.now() - started).padStart(8)}`);
process.exit(results.every((r) => r.ok) && results.length === steps.length ? 0 : 1);
