/**
 * `npm run temporal:pg`: a Temporal server persisting to PostgreSQL, with its
 * Web UI, in the foreground until Ctrl-C. Builds the binaries when missing,
 * creates and upgrades the Temporal databases, starts the server from
 * temporal/config/postgres.yaml, registers hookcast's namespace and search
 * attributes. Every step is idempotent: run it again and it picks up where the
 * databases are. `-- --install-only` only builds the binaries (CI).
 * Point hookcast at it with TEMPORAL_ADDRESS (printed when ready).
 */
import { resolve } from 'node:path';
import { EnvError, loadEnv, type Env } from '../config/env.js';
import { assertPortFree } from '../db/embedded.js';
import { setUpTemporalDatabases, startTemporalPgServer, startTemporalUi, temporalPgAddress, temporalPortProblem, temporalServerPorts } from '../temporal/postgres-server.js';
import { installTemporalServer } from '../temporal/server-binaries.js';
import { createLauncher, leftovers } from './supervisor.js';

const say = (line: string) => console.log(`[temporal:pg] ${line}`);
const args = new Set(process.argv.slice(2));

const { supervisor, run, stopping } = createLauncher(say);

async function main(env: Env) {
  const withUi = !args.has('--no-ui');
  const binaries = await installTemporalServer({ log: say, ui: withUi });
  say(`server ${binaries.server}`);
  say(`UI ${binaries.ui ?? '(not built: running without the Web UI)'}`);
  if (args.has('--install-only')) return;

  const left = leftovers(resolve(env.DATA_DIR), say);
  await left.stop('temporal-pg-server', binaries.server, 'Temporal server');
  if (binaries.ui) await left.stop('temporal-pg-ui', binaries.ui, 'Temporal UI');
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
    left.record('temporal-pg-server', started.pid);
    return started;
  });
  const address = temporalPgAddress(env);
  let uiUrl: string | undefined;
  if (binaries.ui) {
    const ui = binaries.ui;
    await supervisor.add('Temporal UI', async () => {
      const started = await startTemporalUi({ env, binaries: { ui }, detached: true, onOutput: output('temporal ui') });
      uiUrl = started.url;
      left.record('temporal-pg-ui', started.pid);
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
