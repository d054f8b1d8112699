import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { EnvError, loadEnv } from '../config/env.js';
import { keyring } from '../lib/secret-box.js';
import { createDatabase } from '../db/client.js';
import { createLogger } from '../lib/logger.js';
import { registry } from '../lib/metrics.js';
import { exitWithParent, onSignal } from '../lib/process.js';
import { createChannelLimiter } from '../delivery/limiter.js';
import { describeTemporalConnection, temporalConnectionOptions } from '../temporal/connection.js';
import { createHookcastWorker } from './create-worker.js';
import { createTemporalClient } from '../temporal/client.js';
import { ensureMaintenanceSchedule } from '../retention/schedule.js';

/** Prometheus metrics of this worker (delivery attempts, latency, process). */
function serveMetrics(host: string, port: number) {
  return createServer((req, res) => {
    void registry.metrics().then((text) => {
      res.writeHead(req.url === '/metrics' ? 200 : 404, { 'content-type': registry.contentType });
      res.end(req.url === '/metrics' ? text : '');
    });
  }).listen(port, host);
}

const TEMPORAL_LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' };

/**
 * The SDK's attributes of a log line, in hookcast's words: its `runId` (a
 * workflow's log lines) is the Temporal run of the workflow, `workflowRunId`
 * as in activities' lines, since `runId` means a campaign run here (workflow
 * lines that carry a campaign run give both; theirs take precedence). An
 * activity's task token completes the activity; it stays out of the logs.
 */
function sdkLogAttributes(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!meta) return {};
  const { runId, taskToken: _taskToken, ...rest } = meta;
  // A workflow that names both (a campaign run's line) already gave `runId` hookcast's meaning.
  if (runId === undefined) return rest;
  return 'workflowRunId' in rest ? { ...rest, runId } : { ...rest, workflowRunId: runId };
}

/**
 * Routes the Temporal SDK's own log lines (worker state, workflow logs) through
 * pino, as JSON like ours, and serves its worker metrics (task slots, poll
 * latency, sticky cache) on `sdkMetricsAddress` when given.
 */
function installTemporalRuntime(logger: ReturnType<typeof createLogger>, level: string, sdkMetricsAddress: string | undefined) {
  const temporal = logger.child({ component: 'temporal' });
  Runtime.install({
    ...(sdkMetricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: sdkMetricsAddress, countersTotalSuffix: true, useSecondsForDurations: true } } } } : {}),
    logger: new DefaultLogger(TEMPORAL_LEVELS[level] ?? 'INFO', function toPino(entry) {
      const method = entry.level === 'TRACE' ? 'trace' : entry.level === 'DEBUG' ? 'debug' : entry.level === 'INFO' ? 'info' : entry.level === 'WARN' ? 'warn' : 'error';
      temporal[method](sdkLogAttributes(entry.meta), entry.message);
    }),
  });
}

/**
 * A workflow bundle built beforehand: WORKFLOW_BUNDLE when given (the test
 * suite builds one for its run), else the one `npm run build` wrote beside the
 * compiled worker (dist/workflow-bundle.js). Loading one takes milliseconds
 * where bundling at start takes seconds. Run from sources (tsx) without one,
 * the worker bundles the workflows itself.
 */
function prebuiltWorkflowBundle(given: string | undefined) {
  if (given) {
    if (!existsSync(given)) throw new EnvError(`WORKFLOW_BUNDLE: no file at ${given}`);
    return { codePath: given };
  }
  const codePath = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));
  return existsSync(codePath) ? { codePath } : undefined;
}

// V8 drops the compiled code of functions that have not run for a few garbage collections, which a worker between
// two bursts does: its whole sending path was compiled again during the next one, and a delay burst falling due
// after a quiet minute sent under 1,500 in its first second against 3,400 with the code kept (docs/benchmarks.md).
// Kept code costs a few MB; the flag is read at each collection, so setting it here covers every way the worker starts.
setFlagsFromString('--no-flush-bytecode');

/** Entry point of the worker process. */
async function main() {
  const env = loadEnv();
  if (!env.DATABASE_URL) throw new EnvError('DATABASE_URL is not set (npm start sets it for the embedded database)');
  // Credentials are sealed at rest: without the key, stop now with one line rather than fail each send.
  keyring();
  const logger = createLogger('worker', env.LOG_LEVEL);
  installTemporalRuntime(logger, env.LOG_LEVEL, env.WORKER_SDK_METRICS_PORT ? `${env.API_HOST}:${env.WORKER_SDK_METRICS_PORT}` : undefined);
  const database = createDatabase(env.DATABASE_URL, { max: 20 });
  const temporalConnection = temporalConnectionOptions(env);
  const connection = await NativeConnection.connect(temporalConnection);
  const limiter = createChannelLimiter(database.db);
  const worker = await createHookcastWorker({
    limiter,
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    db: database.db,
    deliveryConcurrency: env.DELIVERY_CONCURRENCY,
    shutdownGraceMs: env.WORKER_SHUTDOWN_GRACE_MS,
    workflowBundle: prebuiltWorkflowBundle(env.WORKFLOW_BUNDLE),
    logger,
    maxActivities: env.WORKER_MAX_ACTIVITIES,
    maxWorkflowTasks: env.WORKER_MAX_WORKFLOW_TASKS,
    cache: { controlTtlMs: env.RUN_CONTROL_CACHE_MS, contextTtlMs: env.RUN_CONTEXT_CACHE_MS },
  });
  // Retention runs as a Temporal Schedule; each worker start writes the current settings into it.
  const client = createTemporalClient({ ...temporalConnection, namespace: env.TEMPORAL_NAMESPACE });
  await ensureMaintenanceSchedule(client, {
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    days: { events: env.EVENT_RETENTION_DAYS, deliveries: env.DELIVERY_RETENTION_DAYS, responseBodies: env.RESPONSE_BODY_RETENTION_DAYS },
  }).catch((error: unknown) => logger.warn({ err: String((error as Error).message ?? error).split('\n')[0] }, 'could not create or update the maintenance schedule'));
  await client.connection.close();
  const metrics = env.WORKER_METRICS_PORT ? serveMetrics(env.API_HOST, env.WORKER_METRICS_PORT) : undefined;
  // Shutdown lets worker.run() resolve: exiting at once would drop the outcomes of requests in flight,
  // and those users would be sent to again by the next worker.
  onSignal(logger, () => {
    metrics?.close();
    // The Temporal runtime may have started the shutdown already on the same signal.
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  exitWithParent();
  logger.info({ taskQueue: env.TEMPORAL_TASK_QUEUE, temporal: describeTemporalConnection(temporalConnection) }, 'worker polling');
  await worker.run();
  // Hands this worker's concurrency permits back now rather than when their leases lapse.
  await limiter.close();
  await connection.close();
  await database.close();
  logger.info('worker stopped');
  process.exit(0);
}

main().catch((error: unknown) => {
  // One line: the cause an operator needs (bad env, Temporal or PostgreSQL unreachable), not a stack.
  console.error(`[worker] cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
