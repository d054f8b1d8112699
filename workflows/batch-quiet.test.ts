import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useScriptedTemporal, type ActivityDoubles } from '../test/scripted-worker.js';
import type { BatchDelivery, BatchWorkflowInput, RetryOutcome } from './inputs.js';
import { batchPausedSignal } from './messages.js';

/*
 * Workflow-level tests of the batch workflow's quiet-hours waits, with its
 * activities replaced by doubles that answer a wait of a couple of seconds.
 */
const temporal = useScriptedTemporal();

type Answer<T> = (call: number) => T;

/** Runs `body` with a worker whose activities answer through the given functions, and records when each was called. */
async function withWorker(
  answers: { deliverBatch: Answer<BatchDelivery>; deliverOne?: Answer<RetryOutcome> },
  body: (taskQueue: string, calls: Record<'deliverBatch' | 'deliverOne', number[]>) => Promise<void>,
) {
  const calls = { deliverBatch: [] as number[], deliverOne: [] as number[] };
  const doubles: ActivityDoubles = {
    deliverBatch: async () => answers.deliverBatch(calls.deliverBatch.push(Date.now()) - 1),
    deliverOne: async () => {
      if (!answers.deliverOne) throw new Error('no deliverOne answer');
      return answers.deliverOne(calls.deliverOne.push(Date.now()) - 1);
    },
    closeRecipients: async () => 0,
  };
  await temporal.withWorker(doubles, (taskQueue) => body(taskQueue, calls));
}

function start(taskQueue: string, input: Partial<BatchWorkflowInput> = {}) {
  return temporal.client.workflow.start('deliverBatchWorkflow', {
    taskQueue,
    workflowId: `batch-quiet-${randomBytes(4).toString('hex')}`,
    args: [{ campaignId: 'c', runId: 'r', fromSeq: 1, toSeq: 10, paused: false, epoch: 0, ...input }],
  });
}

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('a batch in quiet hours', () => {
  it('sleeps on a durable timer until the quiet hours end, then delivers', async () => {
    let quietEnds = 0;
    await withWorker(
      {
        deliverBatch: (call) => {
          if (call > 0) return { retries: [], interrupted: null };
          quietEnds = Date.now() + 2_000;
          return { retries: [], interrupted: 'quiet', quietUntil: new Date(quietEnds).toISOString() };
        },
      },
      async (taskQueue, calls) => {
        const handle = await start(taskQueue);
        await expect(handle.result()).resolves.toMatchObject({ retried: 0 });
        expect(calls.deliverBatch).toHaveLength(2);
        expect(calls.deliverBatch[1]!).toBeGreaterThanOrEqual(quietEnds);
        const history = await handle.fetchHistory();
        const timers = (history.events ?? []).filter((e) => e.timerStartedEventAttributes);
        expect(timers).toHaveLength(1);
      },
    );
  });

  it('a paused run stays paused after the quiet hours end, until the resume', async () => {
    await withWorker(
      { deliverBatch: (call) => (call === 0 ? { retries: [], interrupted: 'quiet', quietUntil: inMs(1_000) } : { retries: [], interrupted: null }) },
      async (taskQueue, calls) => {
        const handle = await start(taskQueue);
        while (calls.deliverBatch.length === 0) await new Promise((r) => setTimeout(r, 25));
        await handle.signal(batchPausedSignal, true, 1);
        await new Promise((r) => setTimeout(r, 2_000));
        expect(calls.deliverBatch).toHaveLength(1);
        await handle.signal(batchPausedSignal, false, 2);
        await expect(handle.result()).resolves.toMatchObject({ retried: 0 });
        expect(calls.deliverBatch).toHaveLength(2);
      },
    );
  });

  it('a retry due inside quiet hours waits for them to end, then is tried again', async () => {
    let quietEnds = 0;
    await withWorker(
      {
        deliverBatch: () => ({ retries: [{ seq: 3, delayMs: 10 }], interrupted: null }),
        deliverOne: (call) => {
          if (call > 0) return 'succeeded';
          quietEnds = Date.now() + 1_500;
          return { quietUntil: new Date(quietEnds).toISOString() };
        },
      },
      async (taskQueue, calls) => {
        const handle = await start(taskQueue);
        await expect(handle.result()).resolves.toMatchObject({ retried: 1 });
        expect(calls.deliverOne).toHaveLength(2);
        expect(calls.deliverOne[1]!).toBeGreaterThanOrEqual(quietEnds);
      },
    );
  });
});
