import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { until, useScriptedTemporal, type ActivityDoubles } from '../test/scripted-worker.js';
import type { eventRunWorkflow } from './event-run.js';
import type { DueClaimInput, DueDelivery, DueQueue } from './inputs.js';
import { pauseUpdate, progressQuery, resumeUpdate, wakeSignal } from './messages.js';

/*
 * The event run's due-firing queue on the suite's dev server, with a scripted
 * `deliverDue` standing in for the claim and its first attempts: which claims
 * the workflow makes, when, how many at once, and what it does with their
 * answers (held ranges, quiet hours, retries, the end).
 */

const temporal = useScriptedTemporal();

type Answer = Partial<DueDelivery> | ((input: DueClaimInput) => Promise<Partial<DueDelivery>>);

interface Script {
  /** Answers per call, in order; once used up, every claim finds nothing. */
  answers: Answer[];
  calls: (DueClaimInput & { at: number })[];
  log: string[];
  concurrent: number;
  maxConcurrent: number;
}

function script(answers: Answer[]): Script {
  return { answers, calls: [], log: [], concurrent: 0, maxConcurrent: 0 };
}

const nothing: DueDelivery = { fromSeq: null, toSeq: null, claimed: 0, nextDueAt: null, retries: [], interrupted: null };

function doubles(s: Script, extra: ActivityDoubles = {}): ActivityDoubles {
  return {
    deliverDue: async (input: DueClaimInput) => {
      const wait = Date.parse(input.notBefore) - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      s.calls.push({ ...input, at: Date.now() });
      s.concurrent += 1;
      s.maxConcurrent = Math.max(s.maxConcurrent, s.concurrent);
      try {
        const answer = s.answers.shift();
        const partial = typeof answer === 'function' ? await answer(input) : (answer ?? {});
        return { ...nothing, ...partial };
      } finally {
        s.concurrent -= 1;
      }
    },
    setRunControl: async (input) => {
      s.log.push(`control:${input.control}`);
      return s.log.length;
    },
    closeEventRun: async (input) => {
      s.log.push(`close:${input.reason}`);
      return 0;
    },
    endEventCampaign: async (input) => void s.log.push(`end:${input.status}`),
    finalizeEffect: async () => {
      s.log.push('effect');
      return { stored: true };
    },
    adoptTriggerWorkflows: async () => {
      s.log.push('adopt');
      return { adopted: 0, leftToFinish: 0 };
    },
    cancelTriggerWorkflows: async () => {
      s.log.push('sweep');
      return 0;
    },
    closeRecipients: async (input) => {
      s.log.push(`closeRecipients:${input.reason}`);
      return 0;
    },
    ...extra,
  };
}

const queue = (overrides: Partial<DueQueue> = {}): DueQueue => ({ claimLimit: 10, window: 3, paceMs: 300, claimsPerExecution: 100, ...overrides });

function start(taskQueue: string, overrides: { queue?: DueQueue | null; expiresAt?: string | null } = {}): Promise<WorkflowHandleWithFirstExecutionRunId<typeof eventRunWorkflow>> {
  const q = overrides.queue === null ? {} : { queue: overrides.queue ?? queue() };
  return temporal.client.workflow.start('eventRunWorkflow', {
    taskQueue,
    workflowId: `campaign-${randomUUID()}-events`,
    args: [{ campaignId: 'campaign', runId: 'run', expiresAt: overrides.expiresAt ?? null, ...q }],
  }) as Promise<WorkflowHandleWithFirstExecutionRunId<typeof eventRunWorkflow>>;
}

const range = (from: number, n: number): Partial<DueDelivery> => ({ fromSeq: from, toSeq: from + n - 1, claimed: n });

