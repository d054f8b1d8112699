import type { Client } from '@temporalio/client';
import type { BatchDelivery, CampaignWorkflowInput, RetryOutcome } from '../workflows/inputs.js';
import { controlUpdate, pauseUpdate, resumeUpdate, wakeSignal } from '../workflows/messages.js';
import type { Activities } from '../activities/index.js';
import { workflowIds } from '../contracts/workflow-ids.js';

/** Who the scenarios' pauses and resumes come from, as the API names an operator's key. */
export const OPERATOR = 'key ops-1';

/** The operator's pause or resume Update options on a run whose control epoch is `epoch`. */
export const byOperator = (verb: 'pause' | 'resume', epoch: number) => controlUpdate(verb, OPERATOR, epoch);

export type ActivityDoubles = Partial<{ [K in keyof Activities]: (...args: Parameters<Activities[K]>) => Promise<unknown> }>;

/** Waits until `check` holds (polling the test's own state, not the workflow). */
export async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Activity doubles for a whole campaign run: they log what the workflow asked
 * for, count control epochs like the real flag, and answer batches from
 * `batch` (every user sent, by default).
 */
export function campaignDoubles(options: { total: number; batch?: (input: { fromSeq: number; toSeq: number }) => Promise<BatchDelivery>; retry?: () => Promise<RetryOutcome> }) {
  const log: string[] = [];
  let epoch = 0;
  const doubles: ActivityDoubles = {
    recordCampaignStatus: async (input) => void log.push(`status:${input.status}`),
    freezeAudience: async () => {
      log.push('freeze');
      return { total: options.total, skipped: 0 };
    },
    setRunControl: async (input) => {
      epoch += 1;
      log.push(`control:${input.control}`);
      return epoch;
    },
    finishRun: async (input) => void log.push(`finish:${input.status}`),
    closeRecipients: async (input) => {
      log.push(`close:${input.reason}`);
      return 0;
    },
    deliverBatch: async (input) => {
      log.push(`batch:${input.fromSeq}-${input.toSeq}`);
      return options.batch ? options.batch(input) : { retries: [], interrupted: null };
    },
    deliverOne: async (input) => {
      log.push(`retry:${input.seq}`);
      return options.retry ? options.retry() : 'succeeded';
    },
    // A run without a goal: nothing to wait for.
    finalizeEffect: async () => ({ stored: false }),
  };
  return { log, doubles, epoch: () => epoch };
}

export function campaignInput(overrides: Partial<CampaignWorkflowInput> = {}): CampaignWorkflowInput {
  return { campaignId: 'campaign', runId: 'run', sendAt: new Date().toISOString(), expiresAt: null, batchSize: 2, window: 2, childrenPerExecution: 100, ...overrides };
}

/**
 * A one-time run that meets every operator path of today's workflow code: a
 * send time, a batch stopped by a pause and carried on after the resume (by
 * control epoch), a user retried, and a continue-as-new. Used by the workflow
 * tests and to record the replay histories (scripts/record-histories.ts).
 */
export async function pauseResumeScenario(
  client: Client,
  workflowId: string,
  withWorker: <T>(doubles: ActivityDoubles, body: (taskQueue: string) => Promise<T>) => Promise<T>,
) {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let batches = 0;
  const run = campaignDoubles({
    total: 5,
    batch: async () => {
      batches += 1;
      if (batches === 1) {
        // The first batch is sending when the operator pauses: it stops at the pause's epoch.
        await held;
        return { retries: [], interrupted: 'pause', epoch: run.epoch() };
      }
      if (batches === 2) return { retries: [{ seq: 1, delayMs: 20 }], interrupted: null };
      return { retries: [], interrupted: null };
    },
  });
  return withWorker(run.doubles, async (taskQueue) => {
    const handle = await client.workflow.start('campaignWorkflow', {
      taskQueue,
      workflowId,
      args: [campaignInput({ sendAt: new Date(Date.now() + 500).toISOString(), batchSize: 1, window: 1, childrenPerExecution: 3 })],
    });
    await until(() => batches === 1);
    // Sent as the API sends them: named by who asked and the epoch they make.
    const paused = await handle.executeUpdate(pauseUpdate, byOperator('pause', run.epoch()));
    release();
    const resumed = await handle.executeUpdate(resumeUpdate, byOperator('resume', run.epoch()));
    const result = await handle.result();
    return { handle, log: run.log, paused, resumed, result };
  });
}

/**
 * One firing of a recurring campaign's schedule (started directly, so its
 * nominal time is its start): it opens its run, sends two users in two
 * batches, and settles the campaign.
 */
