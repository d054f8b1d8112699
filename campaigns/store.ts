import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaignRuns, campaigns, campaignStatuses, channels, runStatusCounts, type CampaignStatus } from '../db/schema.js';
import { ApiError, conflict, fieldError, fieldErrors, notFound, validationError, type FieldIssue } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { getSegment } from '../segments/membership.js';
import { CampaignIdKey, CampaignStatusKey, ChannelIdKey, TriggerTypeKey } from '../temporal/search-attributes.js';
import { campaignWorkflow } from '../workflows/campaign.js';
import type { CampaignWorkflowInput } from '../workflows/inputs.js';
import { pauseUpdate, progressQuery, resumeUpdate, type CampaignProgress } from '../workflows/messages.js';
import { templateRenderProblems } from './template-check.js';
import { campaignDraftSchema, campaignPatchSchema, resolveSendAt, resolveTemplateValues, type FrozenDefinition } from './definition.js';

/** Statuses in which a campaign still needs its channel and segment. */
export const LIVE_STATUSES: CampaignStatus[] = ['scheduled', 'running', 'paused'];

export interface CampaignServiceDeps {
  db: Database;
  temporal: Client;
  taskQueue: string;
  /** Fan-out shape of new runs; the defaults suit most audiences. */
  fanOut?: Partial<Pick<CampaignWorkflowInput, 'batchSize' | 'window' | 'childrenPerExecution'>>;
}

const DEFAULT_FAN_OUT = { batchSize: 500, window: 8, childrenPerExecution: 400 };

/**
 * Campaign lifecycle: drafts in PostgreSQL, launched runs as Temporal
 * workflows, operator controls as Temporal updates and cancellation.
 */