describe('eventRunWorkflow (due-firing queue)', () => {
  it('claims at once, then again at the pace while claims find firings, then sleeps until woken', async () => {
    const s = script([range(1, 3), range(4, 2), nothing]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.calls.length === 3);
      // Non-full claims run one at a time, at least the pace apart.
      expect(s.calls.map((c) => c.claimNo)).toEqual([1, 2, 3]);
      expect(s.maxConcurrent).toBe(1);
      const notBefore = s.calls.map((c) => Date.parse(c.notBefore));
      expect(notBefore[1]! - notBefore[0]!).toBeGreaterThanOrEqual(300);
      expect(notBefore[2]! - notBefore[1]!).toBeGreaterThanOrEqual(300);
      // Nothing due and nothing known to come: no further claim until the relay wakes the run.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(s.calls).toHaveLength(3);
      s.answers.push(range(6, 1));
      await handle.signal(wakeSignal);
      await until(() => s.calls.length === 5);
      expect(s.calls[3]!.claimNo).toBe(4);
      await handle.cancel();
    });
  });

  it('a full claim means a backlog: claims run `window` at a time until one comes back short', async () => {
    const slow = (n: number, from: number) => async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      return range(from, n);
    };
    const s = script([slow(10, 1), slow(10, 11), slow(10, 21), slow(10, 31), slow(4, 41), nothing, nothing, nothing]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.calls.length >= 6);
      expect(s.maxConcurrent).toBe(3);
      expect(new Set(s.calls.map((c) => c.claimNo)).size).toBe(s.calls.length);
      await handle.cancel();
    });
  });

  it('sleeps until the next firing is due when a claim finds nothing due yet', async () => {
    const s = script([async () => ({ ...nothing, nextDueAt: new Date(Date.now() + 1500).toISOString() }), range(1, 1), nothing]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.calls.length === 2, 10_000);
      expect(s.calls[1]!.at - s.calls[0]!.at).toBeGreaterThanOrEqual(1200);
      await handle.cancel();
    });
  });

  it('a pause stops the claims; a range stopped by it goes out again under its claim number after the resume', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const s = script([
      async () => {
        await held;
        return { ...range(1, 5), interrupted: 'pause', epoch: 1 };
      },
      range(1, 5),
      nothing,
    ]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.answers.length === 2);
      const paused = await handle.executeUpdate(pauseUpdate);
      expect(paused.status).toBe('paused');
      release();
      await new Promise((resolve) => setTimeout(resolve, 800));
      // Paused: the held range waits, and no new claim starts.
      expect(s.calls).toHaveLength(1);
      await expect(handle.executeUpdate(pauseUpdate)).rejects.toThrow();
      await handle.executeUpdate(resumeUpdate);
      await until(() => s.calls.length === 3);
      // The held range (claim 1 again) and the next claim go out side by side.
      expect(s.calls[0]!.claimNo).toBe(1);
      expect(s.calls.map((c) => c.claimNo).sort()).toEqual([1, 1, 2]);
      expect(s.log).toEqual(['control:pause', 'control:run']);
      expect((await handle.query(progressQuery)).status).toBe('running');
      await handle.cancel();
    });
  });

  it('quiet hours hold a range until they end, then it and the next claims go out', async () => {
    const s = script([async () => ({ ...range(1, 2), interrupted: 'quiet', quietUntil: new Date(Date.now() + 1200).toISOString() }), range(1, 2), nothing]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.calls.length === 3, 10_000);
      // The held range (claim 1 again) and the next claim go out side by side once the quiet hours end.
      const again = s.calls.slice(1).find((c) => c.claimNo === 1)!;
      expect(again.at - s.calls[0]!.at).toBeGreaterThanOrEqual(1000);
      expect(s.calls.map((c) => c.claimNo).sort()).toEqual([1, 1, 2]);
      expect(Math.min(...s.calls.slice(1).map((c) => c.at)) - s.calls[0]!.at).toBeGreaterThanOrEqual(1000);
      await handle.cancel();
    });
  });

  it('users needing retries go to a batch workflow of their range, which outlives the claim', async () => {
    const retried: number[] = [];
    const s = script([{ ...range(1, 2), retries: [{ seq: 2, delayMs: 50 }] }, nothing]);
    const extra: ActivityDoubles = {
      // The child's first call finds the user already tried: a retry with its remaining delay.
      deliverBatch: async () => ({ retries: [{ seq: 2, delayMs: 10 }], interrupted: null }),
      deliverOne: async (input) => {
        retried.push(input.seq);
        return 'succeeded';
      },
    };
    await temporal.withWorker(doubles(s, extra), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => retried.length === 1);
      const child = temporal.client.workflow.getHandle(`${handle.workflowId}-retry-1-2`);
      await expect(child.result()).resolves.toMatchObject({ fromSeq: 1, toSeq: 2, retried: 1 });
      await handle.cancel();
    });
  });

  it('continues as new every `claimsPerExecution` claims, numbering claims on', async () => {
    const s = script([range(1, 1), range(2, 1), range(3, 1), range(4, 1), nothing]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue, { queue: queue({ claimsPerExecution: 2, paceMs: 50 }) });
      await until(() => s.calls.length === 5);
      expect(s.calls.map((c) => c.claimNo)).toEqual([1, 2, 3, 4, 5]);
      const description = await handle.describe();
      expect(description.runId).not.toBe(handle.firstExecutionRunId);
      await handle.cancel();
    });
  });

  it('at its expiry stops the sends, drops the queue, closes what is pending as expired, and ends the campaign completed', async () => {
    const s = script([range(1, 1)]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue, { expiresAt: new Date(Date.now() + 1500).toISOString() });
      await expect(handle.result()).resolves.toMatchObject({ status: 'completed' });
      // A campaign with a goal stores its effect once its window has closed (the activity decides: here at once).
      expect(s.log).toEqual(['control:cancel', 'close:expired', 'end:completed', 'effect']);
    });
  });

  it('cancelled while a claim sends, it lets the claim record what it sent, then closes the rest as cancelled', async () => {
    let cancelledSeen = false;
    const s = script([
      async () => {
        const activity = Context.current();
        // Heartbeats carry the cancellation to the activity.
        for (let i = 0; i < 100 && !activity.cancellationSignal.aborted; i += 1) {
          activity.heartbeat();
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        cancelledSeen = activity.cancellationSignal.aborted;
        s.log.push('claim recorded');
        throw new (await import('@temporalio/common')).CancelledFailure('cancelled');
      },
    ]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.calls.length === 1);
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      expect(cancelledSeen).toBe(true);
      expect(s.log).toEqual(['control:cancel', 'claim recorded', 'close:cancelled', 'end:cancelled']);
    });
  });

  it('a run of the old shape keeps it until woken, then continues as new on the queue, takes over the per-user workflows and claims', async () => {
    const s = script([range(1, 1), nothing]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue, { queue: null });
      await handle.executeUpdate(pauseUpdate);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(s.calls).toHaveLength(0);
      await handle.signal(wakeSignal);
      await until(() => s.log.includes('adopt'));
      // It took the queue up paused, as it was: nothing is claimed until the resume.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(s.calls).toHaveLength(0);
      await handle.executeUpdate(resumeUpdate);
      await until(() => s.calls.length === 2);
      expect(s.calls[0]!.claimNo).toBe(1);
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      // Per-user workflows that slipped through the take-over are stopped at the end.
      expect(s.log).toEqual(['control:pause', 'adopt', 'control:run', 'control:cancel', 'sweep', 'close:cancelled', 'end:cancelled']);
    });
  });
});
