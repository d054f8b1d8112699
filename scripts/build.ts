/**
 * `npm run build`: compiles the API and worker to JavaScript in dist/,
 * prebuilds the workflow bundle (dist/workflow-bundle.js), so processes start
 * with `node` and a worker loads its workflow code instead of bundling it, and
 * builds the operator console (dist/console/, served by the API at `/`).
 * Skipped when dist/ was built from the same sources (a hash of them is kept).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const root = fileURLToPath(new URL('..', import.meta.url));
export const distDir = join(root, 'dist');
const hashFile = join(distDir, '.build-hash');
// Every folder the compiled processes or the console read: the shared schemas live in contracts/, so a change there must rebuild too.
const SOURCE_DIRS = ['contracts', 'access', 'api', 'activities', 'audience', 'campaigns', 'channels', 'config', 'db', 'delivery', 'effect', 'lib', 'retention', 'runs', 'segments', 'temporal', 'triggers', 'webhook', 'worker', 'workflows', 'scripts', 'console'];

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.test.ts') ? [] : [path];
  });
}

/** What the build depends on: every source file, the migrations, the compiler settings and the lock file. */
export function sourceHash(): string {
  const hash = createHash('sha256');
  const files = [...SOURCE_DIRS.flatMap((d) => sourceFiles(join(root, d))), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json'), join(root, 'package-lock.json')].sort();
  for (const file of files) hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

export function isBuildCurrent(hash = sourceHash()): boolean {
  return existsSync(hashFile) && readFileSync(hashFile, 'utf8') === hash;
}

function compile(outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tsc = spawn(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir], { cwd: root, stdio: 'inherit' });
    tsc.once('error', reject);
    tsc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc exited with code ${code}`))));
  });
}

/** The console's static files (Vite, production mode) into `outDir`. */
async function buildConsole(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(root, 'console/vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}

/** Builds dist/ unless it is current; answers whether it built. */
export async function ensureBuilt(say: (line: string) => void = console.log): Promise<boolean> {
  const hash = sourceHash();
  if (isBuildCurrent(hash)) return false;
  const started = performance.now();
  say('building dist/ (sources changed since the last build)…');
  // Built aside and swapped in whole: a process starting meanwhile never sees half a dist/.
  const next = `${distDir}.next-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  try {
    await compile(next);
    cpSync(join(root, 'db/migrations'), join(next, 'db/migrations'), { recursive: true });
    const { code } = await bundleWorkflowCode({
      workflowsPath: join(root, 'workflows/index.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    writeFileSync(join(next, 'workflow-bundle.js'), code);
    await buildConsole(join(next, 'console'));
    writeFileSync(join(next, '.build-hash'), hash);
    rmSync(distDir, { recursive: true, force: true });
    renameSync(next, distDir);
  } finally {
    rmSync(next, { recursive: true, force: true });
  }
  say(`built dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureBuilt().then(
    (built) => console.log(built ? 'dist/ is current' : 'dist/ was already current'),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
