import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaigns, campaignStatuses, channels, type CampaignStatus } from '../db/schema.js';
import { liveCampaignStatuses } from '../lib/statuses.js';
import { deliveryCountRows, deliveryCounts, foldDeliveryCounts } from '../runs/recipients.js';
import { cancelRun, controlRun, DEFAULT_FAN_OUT, runProgress, RunAlreadyStartedError, RunControlRefusedError, RunEndedError, startRunWorkflow, type FanOut } from '../runs/lifecycle.js';
import { presentRun } from '../runs/present.js';
import { activeRun, createRun, getRun } from '../runs/store.js';
import { workflowIds } from '../contracts/workflow-ids.js';
import { ApiError, conflict, fieldError, fieldErrors, notFound, validationError, type FieldIssue } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { getSegment } from '../segments/membership.js';
import { CampaignIdKey, CampaignStatusKey, ChannelIdKey, TriggerTypeKey } from '../temporal/search-attributes.js';
import { DEFAULT_DUE_QUEUE, type CampaignWorkflowInput, type DueQueue } from '../workflows/inputs.js';
import type { CampaignProgress } from '../workflows/messages.js';
import { createRecurringControls } from './recurring.js';
import { applyCampaignEvent, assertCampaignTransition, invalidTransition } from './lifecycle.js';
import { campaignWorkflow } from '../workflows/campaign.js';
import { eventRunWorkflow } from '../workflows/event-run.js';
import { templateRenderProblems } from './template-check.js';
import { recurringLaunchProblems } from '../triggers/recurring.js';
import { campaignDraftSchema, campaignPatchSchema, freezeDefinition, resolveSendAt, resolveTemplateValues } from './definition.js';

/** Statuses in which a campaign still needs its channel and segment. */
export const LIVE_STATUSES: CampaignStatus[] = [...liveCampaignStatuses];

export interface CampaignServiceDeps {
  db: Database;
  temporal: Client;
  taskQueue: string;
  /** Fan-out shape of new runs; the defaults suit most audiences. */
  fanOut?: Partial<FanOut>;
  /** How event runs work through their due firings (tests shorten the pace). */
  dueQueue?: Partial<DueQueue>;
  /**
   * This process's index of live event-triggered campaigns, reloaded after
   * this service changes one so the next ingest already sees it (other
   * processes learn through PostgreSQL NOTIFY).
   */
  eventListeners?: { refresh(): Promise<void> };
}

/**
 * Campaign lifecycle: drafts in PostgreSQL, launched runs as Temporal
 * workflows, operator controls as Temporal updates and cancellation.
 */
