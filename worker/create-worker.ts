import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { Database } from '../db/client.js';
import type { ChannelLimiter } from '../delivery/limiter.js';
import { logContext } from '../activities/log-context.js';
import type { RunContextCacheOptions } from '../delivery/context.js';
import type { Logger } from '../lib/logger.js';
import { sanitizeDatabaseErrors } from './sanitize-db-errors.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface HookcastWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Database;
  /** Requests in flight per batch activity. */
  deliveryConcurrency?: number;
  /** The channel limiter this worker's sends share (created here when omitted); close it after the worker stops. */
  limiter?: ChannelLimiter;
  /** How long activities in flight may finish after shutdown() before they are cancelled (default 30 s). */
  shutdownGraceMs?: number;
  /** A prebuilt workflow bundle (tests build it once); otherwise workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'] | undefined;
  /** Activity and workflow task slots of this worker (defaults 200 and 40). */
  maxActivities?: number;
  maxWorkflowTasks?: number;
  /** How long sending activities may cache a run's pause flag and its definition. */
  cache?: RunContextCacheOptions;
  /** Activities log through it, bound to their campaign, run and workflow ids; silent when omitted. */
  logger?: Logger;
}

/**
 * Builds the worker that runs campaign workflows and delivery activities.
 *
 * @example
 * const worker = await createHookcastWorker({ connection, namespace: 'default', taskQueue: 'hookcast', db });
 * await worker.run();
 */
export function createHookcastWorker(options: HookcastWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: createActivities({ db: options.db, concurrency: options.deliveryConcurrency, limiter: options.limiter, cache: options.cache }),
    interceptors: { activity: options.logger ? [sanitizeDatabaseErrors, logContext(options.logger)] : [sanitizeDatabaseErrors] },
    // A batch cancelled by the shutdown still writes what it sent before its attempt ends.
    shutdownGraceTime: options.shutdownGraceMs ?? 30_000,
    // Batch activities are mostly waiting on sockets; the limit bounds memory, not CPU.
    maxConcurrentActivityTaskExecutions: options.maxActivities ?? 200,
    maxConcurrentWorkflowTaskExecutions: options.maxWorkflowTasks ?? 40,
  });
}
