import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowStartOptions } from '@temporalio/client';
import { RunAlreadyStartedError } from '../runs/lifecycle.js';
import { eventRunWorkflow, type EventRunInput } from '../workflows/event-run.js';

/** The one run of an event-triggered campaign; a second start of the id is refused by Temporal. */
export const eventRunWorkflowId = (campaignId: string) => `campaign-${campaignId}-events`;

/** Starts an event campaign's run workflow (it takes the same pause/resume Updates and cancel as a batch run). */
export async function startEventRunWorkflow(
  temporal: Client,
  options: { workflowId: string; taskQueue: string; input: EventRunInput; memo: Record<string, string>; searchAttributes: WorkflowStartOptions['typedSearchAttributes'] },
): Promise<void> {
  try {
    await temporal.workflow.start(eventRunWorkflow, {
      workflowId: options.workflowId,
      taskQueue: options.taskQueue,
      args: [options.input],
      memo: options.memo,
      typedSearchAttributes: options.searchAttributes,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new RunAlreadyStartedError(error.message);
    throw error;
  }
}
