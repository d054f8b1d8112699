/**
 * `npm start`: brings up the whole stack on one machine, in order: Temporal dev
 * server (with UI), PostgreSQL (DATABASE_URL or an embedded server), migrations,
 * the worker and the API, and keeps them up: a child that dies is restarted
 * (see Supervisor). Ctrl-C stops all of it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvError, loadEnv, type Env } from '../config/env.js';
import { createDatabase } from '../db/client.js';
import { assertPortFree, startEmbeddedPostgres, stopLeftover } from '../db/embedded.js';
import { describeMigration, migrateDatabase } from '../db/migrate.js';
import { resolveTemporalCli, temporalCliVersion } from '../temporal/cli.js';
import { startDevServer } from '../temporal/dev-server.js';
import { distDir, ensureBuilt } from './build.js';
import { createApiKeyStore } from '../access/api-keys.js';
import { resealCredentials } from '../channels/credentials.js';
import { keyring, keyringFile, newKey, writeKeyringFile } from '../lib/secret-box.js';
import { createLauncher, leftovers, type Running } from './supervisor.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const say = (line: string) => console.log(`[hookcast] ${line}`);

const { supervisor, run } = createLauncher(say);

/** Starts a compiled entry point of dist/ (see scripts/build.ts) under the supervisor. */
function startNodeProcess(entry: string, env: NodeJS.ProcessEnv, stopWithinMs = 15_000): Promise<Running> {
  const child = spawn(process.execPath, ['--enable-source-maps', join(distDir, entry)], {
    cwd: root,
    env: { ...env, HOOKCAST_SUPERVISED: '1' },
    // stdin is a pipe the child watches: if this launcher dies, the child exits.
    stdio: ['pipe', 'inherit', 'inherit'],
    // Own process group: a terminal's Ctrl-C reaches only this launcher, which stops the API, then the worker, then the servers.
    detached: true,
  });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
  return Promise.resolve({
    pid: child.pid,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), stopWithinMs);
      await exited;
      clearTimeout(killer);
    },
  });
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

/**
 * The data folder holds Temporal's state, the key that seals credentials, logs
 * and the embedded database: for this user only. Everything started from here
 * creates its files 0600 and folders 0700 (umask), and what an older version
 * left readable (temporal.sqlite was 0644) is closed now. PostgreSQL keeps its
 * own folder so already. As root, the embedded server runs as the `postgres`
 * user and must pass through the folder: 0711 (no listing, no reading).
 */
function closeDataDir(dataDir: string, postgresPassesThrough: boolean) {
  process.umask(0o077);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, postgresPassesThrough ? 0o711 : 0o700);
  const close = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (path === dataDir && entry.name === 'postgres') continue;
      if (entry.isDirectory()) {
        chmodSync(child, 0o700);
        close(child);
      } else if (entry.isFile()) chmodSync(child, 0o600);
    }
  };
  close(dataDir);
}

