import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import { createHookcastWorker } from '../worker/create-worker.js';
import type { TestDatabase } from './database.js';

export interface TestTemporal {
  client: Client;
  taskQueue: string;
  address: string;
  /** Stops the in-process worker (to simulate an outage) and starts it again. */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * The run's one workflow bundle, built by test/global-setup.ts: for in-process
 * workers, replay, and (its `codePath` as WORKFLOW_BUNDLE) worker processes a
 * test spawns.
 */
export function workflowBundle() {
  return { codePath: inject('workflowBundlePath') };
}

/**
 * Connects a test file to the suite's Temporal dev server and runs a real
 * hookcast worker on a task queue of its own, against the file's database.
 */
export function useTemporal(database: TestDatabase, options: { deliveryConcurrency?: number; runWorker?: boolean } = {}): TestTemporal {
  const handle = { taskQueue: `test-${randomBytes(4).toString('hex')}` } as TestTemporal;
  let nativeConnection: NativeConnection;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;

  handle.startWorker = async () => {
    worker = await createHookcastWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue: handle.taskQueue,
      db: database.db,
      deliveryConcurrency: options.deliveryConcurrency ?? 8,
      workflowBundle: workflowBundle(),
    });
    running = worker.run();
  };
  handle.stopWorker = async () => {
    worker?.shutdown();
    await running;
    worker = undefined;
  };

  beforeAll(async () => {
    if (!runtimeInstalled) {
      Runtime.install({ logger: new DefaultLogger('WARN') });
      runtimeInstalled = true;
    }
    handle.address = inject('temporalAddress');
    nativeConnection = await NativeConnection.connect({ address: handle.address });
    handle.client = new Client({ connection: await Connection.connect({ address: handle.address }), namespace: 'default' });
    if (options.runWorker !== false) await handle.startWorker();
  });

  afterAll(async () => {
    if (worker) await handle.stopWorker();
    await handle.client?.connection.close();
    await nativeConnection?.close();
  });

  return handle;
}
