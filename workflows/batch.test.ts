import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { workflowsPath } from '../worker/create-worker.js';
import type { BatchDelivery, BatchWorkflowInput, RetryOutcome } from './inputs.js';
import { batchPausedSignal } from './messages.js';

/*
 * Workflow-level tests of the batch workflow on the suite's dev server, with
 * its activities replaced by scripted doubles: what the workflow does with
 * each answer, not what the activities do.
 */
let connection: NativeConnection;
let client: Client;
let workflowBundle: { code: string };

beforeAll(async () => {
  const address = inject('temporalAddress');
  connection = await NativeConnection.connect({ address });
  client = new Client({ connection: await Connection.connect({ address }) });
  workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
});

afterAll(async () => {
  await client?.connection.close();
  await connection?.close();
});

/** Runs `body` with a worker whose activities answer from the scripts, and counts the calls. */
async function withScriptedWorker(script: { deliverBatch: BatchDelivery[]; deliverOne?: RetryOutcome[] }, body: (taskQueue: string, calls: Record<string, number>) => Promise<void>) {
  const taskQueue = `wf-test-${randomBytes(4).toString('hex')}`;
  const calls: Record<string, number> = { deliverBatch: 0, deliverOne: 0 };
  const next = <T>(list: T[] | undefined, name: string): T => {
    const answer = list?.[Math.min(calls[name]!, list.length - 1)];
    calls[name]! += 1;
    if (answer === undefined) throw new Error(`no scripted answer for ${name}`);
    return answer;
  };
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle,
    activities: {
      deliverBatch: async () => next(script.deliverBatch, 'deliverBatch'),
      deliverOne: async () => next(script.deliverOne, 'deliverOne'),
      closeRecipients: async () => 0,
    },
  });
  await worker.runUntil(body(taskQueue, calls));
}

function start(taskQueue: string, input: Partial<BatchWorkflowInput> = {}) {
  return client.workflow.start('deliverBatchWorkflow', {
    taskQueue,
    workflowId: `batch-test-${randomBytes(4).toString('hex')}`,
    args: [{ campaignId: 'c', runId: 'r', fromSeq: 1, toSeq: 10, paused: false, epoch: 0, ...input }],
  });
}

/** Durable timers the workflow started (polling would show here). */
async function timersStarted(handle: { fetchHistory(): Promise<{ events?: { timerStartedEventAttributes?: unknown }[] | null }> }) {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.timerStartedEventAttributes).length;
}

const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('a batch stopped by a pause', () => {
  it('waits for the parent signal of the epoch its activity saw, without polling, and goes on after the resume', async () => {
    await withScriptedWorker({ deliverBatch: [{ retries: [], interrupted: 'pause', epoch: 3 }, { retries: [], interrupted: null }] }, async (taskQueue, calls) => {
      const handle = await start(taskQueue, { epoch: 2 });
      await until(() => calls.deliverBatch === 1);
      // The old code tried again after a 1 s poll; now nothing happens until the signal.
      await new Promise((r) => setTimeout(r, 1500));
      expect(calls.deliverBatch).toBe(1);
      await handle.signal(batchPausedSignal, true, 3);
      await new Promise((r) => setTimeout(r, 300));
      expect(calls.deliverBatch).toBe(1);
      await handle.signal(batchPausedSignal, false, 4);
      await expect(handle.result()).resolves.toMatchObject({ fromSeq: 1, toSeq: 10, retried: 0 });
      expect(calls.deliverBatch).toBe(2);
      expect(await timersStarted(handle)).toBe(0);
    });
  });

  it('tries again at once when it already knows a newer epoch in which the run is not paused', async () => {
    await withScriptedWorker({ deliverBatch: [{ retries: [], interrupted: 'pause', epoch: 5 }, { retries: [], interrupted: null }] }, async (taskQueue, calls) => {
      const handle = await start(taskQueue, { epoch: 6 });
      await expect(handle.result()).resolves.toMatchObject({ retried: 0 });
      expect(calls.deliverBatch).toBe(2);
    });
  });

  it('ignores a stale signal that arrives after a newer one', async () => {
    await withScriptedWorker({ deliverBatch: [{ retries: [], interrupted: 'pause', epoch: 7 }, { retries: [], interrupted: null }] }, async (taskQueue, calls) => {
      const handle = await start(taskQueue, { epoch: 6 });
      await until(() => calls.deliverBatch === 1);
      await handle.signal(batchPausedSignal, false, 8);
      await handle.signal(batchPausedSignal, true, 7);
      await expect(handle.result()).resolves.toMatchObject({ retried: 0 });
      expect(calls.deliverBatch).toBe(2);
    });
  });

  it('holds a user retry paused at its epoch until the resume, then retries it', async () => {
    await withScriptedWorker(
      { deliverBatch: [{ retries: [{ seq: 4, delayMs: 10 }], interrupted: null }], deliverOne: [{ paused: 2 }, 'succeeded'] },
      async (taskQueue, calls) => {
        const handle = await start(taskQueue, { epoch: 1 });
        await until(() => calls.deliverOne === 1);
        await new Promise((r) => setTimeout(r, 1500));
        expect(calls.deliverOne).toBe(1);
        await handle.signal(batchPausedSignal, true, 2);
        await handle.signal(batchPausedSignal, false, 3);
        await expect(handle.result()).resolves.toMatchObject({ retried: 1 });
        expect(calls.deliverOne).toBe(2);
        // One timer: the retry's own delay, no polling.
        expect(await timersStarted(handle)).toBe(1);
      },
    );
  });
});
