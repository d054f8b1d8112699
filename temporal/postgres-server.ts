import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
// The SDK's own mapping from a search attribute key's type to the API's enum.
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { msToTs } from '@temporalio/common/lib/time.js';
import postgres from 'postgres';
import type { Env } from '../config/env.js';
import { assertPortFree } from '../db/embedded.js';
import { stopChild, waitForFrontend } from './dev-server.js';
import { searchAttributeKeys } from './search-attributes.js';
import type { TemporalServerBinaries } from './server-binaries.js';

/** The repo root: the server and the UI read their committed config from temporal/config below it. */
const root = fileURLToPath(new URL('..', import.meta.url));

/** The settings of temporal/config/postgres.yaml and ui/hookcast.yaml. */
export type TemporalPgEnv = Pick<
  Env,
  | 'TEMPORAL_PORT'
  | 'TEMPORAL_UI_PORT'
  | 'TEMPORAL_NAMESPACE'
  | 'TEMPORAL_PG_HOST'
  | 'TEMPORAL_PG_PORT'
  | 'TEMPORAL_PG_USER'
  | 'TEMPORAL_PG_PASSWORD'
  | 'TEMPORAL_PG_DATABASE'
  | 'TEMPORAL_PG_VISIBILITY_DATABASE'
  | 'TEMPORAL_BIND_IP'
  | 'TEMPORAL_BROADCAST_ADDRESS'
  | 'TEMPORAL_HISTORY_SHARDS'
  | 'TEMPORAL_SERVER_METRICS_PORT'
  | 'TEMPORAL_LOG_LEVEL'
>;

/** How long a closed workflow's history stays in the namespace we create. */
const RETENTION = '3 days';

/**
 * The TCP ports the server listens on: the frontend on TEMPORAL_PORT, the
 * other services at the offsets of temporal/config/postgres.yaml.
 */
export function temporalServerPorts(frontendPort: number): Record<string, number> {
  return {
    'frontend gRPC': frontendPort,
    'frontend HTTP': frontendPort + 10,
    history: frontendPort + 1,
    matching: frontendPort + 2,
    'internal worker': frontendPort + 6,
    'frontend membership': frontendPort - 300,
    'history membership': frontendPort - 299,
    'matching membership': frontendPort - 298,
    'internal worker membership': frontendPort - 294,
  };
}

/**
 * Why a frontend port cannot carry the server's block of ports, or undefined
 * when it can: the block spans TEMPORAL_PORT-300 to +10, and the server keeps
 * its ports in a smallint column (at most 32767).
 */
export function temporalPortProblem(frontendPort: number): string | undefined {
  const ports = Object.values(temporalServerPorts(frontendPort));
  if (Math.min(...ports) < 1 || Math.max(...ports) > 32_767) return 'the PostgreSQL-backed server needs ports TEMPORAL_PORT-300 to TEMPORAL_PORT+10 within 1-32767, so TEMPORAL_PORT must be from 301 to 32757';
  return undefined;
}

/**
 * A frontend port whose whole block (see temporalServerPorts) was free on
 * loopback a moment ago, below 32768 (the server keeps its ports in a
 * smallint), for servers started by tests and benchmarks beside others.
 */
export async function freeTemporalServerPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = 10_000 + Math.floor(Math.random() * 22_000);
    try {
      for (const port of Object.values(temporalServerPorts(candidate))) await assertPortFree(port, '127.0.0.1', 'a Temporal server');
      return candidate;
    } catch {
      // one of them is taken: try another block
    }
  }
  throw new Error('no free block of ports for the Temporal server');
}

/** The address clients use: the bind IP, or loopback when the server listens on every interface. */
export function temporalPgAddress(env: Pick<Env, 'TEMPORAL_BIND_IP' | 'TEMPORAL_PORT'>): string {
  return `${env.TEMPORAL_BIND_IP === '0.0.0.0' ? '127.0.0.1' : env.TEMPORAL_BIND_IP}:${env.TEMPORAL_PORT}`;
}