export function createCampaignService(deps: CampaignServiceDeps) {
  const { db, temporal } = deps;
  const fanOut = { ...DEFAULT_FAN_OUT, ...deps.fanOut };
  const dueQueue = { ...DEFAULT_DUE_QUEUE, ...deps.dueQueue };
  const recurring = createRecurringControls({ db, temporal, taskQueue: deps.taskQueue, fanOut });

  async function get(id: string) {
    if (!isUuid(id)) throw notFound('campaign');
    const [row] = await db.select().from(campaigns).where(eq(campaigns.id, id));
    if (!row) throw notFound('campaign');
    return row;
  }

  async function checkReferences(input: { segmentId?: string | null; channelId?: string | null }) {
    const issues: FieldIssue[] = [];
    if (input.channelId) {
      const [channel] = await db.select({ id: channels.id }).from(channels).where(eq(channels.id, input.channelId));
      if (!channel) issues.push({ path: 'channelId', message: 'no channel has this id' });
    }
    if (input.segmentId && !(await getSegment(db, input.segmentId))) issues.push({ path: 'segmentId', message: 'no segment has this id' });
    if (issues.length > 0) throw fieldErrors(issues);
  }

  async function create(body: unknown) {
    const parsed = campaignDraftSchema.safeParse(body);
    if (!parsed.success) throw validationError(parsed.error);
    await checkReferences(parsed.data);
    const [row] = await db
      .insert(campaigns)
      // Starts as `draft`, the column's default: campaigns/lifecycle.ts moves it from there.
      .values({ ...parsed.data, expiresAt: parsed.data.expiresAt ?? null })
      .returning();
    return row!;
  }

  async function list(status?: string) {
    if (status !== undefined && !(campaignStatuses as readonly string[]).includes(status)) {
      throw fieldError('status', `must be one of ${campaignStatuses.join(', ')}`);
    }
    const where = status ? eq(campaigns.status, status as CampaignStatus) : undefined;
    // The current run's counts come in the same statement: one round trip for the page, whatever its length.
    const rows = await db
      .select({ campaign: campaigns, counts: deliveryCountRows(campaigns.currentRunId) })
      .from(campaigns)
      .where(where)
      .orderBy(desc(campaigns.createdAt))
      .limit(500);
    return rows.map(({ campaign, counts }) => ({ campaign, deliveries: foldDeliveryCounts(counts) }));
  }

  function draftOnly(row: { status: CampaignStatus }, verb: string) {
    if (row.status !== 'draft') throw conflict(`only drafts can be ${verb}; this campaign is ${row.status}`);
  }

  async function update(id: string, body: unknown) {
    const row = await get(id);
    draftOnly(row, 'edited');
    const parsed = campaignPatchSchema.safeParse(body);
    if (!parsed.success) throw validationError(parsed.error);
    await checkReferences(parsed.data);
    const [updated] = await db
      .update(campaigns)
      .set({ ...parsed.data, updatedAt: new Date() })
      .where(and(eq(campaigns.id, id), eq(campaigns.status, 'draft')))
      .returning();
    if (!updated) throw conflict('the campaign was launched meanwhile');
    return updated;
  }

  async function remove(id: string) {
    const row = await get(id);
    draftOnly(row, 'deleted');
    await db.delete(campaigns).where(and(eq(campaigns.id, id), eq(campaigns.status, 'draft')));
  }

  /** Why a draft cannot launch, each reason naming a field; empty when it can. */
  async function launchProblems(row: typeof campaigns.$inferSelect, now: Date) {
    const problems: FieldIssue[] = [];
    const channel = row.channelId ? (await db.select().from(channels).where(eq(channels.id, row.channelId)))[0] : undefined;
    if (!row.channelId) problems.push({ path: 'channelId', message: 'is required to launch' });
    else if (!channel) problems.push({ path: 'channelId', message: 'the channel no longer exists' });
    else if (channel.flaggedAt) problems.push({ path: 'channelId', message: `the channel is flagged: ${channel.flagReason ?? 'see the channel'}` });
    const segment = row.segmentId ? await getSegment(db, row.segmentId) : undefined;
    if (!row.segmentId) problems.push({ path: 'segmentId', message: 'is required to launch' });
    else if (!segment) problems.push({ path: 'segmentId', message: 'the segment no longer exists' });
    const resolved = channel ? resolveTemplateValues(channel.templateParams, row.templateValues) : { values: {}, problems: [] };
    problems.push(...resolved.problems);
    if (channel && segment && resolved.problems.length === 0) {
      problems.push(...(await templateRenderProblems(db, channel.templateParams, resolved.values, segment, now)));
    }
    if (row.trigger.type === 'recurring') {
      problems.push(...recurringLaunchProblems(row.trigger, now));
      if (row.expiresAt) problems.push({ path: 'expiresAt', message: 'is not used by recurring campaigns: each run stops trying its users 24 h after its firing' });
      return { problems, channel, segment, values: resolved.values, sendAt: now };
    }
    // An event-triggered campaign listens from its launch on.
    const { sendAt, problem } = row.trigger.type === 'event' ? { sendAt: now, problem: undefined } : resolveSendAt(row.trigger, now);
    if (problem) problems.push({ path: 'trigger.sendAt', message: problem });
    if (row.expiresAt && row.expiresAt.getTime() <= sendAt.getTime()) problems.push({ path: 'expiresAt', message: 'must be after the send time' });
    return { problems, channel, segment, values: resolved.values, sendAt };
  }

  /** "上线": validates everything, freezes the definition, opens the run and starts its workflow. */
  async function launch(id: string) {
    const row = await get(id);
    assertCampaignTransition(row.status, row.trigger.type === 'event' ? 'launchListening' : 'launch');
    const now = new Date();
    const { problems, channel, segment, values, sendAt } = await launchProblems(row, now);
    if (problems.length > 0 || !channel || !segment) {
      throw new ApiError(409, 'cannot_launch', `the campaign cannot launch: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
    }
    const definition = freezeDefinition(row, channel, segment, values);
    if (row.trigger.type === 'recurring') {
      const trigger = row.trigger;
      // No run yet: each firing of the schedule opens its own.
      await db.transaction(async (tx) => {
        // Launched meanwhile: the 409 names the status it has now.
        await applyCampaignEvent(tx, row.id, 'launch', { definition, launchedAt: now });
        await recurring.launch({ ...row, trigger });
      });
      return get(id);
    }
    const runId = randomUUID();
    // An event campaign's one run collects its sends from launch on: it is running at once.
    const event = row.trigger.type === 'event';
    const workflowId = event ? workflowIds.eventsRun(row.id) : workflowIds.onceRun(row.id);
    const input: CampaignWorkflowInput = {
      campaignId: row.id,
      runId,
      sendAt: sendAt.toISOString(),
      expiresAt: row.expiresAt?.toISOString() ?? null,
      ...fanOut,
    };
    await db.transaction(async (tx) => {
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
      // Started inside the transaction: if Temporal refuses, nothing is written.
      try {
        // An event campaign's run takes the same pause/resume Updates and cancel as a batch run.
        if (event) await startRunWorkflow(temporal, eventRunWorkflow, { ...start, input: { campaignId: row.id, runId, expiresAt: input.expiresAt, queue: dueQueue } });
        else await startRunWorkflow(temporal, campaignWorkflow, { ...start, input });
      } catch (error) {
        if (error instanceof RunAlreadyStartedError) throw conflict('the campaign was launched meanwhile');
        throw error;
      }
    });
    if (event) await deps.eventListeners?.refresh();
    return get(id);
  }

  /** The run an operator control acts on: the campaign's open run. */
  async function openRunOf(row: { id: string; status: CampaignStatus }, event: 'pause' | 'resume' | 'cancel') {
    assertCampaignTransition(row.status, event);
    const run = await activeRun(db, row.id);
    if (!run) throw invalidTransition(row.status, event, 'it has no open run');
    return run;
  }

  /** Runs the operator's pause or resume Update; answers the workflow's progress as the Update returned it. */
  async function control(id: string, verb: 'pause' | 'resume'): Promise<CampaignProgress | null> {
    const row = await get(id);
    if (row.trigger.type === 'recurring') return recurring[verb]({ ...row, trigger: row.trigger });
    const run = await openRunOf(row, verb);
    try {
      const progress = await controlRun(temporal, run.workflowId, verb);
      if (run.trigger === 'event') await deps.eventListeners?.refresh();
      return progress;
    } catch (error) {
      // The run's own validator refused (e.g. pausing a run that is paused already).
      if (error instanceof RunControlRefusedError) throw invalidTransition(row.status, verb, error.message);
      throw await endedMeanwhile(id, verb, error);
    }
  }

  /** The run ended between our read and Temporal's answer: a 409, not a 500. */
  async function endedMeanwhile(id: string, verb: string, error: unknown) {
    if (!(error instanceof RunEndedError)) return error;
    const now = await get(id);
    return conflict(`cannot ${verb} a ${now.status} campaign: its run has ended`, [{ path: 'status', message: `is ${now.status}` }]);
  }

  /** Requests Temporal cancellation; the workflow closes pending users and ends `cancelled`. */
  async function cancel(id: string) {
    const row = await get(id);
    if (row.trigger.type === 'recurring') {
      await recurring.cancel({ ...row, trigger: row.trigger });
      return row;
    }
    const run = await openRunOf(row, 'cancel');
    try {
      await cancelRun(temporal, run.workflowId);
    } catch (error) {
      throw await endedMeanwhile(id, 'cancel', error);
    }
    return row;
  }

  /** The workflow's own progress, when the campaign has an open run. */
  async function progress(row: { id: string; status: CampaignStatus }): Promise<CampaignProgress | null> {
    if (!LIVE_STATUSES.includes(row.status)) return null;
    const run = await activeRun(db, row.id);
    return run ? runProgress(temporal, run.workflowId) : null;
  }

  /** A run of this campaign as the API shows it, or null. */
  async function run(runId: string | null) {
    if (!runId) return null;
    const row = await getRun(db, runId);
    return row ? presentRun(row) : null;
  }

  /** Live campaigns using a channel or segment; deleting those is refused. */
  async function liveUsing(column: 'channelId' | 'segmentId', id: string) {
    return db
      .select({ id: campaigns.id, name: campaigns.name })
      .from(campaigns)
      .where(and(eq(campaigns[column], id), inArray(campaigns.status, LIVE_STATUSES)));
  }

  /** "Send once now" for a recurring campaign: one firing through its schedule. */
  async function trigger(id: string) {
    const row = await get(id);
    if (row.trigger.type !== 'recurring') {
      throw conflict(`only recurring campaigns can be triggered; this one is ${row.trigger.type}`, [{ path: 'trigger.type', message: `is ${row.trigger.type}` }]);
    }
    await recurring.trigger({ ...row, trigger: row.trigger });
  }

  /**
   * "New draw": a recurring campaign's next runs hold out another control group
   * (runs hold out the same users until then). Runs already frozen keep theirs.
   */
  async function redrawHoldout(id: string) {
    const row = await get(id);
    if (row.trigger.type !== 'recurring') {
      throw conflict(`only recurring campaigns take a new draw of their control group; this one is ${row.trigger.type} and holds out one group for its one run`, [
        { path: 'trigger.type', message: `is ${row.trigger.type}` },
      ]);
    }
    if (!row.holdout) throw conflict('the campaign has no control group', [{ path: 'holdout', message: 'is not set' }]);
    if (row.status !== 'draft' && !LIVE_STATUSES.includes(row.status)) throw conflict(`the campaign is ${row.status}`, [{ path: 'status', message: `is ${row.status}` }]);
    // The launch-time definition each firing copies holds the draw too.
    const [updated] = await db
      .update(campaigns)
      .set({
        holdoutDraw: sql`${campaigns.holdoutDraw} + 1`,
        definition: sql`CASE WHEN ${campaigns.definition} -> 'holdout' IS NOT NULL AND jsonb_typeof(${campaigns.definition} -> 'holdout') = 'object'
          THEN jsonb_set(${campaigns.definition}, '{holdout,draw}', to_jsonb(${campaigns.holdoutDraw} + 1)) ELSE ${campaigns.definition} END`,
        updatedAt: new Date(),
      })
      .where(eq(campaigns.id, id))
      .returning();
    return updated!;
  }

  /** A recurring campaign's next firings (null for other campaigns, or when Temporal does not answer). */
  async function schedule(row: typeof campaigns.$inferSelect) {
    if (row.trigger.type !== 'recurring') return null;
    const state = await recurring.scheduleState({ ...row, trigger: row.trigger });
    return state && { paused: state.paused, nextFirings: state.nextFirings.map((at) => at.toISOString()), missedBeyondRecord: state.missedBeyondRecord };
  }

  return {
    get,
    trigger,
    redrawHoldout,
    schedule,
    create,
    list,
    update,
    remove,
    launch,
    pause: (id: string) => control(id, 'pause'),
    resume: (id: string) => control(id, 'resume'),
    cancel,
    progress,
    deliveryCounts: (runId: string | null) => deliveryCounts(db, runId),
    run,
    liveUsing,
  };
}

export type CampaignService = ReturnType<typeof createCampaignService>;
