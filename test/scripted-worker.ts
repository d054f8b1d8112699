import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import { workflowBundle } from './temporal.js';
import type { ActivityDoubles } from './workflow-scenarios.js';

export { until, type ActivityDoubles } from './workflow-scenarios.js';

/*
 * The workflow test tier: hookcast's real workflow code on the suite's dev
 * server, with its activities replaced by doubles the test scripts. Durations
 * come in through workflow inputs, so tests of send times, delays and expiry
 * take seconds.
 */

let runtimeInstalled = false;

export interface ScriptedTemporal {
  client: Client;
  /** Runs `body` while a worker with these activity doubles serves a fresh task queue. */
  withWorker<T>(doubles: ActivityDoubles, body: (taskQueue: string) => Promise<T>, taskQueue?: string): Promise<T>;
}

export function useScriptedTemporal(): ScriptedTemporal {
  const handle = {} as ScriptedTemporal;
  let connection: NativeConnection;

  beforeAll(async () => {
    if (!runtimeInstalled) {
      try {
        Runtime.install({ logger: new DefaultLogger('WARN') });
      } catch {
        // Another helper in this process installed it first.
      }
      runtimeInstalled = true;
    }
    const address = inject('temporalAddress');
    connection = await NativeConnection.connect({ address });
    handle.client = new Client({ connection: await Connection.connect({ address }) });
  });

  afterAll(async () => {
    await handle.client?.connection.close();
    await connection?.close();
  });

  handle.withWorker = async (doubles, body, taskQueue = testId('wf-test')) => {
    const worker = await Worker.create({ connection, taskQueue, workflowBundle: workflowBundle(), activities: doubles });
    return worker.runUntil(body(taskQueue));
  };
  return handle;
}

/**
 * One worker with these doubles for a whole test file, on its own task queue,
 * for tests that start workflows and wait on them one by one.
 */
export function useScriptedWorker(doubles: ActivityDoubles): ScriptedTemporal & { taskQueue: string } {
  const temporal = useScriptedTemporal();
  const taskQueue = testId('wf-test');
  let stop: (() => void) | undefined;
  let running: Promise<unknown> | undefined;
  beforeAll(() => {
    running = temporal.withWorker(doubles, () => new Promise<void>((resolve) => (stop = resolve)), taskQueue);
  });
  afterAll(async () => {
    stop?.();
    await running;
  });
  return {
    get client() {
      return temporal.client;
    },
    withWorker: temporal.withWorker,
    taskQueue,
  };
}

/** Durable timers a workflow started (polling would show here). */
export async function timersStarted(handle: { fetchHistory(): Promise<{ events?: { timerStartedEventAttributes?: unknown }[] | null }> }) {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.timerStartedEventAttributes).length;
}

export const testId = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