/** The environment the config templates read: only these names, so nothing else from the caller's shell leaks in. */
function configEnv(env: TemporalPgEnv): NodeJS.ProcessEnv {
  const vars: Record<string, string | number | undefined> = {
    TEMPORAL_PORT: env.TEMPORAL_PORT,
    TEMPORAL_UI_PORT: env.TEMPORAL_UI_PORT,
    TEMPORAL_ADDRESS: temporalPgAddress(env),
    TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
    TEMPORAL_PG_HOST: env.TEMPORAL_PG_HOST,
    TEMPORAL_PG_PORT: env.TEMPORAL_PG_PORT,
    TEMPORAL_PG_USER: env.TEMPORAL_PG_USER,
    TEMPORAL_PG_PASSWORD: env.TEMPORAL_PG_PASSWORD,
    TEMPORAL_PG_DATABASE: env.TEMPORAL_PG_DATABASE,
    TEMPORAL_PG_VISIBILITY_DATABASE: env.TEMPORAL_PG_VISIBILITY_DATABASE,
    TEMPORAL_BIND_IP: env.TEMPORAL_BIND_IP,
    TEMPORAL_BROADCAST_ADDRESS: env.TEMPORAL_BROADCAST_ADDRESS,
    TEMPORAL_HISTORY_SHARDS: env.TEMPORAL_HISTORY_SHARDS,
    TEMPORAL_SERVER_METRICS_PORT: env.TEMPORAL_SERVER_METRICS_PORT,
    TEMPORAL_LOG_LEVEL: env.TEMPORAL_LOG_LEVEL,
  };
  const out: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const [name, value] of Object.entries(vars)) if (value !== undefined && value !== '') out[name] = String(value);
  return out;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${output}`))));
  });
}

/**
 * Creates the Temporal databases on the configured PostgreSQL when they are
 * missing and brings their schema to the version this server needs, with the
 * server's own schema tool and the schema files embedded in it. Safe to run on
 * every start: existing databases are kept and only missing versions applied.
 *
 * @returns the schema version of each database, e.g. `{ temporal: '1.18', temporal_visibility: '1.9' }`
 */
export async function setUpTemporalDatabases(
  env: TemporalPgEnv,
  binaries: Pick<TemporalServerBinaries, 'sqlTool'>,
  log: (line: string) => void = () => {},
): Promise<Record<string, string>> {
  const admin = postgres({
    host: env.TEMPORAL_PG_HOST,
    port: env.TEMPORAL_PG_PORT,
    user: env.TEMPORAL_PG_USER,
    password: env.TEMPORAL_PG_PASSWORD,
    database: 'postgres',
    max: 1,
    onnotice: () => {},
  });
  const databases: Array<[name: string, schema: string]> = [
    [env.TEMPORAL_PG_DATABASE, 'postgresql/v12/temporal'],
    [env.TEMPORAL_PG_VISIBILITY_DATABASE, 'postgresql/v12/visibility'],
  ];
  try {
    for (const [name] of databases) {
      const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
      if (exists) continue;
      log(`creating database ${name} on ${env.TEMPORAL_PG_HOST}:${env.TEMPORAL_PG_PORT}`);
      try {
        await admin.unsafe(`CREATE DATABASE "${name}"`);
      } catch (error) {
        // Another launcher created it between our check and now.
        if ((error as { code?: string }).code !== '42P04') throw error;
      }
    }
  } finally {
    await admin.end();
  }

  const versions: Record<string, string> = {};
  // The password goes through the tool's environment, not its command line (visible in `ps`).
  const toolEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, SQL_PASSWORD: env.TEMPORAL_PG_PASSWORD ?? '' };
  for (const [name, schema] of databases) {
    const connection = ['--plugin', 'postgres12', '--ep', env.TEMPORAL_PG_HOST, '-p', String(env.TEMPORAL_PG_PORT), '-u', env.TEMPORAL_PG_USER, '--db', name];
    // Version tables only (a no-op once set up); update-schema then applies every versioned step that is missing.
    await run(binaries.sqlTool, [...connection, 'setup-schema', '-v', '0.0'], toolEnv);
    await run(binaries.sqlTool, [...connection, 'update-schema', '--schema-name', schema], toolEnv);
    const db = postgres({
      host: env.TEMPORAL_PG_HOST,
      port: env.TEMPORAL_PG_PORT,
      user: env.TEMPORAL_PG_USER,
      password: env.TEMPORAL_PG_PASSWORD,
      database: name,
      max: 1,
      onnotice: () => {},
    });
    try {
      const [row] = await db<{ curr_version: string }[]>`SELECT curr_version FROM schema_version`;
      versions[name] = row?.curr_version ?? 'unknown';
    } finally {
      await db.end();
    }
    log(`database ${name}: schema ${versions[name]}`);
  }
  return versions;
}

export interface TemporalProcess {
  pid?: number;
  /** Settles when the process ends on its own or is killed, with what ended it (`SIGKILL`, `code 1`). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

export interface TemporalPgServer extends TemporalProcess {
  /** `host:port` of the frontend. */
  address: string;
}

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv, detached: boolean, onOutput?: (line: string) => void) {
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached });
  let output = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-4000);
    if (onOutput) for (const line of text.split('\n')) if (line.trim()) onOutput(line);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
  return { child, exitCode, exited, output: () => output };
}

/**
 * Starts the Temporal server from temporal/config/postgres.yaml (databases set
 * up beforehand, see setUpTemporalDatabases), waits for its frontend, and makes
 * sure hookcast's namespace and search attributes exist. Idempotent: a restart
 * finds both and changes nothing.
 *
 * @example
 * const server = await startTemporalPgServer({ env, binaries, log: console.log });
 * server.address; // '127.0.0.1:7233'
 * await server.stop();
 */
export async function startTemporalPgServer(options: {
  env: TemporalPgEnv;
  binaries: Pick<TemporalServerBinaries, 'server'>;
  /** Own process group, so a terminal's Ctrl-C reaches only the launcher, which stops children in order. */
  detached?: boolean;
  log?: (line: string) => void;
  /** Each line the server prints (JSON, at TEMPORAL_LOG_LEVEL). */
  onOutput?: (line: string) => void;
}): Promise<TemporalPgServer> {
  const { env } = options;
  const address = temporalPgAddress(env);
  const started = startProcess(
    options.binaries.server,
    ['--root', root, '--config', 'temporal/config', '--env', 'postgres', '--allow-no-auth', 'start'],
    configEnv(env),
    options.detached ?? false,
    options.onOutput,
  );
  const stop = () => stopChild(started.child, started.exitCode);
  try {
    await waitForFrontend(address, started.exitCode, started.output, 'Temporal server');
    await registerNamespace(address, env.TEMPORAL_NAMESPACE, options.log ?? (() => {}));
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, pid: started.child.pid, exited: started.exited, stop };
}

const ALREADY_EXISTS = 6;

/** Creates the namespace and hookcast's search attributes where missing, then waits until queries accept them. */
async function registerNamespace(address: string, namespace: string, log: (line: string) => void): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(RETENTION) });
      log(`created namespace ${namespace} (retention ${RETENTION})`);
    } catch (error) {
      if ((error as { code?: number }).code !== ALREADY_EXISTS) throw error;
    }
    const probe = `${searchAttributeKeys.map((key) => `${key.name} = "probe"`).join(' AND ')}`;
    const deadline = Date.now() + 30_000;
    let added = false;
    for (;;) {
      try {
        if (!added) {
          const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
          const missing = searchAttributeKeys.filter((key) => !(key.name in (customAttributes ?? {})));
          if (missing.length > 0) {
            await connection.operatorService.addSearchAttributes({
              namespace,
              searchAttributes: Object.fromEntries(missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
            });
            log(`registered search attributes ${missing.map((key) => key.name).join(', ')} in namespace ${namespace}`);
          }
          added = true;
        }
        // Frontend and history learn of a new namespace and its attributes on their next cache refresh (about 2 s).
        await connection.workflowService.countWorkflowExecutions({ namespace, query: probe });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`namespace ${namespace} is not usable on ${address}: ${error instanceof Error ? error.message : String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    await connection.close();
  }
}

