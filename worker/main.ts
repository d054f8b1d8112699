import { createServer } from 'node:http';
import { NativeConnection } from '@temporalio/worker';
import { EnvError, loadEnv } from '../config/env.js';
import { createDatabase } from '../db/client.js';
import { createLogger } from '../lib/logger.js';
import { registry } from '../lib/metrics.js';
import { exitWithParent, onShutdown } from '../lib/process.js';
import { createHookcastWorker } from './create-worker.js';

/** Prometheus metrics of this worker (delivery attempts, latency, process). */
function serveMetrics(host: string, port: number) {
  return createServer((req, res) => {
    void registry.metrics().then((text) => {
      res.writeHead(req.url === '/metrics' ? 200 : 404, { 'content-type': registry.contentType });
      res.end(req.url === '/metrics' ? text : '');
    });
  }).listen(port, host);
}

/** Entry point of the worker process. */
async function main() {
  const env = loadEnv();
  if (!env.DATABASE_URL) throw new EnvError('DATABASE_URL is not set (npm start sets it for the embedded database)');
  const logger = createLogger('worker', env.LOG_LEVEL);
  const database = createDatabase(env.DATABASE_URL, { max: 20 });
  const connection = await NativeConnection.connect({ address: env.temporalAddress });
  const worker = await createHookcastWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    db: database.db,
    logger,
    deliveryConcurrency: env.DELIVERY_CONCURRENCY,
  });
  const metrics = env.WORKER_METRICS_PORT ? serveMetrics(env.API_HOST, env.WORKER_METRICS_PORT) : undefined;
  onShutdown(logger, async () => {
    metrics?.close();
    worker.shutdown();
  });
  exitWithParent();
  logger.info({ taskQueue: env.TEMPORAL_TASK_QUEUE, temporal: env.temporalAddress }, 'worker polling');
  await worker.run();
  await connection.close();
  await database.close();
  logger.info('worker stopped');
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error instanceof EnvError ? error.message : error);
  process.exit(1);
});
