import { isGrpcServiceError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { workflowIds } from '../contracts/workflow-ids.js';
import type { Database } from '../db/client.js';
import { conflict } from '../lib/errors.js';
import type { FieldIssue } from '../contracts/errors.js';
import { liveCampaignStatuses, type CampaignStatus } from '../contracts/statuses.js';
import { applyCampaignEvent, assertCampaignTransition, transitionCampaign } from './lifecycle.js';
import { cancelRun, controlRun, RunControlRefusedError, RunEndedError, type FanOut } from '../runs/lifecycle.js';
import {
  createCampaignSchedule,
  deleteCampaignSchedule,
  describeCampaignSchedule,
  pauseCampaignSchedule,
  resumeCampaignSchedule,
  triggerCampaignSchedule,
  type CampaignScheduleState,
} from '../runs/schedule.js';
import { activeRun } from '../runs/store.js';
import type { RecurringTrigger } from '../contracts/trigger.js';
import type { FiringInput } from '../workflows/inputs.js';
import type { CampaignProgress } from '../workflows/messages.js';
import type * as workflows from '../workflows/index.js';

const FIRING_WORKFLOW: keyof typeof workflows = 'recurringFiringWorkflow';
const END_WORKFLOW: keyof typeof workflows = 'recurringEndWorkflow';
const GRPC_INVALID_ARGUMENT = 3;

/** The workflow that ends a recurring campaign at its `endAt` (contracts/workflow-ids.ts builds it). */
export const endWorkflowId = workflowIds.recurringEnd;

interface Deps {
  db: Database;
  temporal: Client;
  taskQueue: string;
  fanOut: FanOut;
}

type Row = { id: string; status: CampaignStatus; trigger: RecurringTrigger; channelId: string | null };

/**
 * The operator's side of a recurring campaign: its Temporal Schedule and the
 * run in progress move together. The campaign row in PostgreSQL is written
 * first in each control, because every firing's opening activity reads it
 * under a row lock (activities/recurring.ts): a firing that races a pause is
 * then recorded `skipped`, one that races a cancel is ignored, and one that
 * opened just before is found by `activeRun` and controlled with the rest.
 */
export function createRecurringControls(deps: Deps) {
  const { db, temporal } = deps;

  /**
   * Creates the schedule (and the end-of-campaign timer) inside the launch
   * transaction: if Temporal refuses, the campaign stays a draft. A spec the
   * server refuses (a zone its tz database lacks) is a 409 naming the field.
   */
  async function launch(row: Row): Promise<void> {
    const input: FiringInput = { campaignId: row.id, ...deps.fanOut };
    try {
      await createCampaignSchedule(temporal, {
        campaignId: row.id,
        channelId: row.channelId!,
        trigger: row.trigger,
        taskQueue: deps.taskQueue,
        workflowType: FIRING_WORKFLOW,
        args: [input],
      });
      if (row.trigger.endAt) {
        await temporal.workflow
          .start(END_WORKFLOW, { workflowId: endWorkflowId(row.id), taskQueue: deps.taskQueue, args: [{ campaignId: row.id, endAt: row.trigger.endAt }] })
          .catch((error: unknown) => {
            if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          });
      }
    } catch (error) {
      // The transaction rolls back: leave no schedule firing for a draft that may still be edited.
      await deleteCampaignSchedule(temporal, row.id).catch(() => {});
      if (isGrpcServiceError(error) && error.code === GRPC_INVALID_ARGUMENT) {
        const path = /time ?zone/i.test(error.details) ? 'trigger.timeZone' : 'cron' in row.trigger.schedule ? 'trigger.schedule.cron' : 'trigger.schedule';
        const issues: FieldIssue[] = [{ path, message: `Temporal refused it: ${error.details}` }];
        throw conflict(`the campaign cannot launch: ${path} Temporal refused it`, issues);
      }
      throw error;
    }
  }

  /** Pauses the schedule and the run in progress; repeating it is harmless. */
  async function pause(row: Row, requestedBy: string): Promise<CampaignProgress | null> {
    await applyCampaignEvent(db, row.id, 'pause');
    await pauseCampaignSchedule(temporal, row.id, `paused by ${requestedBy}`);
    const run = await activeRun(db, row.id);
    if (!run || run.status === 'paused') return null;
    return controlQuietly(run, 'pause', requestedBy);
  }

  /** Resumes the run in progress, then the schedule (so its next firing finds the campaign live). */
  async function resume(row: Row, requestedBy: string): Promise<CampaignProgress | null> {
    assertCampaignTransition(row.status, 'resume');
    const run = await activeRun(db, row.id);
    const progress = run?.status === 'paused' ? await controlQuietly(run, 'resume', requestedBy) : null;
    // The run's resume may have moved the campaign already; then this changes nothing.
    await transitionCampaign(db, row.id, run ? 'resume' : 'resumeWaiting', { pauseReason: null });
    await resumeCampaignSchedule(temporal, row.id, `resumed by ${requestedBy}`);
    return progress;
  }

  /** Ends the campaign: `cancelled`, schedule deleted, the run in progress cancelled (it closes its pending users). */
  async function cancel(row: Row): Promise<void> {
    const now = new Date();
    await applyCampaignEvent(db, row.id, 'cancel', { finishedAt: now });
    await deleteCampaignSchedule(temporal, row.id);
    const run = await activeRun(db, row.id);
    if (run) await cancelRun(temporal, run.workflowId).catch(ignoreEnded);
    await temporal.workflow
      .getHandle(endWorkflowId(row.id))
      .terminate('campaign cancelled')
      .catch((error: unknown) => {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      });
  }

  /** Fires one run now through the schedule; the firing is skipped (and recorded) while a run still sends. */
  async function trigger(row: Row): Promise<void> {
    if (row.status !== 'scheduled' && row.status !== 'running') throw refused(row, 'trigger');
    await triggerCampaignSchedule(temporal, row.id);
  }

  /** The schedule's own view (next firings), or null when Temporal does not answer. */
  async function scheduleState(row: Row): Promise<CampaignScheduleState | null> {
    if (!(liveCampaignStatuses as readonly string[]).includes(row.status)) return null;
    try {
      return (await describeCampaignSchedule(temporal, row.id, 5)) ?? null;
    } catch {
      return null;
    }
  }

  async function controlQuietly(run: { workflowId: string; controlEpoch: number }, verb: 'pause' | 'resume', requestedBy: string): Promise<CampaignProgress | null> {
    try {
      return await controlRun(temporal, run, verb, requestedBy);
    } catch (error) {
      // The run ended or moved on meanwhile: the campaign's control still holds.
      if (error instanceof RunControlRefusedError || error instanceof RunEndedError) return null;
      throw error;
    }
  }

  return { launch, pause, resume, cancel, trigger, scheduleState };
}

function refused(row: { status: string }, verb: string) {
  return conflict(`cannot ${verb} a ${row.status} campaign`, [{ path: 'status', message: `is ${row.status}` }]);
}

function ignoreEnded(error: unknown) {
  if (!(error instanceof RunEndedError)) throw error;
}

export type RecurringControls = ReturnType<typeof createRecurringControls>;
