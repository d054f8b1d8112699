import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { campaigns } from '../../db/schema.js';
import { conflict } from '../../lib/errors.js';
import { isOneOf, liveCampaignStatuses } from '../../contracts/statuses.js';
import { cancelRun, controlRun, RunAlreadyStartedError, RunControlRefusedError, RunEndedError, startRunWorkflow } from '../../runs/lifecycle.js';
import { activeRun, createRun } from '../../runs/store.js';
import { CampaignIdKey, CampaignStatusKey, ChannelIdKey, TriggerTypeKey } from '../../temporal/search-attributes.js';
import { campaignWorkflow } from '../../workflows/campaign.js';
import { eventRunWorkflow } from '../../workflows/event-run.js';
import type { CampaignWorkflowInput } from '../../workflows/inputs.js';
import type { CampaignProgress } from '../../workflows/messages.js';
import { workflowIds } from '../../contracts/workflow-ids.js';
import { applyCampaignEvent, invalidTransition } from '../lifecycle.js';
import type { CampaignRow, Launchable, TriggerKindDeps } from './types.js';

/*
 * What the two kinds with one run (once, event) share: the run is opened with
 * the launch, and the operator's controls are the run workflow's pause/resume
 * Updates and its cancellation.
 */

/** Opens the one run and starts its workflow inside the launch transaction: if Temporal refuses, nothing is written. */
export async function launchOneRun(deps: TriggerKindDeps, row: CampaignRow, launchable: Launchable, event: boolean): Promise<void> {
  const { db, temporal } = deps;
  const { channel, segment, definition, sendAt, now } = launchable;
  const runId = randomUUID();
  const workflowId = event ? workflowIds.eventsRun(row.id) : workflowIds.onceRun(row.id);
  const input: CampaignWorkflowInput = { campaignId: row.id, runId, sendAt: sendAt.toISOString(), expiresAt: row.expiresAt?.toISOString() ?? null, ...deps.fanOut };
  await db.transaction(async (tx) => {
    // An event campaign's one run collects its sends from launch on: it is running at once.
    await applyCampaignEvent(tx, row.id, event ? 'launchListening' : 'launch', { definition, launchedAt: now });
    await createRun(tx, { id: runId, campaignId: row.id, workflowId, trigger: event ? 'event' : 'once', sendAt, expiresAt: row.expiresAt, definition, ...(event ? { status: 'running' as const } : {}) });
    const start = {
      workflowId,
      taskQueue: deps.taskQueue,
      memo: { campaignName: row.name, channelName: channel.name, segmentName: segment.name },
      searchAttributes: [
        { key: CampaignIdKey, value: row.id },
        { key: ChannelIdKey, value: channel.id },
        { key: CampaignStatusKey, value: event ? 'running' : 'scheduled' },
        { key: TriggerTypeKey, value: row.trigger.type },
      ],
    };
    try {
      // An event campaign's run takes the same pause/resume Updates and cancel as a batch run.
      if (event) await startRunWorkflow(temporal, eventRunWorkflow, { ...start, input: { campaignId: row.id, runId, expiresAt: input.expiresAt, queue: deps.dueQueue } });
      else await startRunWorkflow(temporal, campaignWorkflow, { ...start, input });
    } catch (error) {
      if (error instanceof RunAlreadyStartedError) throw conflict('the campaign was launched meanwhile');
      throw error;
    }
  });
}

/**
 * The run an operator control acts on: the campaign's open run. A campaign
 * that is not live is refused here; for a live one the run's workflow is the
 * judge (its Update validator refuses e.g. resuming a running run, answered
 * as the same 409 below), since its status is the run's own.
 */
async function openRunOf(deps: TriggerKindDeps, row: CampaignRow, event: 'pause' | 'resume' | 'cancel') {
  if (!isOneOf(liveCampaignStatuses, row.status)) throw invalidTransition(row.status, event);
  const run = await activeRun(deps.db, row.id);
  if (!run) throw invalidTransition(row.status, event, 'it has no open run');
  return run;
}

/** The run ended between our read and Temporal's answer: a 409, not a 500. */
async function endedMeanwhile(deps: TriggerKindDeps, row: CampaignRow, verb: string, error: unknown) {
  if (!(error instanceof RunEndedError)) return error;
  const [now] = await deps.db.select({ status: campaigns.status }).from(campaigns).where(eq(campaigns.id, row.id));
  const status = now?.status ?? row.status;
  return conflict(`cannot ${verb} a ${status} campaign: its run has ended`, [{ path: 'status', message: `is ${status}` }]);
}

/** Runs the operator's pause or resume Update; answers the workflow's progress as the Update returned it. */
export async function controlOneRun(deps: TriggerKindDeps, row: CampaignRow, verb: 'pause' | 'resume', requestedBy: string): Promise<CampaignProgress> {
  const run = await openRunOf(deps, row, verb);
  try {
    return await controlRun(deps.temporal, run, verb, requestedBy);
  } catch (error) {
    // The run's own validator refused (e.g. pausing a run that is paused already).
    if (error instanceof RunControlRefusedError) throw invalidTransition(row.status, verb, error.message);
    throw await endedMeanwhile(deps, row, verb, error);
  }
}

/** Requests Temporal cancellation; the workflow closes pending users and ends `cancelled`. */
export async function cancelOneRun(deps: TriggerKindDeps, row: CampaignRow): Promise<void> {
  const run = await openRunOf(deps, row, 'cancel');
  try {
    await cancelRun(deps.temporal, run.workflowId);
  } catch (error) {
    throw await endedMeanwhile(deps, row, 'cancel', error);
  }
}