/**
 * Starts the Temporal Web UI server from temporal/config/ui/hookcast.yaml and
 * resolves once it serves its page.
 */
export async function startTemporalUi(options: {
  env: TemporalPgEnv;
  binaries: Required<Pick<TemporalServerBinaries, 'ui'>>;
  detached?: boolean;
  onOutput?: (line: string) => void;
}): Promise<TemporalProcess & { url: string }> {
  const host = options.env.TEMPORAL_BIND_IP === '0.0.0.0' ? '127.0.0.1' : options.env.TEMPORAL_BIND_IP;
  const url = `http://${host}:${options.env.TEMPORAL_UI_PORT}`;
  const started = startProcess(
    options.binaries.ui,
    ['--root', root, '--config', 'temporal/config/ui', '--env', 'hookcast', 'start'],
    configEnv(options.env),
    options.detached ?? false,
    options.onOutput,
  );
  const stop = () => stopChild(started.child, started.exitCode);
  let exitCode: number | null | undefined;
  void started.exitCode.then((code) => (exitCode = code));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`Temporal UI server exited with code ${exitCode}:\n${started.output()}`);
    try {
      const response = await fetch(url);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Temporal UI server did not answer on ${url} within 30 s:\n${started.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, pid: started.child.pid, exited: started.exited, stop };
}
