import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { describe, expect, it } from 'vitest';
import { until, useScriptedTemporal, type ActivityDoubles } from '../test/scripted-worker.js';
import { byOperator } from '../test/workflow-scenarios.js';
import type { eventRunWorkflow } from './event-run.js';
import { START_LEAD_MS, type DueClaimInput, type DueDelivery, type DueQueue } from './inputs.js';
import { pauseUpdate, progressQuery, resumeUpdate, wakeSignal } from './messages.js';

/*
 * The event run's due-firing queue on the suite's dev server, with a scripted
 * `deliverDue` standing in for a sending activity (its claims and their first
 * attempts): which activities the workflow starts, when, how many at once,
 * on which claim numbers, and what it does with their answers (held claims,
 * quiet hours, retries, the end).
 */

const temporal = useScriptedTemporal();

type Answer = Partial<DueDelivery> | ((input: DueClaimInput) => Promise<Partial<DueDelivery>>);

interface Script {
  /** Answers per sending activity, in order; once used up, every activity finds nothing due. */
  answers: Answer[];
  /** Each activity's input, when it started (`startedAt`) and when it claimed, after waiting for its `notBefore` (`at`). */
  calls: (DueClaimInput & { startedAt: number; at: number })[];
  log: string[];
  concurrent: number;
  maxConcurrent: number;
}

function script(answers: Answer[]): Script {
  return { answers, calls: [], log: [], concurrent: 0, maxConcurrent: 0 };
}

