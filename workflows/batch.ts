import { ActivityCancellationType, CancellationScope, condition, isCancellation, proxyActivities, setCurrentDetails, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { BatchResult, BatchWorkflowInput } from './inputs.js';
import { batchPausedSignal } from './messages.js';
import { batchDetails, summaries } from './summaries.js';

// First attempts for a whole batch. Outcomes are recorded as they come, so a
// retry of this activity (worker crash) only sends to users still pending.
const batchActivities = proxyActivities<Activities>({
  // On cancel, wait for the activity to record its in-flight requests before closing the rest.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * Retries of one user. The activity reports a retryable failure with
 * `nextRetryDelay` (backoff with jitter, Retry-After honoured) and gives up by
 * itself at the end of the channel's retry window or the campaign's expiry; the
 * policy's own intervals are a floor for unexpected errors.
 */
const retryActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '8 days',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 hour' },
});

/** How often a detached batch (an event run's retries) looks whether a pause has been lifted. */
const DETACHED_PAUSE_RECHECK_MS = 30_000;

/** Delivers one batch of a campaign run (audience positions fromSeq..toSeq), then retries the users that need it. */
export async function deliverBatchWorkflow(input: BatchWorkflowInput): Promise<BatchResult> {
  let paused = input.paused;
  /** The newest control epoch the parent told this batch about. */
  let epoch = input.epoch ?? 0;
  setHandler(batchPausedSignal, (value, signalled) => {
    if (signalled !== undefined && signalled < epoch) return;
    paused = value;
    if (signalled !== undefined) epoch = signalled;
  });

  /**
   * An activity stopped by a pause: wait until the parent's signal of the epoch
   * it saw (or a newer one) has arrived; the loop then waits for the resume.
   * Histories from before epochs carry none: those poll briefly, as they did.
   */
  async function afterPause(seen: number | undefined) {
    // Nobody signals a detached batch: look again after a while (the activity answers `paused` until the resume).
    if (input.detached) await sleep(input.detached.pauseRecheckMs ?? DETACHED_PAUSE_RECHECK_MS, { summary: summaries.pauseRecheck() });
    else if (seen !== undefined) await condition(() => epoch >= seen);
    else if (!paused) await condition(() => paused, '1 second');
  }
  const range = { runId: input.runId, fromSeq: input.fromSeq, toSeq: input.toSeq };
  let retried = 0;
  const show = (phase: string, retries?: number) => setCurrentDetails(batchDetails({ fromSeq: input.fromSeq, toSeq: input.toSeq, phase, retries, retried }));

  /**
   * Quiet hours: a durable timer to their end (a pause meanwhile is obeyed
   * after it, by the loops' wait for !paused). Only activities of this version
   * answer a quiet wait, so histories recorded earlier never reach this timer.
   */
  async function untilQuietEnds(quietUntil: string) {
    await sleep(Math.max(1, Date.parse(quietUntil) - Date.now()), { summary: summaries.quietHours(quietUntil) });
  }

  async function retryUser(seq: number, delayMs: number) {
    await sleep(delayMs, { summary: summaries.retryWait(seq, delayMs) });
    for (;;) {
      await condition(() => !paused);
      const outcome = await retryActivities.deliverOne.executeWithOptions({ summary: summaries.retry(seq) }, [{ runId: input.runId, seq }]);
      // Due inside quiet hours: wait for them to end, then try again.
      if (typeof outcome === 'object' && 'quietUntil' in outcome) await untilQuietEnds(outcome.quietUntil);
      // Paused when the attempt was due: wait for the resume, then go on.
      else if (typeof outcome === 'object') await afterPause(outcome.paused);
      else if (outcome === 'paused') await afterPause(undefined);
      else {
        retried += 1;
        return;
      }
    }
  }

  try {
    let retries: { seq: number; delayMs: number }[] = [];
    for (;;) {
      await condition(() => !paused);
      show('first attempts');
      const result = await batchActivities.deliverBatch.executeWithOptions({ summary: summaries.firstAttempts(input.fromSeq, input.toSeq) }, [range]);
      retries = result.retries;
      // The run is being cancelled: the cancellation itself is on its way; send nothing more.
      if (result.interrupted === 'cancel') return { fromSeq: input.fromSeq, toSeq: input.toSeq, retried: 0 };
      if (!result.interrupted) break;
      if (result.interrupted === 'quiet' && result.quietUntil !== undefined) {
        show(`quiet hours until ${result.quietUntil}`);
        await untilQuietEnds(result.quietUntil);
        continue;
      }
      show('paused');
      await afterPause(result.epoch);
    }
    show(retries.length > 0 ? 'retrying' : 'done', retries.length);
    await Promise.all(retries.map((r) => retryUser(r.seq, r.delayMs)));
    if (retries.length > 0) show('done', retries.length);
    return { fromSeq: input.fromSeq, toSeq: input.toSeq, retried: retries.length };
  } catch (error) {
    if (isCancellation(error)) {
      show('cancelled');
      await CancellationScope.nonCancellable(() =>
        bookkeeping.closeRecipients.executeWithOptions({ summary: summaries.close('cancelled', input) }, [{ ...range, status: 'cancelled', reason: 'cancelled' }]),
      );
    }
    throw error;
  }
}
