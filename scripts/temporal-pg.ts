/**
 * `npm run temporal:pg`: a Temporal server persisting to PostgreSQL, with its
 * Web UI, in the foreground until Ctrl-C. Builds the binaries when missing,
 * creates and upgrades the Temporal databases, starts the server from
 * temporal/config/postgres.yaml, registers hookcast's namespace and search
 * attributes. Every step is idempotent: run it again and it picks up where the
 * databases are. `-- --install-only` only builds the binaries (CI).
 * Point hookcast at it with TEMPORAL_ADDRESS (printed when ready).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EnvError, loadEnv, type Env } from '../config/env.js';
import { assertPortFree } from '../db/embedded.js';
import { setUpTemporalDatabases, startTemporalPgServer, startTemporalUi, temporalPgAddress, temporalPortProblem, temporalServerPorts } from '../temporal/postgres-server.js';
import { installTemporalServer } from '../temporal/server-binaries.js';
import { createLauncher } from './supervisor.js';

const say = (line: string) => console.log(`[temporal:pg] ${line}`);
const args = new Set(process.argv.slice(2));

const { supervisor, run, stopping } = createLauncher(say);

/**
 * The server and the UI run in their own process groups, so a launcher that was
 * SIGKILLed leaves them running, holding their ports. Each start records their
 * pids; the next start stops what is still running from the same binaries.
 */
function pidFile(env: Env, name: string): string {
  const dir = resolve(env.DATA_DIR);
  mkdirSync(dir, { recursive: true });
  return join(dir, `temporal-pg-${name}.pid`);
}

async function stopLeftover(env: Env, name: string, binary: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(env, name), 'utf8'));
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(binary)) return;
  } catch {
    return;
  }
  say(`stopping the Temporal ${name === 'ui' ? 'UI' : name} left running by an earlier launcher (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(pid, 'SIGKILL');
}

function recordPid(env: Env, name: string, pid: number | undefined) {
  if (pid) writeFileSync(pidFile(env, name), String(pid));
}

async function main(env: Env) {
  const withUi = !args.has('--no-ui');
  const binaries = await installTemporalServer({ log: say, ui: withUi });
  say(`server ${binaries.server}`);
  say(`UI ${binaries.ui ?? '(not built: running without the Web UI)'}`);
  if (args.has('--install-only')) return;

  await stopLeftover(env, 'server', binaries.server);
  if (binaries.ui) await stopLeftover(env, 'ui', binaries.ui);
  const portProblem = temporalPortProblem(env.TEMPORAL_PORT);
  if (portProblem) throw new EnvError(`invalid environment variable TEMPORAL_PORT=${env.TEMPORAL_PORT}: ${portProblem}`);
  for (const [what, port] of Object.entries(temporalServerPorts(env.TEMPORAL_PORT))) {
    await assertPortFree(port, env.TEMPORAL_BIND_IP, `the Temporal ${what} port (from TEMPORAL_PORT)`);
  }
  if (binaries.ui) await assertPortFree(env.TEMPORAL_UI_PORT, env.TEMPORAL_BIND_IP, 'the Temporal Web UI (TEMPORAL_UI_PORT)');

  say(`Temporal databases ${env.TEMPORAL_PG_DATABASE} and ${env.TEMPORAL_PG_VISIBILITY_DATABASE} on ${env.TEMPORAL_PG_HOST}:${env.TEMPORAL_PG_PORT} (user ${env.TEMPORAL_PG_USER})…`);
  await setUpTemporalDatabases(env, binaries, say);

  say('starting the Temporal server (temporal/config/postgres.yaml)…');
  // While stopping, the services log every connection they lose to each other: noise, not news.
  const output = (prefix: string) => (line: string) => {
    if (!stopping()) console.log(`[${prefix}] ${line}`);
  };
  const server = await supervisor.add('Temporal server', async () => {
    const started = await startTemporalPgServer({ env, binaries, detached: true, log: say, onOutput: output('temporal server') });
    recordPid(env, 'server', started.pid);
    return started;
  });
  const address = temporalPgAddress(env);
  let uiUrl: string | undefined;
  if (binaries.ui) {
    const ui = binaries.ui;
    await supervisor.add('Temporal UI', async () => {
      const started = await startTemporalUi({ env, binaries: { ui }, detached: true, onOutput: output('temporal ui') });
      uiUrl = started.url;
      recordPid(env, 'ui', started.pid);
      return started;
    });
  }
  say(
    `ready: frontend ${address} (namespace ${env.TEMPORAL_NAMESPACE}, pid ${server.pid})` +
      (uiUrl ? `  ·  Web UI ${uiUrl}` : '') +
      `  ·  run hookcast on it: TEMPORAL_ADDRESS=${address}${uiUrl ? ` TEMPORAL_UI_URL=${uiUrl}` : ''} npm start  ·  Ctrl-C stops`,
  );
}

let env: Env;
try {
  env = loadEnv();
} catch (error) {
  console.error(error instanceof EnvError ? `[temporal:pg] ${error.message}` : error);
  process.exit(1);
}
void run(async () => {
  await main(env);
  if (args.has('--install-only')) process.exit(0);
});
