import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowStartOptions } from '@temporalio/client';
import { campaignWorkflow } from '../workflows/campaign.js';
import type { eventRunWorkflow } from '../workflows/event-run.js';
import type { CampaignWorkflowInput } from '../workflows/inputs.js';
import { controlUpdate, pauseUpdate, progressQuery, resumeUpdate, type CampaignProgress } from '../workflows/messages.js';

/*
 * The client side of the run workflow: how a run is started, controlled,
 * cancelled and asked for its progress. Callers hold a run's workflow id (on
 * its row); nothing here touches PostgreSQL.
 */


export type FanOut = Pick<CampaignWorkflowInput, 'batchSize' | 'window' | 'childrenPerExecution'>;
export const DEFAULT_FAN_OUT: FanOut = { batchSize: 2000, window: 8, childrenPerExecution: 400 };

/** Temporal refused a start because a workflow with the id runs already. */
export class RunAlreadyStartedError extends Error {}
/** The workflow's validator refused the control (e.g. pausing a paused run); the message says why. */
export class RunControlRefusedError extends Error {}
/** The run's workflow has ended: nothing left to control. */
export class RunEndedError extends Error {}

/** The workflows a run is: a batch run (one-time or a firing's), or an event campaign's collector. */
type RunWorkflow = typeof campaignWorkflow | typeof eventRunWorkflow;

/** Starts a run's workflow; a second start of the same id is a RunAlreadyStartedError. */
export async function startRunWorkflow<W extends RunWorkflow>(
  temporal: Client,
  workflow: W,
  options: { workflowId: string; taskQueue: string; input: Parameters<W>[0]; memo: Record<string, string>; searchAttributes: WorkflowStartOptions['typedSearchAttributes'] },
): Promise<void> {
  try {
    await temporal.workflow.start(workflow as RunWorkflow, {
      workflowId: options.workflowId,
      taskQueue: options.taskQueue,
      args: [options.input] as never,
      memo: options.memo,
      typedSearchAttributes: options.searchAttributes,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new RunAlreadyStartedError(error.message);
    throw error;
  }
}

/** Runs the operator's pause or resume Update on a run (its workflow id and current control epoch); answers the progress the Update returned. */
export async function controlRun(
  temporal: Client,
  run: { workflowId: string; controlEpoch: number },
  verb: 'pause' | 'resume',
  requestedBy: string,
): Promise<CampaignProgress> {
  try {
    return await temporal.workflow.getHandle(run.workflowId).executeUpdate(verb === 'pause' ? pauseUpdate : resumeUpdate, controlUpdate(verb, requestedBy, run.controlEpoch));
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) throw new RunControlRefusedError(error.cause?.message ?? `cannot ${verb} this run`);
    if (error instanceof WorkflowNotFoundError) throw new RunEndedError(error.message);
    throw error;
  }
}

/** Requests cancellation; the workflow closes its pending users and ends `cancelled`. */
export async function cancelRun(temporal: Client, workflowId: string): Promise<void> {
  const handle = temporal.workflow.getHandle(workflowId);
  try {
    // Temporal accepts a cancel request for a closed run without complaint; say so instead.
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') throw new RunEndedError('run already closed');
    await handle.cancel();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new RunEndedError(error.message);
    throw error;
  }
}

/** The workflow's own progress, or null when it has ended or cannot answer. */
export async function runProgress(temporal: Client, workflowId: string): Promise<CampaignProgress | null> {
  try {
    return await temporal.workflow.getHandle(workflowId).query(progressQuery);
  } catch {
    return null;
  }
}
