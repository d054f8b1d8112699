import { describe, expect, it } from 'vitest';
import { testId, timersStarted, until, useScriptedTemporal } from '../test/scripted-worker.js';
import type { BatchDelivery, BatchWorkflowInput, RetryOutcome } from './inputs.js';
import { batchPausedSignal } from './messages.js';

/* What the batch workflow does with each answer of its (scripted) activities. */
const temporal = useScriptedTemporal();

/** Activity doubles answering from scripts, counting their calls. */
function scripted(script: { deliverBatch: BatchDelivery[]; deliverOne?: RetryOutcome[] }) {
  const calls = { deliverBatch: 0, deliverOne: 0 };
  const next = <T>(list: T[] | undefined, name: keyof typeof calls): T => {
    const answer = list?.[Math.min(calls[name], list.length - 1)];
    calls[name] += 1;
    if (answer === undefined) throw new Error(`no scripted answer for ${name}`);
    return answer;
  };
  return {
    calls,
    doubles: {
      deliverBatch: async () => next(script.deliverBatch, 'deliverBatch'),
      deliverOne: async () => next(script.deliverOne, 'deliverOne'),
      closeRecipients: async () => 0,
    },
  };
}

function start(taskQueue: string, input: Partial<BatchWorkflowInput> = {}) {
  return temporal.client.workflow.start('deliverBatchWorkflow', {
    taskQueue,
    workflowId: testId('batch-test'),
    args: [{ campaignId: 'c', runId: 'r', fromSeq: 1, toSeq: 10, paused: false, epoch: 0, ...input }],
  });
}

const pauseFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a batch stopped by a pause', () => {
  it('waits for the parent signal of the epoch its activity saw, without polling, and goes on after the resume', async () => {
    const { calls, doubles } = scripted({ deliverBatch: [{ retries: [], interrupted: 'pause', epoch: 3 }, { retries: [], interrupted: null }] });
    await temporal.withWorker(doubles, async (taskQueue) => {
      const handle = await start(taskQueue, { epoch: 2 });
      await until(() => calls.deliverBatch === 1);
      // The old code tried again after a 1 s poll; now nothing happens until the signal.
      await pauseFor(1500);
      expect(calls.deliverBatch).toBe(1);
      await handle.signal(batchPausedSignal, true, 3);
      await pauseFor(300);
      expect(calls.deliverBatch).toBe(1);
      await handle.signal(batchPausedSignal, false, 4);
      await expect(handle.result()).resolves.toMatchObject({ fromSeq: 1, toSeq: 10, retried: 0 });
      expect(calls.deliverBatch).toBe(2);
      expect(await timersStarted(handle)).toBe(0);
    });
  });

  it('tries again at once when it already knows a newer epoch in which the run is not paused', async () => {
    const { calls, doubles } = scripted({ deliverBatch: [{ retries: [], interrupted: 'pause', epoch: 5 }, { retries: [], interrupted: null }] });
    await temporal.withWorker(doubles, async (taskQueue) => {
      await expect((await start(taskQueue, { epoch: 6 })).result()).resolves.toMatchObject({ retried: 0 });
      expect(calls.deliverBatch).toBe(2);
    });
  });

  it('ignores a stale signal that arrives after a newer one', async () => {
    const { calls, doubles } = scripted({ deliverBatch: [{ retries: [], interrupted: 'pause', epoch: 7 }, { retries: [], interrupted: null }] });
    await temporal.withWorker(doubles, async (taskQueue) => {
      const handle = await start(taskQueue, { epoch: 6 });
      await until(() => calls.deliverBatch === 1);
      await handle.signal(batchPausedSignal, false, 8);
      await handle.signal(batchPausedSignal, true, 7);
      await expect(handle.result()).resolves.toMatchObject({ retried: 0 });
      expect(calls.deliverBatch).toBe(2);
    });
  });

  it('holds a user retry paused at its epoch until the resume, then retries it', async () => {
    const { calls, doubles } = scripted({ deliverBatch: [{ retries: [{ seq: 4, delayMs: 10 }], interrupted: null }], deliverOne: [{ paused: 2 }, 'succeeded'] });
    await temporal.withWorker(doubles, async (taskQueue) => {
      const handle = await start(taskQueue, { epoch: 1 });
      await until(() => calls.deliverOne === 1);
      await pauseFor(1500);
      expect(calls.deliverOne).toBe(1);
      await handle.signal(batchPausedSignal, true, 2);
      await handle.signal(batchPausedSignal, false, 3);
      await expect(handle.result()).resolves.toMatchObject({ retried: 1 });
      expect(calls.deliverOne).toBe(2);
      // One timer: the retry's own delay, no polling.
      expect(await timersStarted(handle)).toBe(1);
    });
  });
});