export function createCampaignService(deps: CampaignServiceDeps) {
  const { db, temporal } = deps;
  const fanOut = { ...DEFAULT_FAN_OUT, ...deps.fanOut };

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
      .values({ ...parsed.data, expiresAt: parsed.data.expiresAt ?? null, status: 'draft' })
      .returning();
    return row!;
  }

  async function list(status?: string) {
    if (status !== undefined && !(campaignStatuses as readonly string[]).includes(status)) {
      throw fieldError('status', `must be one of ${campaignStatuses.join(', ')}`);
    }
    const where = status ? eq(campaigns.status, status as CampaignStatus) : undefined;
    return db.select().from(campaigns).where(where).orderBy(desc(campaigns.createdAt)).limit(500);
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
    const { sendAt, problem } = resolveSendAt(row.trigger, now);
    if (problem) problems.push({ path: 'trigger.sendAt', message: problem });
    if (row.expiresAt && row.expiresAt.getTime() <= sendAt.getTime()) problems.push({ path: 'expiresAt', message: 'must be after the send time' });
    return { problems, channel, segment, values: resolved.values, sendAt };
  }

  /** "上线": validates everything, freezes the definition and starts the run's workflow. */
  async function launch(id: string) {
    const row = await get(id);
    if (row.status !== 'draft') throw conflict(`the campaign is already ${row.status}`, [{ path: 'status', message: `is ${row.status}, not draft` }]);
    const now = new Date();
    const { problems, channel, segment, values, sendAt } = await launchProblems(row, now);
    if (problems.length > 0 || !channel || !segment) {
      throw new ApiError(409, 'cannot_launch', `the campaign cannot launch: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
    }
    const definition: FrozenDefinition = {
      campaignName: row.name,
      identity: row.identity,
      templateValues: values,
      channel: {
        id: channel.id,
        name: channel.name,
        url: channel.url,
        method: channel.method,
        headers: channel.headers,
        format: channel.format,
        batchSize: channel.batchSize,
        timeoutMs: channel.timeoutMs,
        retry: channel.retry,
        userAttributeParams: channel.userAttributeParams,
        templateParams: channel.templateParams,
      },
      segment: { id: segment.id, name: segment.name, rule: segment.rule, timeZone: segment.timeZone },
    };
    const runId = randomUUID();
    const workflowId = `campaign-${row.id}`;
    const input: CampaignWorkflowInput = {
      campaignId: row.id,
      runId,
      sendAt: sendAt.toISOString(),
      expiresAt: row.expiresAt?.toISOString() ?? null,
      ...fanOut,
    };
    await db.transaction(async (tx) => {
      await tx.insert(campaignRuns).values({ id: runId, campaignId: row.id, workflowId, definition, sendAt, expiresAt: row.expiresAt });
      const [claimed] = await tx
        .update(campaigns)
        .set({ status: 'scheduled', workflowId, currentRunId: runId, launchedAt: now, updatedAt: now })
        .where(and(eq(campaigns.id, row.id), eq(campaigns.status, 'draft')))
        .returning({ id: campaigns.id });
      if (!claimed) throw conflict('the campaign was launched meanwhile');
      // Started inside the transaction: if Temporal refuses, nothing is written.
      try {
        await temporal.workflow.start(campaignWorkflow, {
          workflowId,
          taskQueue: deps.taskQueue,
          args: [input],
          memo: { campaignName: row.name, channelName: channel.name, segmentName: segment.name },
          typedSearchAttributes: [
            { key: CampaignIdKey, value: row.id },
            { key: ChannelIdKey, value: channel.id },
            { key: CampaignStatusKey, value: 'scheduled' },
            { key: TriggerTypeKey, value: row.trigger.type },
          ],
        });
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) throw conflict('the campaign was launched meanwhile');
        throw error;
      }
    });
    return get(id);
  }

  function handleFor(row: { workflowId: string | null; status: CampaignStatus }, verb: string) {
    if (!row.workflowId) throw conflict(`cannot ${verb} a ${row.status} campaign`, [{ path: 'status', message: `is ${row.status}` }]);
    return temporal.workflow.getHandle(row.workflowId);
  }

  /** Runs the operator's pause or resume Update; answers the workflow's progress as the Update returned it. */
  async function control(id: string, verb: 'pause' | 'resume'): Promise<CampaignProgress> {
    const row = await get(id);
    const handle = handleFor(row, verb);
    if (!LIVE_STATUSES.includes(row.status)) throw conflict(`cannot ${verb} a ${row.status} campaign`, [{ path: 'status', message: `is ${row.status}` }]);
    try {
      return await handle.executeUpdate(verb === 'pause' ? pauseUpdate : resumeUpdate);
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        throw conflict(error.cause?.message ?? `cannot ${verb} this campaign`, [{ path: 'status', message: error.cause?.message ?? 'illegal transition' }]);
      }
      throw await finishedMeanwhile(id, verb, error);
    }
  }

  /** The run ended between our read and Temporal's answer: a 409, not a 500. */
  async function finishedMeanwhile(id: string, verb: string, error: unknown) {
    if (!(error instanceof WorkflowNotFoundError)) return error;
    const now = await get(id);
    return conflict(`cannot ${verb} a ${now.status} campaign: its run has ended`, [{ path: 'status', message: `is ${now.status}` }]);
  }

  /** Requests Temporal cancellation; the workflow closes pending users and ends `cancelled`. */
  async function cancel(id: string) {
    const row = await get(id);
    const handle = handleFor(row, 'cancel');
    if (!LIVE_STATUSES.includes(row.status)) throw conflict(`cannot cancel a ${row.status} campaign`, [{ path: 'status', message: `is ${row.status}` }]);
    try {
      // Temporal accepts a cancel request for a closed run without complaint; say so instead.
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') throw new WorkflowNotFoundError('run already closed', handle.workflowId, undefined);
      await handle.cancel();
    } catch (error) {
      throw await finishedMeanwhile(id, 'cancel', error);
    }
    return row;
  }

  /** The workflow's own progress, when it is still running. */
  async function progress(row: { workflowId: string | null; status: CampaignStatus }): Promise<CampaignProgress | null> {
    if (!row.workflowId || !LIVE_STATUSES.includes(row.status)) return null;
    try {
      return await temporal.workflow.getHandle(row.workflowId).query(progressQuery);
    } catch {
      return null;
    }
  }

  async function deliveryCounts(runId: string | null) {
    const counts = { pending: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
    if (!runId) return { total: 0, ...counts };
    const rows = await db
      .select({ status: runStatusCounts.status, n: runStatusCounts.n })
      .from(runStatusCounts)
      .where(eq(runStatusCounts.runId, runId));
    let total = 0;
    for (const row of rows) {
      counts[row.status] = row.n;
      total += row.n;
    }
    return { total, ...counts };
  }

  /** The launched run: its frozen definition (no credentials), send time and audience size. */
  async function run(runId: string | null) {
    if (!runId) return null;
    const [row] = await db.select().from(campaignRuns).where(eq(campaignRuns.id, runId));
    if (!row) return null;
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    return {
      id: row.id,
      sendAt: row.sendAt.toISOString(),
      expiresAt: iso(row.expiresAt),
      audience: row.total === null ? null : { total: row.total, skipped: row.skipped, frozenAt: iso(row.frozenAt) },
      startedAt: iso(row.startedAt),
      finishedAt: iso(row.finishedAt),
      definition: row.definition,
    };
  }

  /** Live campaigns using a channel or segment; deleting those is refused. */
  async function liveUsing(column: 'channelId' | 'segmentId', id: string) {
    return db
      .select({ id: campaigns.id, name: campaigns.name })
      .from(campaigns)
      .where(and(eq(campaigns[column], id), inArray(campaigns.status, LIVE_STATUSES)));
  }

  return { get, create, list, update, remove, launch, pause: (id: string) => control(id, 'pause'), resume: (id: string) => control(id, 'resume'), cancel, progress, deliveryCounts, run, liveUsing };
}

export type CampaignService = ReturnType<typeof createCampaignService>;