export async function recurringFiringScenario(client: Client, workflowId: string, withWorker: <T>(doubles: ActivityDoubles, body: (taskQueue: string) => Promise<T>) => Promise<T>) {
  const run = campaignDoubles({ total: 2 });
  const doubles: ActivityDoubles = {
    ...run.doubles,
    openFiring: async () => ({ status: 'open', runId: 'firing-run', sendAt: new Date().toISOString(), expiresAt: null }),
    settleRecurringCampaign: async () => {
      run.log.push('settle');
      return 'live';
    },
  };
  return withWorker(doubles, async (taskQueue) => {
    const handle = await client.workflow.start('recurringFiringWorkflow', {
      taskQueue,
      workflowId,
      args: [{ campaignId: 'campaign', batchSize: 1, window: 1, childrenPerExecution: 10 }],
    });
    const result = await handle.result();
    return { handle, log: run.log, result };
  });
}

/**
 * The end of a recurring campaign: the workflow sleeps until `endAt` (a
 * second ahead), then settles the campaign once.
 */
export async function recurringEndScenario(client: Client, workflowId: string, withWorker: <T>(doubles: ActivityDoubles, body: (taskQueue: string) => Promise<T>) => Promise<T>) {
  const log: string[] = [];
  const doubles: ActivityDoubles = {
    settleRecurringCampaign: async (input) => {
      log.push(`settle:${input.campaignId}`);
      return 'completed';
    },
  };
  return withWorker(doubles, async (taskQueue) => {
    const endAt = new Date(Date.now() + 1000).toISOString();
    const handle = await client.workflow.start('recurringEndWorkflow', { taskQueue, workflowId, args: [{ campaignId: 'campaign', endAt }] });
    await handle.result();
    return { handle, log, endAt };
  });
}

/**
 * One user of an event-triggered campaign: two events within the window fire
 * a send after a short delay; the send is first held by a pause (the control
 * epoch), then goes out.
 */
export async function eventTriggerScenario(client: Client, workflowId: string, withWorker: <T>(doubles: ActivityDoubles, body: (taskQueue: string) => Promise<T>) => Promise<T>) {
  const log: string[] = [];
  let sends = 0;
  const doubles: ActivityDoubles = {
    recordTriggeredDelivery: async (input) => {
      log.push(`record:${input.deliveryKey}`);
      return { status: 'pending', seq: 1 };
    },
    deliverOne: async () => {
      sends += 1;
      log.push(`send:${sends}`);
      return sends === 1 ? { paused: 1 } : 'succeeded';
    },
    deliverTriggered: async (input) => {
      log.push(`record:${input.deliveryKey}`);
      sends += 1;
      log.push(`send:${sends}`);
      return { status: 'pending', seq: 1, outcome: sends === 1 ? { paused: 1 } : 'succeeded' };
    },
  };
  return withWorker(doubles, async (taskQueue) => {
    const now = Date.now();
    const handle = await client.workflow.signalWithStart('eventTriggerWorkflow', {
      taskQueue,
      workflowId,
      args: [{ campaignId: 'campaign', runId: 'event-run', userId: 'user', plan: { times: 2, withinMs: 60_000, delayMs: 300, atMostEveryMs: null }, pauseRecheckMs: 200 }],
      signal: 'events',
      signalArgs: [[{ id: 1, at: now }]],
    });
    await handle.signal('events', [{ id: 2, at: now + 1 }]);
    const result = await handle.result();
    return { handle, log, result };
  });
}

/**
 * The run of an event-triggered campaign, as the code before the due-firing
 * queue ran it: an operator pause and resume (Updates), then its end, by
 * expiry (`expiresAt` given) or by cancellation.
 */
export async function eventRunScenario(
  client: Client,
  workflowId: string,
  withWorker: <T>(doubles: ActivityDoubles, body: (taskQueue: string) => Promise<T>) => Promise<T>,
  end: 'expiry' | 'cancel',
) {
  const log: string[] = [];
  let epoch = 0;
  const doubles: ActivityDoubles = {
    setRunControl: async (input) => {
      epoch += 1;
      log.push(`control:${input.control}`);
      return epoch;
    },
    cancelTriggerWorkflows: async () => {
      log.push('sweep');
      return 0;
    },
    closeRecipients: async (input) => {
      log.push(`close:${input.reason}`);
      return 0;
    },
    endEventCampaign: async (input) => void log.push(`end:${input.status}`),
  };
  return withWorker(doubles, async (taskQueue) => {
    const handle = await client.workflow.start('eventRunWorkflow', {
      taskQueue,
      workflowId,
      args: [{ campaignId: 'campaign', runId: 'event-run', expiresAt: end === 'expiry' ? new Date(Date.now() + 1500).toISOString() : null }],
    });
    await handle.executeUpdate(pauseUpdate, byOperator('pause', 0));
    await handle.executeUpdate(resumeUpdate, byOperator('resume', 1));
    if (end === 'cancel') await handle.cancel();
    const result = await handle.result().catch((error: unknown) => error);
    return { handle, log, result };
  });
}

