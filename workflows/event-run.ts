import { CancellationScope, condition, isCancellation, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { CampaignStatusKey } from '../temporal/search-attributes.js';
import { pauseUpdate, progressQuery, resumeUpdate, type CampaignProgress, type RunStatus } from './messages.js';

/** Ids and times only. */
export interface EventRunInput {
  campaignId: string;
  runId: string;
  /** ISO time after which the campaign stops listening and ends `completed`; null: until cancelled. */
  expiresAt: string | null;
}

const control = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Stopping every per-user workflow of a big campaign takes a while: it heartbeats. */
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

/**
 * The run of an event-triggered campaign: the one run that collects all its
 * sends (each made by a per-user `eventTriggerWorkflow`), and the place the
 * operator's controls go, with the same Updates and query as a batch run so
 * the API treats both alike. Pause sets the run's flag and the campaign's
 * status: the listener index drops the campaign (events are stored, not acted
 * on, and resuming replays none), and sends falling due meanwhile wait.
 * Cancel, or the campaign's expiry, stops every per-user workflow, closes the
 * sends still pending, and ends the campaign.
 */
export async function eventRunWorkflow(input: EventRunInput): Promise<CampaignProgress> {
  let status: RunStatus = 'running';
  const progress = (): CampaignProgress => ({ status, total: null, nextSeq: 0, batchesInFlight: 0, batchesDone: 0, continuedAsNew: 0 });
  setHandler(progressQuery, progress);

  async function apply(next: 'paused' | 'running') {
    await localControl.setRunControl({ runId: input.runId, control: next === 'paused' ? 'pause' : 'run', campaignId: input.campaignId, status: next });
    status = next;
    upsertSearchAttributes([{ key: CampaignStatusKey, value: next }]);
    return progress();
  }
  setHandler(pauseUpdate, () => apply('paused'), {
    validator() {
      if (status !== 'running') throw new Error(`cannot pause a ${status} campaign`);
    },
  });
  setHandler(resumeUpdate, () => apply('running'), {
    validator() {
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
    if (expiresAt === null) await condition(() => false);
    else await condition(() => false, Math.max(1, expiresAt - Date.now()));
    await end('completed');
    return progress();
  } catch (error) {
    if (isCancellation(error)) await CancellationScope.nonCancellable(() => end('cancelled'));
    throw error;
  }
}