function doubles(s: Script, extra: ActivityDoubles = {}): ActivityDoubles {
  return {
    deliverDue: async (input: DueClaimInput) => {
      const startedAt = Date.now();
      const wait = Date.parse(input.notBefore) - startedAt;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      s.calls.push({ ...input, startedAt, at: Date.now() });
      s.concurrent += 1;
      s.maxConcurrent = Math.max(s.maxConcurrent, s.concurrent);
      try {
        const answer = s.answers.shift();
        const partial = typeof answer === 'function' ? await answer(input) : (answer ?? {});
        const nothing: DueDelivery = { ranges: [], stopped: 'idle', heldClaim: null, nextDueAt: null, resumeAt: new Date(Date.now() + input.paceMs).toISOString() };
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

const queue = (overrides: Partial<DueQueue> = {}): DueQueue => ({ claimLimit: 10, window: 3, paceMs: 300, claimsPerActivity: 3, activityMs: 2000, activitiesPerExecution: 100, ...overrides });

function start(taskQueue: string, overrides: { queue?: DueQueue | null; expiresAt?: string | null } = {}): Promise<WorkflowHandleWithFirstExecutionRunId<typeof eventRunWorkflow>> {
  const q = overrides.queue === null ? {} : { queue: overrides.queue ?? queue() };
  return temporal.client.workflow.start('eventRunWorkflow', {
    taskQueue,
    workflowId: `campaign-${randomUUID()}-events`,
    args: [{ campaignId: 'campaign', runId: 'run', expiresAt: overrides.expiresAt ?? null, ...q }],
  }) as Promise<WorkflowHandleWithFirstExecutionRunId<typeof eventRunWorkflow>>;
}

/** What a sending activity answers when it sent `ranges` (claim number, first position, users) and stopped `stopped`. */
function sent(stopped: DueDelivery['stopped'], ranges: [number, number, number][], more: Partial<DueDelivery> = {}): Partial<DueDelivery> {
  return { stopped, ranges: ranges.map(([claimNo, fromSeq, n]) => ({ claimNo, fromSeq, toSeq: fromSeq + n - 1, retries: 0 })), ...more };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An answer for activities that keep sending until `release()`, then answer that they used up their budget on one user. */
function sendingUntilReleased() {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held = async (input: DueClaimInput) => {
    await gate;
    return sent('budget', [[input.claimNo, input.claimNo, 1]]);
  };
  return { held, release };
}

describe('eventRunWorkflow (due-firing queue)', () => {
  it('starts sending at once, goes on while activities use up their budget, then sleeps until woken; each activity has its own block of claim numbers', async () => {
    const s = script([
      async (input) => sent('budget', [[input.claimNo, 1, 3], [input.claimNo + 1, 4, 2], [input.claimNo + 2, 6, 1]], { resumeAt: new Date(Date.now() + 400).toISOString() }),
      sent('idle', []),
    ]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.calls.length === 2);
      expect(s.calls.map((c) => [c.claimNo, c.claims])).toEqual([[1, 3], [4, 3]]);
      expect(s.maxConcurrent).toBe(1);
      // The next activity waits for the pace after the last claim of the one before.
      expect(Date.parse(s.calls[1]!.notBefore) - s.calls[0]!.at).toBeGreaterThanOrEqual(350);
      // Nothing due and nothing known to come: no further activity until the relay wakes the run.
      await sleep(1000);
      expect(s.calls).toHaveLength(2);
      await handle.signal(wakeSignal);
      await until(() => s.calls.length === 3);
      expect(s.calls[2]!.claimNo).toBe(7);
      expect((await handle.query(progressQuery)).batchesDone).toBe(3);
      await handle.cancel();
    });
  });

  it('a wake while activities send (a range still sending after the pace) starts another beside them, up to the window', async () => {
    const { held, release } = sendingUntilReleased();
    const s = script([held, held, held, held]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.calls.length === 1);
      for (let i = 0; i < 4; i += 1) {
        await handle.signal(wakeSignal);
        await sleep(400);
      }
      await until(() => s.calls.length === 3);
      await sleep(500);
      // At most `window` activities at once, each with its own block.
      expect(s.maxConcurrent).toBe(3);
      expect(s.calls.map((c) => c.claimNo)).toEqual([1, 4, 7]);
      release();
      await until(() => s.calls.length >= 4);
      await handle.cancel();
    });
  });

  it('a burst ask (a full claim with more due behind it) starts activities up to the window at once; a plain wake, one', async () => {
    const { held, release } = sendingUntilReleased();
    const s = script([sent('idle', []), held, held, held]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      // A window of 3.
      const handle = await start(taskQueue);
      try {
        await until(() => s.calls.length === 1);
        await sleep(300);
        await handle.signal(wakeSignal);
        await until(() => s.calls.length === 2);
        await sleep(500);
        expect(s.calls).toHaveLength(2);
        // From the one sending activity: the two free places of the window at once.
        await handle.signal(wakeSignal, 'burst');
        await until(() => s.calls.length === 4, 3000);
        await sleep(500);
        expect(s.maxConcurrent).toBe(3);
        // Started in one workflow task, the two may reach the worker in either order.
        expect(s.calls.map((c) => c.claimNo).sort((a, b) => a - b)).toEqual([1, 4, 7, 10]);
        // They claim at once, not a pace after the last claim.
        for (const c of s.calls.slice(2)) expect(Date.parse(c.notBefore)).toBeLessThanOrEqual(c.startedAt + 50);
      } finally {
        release();
        await handle.cancel();
      }
    });
  });

  it("an activity ending idle beside one that used up its budget does not cancel the latter's successor", async () => {
    // The idle one left the run awake (its sibling was claiming: triggers/due.ts `quietSince`), so no wake would follow.
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const s = script([
      async (input) => {
        await gate;
        return sent('budget', [[input.claimNo, input.claimNo, 1]]);
      },
      async () => {
        await gate;
        // Just after the first, so both completions usually reach the workflow in one task, budget first.
        await new Promise((resolve) => setImmediate(resolve));
        return sent('idle', []);
      },
      sent('idle', []),
    ]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.calls.length === 1);
      await handle.signal(wakeSignal);
      await until(() => s.calls.length === 2);
      release();
      await until(() => s.calls.length === 3, 5000);
      expect(s.calls[2]!.claimNo).toBe(7);
      await handle.cancel();
    });
  });

  it('sleeps until shortly before the next firing is due when an activity finds nothing due yet; the next activity claims from its due time', async () => {
    let dueAt = 0;
    const s = script([
      async () => {
        dueAt = Date.now() + 2000;
        return sent('idle', [], { nextDueAt: new Date(dueAt).toISOString() });
      },
      sent('budget', [[4, 1, 1]]),
      sent('idle', []),
    ]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.calls.length === 2, 10_000);
      // The run's timer was set to end START_LEAD_MS before the due time (from the workflow's clock: the time its
      // task started), not at it: the timer and the activity's start take time of their own.
      const events = (await handle.fetchHistory()).events ?? [];
      const second = events.findLastIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverDue');
      const timer = events.slice(0, second).findLastIndex((e) => e.timerStartedEventAttributes);
      const taskStarted = events.slice(0, timer).findLast((e) => e.workflowTaskStartedEventAttributes);
      const fireAt = tsToMs(taskStarted?.eventTime) + tsToMs(events[timer]!.timerStartedEventAttributes!.startToFireTimeout);
      expect(Math.abs(fireAt - (dueAt - START_LEAD_MS))).toBeLessThanOrEqual(20);
      // The activity claims from the due time on; due times are read to the millisecond, rounded down: one more.
      expect(Date.parse(s.calls[1]!.notBefore)).toBeGreaterThanOrEqual(dueAt + 1);
      expect(s.calls[1]!.at).toBeGreaterThanOrEqual(dueAt);
      await handle.cancel();
    });
  });

  it('a wake signal before the next firing is due starts an activity that claims at once, not at that due time', async () => {
    const s = script([async () => sent('idle', [], { nextDueAt: new Date(Date.now() + 60_000).toISOString() }), sent('idle', [])]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.calls.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await handle.signal(wakeSignal);
      await until(() => s.calls.length === 2);
      expect(Date.parse(s.calls[1]!.notBefore)).toBeLessThanOrEqual(s.calls[1]!.at);
      await handle.cancel();
    });
  });

  it('a pause stops the activities; a range stopped by it goes out again under its claim number, with the rest of its block, after the resume', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const s = script([
      async () => {
        await held;
        return sent('pause', [[1, 1, 5], [2, 6, 5]], { heldClaim: 2 });
      },
      sent('budget', [[2, 6, 5]]),
      sent('idle', []),
      sent('idle', []),
    ]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.calls.length === 1);
      const paused = await handle.executeUpdate(pauseUpdate, byOperator('pause', 0));
      expect(paused.status).toBe('paused');
      release();
      await sleep(800);
      // Paused: the held claim waits, and no activity starts.
      expect(s.calls).toHaveLength(1);
      await expect(handle.executeUpdate(pauseUpdate, byOperator('pause', 1))).rejects.toThrow();
      await handle.executeUpdate(resumeUpdate, byOperator('resume', 1));
      await until(() => s.calls.length >= 3);
      // The held claim 2 goes out again, with claim 3 of its block still to use; the next block starts beside it.
      expect(s.calls.slice(1).map((c) => [c.claimNo, c.claims]).sort()).toEqual([[2, 2], [4, 3]]);
      expect(s.log).toEqual(['control:pause', 'control:run']);
      expect((await handle.query(progressQuery)).status).toBe('running');
      await handle.cancel();
    });
  });

  it('quiet hours hold a range until they end, then it and the next claims go out', async () => {
    const s = script([async () => sent('quiet', [[1, 1, 2]], { heldClaim: 1, quietUntil: new Date(Date.now() + 1200).toISOString() }), sent('budget', [[1, 1, 2]]), sent('idle', [])]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue);
      await until(() => s.calls.slice(1).some((c) => c.claimNo === 1), 10_000);
      // The held range goes out again with the rest of its block; it and any next block start only when the quiet hours end.
      const after = s.calls.slice(1);
      expect(after.map((c) => [c.claimNo, c.claims])).toContainEqual([1, 3]);
      for (const call of after) expect(call.at - s.calls[0]!.at).toBeGreaterThanOrEqual(1000);
      await handle.cancel();
    });
  });

  it('users needing retries go to a batch workflow of their range, which outlives the claim', async () => {
    const retried: number[] = [];
    const s = script([{ stopped: 'idle', ranges: [{ claimNo: 1, fromSeq: 1, toSeq: 2, retries: 1 }] }]);
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

  it('continues as new every `activitiesPerExecution` activities, numbering claims on', async () => {
    const s = script([sent('budget', [[1, 1, 1]]), sent('budget', [[4, 2, 1]]), sent('budget', [[7, 3, 1]]), sent('budget', [[10, 4, 1]]), sent('idle', [])]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue, { queue: queue({ activitiesPerExecution: 2, paceMs: 50 }) });
      await until(() => s.calls.length === 5);
      expect(s.calls.map((c) => c.claimNo)).toEqual([1, 4, 7, 10, 13]);
      const description = await handle.describe();
      expect(description.runId).not.toBe(handle.firstExecutionRunId);
      await handle.cancel();
    });
  });

  it('at its expiry stops the sends, drops the queue, closes what is pending as expired, and ends the campaign completed', async () => {
    const s = script([sent('idle', [[1, 1, 1]])]);
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
    const s = script([sent('budget', [[1, 1, 1]]), sent('idle', [])]);
    await temporal.withWorker(doubles(s), async (taskQueue) => {
      const handle = await start(taskQueue, { queue: null });
      await handle.executeUpdate(pauseUpdate, byOperator('pause', 0));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(s.calls).toHaveLength(0);
      await handle.signal(wakeSignal);
      await until(() => s.log.includes('adopt'));
      // It took the queue up paused, as it was: nothing is claimed until the resume.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(s.calls).toHaveLength(0);
      await handle.executeUpdate(resumeUpdate, byOperator('resume', 1));
      await until(() => s.calls.length === 2);
      expect(s.calls[0]!.claimNo).toBe(1);
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      // Per-user workflows that slipped through the take-over are stopped at the end.
      expect(s.log).toEqual(['control:pause', 'adopt', 'control:run', 'control:cancel', 'sweep', 'close:cancelled', 'end:cancelled']);
    });
  });
});
