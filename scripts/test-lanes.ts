/**
 * `npm test`, the CI command: the static checks (both type checks and lint),
 * then every test lane of test/lanes.ts, and a table of what each step took.
 * Every step runs even when one before it failed, so one CI run reports them
 * all; the exit code is 1 if any failed. `npm test -- --bail` stops after the
 * first group with a failure instead.
 *
 * The static checks run side by side: each is one process on one core, and
 * nothing else runs yet, so together they take as long as the slowest (lint)
 * instead of the three summed. Their output is held and printed as each one
 * ends, so it never interleaves.
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

/** Steps of a group run at the same time; groups run one after the other. */
const groups: Step[][] = [
  [
    { name: 'typecheck', command: ['npx', 'tsc', '--noEmit'] },
    { name: 'typecheck console', command: ['npx', 'tsc', '--noEmit', '-p', 'console'] },
    { name: 'lint', command: ['npx', 'eslint', '.'] },
  ],
  ...(oneByOne
    ? laneNames.map((lane) => [{ name: `lane ${lane}`, command: ['npx', 'vitest', 'run', '--project', lane] }])
    : [[{ name: `lanes ${laneNames.join(', ')}`, command: ['npx', 'vitest', 'run', '--reporter=default', '--reporter=./test/lane-times-reporter.ts'] }]]),
];

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs one step; beside others its output is held and printed in one piece when it ends. */
function run(step: Step, alone: boolean): Promise<{ name: string; ok: boolean; ms: number }> {
  const t0 = performance.now();
  console.log(`\n== ${step.name}: ${step.command.join(' ')}`);
  return new Promise((resolve) => {
    const [command, ...args] = step.command;
    const child = spawn(command!, args, { cwd: root, stdio: alone ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    const held: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => held.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => held.push(chunk));
    child.once('close', (code, signal) => {
      const ok = (code ?? (signal ? 1 : 0)) === 0;
      const ms = performance.now() - t0;
      const output = Buffer.concat(held).toString();
      if (output.trim() !== '') console.log(`\n-- ${step.name} said:\n${output.trimEnd()}`);
      console.log(`== ${step.name}: ${ok ? 'passed' : `FAILED (exit ${code ?? signal})`} in ${seconds(ms)}`);
      resolve({ name: step.name, ok, ms });
    });
  });
}

const results: { name: string; ok: boolean; ms: number }[] = [];
const started = performance.now();
for (const group of groups) {
  const done = await Promise.all(group.map((step) => run(step, group.length === 1)));
  results.push(...done);
  if (bail && done.some((r) => !r.ok)) break;
}

const width = Math.max(...results.map((r) => r.name.length));
console.log('\n== npm test: time per step (the static checks ran side by side)');
for (const r of results) console.log(`  ${r.name.padEnd(width)}  ${r.ok ? 'passed' : 'FAILED'}  ${seconds(r.ms).padStart(8)}`);
console.log(`  ${'total'.padEnd(width)}          ${seconds(performance.now() - started).padStart(8)}`);
const expected = groups.flat().length;
process.exit(results.every((r) => r.ok) && results.length === expected ? 0 : 1);
