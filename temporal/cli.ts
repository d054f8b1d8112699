import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The newest tag of temporalio/cli that `go install` can build (later ones carry a replace directive). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

export type TemporalCliSource = 'TEMPORAL_CLI' | 'PATH' | 'cache' | 'go install' | 'download';

export interface ResolvedTemporalCli {
  /** Path of the binary; undefined when the SDK must download it (source 'download'). */
  path: string | undefined;
  source: TemporalCliSource;
}

/**
 * A per-user cache folder outside the repo (`~/.cache/hookcast/NAME`), shared by
 * every clone and by CI on this machine; NAME carries the version it holds.
 */
export function hookcastCacheDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'hookcast', name);
}

/** Where the Temporal CLI is cached. */
export function temporalCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return hookcastCacheDir(`temporal-cli-${TEMPORAL_CLI_VERSION}`, env);
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Finds the `temporal` CLI: TEMPORAL_CLI, then PATH, then the per-user cache,
 * then a `go install` into that cache, else leaves it to the SDK's download.
 *
 * @example
 * const cli = await resolveTemporalCli({ log: console.log });
 * // { path: '/root/.cache/hookcast/temporal-cli-v1.5.1/temporal', source: 'cache' }
 */
export async function resolveTemporalCli(
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<ResolvedTemporalCli> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  if (env.TEMPORAL_CLI) {
    if (!isExecutable(env.TEMPORAL_CLI)) throw new Error(`TEMPORAL_CLI=${env.TEMPORAL_CLI} is not an executable file`);
    return { path: env.TEMPORAL_CLI, source: 'TEMPORAL_CLI' };
  }
  const onPath = findOnPath('temporal', env);
  if (onPath) return { path: onPath, source: 'PATH' };
  const cacheDir = temporalCacheDir(env);
  const cached = join(cacheDir, 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  const go = findGo(env);
  if (go) {
    log(
      `building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install into ${cacheDir}: ` +
        'no temporal binary was found on this machine; this first build takes a few minutes and is reused afterwards',
    );
    await goInstall({ go, cacheDir, packages: [`github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], what: 'the Temporal CLI', env, log });
    if (isExecutable(cached)) return { path: cached, source: 'go install' };
    throw new Error(`go install finished but ${cached} is missing`);
  }
  log('no temporal binary and no Go toolchain: the Temporal SDK will download the dev server');
  return { path: undefined, source: 'download' };
}

/** The Go toolchain on PATH or where its official archive installs it. */
export function findGo(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findOnPath('go', env) ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/**
 * `go install`s Go main packages (`module/path/cmd/x@version`) into `cacheDir`,
 * logging every 30 s while it builds; rejects with the tail of go's output.
 */
export function goInstall(options: {
  go: string;
  cacheDir: string;
  packages: string[];
  /** What is being built, for progress lines ("the Temporal CLI"). */
  what: string;
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
}): Promise<void> {
  const env = options.env ?? process.env;
  mkdirSync(options.cacheDir, { recursive: true });
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(options.go, ['install', ...options.packages], {
      env: { ...env, GOBIN: options.cacheDir, GOFLAGS: env.GOFLAGS ?? '-trimpath' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const ticker = setInterval(() => options.log(`  still building ${options.what} (${Math.round((Date.now() - started) / 1000)} s)…`), 30_000);
    child.on('error', (error) => {
      clearInterval(ticker);
      reject(error);
    });
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) {
        options.log(`  built ${options.what} in ${Math.round((Date.now() - started) / 1000)} s`);
        resolve();
      } else reject(new Error(`go install of ${options.what} failed (exit ${code}):\n${stderr}`));
    });
  });
}

/** The version line of a temporal binary, for progress output. */
export function temporalCliVersion(path: string): string {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8' });
  return (result.stdout || '').trim().split('\n')[0] ?? 'unknown version';
}
