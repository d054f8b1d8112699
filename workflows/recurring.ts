import { CancellationScope, ContinueAsNew, patched, proxyActivities, setCurrentDetails, sleep, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { campaignWorkflow } from './campaign.js';
import { EFFECT_PATCH, settleEffect } from './effect.js';
import type { CampaignWorkflowInput, FiringInput } from './inputs.js';
import type { CampaignProgress } from './messages.js';
import { summaries } from './summaries.js';

const control = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Set by Temporal on every workflow a schedule starts: the firing's nominal time. */
const ScheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export type FiringResult = CampaignProgress | { status: 'skipped' | 'missed' | 'ignored'; runId: string | null };

/**
 * One firing of a recurring campaign's schedule: opens its own run, then is
 * that run. Its workflow id is the schedule's prefix plus the nominal time
 * Temporal appends, so each firing's run is distinct and the UI shows when
 * it was due.
 *
 * The input holds no run id: the run is opened here by an activity, which
 * decides (under a lock on the campaign) whether the firing sends, is
 * skipped while a previous run still sends, or was missed (handed over
 * beyond the catch-up window). A firing that does not send is recorded and
 * ends at once. A run that continues as new comes back here with its run id
 * and goes straight on.
 */
export async function recurringFiringWorkflow(input: FiringInput | CampaignWorkflowInput): Promise<FiringResult> {
  const settle = () => control.settleRecurringCampaign.executeWithOptions({ summary: summaries.settle() }, [{ campaignId: input.campaignId }]);
  let fired: { result: FiringResult; runId: string | null };
  try {
    fired = await fire(input);
  } catch (error) {
    // Continuing as new, the run goes on; otherwise it failed or was cancelled and may have been the last.
    if (error instanceof ContinueAsNew) throw error;
    await CancellationScope.nonCancellable(settle);
    throw error;
  }
  await settle();
  // The campaign is settled first (the next firing may send meanwhile); then this run waits for its
  // goal window to close and stores its effect.
  if (fired.result.status === 'completed' && fired.runId !== null && patched(EFFECT_PATCH)) await settleEffect(fired.runId);
  return fired.result;
}

async function fire(input: FiringInput | CampaignWorkflowInput): Promise<{ result: FiringResult; runId: string | null }> {
  if ('runId' in input) return { result: await campaignWorkflow(input), runId: input.runId };
  const info = workflowInfo();
  // A workflow started outside the schedule (tests) has no nominal time: its start is one.
  const scheduledAt = info.typedSearchAttributes.get(ScheduledStartTimeKey) ?? new Date(info.startTime);
  const opened = await control.openFiring.executeWithOptions({ summary: summaries.openFiring(scheduledAt) }, [
    { campaignId: input.campaignId, workflowId: info.workflowId, scheduledAt: scheduledAt.toISOString() },
  ]);
  if (opened.status !== 'open') {
    setCurrentDetails(`firing ${opened.status}: no run sends`);
    return { result: { status: opened.status, runId: opened.runId }, runId: null };
  }
  const { campaignId, batchSize, window, childrenPerExecution } = input;
  const result = await campaignWorkflow({ campaignId, runId: opened.runId, sendAt: opened.sendAt, expiresAt: opened.expiresAt, batchSize, window, childrenPerExecution });
  return { result, runId: opened.runId };
}

/**
 * Ends a recurring campaign at its `endAt`: a durable timer, then the same
 * check each run makes when it ends (`completed` once no run is in flight;
 * a run still sending completes the campaign itself when it finishes).
 */
export async function recurringEndWorkflow(input: { campaignId: string; endAt: string }): Promise<void> {
  await sleep(Math.max(1, Date.parse(input.endAt) - Date.now()), { summary: summaries.waitForEnd(input.endAt) });
  await control.settleRecurringCampaign.executeWithOptions({ summary: summaries.settle() }, [{ campaignId: input.campaignId }]);
}
