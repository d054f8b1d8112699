import type { z } from 'zod';
import type { Client } from '@temporalio/client';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaigns, channels } from '../db/schema.js';
import { campaignStatuses, liveCampaignStatuses, type CampaignStatus } from '../contracts/statuses.js';
import { deliveryCountRows, deliveryCounts, foldDeliveryCounts } from '../runs/recipients.js';
import { DEFAULT_FAN_OUT, runProgress, type FanOut } from '../runs/lifecycle.js';
import { presentRun } from '../runs/present.js';
import { activeRun, getRun } from '../runs/store.js';
import { ApiError, conflict, fieldError, fieldErrors, notFound } from '../lib/errors.js';
import type { FieldIssue } from '../contracts/errors.js';
import { isUuid } from '../lib/ids.js';
import { getSegment } from '../segments/membership.js';
import { DEFAULT_DUE_QUEUE, type DueQueue } from '../workflows/inputs.js';
import type { CampaignProgress } from '../workflows/messages.js';
import { assertCampaignTransition } from './lifecycle.js';
import { templateRenderProblems } from './template-check.js';
import { createTriggerKinds, type TriggerKind } from './trigger-kinds/index.js';
import { campaignPatchSchema, type CampaignDraft } from '../contracts/campaign.js';
import { freezeDefinition, resolveTemplateValues } from './definition.js';

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
 * Campaigns: drafts in PostgreSQL; launching and the operator's controls go to
 * the campaign's trigger kind (campaigns/trigger-kinds/), every status change
 * through campaigns/lifecycle.ts.
 */
export function createCampaignService(deps: CampaignServiceDeps) {
  const { db, temporal } = deps;
  const fanOut = { ...DEFAULT_FAN_OUT, ...deps.fanOut };
  const dueQueue = { ...DEFAULT_DUE_QUEUE, ...deps.dueQueue };
  const kinds = createTriggerKinds({ db, temporal, taskQueue: deps.taskQueue, fanOut, dueQueue, ...(deps.eventListeners ? { eventListeners: deps.eventListeners } : {}) });

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

  /** A draft campaignDraftSchema has validated; the references are checked here (they need the database). */
  async function create(draft: CampaignDraft) {
    await checkReferences(draft);
    const [row] = await db
      .insert(campaigns)
      // Starts as `draft`, the column's default: campaigns/lifecycle.ts moves it from there.
      .values({ ...draft, expiresAt: draft.expiresAt ?? null })
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

  /** An edit campaignPatchSchema has validated. */
  async function update(id: string, patch: z.infer<typeof campaignPatchSchema>) {
    const row = await get(id);
    draftOnly(row, 'edited');
    await checkReferences(patch);
    const [updated] = await db
      .update(campaigns)
      .set({ ...patch, updatedAt: new Date() })
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

  /** Why a draft cannot launch, each reason naming a field; empty when it can. The trigger's own checks are its kind's. */
  async function launchProblems(row: typeof campaigns.$inferSelect, kind: TriggerKind, now: Date) {
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
    const trigger = kind.validate(row, now);
    problems.push(...trigger.problems);
    return { problems, channel, segment, values: resolved.values, sendAt: trigger.sendAt };
  }

  /** "上线": validates everything, freezes the definition and hands the launch to the campaign's trigger kind. */
  async function launch(id: string) {
    const row = await get(id);
    const kind = kinds[row.trigger.type];
    assertCampaignTransition(row.status, kind.launchEvent);
    const now = new Date();
    const { problems, channel, segment, values, sendAt } = await launchProblems(row, kind, now);
    if (problems.length > 0 || !channel || !segment) {
      throw new ApiError(409, 'cannot_launch', `the campaign cannot launch: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
    }
    const definition = freezeDefinition(row, channel, segment, values);
    await kind.launch(row, { channel, segment, definition, sendAt, now });
    return get(id);
  }

  /** The operator's pause or resume, as the campaign's trigger kind does it; answers the run's progress when a run took it. */
  async function control(id: string, verb: 'pause' | 'resume', requestedBy: string): Promise<CampaignProgress | null> {
    const row = await get(id);
    return kinds[row.trigger.type][verb](row, requestedBy);
  }

  /** Ends the campaign, as its trigger kind does it (a run's workflow closes its pending users and ends `cancelled`). */
  async function cancel(id: string) {
    const row = await get(id);
    await kinds[row.trigger.type].cancel(row);
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
    const fireNow = kinds[row.trigger.type].fireNow;
    if (!fireNow) {
      throw conflict(`only recurring campaigns can be triggered; this one is ${row.trigger.type}`, [{ path: 'trigger.type', message: `is ${row.trigger.type}` }]);
    }
    await fireNow(row);
  }

  /**
   * "New draw": a recurring campaign's next runs hold out another control group
   * (runs hold out the same users until then). Runs already frozen keep theirs.
   */
  async function redrawHoldout(id: string) {
    const row = await get(id);
    if (!kinds[row.trigger.type].redrawsHoldout) {
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
    return kinds[row.trigger.type].describe(row);
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
    /** `requestedBy` names who asked in the run's history ("key ops-1"): a key's name, never the key. */
    pause: (id: string, requestedBy: string) => control(id, 'pause', requestedBy),
    resume: (id: string, requestedBy: string) => control(id, 'resume', requestedBy),
    cancel,
    progress,
    deliveryCounts: (runId: string | null) => deliveryCounts(db, runId),
    run,
    liveUsing,
  };
}

export type CampaignService = ReturnType<typeof createCampaignService>;
