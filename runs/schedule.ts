import { msToTs, tsToDate } from '@temporalio/common/lib/time.js';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription } from '@temporalio/client';
import { workflowIds } from '../contracts/workflow-ids.js';
import { CampaignIdKey, ChannelIdKey, TriggerTypeKey } from '../temporal/search-attributes.js';
import { recurringScheduleSpec } from '../triggers/recurring.js';
import type { RecurringTrigger } from '../contracts/trigger.js';

/**
 * How far back Temporal itself looks for firings it missed while it was down.
 * Much longer than `FIRING_CATCH_UP_MS` (runs/firing.ts) on purpose: Temporal drops a firing
 * older than its window without a trace (only a counter), whereas a firing it
 * hands over is recorded by hookcast as a run (`missed` when late). So an
 * outage of up to a week leaves one record per firing; older firings appear
 * only in `missedBeyondRecord` of the schedule's state.
 */
export const TEMPORAL_CATCH_UP_WINDOW = '7 days';

/** The schedule of a recurring campaign (contracts/workflow-ids.ts builds it). */
export const campaignScheduleId = workflowIds.schedule;

export interface CreateCampaignScheduleOptions {
  campaignId: string;
  channelId: string;
  trigger: RecurringTrigger;
  taskQueue: string;
  /** The run workflow each firing starts, and its arguments (ids and settings only: history is public to engineers). */
  workflowType: string;
  args: unknown[];
  /** Create it paused (e.g. a campaign paused before its schedule was written). */
  paused?: boolean;
}

/**
 * Creates the campaign's schedule. Idempotent: a retried launch finds the
 * schedule it already created and leaves it as it is.
 *
 * Overlap is ALLOW_ALL on purpose: Temporal's SKIP leaves no record of the
 * firing it skipped, and an operator must see it. Every firing therefore
 * starts its workflow, and the run's opening activity decides in PostgreSQL,
 * under a lock on the campaign, whether a previous run is still sending (the
 * firing is recorded `skipped`) or the firing is too late (`missed`). The
 * same rule then covers scheduled firings and manual triggers alike.
 */
export async function createCampaignSchedule(client: Client, options: CreateCampaignScheduleOptions): Promise<void> {
  const typedSearchAttributes = [
    { key: CampaignIdKey, value: options.campaignId },
    { key: ChannelIdKey, value: options.channelId },
    { key: TriggerTypeKey, value: 'recurring' },
  ];
  try {
    await client.schedule.create({
      scheduleId: campaignScheduleId(options.campaignId),
      spec: recurringScheduleSpec(options.trigger),
      action: {
        type: 'startWorkflow',
        workflowType: options.workflowType,
        workflowId: workflowIds.firingPrefix(options.campaignId),
        taskQueue: options.taskQueue,
        args: options.args,
        typedSearchAttributes,
      },
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: TEMPORAL_CATCH_UP_WINDOW, pauseOnFailure: false },
      state: { paused: options.paused ?? false, note: options.paused ? 'created paused by hookcast' : 'created by hookcast launch' },
      typedSearchAttributes: typedSearchAttributes,
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}

/** Pauses the schedule: no firing is taken while paused, and none is caught up on resume. */
export async function pauseCampaignSchedule(client: Client, campaignId: string, note = 'paused by an operator'): Promise<void> {
  await client.schedule.getHandle(campaignScheduleId(campaignId)).pause(note);
}

export async function resumeCampaignSchedule(client: Client, campaignId: string, note = 'resumed by an operator'): Promise<void> {
  await client.schedule.getHandle(campaignScheduleId(campaignId)).unpause(note);
}

/** Deletes the schedule; a schedule already gone is fine (a retried cancel). Runs it started are not touched. */
export async function deleteCampaignSchedule(client: Client, campaignId: string): Promise<void> {
  try {
    await client.schedule.getHandle(campaignScheduleId(campaignId)).delete();
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
  }
}

/**
 * Fires the schedule once now. The firing goes through the same opening
 * activity as a timed one, so it is skipped (and recorded) while a previous
 * run still sends.
 */
export async function triggerCampaignSchedule(client: Client, campaignId: string): Promise<void> {
  await client.schedule.getHandle(campaignScheduleId(campaignId)).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
}

export interface CampaignScheduleState {
  paused: boolean;
  /** Upcoming firing times (empty while paused or after the end). */
  nextFirings: Date[];
  /** Firings Temporal dropped because they were older than its own catch-up window (no run records them). */
  missedBeyondRecord: number;
}

/**
 * What the schedule says about itself, for the campaign's GET.
 *
 * @example
 * (await describeCampaignSchedule(client, id, 5)).nextFirings; // [2026-11-30T01:00:00.000Z, …]
 */
export async function describeCampaignSchedule(client: Client, campaignId: string, count = 5): Promise<CampaignScheduleState | undefined> {
  let description: ScheduleDescription;
  try {
    description = await client.schedule.getHandle(campaignScheduleId(campaignId)).describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
  return {
    paused: description.state.paused,
    nextFirings: description.state.paused ? [] : description.info.nextActionTimes.slice(0, count),
    missedBeyondRecord: description.info.numActionsMissedCatchupWindow,
  };
}

/**
 * Whether `at` is a time the schedule's spec fires at, as Temporal computes it.
 * A firing at any other time came from `trigger` (an operator's "send once
 * now"): Temporal stamps both kinds alike, so this is how a run tells them apart.
 */
export async function isScheduledFiring(client: Client, campaignId: string, at: Date): Promise<boolean> {
  const { startTime } = await client.workflowService.listScheduleMatchingTimes({
    namespace: client.options.namespace,
    scheduleId: campaignScheduleId(campaignId),
    // The server's range excludes its start: begin just before.
    startTime: msToTs(at.getTime() - 1),
    endTime: msToTs(at.getTime() + 1),
  });
  return (startTime ?? []).some((time) => tsToDate(time).getTime() === at.getTime());
}
