import { serve } from '@hono/node-server';
import { EnvError, loadEnv } from '../config/env.js';
import { createCampaignService } from '../campaigns/store.js';
import { createDatabase } from '../db/client.js';
import { createTemporalClient } from '../temporal/client.js';
import { temporalConnectionOptions } from '../temporal/connection.js';
import { createLogger } from '../lib/logger.js';
import { exitWithParent, onShutdown } from '../lib/process.js';
import { createApp } from './app.js';

/** Entry point of the API process. */
async function main() {
  const env = loadEnv();
  if (!env.DATABASE_URL) throw new EnvError('DATABASE_URL is not set (npm start sets it for the embedded database)');
  const logger = createLogger('api', env.LOG_LEVEL);
  // Callers should get a prompt 503 rather than wait out a PostgreSQL restart.
  const database = createDatabase(env.DATABASE_URL, { connectTimeoutSeconds: 3 });
  const temporal = createTemporalClient({ ...temporalConnectionOptions(env), namespace: env.TEMPORAL_NAMESPACE });
  const service = createCampaignService({ db: database.db, temporal, taskQueue: env.TEMPORAL_TASK_QUEUE });
  const app = createApp({
    db: database.db,
    logger,
    campaigns: { service, temporalUiUrl: env.temporalUiUrl, namespace: env.TEMPORAL_NAMESPACE },
    temporal: { connection: temporal.connection },
  });
  const server = serve({ fetch: app.fetch, hostname: env.API_HOST, port: env.API_PORT }, (info) => {
    logger.info({ url: `http://${env.API_HOST}:${info.port}` }, 'API listening');
  });
  onShutdown(logger, async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
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