/**
 * The run of an event-triggered campaign on the due-firing queue: a claim
 * whose range has a user to retry (its retries go to a batch workflow of the
 * range), a claim stopped by the operator's pause and sent again after the
 * resume, a firing falling due while the run sleeps, a sending activity's
 * burst ask once it sleeps again (the run fills its window), then nothing due
 * until the campaign's expiry, 4 s after the start, ends it.
 */
export async function eventQueueScenario(client: Client, workflowId: string, withWorker: <T>(doubles: ActivityDoubles, body: (taskQueue: string) => Promise<T>) => Promise<T>) {
  const log: string[] = [];
  let claims = 0;
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const answer = (stopped: 'idle' | 'budget' | 'pause', ranges: [number, number, number, number][], heldClaim: number | null = null, nextDueAt: string | null = null) => ({
    stopped,
    ranges: ranges.map(([claimNo, fromSeq, toSeq, retries]) => ({ claimNo, fromSeq, toSeq, retries })),
    heldClaim,
    nextDueAt,
    resumeAt: new Date(Date.now() + 100).toISOString(),
  });
  const doubles: ActivityDoubles = {
    deliverDue: async (input) => {
      claims += 1;
      log.push(`claim:${input.claimNo}`);
      if (claims === 1) return answer('budget', [[input.claimNo, 1, 2, 1]]);
      if (claims === 2) {
        await held;
        return answer('pause', [[input.claimNo, 3, 3, 0]], input.claimNo);
      }
      // A firing inside its delay (both activities that end now see it): the run sleeps until it falls due, then claims again.
      const soon = new Date(Date.now() + 800).toISOString();
      if (claims === 3) return answer('idle', [[input.claimNo, 3, 3, 0]], null, soon);
      if (claims === 4) return answer('idle', [], null, soon);
      return answer('idle', []);
    },
    deliverBatch: async () => ({ retries: [{ seq: 2, delayMs: 10 }], interrupted: null }),
    deliverOne: async (input) => {
      log.push(`retry:${input.seq}`);
      return 'succeeded';
    },
    setRunControl: async (input) => {
      log.push(`control:${input.control}`);
      return log.length;
    },
    closeEventRun: async (input) => {
      log.push(`close:${input.reason}`);
      return 0;
    },
    endEventCampaign: async (input) => void log.push(`end:${input.status}`),
    finalizeEffect: async () => {
      log.push('effect');
      return { stored: true };
    },
  };
  return withWorker(doubles, async (taskQueue) => {
    const handle = await client.workflow.start('eventRunWorkflow', {
      taskQueue,
      workflowId,
      args: [
        {
          campaignId: 'campaign',
          runId: 'event-run',
          expiresAt: new Date(Date.now() + 4000).toISOString(),
          queue: { claimLimit: 10, window: 2, paceMs: 100, claimsPerActivity: 5, activityMs: 1000, activitiesPerExecution: 50 },
        },
      ],
    });
    await until(() => claims === 2);
    await handle.executeUpdate(pauseUpdate, byOperator('pause', 0));
    release();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await handle.executeUpdate(resumeUpdate, byOperator('resume', 1));
    // Asleep once the firing that fell due is claimed: a sending activity's burst ask wakes it.
    await until(() => claims === 5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await handle.signal(wakeSignal, 'burst');
    const result = await handle.result();
    await client.workflow.getHandle(workflowIds.retries(workflowId, 1, 2)).result();
    return { handle, log, result };
  });
}

/**
 * A maintenance pass with doubles: answer bodies kept for ever (`keep`), three
 * steps of delivery rows and two of events, continuing as new after every two
 * steps. Answers the steps the doubles were asked for and the result.
 */
export async function retentionScenario(client: Client, workflowId: string, withWorker: <T>(doubles: ActivityDoubles, body: (taskQueue: string) => Promise<T>) => Promise<T>) {
  const asked: { stage: string; cutoff: string; cursor: unknown; limit: number }[] = [];
  const script: Record<string, { changed: number; cursor: Record<string, unknown>; done: boolean }[]> = {
    deliveries: [
      { changed: 5, cursor: { runId: 'r1', afterSeq: 5 }, done: false },
      { changed: 2, cursor: { runId: 'r2', afterSeq: 0 }, done: false },
      { changed: 4, cursor: {}, done: true },
    ],
    events: [
      { changed: 5, cursor: { afterId: 5 }, done: false },
      { changed: 1, cursor: { afterId: 10 }, done: true },
    ],
  };
  const doubles: ActivityDoubles = {
    applyRetention: async (step) => {
      asked.push(step);
      return script[step.stage]!.shift()!;
    },
  };
  const { result, firstRunId } = await withWorker(doubles, async (taskQueue) => {
    const handle = await client.workflow.start('retentionWorkflow', {
      taskQueue,
      workflowId,
      args: [{ days: { responseBodies: null, deliveries: 395, events: 30 }, batchSize: 5, stepsPerExecution: 2 }],
    });
    return { result: await handle.result(), firstRunId: handle.firstExecutionRunId };
  });
  return { asked, result, firstRunId };
}
