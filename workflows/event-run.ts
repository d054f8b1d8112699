import {
  ActivityCancellationType,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { CampaignStatusKey } from '../temporal/search-attributes.js';
import { deliverBatchWorkflow } from './batch.js';
import { EFFECT_PATCH, settleEffect } from './effect.js';
import { workflowIds } from '../contracts/workflow-ids.js';
import { DEFAULT_DUE_QUEUE, START_LEAD_MS, type DueDelivery, type DueQueue } from './inputs.js';
import { pauseUpdate, progressQuery, resumeUpdate, wakeSignal, type CampaignProgress, type ControlRequest, type RunStatus } from './messages.js';
import { eventRunDetails, summaries } from './summaries.js';

/** What an execution hands the next when it continues as new: counters and claim numbers only. */
export interface EventRunCarried {
  /** The next claim's number (claims are numbered per run, so a repeated number answers the same range). */
  nextClaim: number;
  /**
   * Claims whose range a pause or quiet hours stopped: sent again, under the
   * same number, once that is over, by an activity that may go on with the
   * claim numbers left of its block.
   */
  held: HeldClaim[];
  paused: boolean;
  /** Epoch ms the campaign's quiet hours end, while they hold the sends. */
  quietUntil: number | null;
  /** The run was started before the due-firing queue: take over its per-user workflows first. */
  adopt?: boolean;
  /** Per-user workflows were taken over: the run's end cancels any that slipped through. */
  adopted?: boolean;
  claimsDone: number;
  continuedAsNew: number;
}

/** A held claim, and how many claim numbers its activity's block has from it on. */
export interface HeldClaim {
  claimNo: number;
  claims: number;
}

/** Ids and times only. */
export interface EventRunInput {
  campaignId: string;
  runId: string;
  /** ISO time after which the campaign stops listening and ends `completed`; null: until cancelled. */
  expiresAt: string | null;
  /**
   * How the run works through its due firings. Absent in runs started before
   * the due-firing queue: those keep their old shape until their first wake,
   * then continue as new on this one.
   */
  queue?: DueQueue;
  carried?: EventRunCarried;
}

/** An idle activity leaves a sibling's ask for a successor (`more`) alone. */
const IDLE_KEEPS_MORE_PATCH = 'event-run-idle-keeps-more';

/** A sending activity for the next firing starts START_LEAD_MS before it falls due (see inputs.ts). */
const START_LEAD_PATCH = 'event-run-start-lead';

/** A burst ask (a sending activity's full claim with more due behind it) starts activities up to the window at once. */
const FILL_ON_BURST_PATCH = 'event-run-fill-on-burst';

/** Marks an execution of the old shape that continued as new onto the due-firing queue. */
const UPGRADE_PATCH = 'event-run-due-queue';

const control = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Stopping (or taking over) every per-user workflow of a big campaign takes a while: it heartbeats. */
const sweep = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Acknowledged within the Update's own workflow task, like the batch run's controls. */
const localControl = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds' },
});

/** A claim and the first attempts of its range, like a batch's (workflows/batch.ts). */
const sending = proxyActivities<Activities>({
  // On cancel, wait for the activity to record its in-flight requests before the run closes the rest.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * The run of an event-triggered campaign: one long-lived workflow that works
 * through the campaign's due firings (rows the relay writes to PostgreSQL as
 * events complete the trigger) in batches, and the place the operator's
 * controls go, with the same Updates and query as a batch run.
 *
 * A sending activity claims due firings into the run's audience as ranges of
 * positions (checking the segment then) and makes their first attempts
 * through the batch path (leases, limits, quiet hours, caps, breaker), one
 * claim after another, at least `paceMs` apart unless the last was full (so
 * firings gather into batches), up to `claimsPerActivity` claims or
 * `activityMs`: while events keep coming Temporal sees one activity every
 * `activityMs`, not one per claim or per send. Each activity gets a block of
 * claim numbers, so activities never share one. A range still sending after
 * the pace wakes the run, which starts another activity beside it, up to
 * `window`. When an activity finds nothing due, the run sleeps until
 * START_LEAD_MS before the next firing's due time (the activity it starts
 * then waits for it) or the relay's wake signal. Users needing retries go
 * to a child batch workflow of their range, left to itself. Pause stops the
 * claims (firings falling due meanwhile wait and go out after the resume; the
 * relay drops events meanwhile); cancel or the expiry stops the sends, drops
 * the waiting firings and counting state, closes what is pending, and ends the
 * campaign; a campaign that ends at its expiry then stores its conversion
 * effect once the last goal window has closed (workflows/effect.ts). The run
 * continues as new every `activitiesPerExecution` activities.
 */
