import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  ContinueAsNew,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { CampaignStatusKey } from '../temporal/search-attributes.js';
import { deliverBatchWorkflow } from './batch.js';
import { EFFECT_PATCH, settleEffect } from './effect.js';
import type { CampaignWorkflowInput } from './inputs.js';
import { workflowIds } from '../contracts/workflow-ids.js';
import { batchPausedSignal, pauseUpdate, progressQuery, resumeUpdate, type CampaignProgress, type ControlRequest, type RunStatus } from './messages.js';
import { runDetails, summaries } from './summaries.js';

const control = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Operator controls run as local activities: an Update is acknowledged in the
 * same workflow task, without waiting in the task queue behind a busy worker's
 * sends (a pause took 4.8 s to acknowledge at full speed when it did).
 */
const localControl = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds' },
});

/** Marks histories written after operator controls became local activities (older ones replay the old path). */
const FAST_CONTROLS_PATCH = 'fast-operator-controls';

// Freezing a 10M-user audience is one INSERT … SELECT that can take minutes. The activity heartbeats every 10 s
// while it waits, so a task lost with its worker (SIGKILL, or handed to a poll the dead worker left) is retried
// after three missed beats, not after minutes in which the campaign sends nothing.
const audience = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** One campaign run: wait for the send time, freeze the audience, fan out batches, finish. */
export async function campaignWorkflow(input: CampaignWorkflowInput): Promise<CampaignProgress> {
  const carried = input.carried;
  const sendAt = Date.parse(input.sendAt);
  const expiresAt = input.expiresAt ? Date.parse(input.expiresAt) : null;
  let status: RunStatus = carried ? (carried.paused ? 'paused' : 'running') : 'scheduled';
  let paused = carried?.paused ?? false;
  let total: number | null = carried?.total ?? null;
  let nextSeq = carried?.nextSeq ?? 1;
  let batchesDone = carried?.batchesDone ?? 0;
  /** The run's control epoch of the last pause or resume (undefined in histories from before epochs). */
  let epoch: number | undefined = carried?.epoch;
  const inFlight = new Map<string, ChildWorkflowHandle<typeof deliverBatchWorkflow>>();

  const progress = (): CampaignProgress => ({
    status,
    total,
    nextSeq,
    batchesInFlight: inFlight.size,
    batchesDone,
    continuedAsNew: carried?.continuedAsNew ?? 0,
  });
  const expired = () => expiresAt !== null && Date.now() >= expiresAt;
  let skipped: number | undefined;
  /** What the UI shows as the run's current state (not a command: free to change). */
  const showDetails = () =>
    setCurrentDetails(runDetails({ status, total, skipped, nextSeq, batchesDone, batchesInFlight: inFlight.size, batchSize: input.batchSize }));

  async function setStatus(next: RunStatus) {
    status = next;
    upsertSearchAttributes([{ key: CampaignStatusKey, value: next }]);
    showDetails();
    await control.recordCampaignStatus.executeWithOptions({ summary: summaries.status(next) }, [{ campaignId: input.campaignId, runId: input.runId, status: next }]);
  }

  /** The last status: one write records it with the finish time (and the error, if any). */
  async function finish(next: 'completed' | 'cancelled' | 'failed', error?: string) {
    status = next;
    upsertSearchAttributes([{ key: CampaignStatusKey, value: next }]);
    showDetails();
    await control.finishRun.executeWithOptions({ summary: summaries.finish(next) }, [{ campaignId: input.campaignId, runId: input.runId, status: next, ...(error ? { error } : {}) }]);
  }

  /** Sets the flag the sending activities obey, then tells the running batches. */
  async function gateSends(pausing: boolean) {
    const flag = pausing ? 'pause' : 'run';
    noteEpoch(await control.setRunControl.executeWithOptions({ summary: summaries.sends(flag) }, [{ runId: input.runId, control: flag }]));
    await Promise.all([...inFlight.values()].map((child) => tellBatch(child, pausing)));
  }

  /** setRunControl answers the new epoch; before epochs existed it answered nothing. */
  function noteEpoch(result: unknown) {
    if (typeof result === 'number') epoch = result;
  }

  function tellBatch(child: ChildWorkflowHandle<typeof deliverBatchWorkflow>, pausing: boolean) {
    return epoch === undefined ? child.signal(batchPausedSignal, pausing) : child.signal(batchPausedSignal, pausing, epoch);
  }

  setHandler(progressQuery, progress);

  /**
   * Tells the running batches about a pause or resume. Not awaited by the
   * Update: the flag in PostgreSQL already stops new requests; the signal only
   * spares a batch its wait. A batch that ended meanwhile cannot take it: fine.
   */
  function signalBatches(pausing: boolean) {
    for (const child of inFlight.values()) void tellBatch(child, pausing).catch(() => {});
  }

  /**
   * Sets the sending flag and the campaign's status in one local activity, then
   * tells the batches. Its summary names who asked, so the history reads
   * "pause requested by key ops-1" (a summary is not a command: no patch).
   */
  async function applyControl(pausing: boolean, next: RunStatus, request: ControlRequest | undefined) {
    const flag = pausing ? 'pause' : 'run';
    noteEpoch(
      await localControl.setRunControl.executeWithOptions({ summary: summaries.control(pausing ? 'pause' : 'resume', next, request?.requestedBy) }, [
        { runId: input.runId, control: flag, campaignId: input.campaignId, status: next },
      ]),
    );
    status = next;
    upsertSearchAttributes([{ key: CampaignStatusKey, value: next }]);
    showDetails();
    signalBatches(pausing);
  }

  setHandler(
    pauseUpdate,
    async function pause(request?: ControlRequest) {
      paused = true;
      if (patched(FAST_CONTROLS_PATCH)) {
        await applyControl(true, 'paused', request);
        return progress();
      }
      // Gate the sending activities first: the update is acknowledged only once no new request can start.
      await gateSends(true);
      await setStatus('paused');
      return progress();
    },
    {
      validator(_request: ControlRequest | undefined) {
        if (status !== 'scheduled' && status !== 'running') throw new Error(`cannot pause a ${status} campaign`);
      },
    },
  );

  setHandler(
    resumeUpdate,
    async function resume(request?: ControlRequest) {
      // Past the expiry, resuming only lets the batches close: the activities send nothing after it.
      const next = total === null && Date.now() < sendAt ? 'scheduled' : 'running';
      if (patched(FAST_CONTROLS_PATCH)) {
        await applyControl(false, next, request);
      } else {
        await gateSends(false);
        await setStatus(next);
      }
      paused = false;
      return progress();
    },
    {
      validator(_request: ControlRequest | undefined) {
        if (status !== 'paused') throw new Error(`cannot resume a ${status} campaign`);
      },
    },
  );

  async function waitForSendTime() {
    for (;;) {
      await condition(() => !paused);
      const remaining = sendAt - Date.now();
      if (remaining <= 0) return;
      // Wakes early only to honour a pause; otherwise a durable timer to the send time.
      await condition(() => paused, remaining, { summary: summaries.waitForSendTime(sendAt) });
    }
  }

  const running = new Set<Promise<void>>();
  let batchError: unknown;

  function startBatch(fromSeq: number, toSeq: number): void {
    const id = workflowIds.batch(workflowInfo().workflowId, fromSeq, toSeq);
    const startedEpoch = epoch;
    const batch: Promise<void> = startChild(deliverBatchWorkflow, {
      workflowId: id,
      staticSummary: summaries.batch(fromSeq, toSeq, input.batchSize),
      args: [{ campaignId: input.campaignId, runId: input.runId, fromSeq, toSeq, paused, ...(epoch === undefined ? {} : { epoch }) }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    })
      .then(async function awaitBatch(handle) {
        inFlight.set(id, handle);
        // A pause or resume that came while the child was starting was not signalled to it.
        if (epoch !== startedEpoch) void tellBatch(handle, paused).catch(() => {});
        try {
          await handle.result();
          batchesDone += 1;
        } finally {
          inFlight.delete(id);
        }
        showDetails();
      })
      .catch((error: unknown) => {
        batchError ??= error;
      })
      .then(() => {
        running.delete(batch);
      });
    running.add(batch);
  }

  /** Waits for `ready`, waking at the expiry time too so an expired run stops even while idle. */
  async function waitFor(ready: () => boolean) {
    const test = () => ready() || batchError !== undefined || expired();
    if (expiresAt === null) await condition(test);
    else if (!(await condition(test, Math.max(1, expiresAt - Date.now())))) return;
    if (batchError !== undefined) throw batchError;
  }

  try {
    if (!carried) {
      await waitForSendTime();
      await setStatus('running');
      const frozen = await audience.freezeAudience.executeWithOptions({ summary: summaries.freeze() }, [{ runId: input.runId }]);
      total = frozen.total;
      skipped = frozen.skipped;
      showDetails();
      // The SDK would name Temporal's run `runId`; here that word is the campaign run, so both are given.
      log.info('audience frozen', { campaignId: input.campaignId, runId: input.runId, workflowRunId: workflowInfo().runId, total: frozen.total, skipped: frozen.skipped });
    }

    showDetails();
    let startedHere = 0;
    while (total !== null && nextSeq <= total && !expired()) {
      await waitFor(() => !paused && running.size < input.window);
      if (expired()) break;
      const fromSeq = nextSeq;
      const toSeq = Math.min(total, nextSeq + input.batchSize - 1);
      nextSeq = toSeq + 1;
      startBatch(fromSeq, toSeq);
      startedHere += 1;
      showDetails();
      if (nextSeq <= total && (startedHere >= input.childrenPerExecution || workflowInfo().continueAsNewSuggested)) {
        // Drain, then start afresh with the cursor so history stays small for any audience size.
        await waitFor(() => running.size === 0);
        await condition(allHandlersFinished);
        await continueAsNew<typeof campaignWorkflow>({
          ...input,
          carried: { total, nextSeq, batchesDone, paused, continuedAsNew: (carried?.continuedAsNew ?? 0) + 1, ...(epoch === undefined ? {} : { epoch }) },
        });
      }
    }
    await condition(() => running.size === 0);
    if (batchError !== undefined) throw batchError;

    if (expired()) await control.closeRecipients.executeWithOptions({ summary: summaries.close('failed (expired)') }, [{ runId: input.runId, status: 'failed', reason: 'expired' }]);
    await finish('completed');
    await condition(allHandlersFinished);
    // A one-time run stays open until its goal window closes and its effect is stored; a recurring
    // firing (which runs this function too) does so itself, after settling its campaign.
    if (workflowInfo().workflowType === 'campaignWorkflow' && patched(EFFECT_PATCH)) await settleEffect(input.runId);
    return progress();
  } catch (error) {
    if (error instanceof ContinueAsNew) throw error;
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(async () => {
        await control.setRunControl.executeWithOptions({ summary: summaries.sends('cancel') }, [{ runId: input.runId, control: 'cancel' }]);
        // Let cancelled batches record their in-flight requests before closing the rest.
        await condition(() => running.size === 0);
        await control.closeRecipients.executeWithOptions({ summary: summaries.close('cancelled') }, [{ runId: input.runId, status: 'cancelled', reason: 'cancelled' }]);
        await finish('cancelled');
      });
      throw error;
    }
    await CancellationScope.nonCancellable(async () => {
      await finish('failed', describe(error));
    });
    throw ApplicationFailure.nonRetryable(`campaign run failed: ${describe(error)}`, 'CampaignFailed');
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