async function main(env: Env) {
  const dataDir = resolve(root, env.DATA_DIR);
  closeDataDir(dataDir, !env.DATABASE_URL && process.getuid?.() === 0);
  // Absolute, so every child finds the data folder's keyring whatever its working directory.
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
  process.env.DATA_DIR = dataDir;
  prepareKeyring(env, dataDir);
  if (env.OUTBOUND_ALLOW_CIDRS) say(`outbound requests may also reach ${env.OUTBOUND_ALLOW_CIDRS} (OUTBOUND_ALLOW_CIDRS)`);
  const apiHost = env.API_HOST === '0.0.0.0' ? '127.0.0.1' : env.API_HOST;
  await assertPortFree(env.API_PORT, env.API_HOST, 'the API (API_PORT)');
  if (!env.DATABASE_URL) {
    await stopLeftover(join(dataDir, 'postgres'), say);
    await assertPortFree(env.EMBEDDED_PG_PORT, '127.0.0.1', 'the embedded PostgreSQL (EMBEDDED_PG_PORT)');
  }

  if (env.TEMPORAL_ADDRESS) {
    say(`Temporal: using the server at ${env.TEMPORAL_ADDRESS} (TEMPORAL_ADDRESS is set)`);
  } else {
    const cli = await resolveTemporalCli({ log: (line) => say(line) });
    say(`Temporal CLI: ${cli.path ?? 'SDK download'} (found via ${cli.source}${cli.path ? `, ${temporalCliVersion(cli.path)}` : ''})`);
    const left = leftovers(dataDir, say);
    const temporalDb = join(dataDir, 'temporal.sqlite');
    if (cli.path) await left.stop('temporal-dev', cli.path, 'Temporal dev server', temporalDb);
    await assertPortFree(env.TEMPORAL_PORT, '127.0.0.1', 'the Temporal dev server (TEMPORAL_PORT)');
    await assertPortFree(env.TEMPORAL_UI_PORT, '127.0.0.1', 'the Temporal Web UI (TEMPORAL_UI_PORT)');
    say(`starting the Temporal dev server on ${env.temporalAddress}, state in ${join(env.DATA_DIR, 'temporal.sqlite')}…`);
    const server = await supervisor.add('Temporal dev server', async () => {
      const started = await startDevServer({
        cli,
        port: env.TEMPORAL_PORT,
        uiPort: env.TEMPORAL_UI_PORT,
        dbFilename: temporalDb,
        namespace: env.TEMPORAL_NAMESPACE,
        detached: true,
        logFile: join(dataDir, 'temporal-dev.log'),
        log: (line) => say(line),
      });
      left.record('temporal-dev', started.pid);
      return started;
    });
    say(`Temporal is up (pid ${server.pid ?? 'managed by the SDK'}): frontend ${env.temporalAddress}, Web UI ${env.temporalUiUrl}`);
  }

  let databaseUrl = env.DATABASE_URL;
  if (databaseUrl) {
    say(`PostgreSQL: using DATABASE_URL (${new URL(databaseUrl).host})`);
  } else {
    const pgDir = join(dataDir, 'postgres');
    say(`PostgreSQL: DATABASE_URL is not set; starting embedded PostgreSQL on 127.0.0.1:${env.EMBEDDED_PG_PORT}, data in ${join(env.DATA_DIR, 'postgres')}…`);
    let url = '';
    const embedded = await supervisor.add('embedded PostgreSQL', async () => {
      const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: env.EMBEDDED_PG_PORT, log: (line) => say(line) });
      url = pg.url;
      return pg;
    });
    databaseUrl = url;
    childEnv.DATABASE_URL = databaseUrl;
    say(`embedded PostgreSQL is up (pid ${embedded.pid})`);
  }

  say('applying database migrations…');
  const database = createDatabase(databaseUrl, { max: 1 });
  try {
    // A brand-new cluster gets its schema created: "current" would say there was nothing to do.
    say(describeMigration(await migrateDatabase(database.db)));
    const sealed = await resealCredentials(database.db, keyring().current.id);
    if (sealed > 0) say(`sealed the credentials of ${sealed} channel(s) under key ${keyring().current.id}`);
    await registerEnvApiKey(env, database.db);
  } finally {
    await database.close();
  }

  // The worker and the API run compiled, the worker with its prebuilt workflow bundle.
  await ensureBuilt(say);
  say('starting the worker and the API…');
  // The worker gets its shutdown grace (activities in flight finish and record their outcomes) and then some.
  const worker = await supervisor.add('worker', () => startNodeProcess('worker/main.js', childEnv, env.WORKER_SHUTDOWN_GRACE_MS + 15_000));
  const api = await supervisor.add('API', () => startNodeProcess('api/server.js', childEnv));
  say(`worker pid ${worker.pid}, API pid ${api.pid}`);
  const apiUrl = `http://${apiHost}:${env.API_PORT}`;
  await waitForHttp(`${apiUrl}/healthz`, 60_000);
  // Created only now that the stack is up: a start that fails earlier must not store a key nobody saw.
  const adminKey = await createFirstAdminKey(env, databaseUrl);
  const ready = `ready: console ${apiUrl}/  ·  API ${apiUrl}/api (reference ${apiUrl}/api/docs)  ·  Temporal UI ${env.TEMPORAL_ADDRESS ? '(external)' : env.temporalUiUrl}  ·  Ctrl-C stops everything`;
  // The first start's admin key goes with the ready line, after the build's output, where a newcomer looks; one write keeps the block together.
  const block = [ready, ...(adminKey ? adminKeyLines(adminKey) : [])];
  console.log(block.map((line) => `[hookcast] ${line}`).join('\n'));
}

function adminKeyLines(key: string): string[] {
  return [
    'created an admin API key; it is shown this once (only its hash is stored), keep it:',
    `  ${key}`,
    '  use it as: Authorization: Bearer <key>; more keys: npm run apikey -- create --name ops --scope write',
  ];
}

/**
 * Channel credentials are encrypted at rest. SECRET_KEYS holds the keys; on the
 * embedded default without it, a key is generated once into the data folder.
 */
function prepareKeyring(env: Env, dataDir: string) {
  if (env.SECRET_KEYS) {
    say(`credentials are encrypted with key ${keyring().current.id} from SECRET_KEYS`);
    return;
  }
  const file = keyringFile(dataDir);
  if (!existsSync(file)) {
    if (env.DATABASE_URL) {
      throw new EnvError('SECRET_KEYS is not set: with DATABASE_URL, give the key that encrypts channel credentials (see README, Security)');
    }
    const key = newKey();
    writeKeyringFile(file, { current: key, keys: new Map([[key.id, key.key]]) });
    say(`generated the key that encrypts channel credentials at rest: ${join(env.DATA_DIR, 'secret-keys')} (mode 0600; back it up with the database)`);
  } else {
    say(`credentials are encrypted with key ${keyring().current.id} from ${join(env.DATA_DIR, 'secret-keys')}`);
  }
}

/** HOOKCAST_API_KEY, when set, is registered as an admin key. */
async function registerEnvApiKey(env: Env, db: Parameters<typeof createApiKeyStore>[0]) {
  if (!env.HOOKCAST_API_KEY) return;
  if (await createApiKeyStore(db).register(env.HOOKCAST_API_KEY, 'HOOKCAST_API_KEY')) say('registered HOOKCAST_API_KEY as an admin API key (only its hash is stored)');
}

/** Without HOOKCAST_API_KEY, the first start on the embedded default creates an admin key, to be printed once with the ready line. */
async function createFirstAdminKey(env: Env, databaseUrl: string): Promise<string | undefined> {
  if (env.HOOKCAST_API_KEY || env.DATABASE_URL) return undefined;
  const database = createDatabase(databaseUrl, { max: 1 });
  try {
    const keys = createApiKeyStore(database.db);
    if ((await keys.count()) > 0) return undefined;
    return (await keys.create({ name: 'first start', scope: 'admin' })).key;
  } finally {
    await database.close();
  }
}

let env: Env;
try {
  env = loadEnv();
} catch (error) {
  console.error(error instanceof EnvError ? `[hookcast] ${error.message}` : error);
  process.exit(1);
}
void run(() => main(env));
