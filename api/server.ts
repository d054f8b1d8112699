import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { EnvError, loadEnv } from '../config/env.js';
import { keyring } from '../lib/secret-box.js';
import { createCampaignService } from '../campaigns/store.js';
import { createDatabase } from '../db/client.js';
import { createTemporalClient } from '../temporal/client.js';
import { temporalConnectionOptions } from '../temporal/connection.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { exitWithParent, onShutdown } from '../lib/process.js';
import { createApiKeyStore, type ApiKeyStore } from '../access/api-keys.js';
import { safeErrorDescription } from '../lib/db-errors.js';
import { createListenerIndex } from '../triggers/listeners.js';
import { outboxHooks } from '../triggers/outbox.js';
import { createRelay } from '../triggers/relay.js';
import { createApp } from './app.js';

/** Registers HOOKCAST_API_KEY, retrying while PostgreSQL is not there yet: the API serves meanwhile. */
function registerEnvKey(keys: ApiKeyStore, key: string, logger: Logger) {
  keys.register(key, 'HOOKCAST_API_KEY').then(
    (added) => {
      if (added) logger.info('registered HOOKCAST_API_KEY as an admin API key (only its hash is stored)');
    },
    (error: unknown) => {
      logger.warn({ err: safeErrorDescription(error) }, 'cannot register HOOKCAST_API_KEY yet; retrying in 2 s');
      setTimeout(() => registerEnvKey(keys, key, logger), 2000).unref();
    },
  );
}
/**
 * Test-only fault: `exit-after-event-commit` kills this process (SIGKILL) just
 * after an ingest committed outbox rows, once the answer has gone out, before
 * any relay ran: the window the outbox exists for.
 */
const FAULT = process.env.HOOKCAST_TEST_FAULT;

/** dist/console beside the compiled API (npm start), or dist/console of the checkout (api:dev), once built. */
function builtConsole(): string | undefined {
  return ['../console/', '../dist/console/']
    .map((path) => fileURLToPath(new URL(path, import.meta.url)))
    .find((dir) => existsSync(join(dir, 'assets')));
}

/** Entry point of the API process. */
async function main() {
  const env = loadEnv();
  if (!env.DATABASE_URL) throw new EnvError('DATABASE_URL is not set (npm start sets it for the embedded database)');
  // Credentials are sealed at rest: without the key, stop now with one line rather than fail each send.
  keyring();
  const logger = createLogger('api', env.LOG_LEVEL);
  // Callers should get a prompt 503 rather than wait out a PostgreSQL restart.
  const database = createDatabase(env.DATABASE_URL, { connectTimeoutSeconds: 3 });
  if (env.HOOKCAST_API_KEY) registerEnvKey(createApiKeyStore(database.db), env.HOOKCAST_API_KEY, logger);
  const temporal = createTemporalClient({ ...temporalConnectionOptions(env), namespace: env.TEMPORAL_NAMESPACE });
  const listeners = createListenerIndex(database.db, { logger });
  const relay = createRelay({ db: database.db, temporal, logger });
  const service = createCampaignService({
    db: database.db,
    temporal,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    fanOut: { batchSize: env.FANOUT_BATCH_SIZE, window: env.FANOUT_WINDOW, childrenPerExecution: env.FANOUT_CHILDREN_PER_EXECUTION },
    eventListeners: listeners,
  });
  const afterCommit =
    FAULT === 'exit-after-event-commit' ? () => void setTimeout(() => process.kill(process.pid, 'SIGKILL'), 300) : () => relay.kick();
  await listeners.start();
  // The relay drains what earlier processes committed but never handed over, then every 2 s.
  if (FAULT !== 'exit-after-event-commit') relay.start();
  const app = createApp({
    db: database.db,
    logger,
    eventHooks: () => outboxHooks(listeners, afterCommit),
    campaigns: { service, temporalUiUrl: env.temporalUiUrl, namespace: env.TEMPORAL_NAMESPACE, readShareMs: env.API_READ_SHARE_MS },
    // The workers' pause-flag staleness: an erasure answers once no worker can still start a request for the user.
    eraseSettleMs: env.RUN_CONTROL_CACHE_MS,
    temporal: { connection: temporal.connection },
    consoleDir: builtConsole(),
    ingestConcurrency: env.INGEST_CONCURRENCY,
  });
  const server = serve({ fetch: app.fetch, hostname: env.API_HOST, port: env.API_PORT }, (info) => {
    logger.info({ url: `http://${env.API_HOST}:${info.port}` }, 'API listening');
  });
  onShutdown(logger, async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await relay.stop();
    await listeners.stop();
    await temporal.connection.close();
    await database.close();
  });
  exitWithParent();
}

main().catch((error: unknown) => {
  // One line: the cause an operator needs (bad env, Temporal or PostgreSQL unreachable), not a stack.
  console.error(`[api] cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