export async function eventRunWorkflow(input: EventRunInput): Promise<CampaignProgress> {
  if (!input.queue) return legacyRun(input);
  return runQueue(input, input.queue);
}

async function runQueue(input: EventRunInput, queue: DueQueue): Promise<CampaignProgress> {
  const carried = input.carried;
  const expiresAt = input.expiresAt ? Date.parse(input.expiresAt) : null;
  let status: RunStatus = carried?.paused ? 'paused' : 'running';
  let nextClaim = carried?.nextClaim ?? 1;
  const held: HeldClaim[] = [...(carried?.held ?? [])];
  let quietUntil = carried?.quietUntil ?? null;
  let adopted = carried?.adopted ?? false;
  let claimsDone = carried?.claimsDone ?? 0;
  let activitiesHere = 0;
  /** Something may be due: a fresh execution looks once (events may have come while it started or continued as new). */
  let woken = true;
  /** The last activity stopped with firings still coming (its budget used up): start the next at once. */
  let more = false;
  let nextDueAt: number | null = null;
  const lead = patched(START_LEAD_PATCH) ? START_LEAD_MS : 0;
  /**
   * A sending activity asked for help with a burst: start activities until the window is full. One a wake
   * filled a window of 4 in about 2 s on the dev server `npm start` runs (each ask waits for its own
   * activity's start and first claim), while the burst's first firings waited.
   */
  const fillOnBurst = patched(FILL_ON_BURST_PATCH);
  let burst = false;
  /** The due time the last activity started ahead of waits for: activities a burst asks for before it wait too. */
  let aheadOf = 0;
  /** When the next claim may start: the pace after the last claim. */
  let resumeAt = 0;
  /** Bumped by everything that can change what the loop does next: it waits for a change. */
  let changes = 0;
  let failure: unknown;
  /** Sending activities in flight, by the first claim number of their block. */
  const inFlight = new Map<number, Promise<void>>();
  const childStarts = new Set<Promise<void>>();
  const sends = new CancellationScope();

  const progress = (): CampaignProgress => ({
    status,
    total: null,
    nextSeq: nextClaim,
    batchesInFlight: inFlight.size,
    batchesDone: claimsDone,
    continuedAsNew: carried?.continuedAsNew ?? 0,
  });
  const showDetails = () => setCurrentDetails(eventRunDetails({ status, claims: claimsDone, sending: inFlight.size, held: held.length, nextDueAt }));
  setHandler(progressQuery, progress);
  setHandler(wakeSignal, (reason) => {
    woken = true;
    // Asks that come once the window is full, or while nothing may be sent, are no burst to fill it for later.
    if (reason === 'burst' && fillOnBurst && status === 'running' && inFlight.size < queue.window) burst = true;
    changes += 1;
  });

  /** As the batch run's controls: the summary names who asked (not a command, so no patch). */
  async function apply(next: 'paused' | 'running', request: ControlRequest | undefined) {
    await localControl.setRunControl.executeWithOptions({ summary: summaries.control(next === 'paused' ? 'pause' : 'resume', next, request?.requestedBy) }, [
      { runId: input.runId, control: next === 'paused' ? 'pause' : 'run', campaignId: input.campaignId, status: next },
    ]);
    status = next;
    // After a resume, look at once: firings fell due during the pause (a burst among them asks again).
    if (next === 'running') woken = true;
    else burst = false;
    changes += 1;
    upsertSearchAttributes([{ key: CampaignStatusKey, value: next }]);
    showDetails();
    return progress();
  }
  setHandler(pauseUpdate, (request) => apply('paused', request), {
    validator(_request: ControlRequest | undefined) {
      if (status !== 'running') throw new Error(`cannot pause a ${status} campaign`);
    },
  });
  setHandler(resumeUpdate, (request) => apply('running', request), {
    validator(_request: ControlRequest | undefined) {
      if (status !== 'paused') throw new Error(`cannot resume a ${status} campaign`);
    },
  });

  /** Retries of a range's users go to a batch workflow of their own, which outlives this execution. */
  function retryRange(fromSeq: number, toSeq: number) {
    const started = startChild(deliverBatchWorkflow, {
      workflowId: workflowIds.retries(workflowInfo().workflowId, fromSeq, toSeq),
      staticSummary: summaries.retries(fromSeq, toSeq),
      args: [{ campaignId: input.campaignId, runId: input.runId, fromSeq, toSeq, paused: false, detached: {} }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    }).then(
      () => undefined,
      (error: unknown) => {
        // Each range completes once, so its id is new; a start cut short by the run's end is moot.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError) && !isCancellation(error)) failure ??= error;
      },
    );
    childStarts.add(started);
    void started.then(() => childStarts.delete(started));
  }

  /** Starts a sending activity on claims `block.claimNo`… (a new block, or a held claim and the rest of its block), claiming from `dueAt` on. */
  function startSending(block: HeldClaim, fresh: boolean, dueAt = 0) {
    const notBefore = Math.max(Date.now(), fresh ? resumeAt : 0, dueAt);
    const oldestOpen = Math.min(block.claimNo, nextClaim, ...held.map((h) => h.claimNo), ...inFlight.keys());
    const work = sends
      .run(() =>
        sending.deliverDue.executeWithOptions({ summary: summaries.claims(block.claimNo, block.claims, !fresh) }, [
          {
            campaignId: input.campaignId,
            runId: input.runId,
            claimNo: block.claimNo,
            claims: block.claims,
            limit: queue.claimLimit,
            oldestOpen,
            notBefore: new Date(notBefore).toISOString(),
            paceMs: queue.paceMs,
            forMs: queue.activityMs,
            hintAfterMs: queue.paceMs,
          },
        ]),
      )
      .then(
        (result) => settle(block, result),
        (error: unknown) => {
          if (!isCancellation(error)) failure ??= error;
        },
      )
      .finally(() => {
        inFlight.delete(block.claimNo);
        changes += 1;
        showDetails();
      });
    inFlight.set(block.claimNo, work);
  }

  function settle(block: HeldClaim, result: DueDelivery) {
    claimsDone += result.ranges.length;
    for (const range of result.ranges) if (range.retries > 0 && range.claimNo !== result.heldClaim) retryRange(range.fromSeq, range.toSeq);
    resumeAt = Math.max(resumeAt, Date.parse(result.resumeAt));
    switch (result.stopped) {
      case 'pause':
      case 'quiet':
        // The stopped range goes out again, under its number, after the resume or the quiet hours (with it, its retries).
        if (result.heldClaim !== null) held.push({ claimNo: result.heldClaim, claims: block.claimNo + block.claims - result.heldClaim });
        if (result.stopped === 'quiet' && result.quietUntil) quietUntil = Date.parse(result.quietUntil);
        // What follows the resume or the quiet hours asks again if it is still a burst.
        burst = false;
        return;
      case 'cancel':
        return;
      case 'idle':
        // Another activity's budget may have asked for a successor meanwhile: an idle one does not cancel that ask,
        // since it left the run awake while that activity still claimed (triggers/due.ts `quietSince`).
        if (!patched(IDLE_KEEPS_MORE_PATCH)) more = false;
        // Nothing left due for one activity: the burst is over.
        burst = false;
        nextDueAt = result.nextDueAt === null ? null : Date.parse(result.nextDueAt);
        return;
      case 'budget':
        more = true;
        return;
    }
  }

  const expired = () => expiresAt !== null && Date.now() >= expiresAt;

  /** Lets the claims in flight finish (or record what they sent, when cancelled) and the retry children start. */
  async function drain() {
    await condition(() => inFlight.size === 0 && childStarts.size === 0);
  }

  async function end(final: 'cancelled' | 'completed' | 'failed') {
    await control.setRunControl.executeWithOptions({ summary: summaries.sends('cancel') }, [{ runId: input.runId, control: 'cancel' }]);
    sends.cancel();
    await drain();
    if (adopted) await sweep.cancelTriggerWorkflows({ campaignId: input.campaignId });
    await control.closeEventRun.executeWithOptions({ summary: `${summaries.dropQueue()}; ${summaries.close(final === 'completed' ? 'failed (expired)' : 'cancelled')}` }, [
      final === 'completed' ? { campaignId: input.campaignId, runId: input.runId, status: 'failed', reason: 'expired' } : { campaignId: input.campaignId, runId: input.runId, status: 'cancelled', reason: 'cancelled' },
    ]);
    await control.endEventCampaign({ campaignId: input.campaignId, runId: input.runId, status: final });
    status = final;
    upsertSearchAttributes([{ key: CampaignStatusKey, value: final }]);
    showDetails();
  }

  try {
    if (carried?.adopt) {
      await sweep.adoptTriggerWorkflows.executeWithOptions({ summary: summaries.adopt() }, [{ campaignId: input.campaignId, runId: input.runId }]);
      adopted = true;
    }
    showDetails();
    for (;;) {
      if (failure !== undefined) throw failure;
      if (expired()) break;
      if (activitiesHere >= queue.activitiesPerExecution || workflowInfo().continueAsNewSuggested) {
        await drain();
        await condition(allHandlersFinished);
        if (failure !== undefined) throw failure;
        await continueAsNew<typeof eventRunWorkflow>({
          ...input,
          carried: { nextClaim, held, paused: status === 'paused', quietUntil, adopted, claimsDone, continuedAsNew: (carried?.continuedAsNew ?? 0) + 1 },
        });
      }
      const now = Date.now();
      if (quietUntil !== null && now >= quietUntil) {
        // Firings fell due during the quiet hours.
        quietUntil = null;
        woken = true;
      }
      const sendable = status === 'running' && quietUntil === null;
      if (sendable && held.length > 0 && inFlight.size < queue.window) {
        startSending(held.shift()!, false);
        activitiesHere += 1;
        continue;
      }
      const due = woken || more || burst || (nextDueAt !== null && now >= nextDueAt - lead);
      if (sendable && due && held.length === 0 && inFlight.size < queue.window) {
        // Started only for a firing about to fall due: the activity waits for it (due times are read to the
        // millisecond, rounded down: one more, so its first claim finds it). A wake or a budget's end means now.
        const dueAt = burst ? aheadOf : lead > 0 && !woken && !more && nextDueAt !== null ? nextDueAt + 1 : 0;
        if (!burst) aheadOf = dueAt;
        woken = false;
        more = false;
        if (inFlight.size + 1 >= queue.window) burst = false;
        if (nextDueAt !== null && now >= nextDueAt - lead) nextDueAt = null;
        startSending({ claimNo: nextClaim, claims: queue.claimsPerActivity }, true, dueAt);
        nextClaim += queue.claimsPerActivity;
        activitiesHere += 1;
        showDetails();
        continue;
      }
      // Wait for a change: a claim's end, a wake, an Update; or the time something falls due.
      const wakeAt = Math.min(
        expiresAt ?? Infinity,
        quietUntil ?? Infinity,
        sendable && inFlight.size === 0 && nextDueAt !== null ? nextDueAt - lead : Infinity,
      );
      const seen = changes;
      const changed = () => changes !== seen || failure !== undefined;
      if (wakeAt === Infinity) await condition(changed);
      else await condition(changed, Math.max(1, wakeAt - now));
    }
    await end('completed');
    // A campaign with a goal stores its final effect once the last send's goal window has closed.
    if (patched(EFFECT_PATCH)) await settleEffect(input.runId);
    return progress();
  } catch (error) {
    if (isCancellation(error)) await CancellationScope.nonCancellable(() => end('cancelled'));
    // A claim that cannot work (its run or channel gone): the campaign ends `failed` rather than looking live.
    else await CancellationScope.nonCancellable(() => end('failed'));
    throw error;
  }
}

/**
 * A run started before the due-firing queue, replayed as it was recorded: it
 * waited for the Updates and its expiry while per-user workflows sent. Its
 * first wake (the relay's, once a firing is due, or the relay's first look
 * after the deploy) continues it as new onto the queue, which first takes
 * over the per-user workflows still open.
 */
async function legacyRun(input: EventRunInput): Promise<CampaignProgress> {
  let status: RunStatus = 'running';
  let woken = false;
  const progress = (): CampaignProgress => ({ status, total: null, nextSeq: 0, batchesInFlight: 0, batchesDone: 0, continuedAsNew: 0 });
  setHandler(progressQuery, progress);
  setHandler(wakeSignal, () => void (woken = true));

  async function apply(next: 'paused' | 'running') {
    await localControl.setRunControl({ runId: input.runId, control: next === 'paused' ? 'pause' : 'run', campaignId: input.campaignId, status: next });
    status = next;
    upsertSearchAttributes([{ key: CampaignStatusKey, value: next }]);
    return progress();
  }
  setHandler(pauseUpdate, () => apply('paused'), {
    validator(_request: ControlRequest | undefined) {
      if (status !== 'running') throw new Error(`cannot pause a ${status} campaign`);
    },
  });
  setHandler(resumeUpdate, () => apply('running'), {
    validator(_request: ControlRequest | undefined) {
      if (status !== 'paused') throw new Error(`cannot resume a ${status} campaign`);
    },
  });

  async function end(final: 'cancelled' | 'completed') {
    await control.setRunControl({ runId: input.runId, control: 'cancel' });
    await sweep.cancelTriggerWorkflows({ campaignId: input.campaignId });
    await control.closeRecipients(
      final === 'cancelled' ? { runId: input.runId, status: 'cancelled', reason: 'cancelled' } : { runId: input.runId, status: 'failed', reason: 'expired' },
    );
    await control.endEventCampaign({ campaignId: input.campaignId, runId: input.runId, status: final });
    status = final;
    upsertSearchAttributes([{ key: CampaignStatusKey, value: final }]);
  }

  try {
    const expiresAt = input.expiresAt ? Date.parse(input.expiresAt) : null;
    // The same timer (or none) as the old shape: only the wake, which it never got, ends the wait early.
    if (expiresAt === null) await condition(() => woken);
    else await condition(() => woken, Math.max(1, expiresAt - Date.now()));
    if (woken && patched(UPGRADE_PATCH)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof eventRunWorkflow>({
        ...input,
        queue: DEFAULT_DUE_QUEUE,
        // `status` changes in the Update handlers, which the compiler does not follow here.
        carried: { nextClaim: 1, held: [], paused: (status as RunStatus) === 'paused', quietUntil: null, adopt: true, claimsDone: 0, continuedAsNew: 0 },
      });
    }
    await end('completed');
    return progress();
  } catch (error) {
    if (isCancellation(error)) await CancellationScope.nonCancellable(() => end('cancelled'));
    throw error;
  }
}
