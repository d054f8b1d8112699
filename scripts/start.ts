/**
 * `npm start`: brings up the whole stack on one machine, in order: Temporal dev
 * server (with UI), PostgreSQL (DATABASE_URL or embedded PGlite), migrations,
 * the worker and the API. Ctrl-C stops all of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvError, loadEnv, type Env } from '../config/env.js';
import { createDatabase } from '../db/client.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { migrateDatabase } from '../db/migrate.js';
import { resolveTemporalCli, temporalCliVersion } from '../temporal/cli.js';
import { startDevServer } from '../temporal/dev-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const say = (line: string) => console.log(`[hookcast] ${line}`);

type Stopper = () => Promise<void>;
const stoppers: Stopper[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('stopping…');
    for (const stop of stoppers.reverse()) {
      await stop().catch((error: unknown) => say(`  while stopping: ${String(error)}`));
    }
    say('stopped');
  }
  process.exit(code);
}

function startNodeProcess(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, entry)], {
    cwd: root,
    env: { ...env, HOOKCAST_SUPERVISED: '1' },
    // stdin is a pipe the child watches: if this launcher dies, the child exits.
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
      void stopAll(1);
    }
  });
  stoppers.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  });
  return child;
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

async function main(env: Env) {
  const dataDir = resolve(root, env.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const childEnv: NodeJS.ProcessEnv = { ...process.env };

  if (env.TEMPORAL_ADDRESS) {
    say(`Temporal: using the server at ${env.TEMPORAL_ADDRESS} (TEMPORAL_ADDRESS is set)`);
  } else {
    const cli = await resolveTemporalCli({ log: (line) => say(line) });
    say(`Temporal CLI: ${cli.path ?? 'SDK download'} (found via ${cli.source}${cli.path ? `, ${temporalCliVersion(cli.path)}` : ''})`);
    say(`starting the Temporal dev server on ${env.temporalAddress}, state in ${join(env.DATA_DIR, 'temporal.sqlite')}…`);
    const server = await startDevServer({
      cli,
      port: env.TEMPORAL_PORT,
      uiPort: env.TEMPORAL_UI_PORT,
      dbFilename: join(dataDir, 'temporal.sqlite'),
      namespace: env.TEMPORAL_NAMESPACE,
      log: (line) => say(line),
    });
    stoppers.push(server.stop);
    say(`Temporal is up: frontend ${server.address}, Web UI ${env.temporalUiUrl}`);
  }

  let databaseUrl = env.DATABASE_URL;
  if (databaseUrl) {
    say(`PostgreSQL: using DATABASE_URL (${new URL(databaseUrl).host})`);
  } else {
    say(`PostgreSQL: DATABASE_URL is not set; starting embedded PGlite on 127.0.0.1:${env.PGLITE_PORT}, data in ${join(env.DATA_DIR, 'pglite')}…`);
    const embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pglite'), port: env.PGLITE_PORT });
    stoppers.push(embedded.stop);
    databaseUrl = embedded.url;
    childEnv.DATABASE_URL = databaseUrl;
    say('embedded PostgreSQL is up');
  }

  say('applying database migrations…');
  const database = createDatabase(databaseUrl, { max: 1 });
  await migrateDatabase(database.db);
  await database.close();
  say('database schema is current');

  say('starting the worker and the API…');
  startNodeProcess('worker', 'worker/main.ts', childEnv);
  startNodeProcess('API', 'api/server.ts', childEnv);
  const apiUrl = `http://${env.API_HOST === '0.0.0.0' ? '127.0.0.1' : env.API_HOST}:${env.API_PORT}`;
  await waitForHttp(`${apiUrl}/healthz`, 60_000);
  say(`ready: API ${apiUrl}  ·  Temporal UI ${env.TEMPORAL_ADDRESS ? '(external)' : env.temporalUiUrl}  ·  Ctrl-C stops everything`);
}

let env: Env;
try {
  env = loadEnv();
} catch (error) {
  console.error(error instanceof EnvError ? `[hookcast] ${error.message}` : error);
  process.exit(1);
}
process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));
main(env).catch((error: unknown) => {
  say(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
  void stopAll(1);
});
