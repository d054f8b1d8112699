import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import type { ResolvedTemporalCli } from './cli.js';
import { devServerSearchAttributeFlags, searchAttributeKeys } from './search-attributes.js';

export interface DevServerOptions {
  cli: ResolvedTemporalCli;
  ip?: string;
  port: number;
  /** Web UI port; omit for a headless server (tests). */
  uiPort?: number;
  /** SQLite file that keeps schedules, timers and history across restarts; omit for in-memory. */
  dbFilename?: string;
  namespace?: string;
  /** Own process group: a terminal's Ctrl-C then reaches only the launcher, which stops children in order. */
  detached?: boolean;
  log?: (line: string) => void;
  /**
   * Write the server's error output to this file (truncated at start) instead
   * of a pipe. A server whose launcher was killed then keeps running until the
   * next start stops it, rather than dying of a broken pipe whenever it next
   * logs.
   */
  logFile?: string;
}

export interface DevServer {
  address: string;
  /** The CLI process (absent for the SDK-downloaded server, which the SDK runs). */
  pid?: number;
  /** Settles when the server process ends on its own or is killed, with what ended it (`SIGKILL`, `code 1`). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with hookcast's search attributes and
 * resolves once its frontend answers.
 *
 * @example
 * const server = await startDevServer({ cli, port: 7233, uiPort: 8233, dbFilename: '.data/temporal.sqlite' });
 * await server.stop();
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const address = `${ip}:${options.port}`;
  const namespace = options.namespace ?? 'default';
  if (!options.cli.path) return startDownloadedDevServer(options, address, namespace);

  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(options.port),
    '--namespace',
    namespace,
    '--log-level',
    'error',
    ...devServerSearchAttributeFlags(),
  ];
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);

  let stderr = '';
  let output = () => stderr;
  let child: ChildProcess;
  if (options.logFile) {
    const logFile = options.logFile;
    const fd = openSync(logFile, 'w');
    try {
      child = spawn(options.cli.path, args, { stdio: ['ignore', 'ignore', fd], detached: options.detached ?? false });
    } finally {
      closeSync(fd);
    }
    output = () => readFileSync(logFile, 'utf8').slice(-4000);
  } else {
    child = spawn(options.cli.path, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: options.detached ?? false });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ended = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));

  try {
    await waitForFrontend(address, exited, output, 'temporal dev server');
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  }
  return { address, pid: child.pid, exited: ended, stop: () => stopChild(child, exited) };
}

/** Resolves once a Temporal frontend answers on `address`; rejects if its process exits first or after 60 s. */
export async function waitForFrontend(address: string, exited: Promise<number | null>, output: () => string, what: string): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${what} exited with code ${exitCode}:\n${output()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`${what} did not answer on ${address} within 60 s:\n${output()}`);
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
export async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

async function startDownloadedDevServer(options: DevServerOptions, address: string, namespace: string): Promise<DevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  options.log?.('downloading the Temporal dev server through the SDK (cached-download)');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      ip: options.ip ?? '127.0.0.1',
      port: options.port,
      namespace,
      ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : {}),
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      searchAttributes: searchAttributeKeys,
    },
  });
  // The SDK owns that process and reports no exit: it is not restarted if it dies.
  return { address, exited: new Promise<string>(() => {}), stop: () => env.teardown() };
}
