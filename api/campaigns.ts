import type { Context } from 'hono';
import { z } from 'zod';
import { campaignDraftSchema, campaignPatchSchema } from '../contracts/campaign.js';
import { renderPreview, renderPreviewAnswerSchema, renderPreviewSchema } from '../campaigns/render-preview.js';
import { campaignStatuses } from '../contracts/statuses.js';
import { failureReasons, failureReasonsSchema, runTimeline, runTimelineSchema } from '../runs/insights.js';
import { campaignDetailSchema, campaignListAnswerSchema, campaignSchema, deliverySchema, deliveryWithAttemptsSchema, effectAnswerSchema, runSchema, testSendResultSchema } from './answers.js';
import { apiRouter, body, defineRoute, errors, idParam, json, page } from './contract.js';
import { campaignListExample, campaignTestSchema, example, storyCampaign } from './examples.js';
import { deliveryOfUser, listDeliveries } from '../runs/deliveries.js';
import { presentCampaign } from '../campaigns/present.js';
import type { CampaignService } from '../campaigns/store.js';
import { testCampaignSend } from '../campaigns/test-send.js';
import type { Database } from '../db/client.js';
import { notFound } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { createReadShare } from '../lib/read-share.js';
import { campaignEffect } from '../effect/store.js';
import { presentRun } from '../runs/present.js';
import { deliveryCounts } from '../runs/recipients.js';
import { getRun, listRuns, type RunRow } from '../runs/store.js';
import { queueFigures } from '../triggers/due.js';
import type { CampaignProgress } from '../workflows/messages.js';
import type { RequestLogEnv } from './request-log.js';


const tags = ['campaigns'];
const withId = { params: idParam };
const runQuery = z.object({ run: z.string().optional().meta({ description: 'a run of the campaign; the current run when absent' }) });
const control = (action: string, summary: string, status: 200 | 202 = 200) =>
  defineRoute({ method: 'post', path: `/{id}/${action}`, tags, summary, request: withId, responses: { [status]: json(campaignDetailSchema), 404: errors.notFound, 409: errors.conflict } as { 200: ReturnType<typeof json<typeof campaignDetailSchema>>; 404: typeof errors.notFound; 409: typeof errors.conflict } });

const createDraft = defineRoute({ method: 'post', path: '/', tags, summary: 'Save a draft', request: { body: body(campaignDraftSchema, storyCampaign) }, responses: { 201: json(campaignSchema), 400: errors.validation } });
const previewRender = defineRoute({
  method: 'post',
  path: '/preview',
  tags,
  summary: 'Render the request a campaign would send to a sample user of its segment, before saving; nothing is sent',
  request: { body: body(renderPreviewSchema, example('campaign render preview')) },
  responses: { 200: json(renderPreviewAnswerSchema), 400: errors.validation },
});
const listCampaigns = defineRoute({
  method: 'get',
  path: '/',
  tags,
  summary: 'List campaigns, newest first (at most 500), each with its current run\'s delivery counts',
  request: { query: z.object({ status: z.enum(campaignStatuses).optional() }) },
  responses: { 200: json(campaignListAnswerSchema, campaignListExample), 400: errors.validation },
});
const getCampaign = defineRoute({
  method: 'get',
  path: '/{id}',
  tags,
  summary: 'A campaign with its run, delivery counts and (with `?live=true`) the workflow\'s progress',
  request: { params: idParam, query: z.object({ live: z.string().optional().meta({ description: '`true` or `1`: ask the workflow for its progress' }) }) },
  responses: { 200: json(campaignDetailSchema), 404: errors.notFound },
});
const editDraft = defineRoute({
  method: 'patch',
  path: '/{id}',
  tags,
  summary: 'Edit a draft',
  request: { params: idParam, body: body(campaignPatchSchema, example('campaign patch')) },
  responses: { 200: json(campaignSchema), 400: errors.validation, 404: errors.notFound, 409: errors.conflict },
});
const deleteDraft = defineRoute({ method: 'delete', path: '/{id}', tags, summary: 'Delete a draft', request: withId, responses: { 204: { description: 'Deleted' }, 404: errors.notFound, 409: errors.conflict } });
const launchCampaign = control('launch', 'Go live (上线); 409 with the reasons when it cannot');
const pauseCampaign = control('pause', 'Pause a running campaign');
const resumeCampaign = control('resume', 'Resume a paused campaign');
const cancelCampaign = defineRoute({
  method: 'post',
  path: '/{id}/cancel',
  tags,
  summary: 'Cancel; the run stops in the background',
  request: withId,
  responses: { 202: json(campaignDetailSchema), 404: errors.notFound, 409: errors.conflict },
});
const testCampaign = defineRoute({
  method: 'post',
  path: '/{id}/test',
  tags,
  summary: 'One real request to one named user, outside any run',
  request: { params: idParam, body: body(campaignTestSchema, example('campaign test')) },
  responses: { 200: json(testSendResultSchema), 400: errors.validation, 404: errors.notFound, 409: errors.conflict },
});
const triggerCampaign = defineRoute({
  method: 'post',
  path: '/{id}/trigger',
  tags,
  summary: 'Send a recurring campaign once now',
  request: withId,
  responses: { 202: json(z.strictObject({ triggered: z.literal(true), runs: z.string().meta({ description: 'where the firing\'s run will be listed' }) })), 404: errors.notFound, 409: errors.conflict },
});
const listCampaignRuns = defineRoute({
  method: 'get',
  path: '/{id}/runs',
  tags,
  summary: 'Runs, newest first',
  request: { params: idParam, query: z.object({ cursor: z.string().optional(), limit: z.string().optional() }) },
  responses: { 200: json(page(runSchema)), 400: errors.validation, 404: errors.notFound },
});
const getCampaignRun = defineRoute({
  method: 'get',
  path: '/{id}/runs/{runId}',
  tags,
  summary: 'One run with its frozen definition',
  request: { params: idParam.extend({ runId: z.string() }) },
  responses: { 200: json(runSchema), 404: errors.notFound },
});
const campaignTimeline = defineRoute({
  method: 'get',
  path: '/{id}/timeline',
  tags,
  summary: 'Attempts per interval by outcome and the current sending rate of a run, for a chart (from PostgreSQL)',
  request: { params: idParam, query: runQuery },
  responses: { 200: json(runTimelineSchema), 404: errors.notFound },
});
const campaignEffectRoute = defineRoute({
  method: 'get',
  path: '/{id}/effect',
  tags,
  summary: 'Did it work: conversions of the sent and the control group, the difference with its 95 % interval, the p-value and the curves; every run added up, or one with `?run=`',
  request: { params: idParam, query: z.object({ run: z.string().optional().meta({ description: 'one run of the campaign; every run added up when absent' }) }) },
  responses: { 200: json(effectAnswerSchema), 404: errors.notFound },
});
const redrawHoldout = defineRoute({
  method: 'post',
  path: '/{id}/holdout/redraw',
  tags,
  summary: 'New draw of a recurring campaign\'s control group: its next runs hold out other users (runs hold out the same users until then)',
  request: withId,
  responses: { 200: json(campaignSchema), 404: errors.notFound, 409: errors.conflict },
});
const campaignFailures = defineRoute({
  method: 'get',
  path: '/{id}/failures',
  tags,
  summary: 'Users of a run that failed, were skipped or cancelled, or are being retried, grouped by reason with counts',
  request: { params: idParam, query: runQuery },
  responses: { 200: json(failureReasonsSchema), 404: errors.notFound },
});
const listCampaignDeliveries = defineRoute({
  method: 'get',
  path: '/{id}/deliveries',
  tags,
  summary: 'Deliveries of a run (the current one unless `?run=`)',
  request: { params: idParam, query: z.object({ run: z.string().optional(), status: z.string().optional(), cursor: z.string().optional(), limit: z.string().optional() }) },
  responses: { 200: json(page(deliverySchema)), 400: errors.validation, 404: errors.notFound },
});
const deliveryForUser = defineRoute({
  method: 'get',
  path: '/{id}/deliveries/{user}',
  tags,
  summary: 'One user\'s delivery with every attempt (by login or visitor id)',
  request: { params: idParam.extend({ user: z.string() }), query: runQuery },
  responses: { 200: json(deliveryWithAttemptsSchema), 404: errors.notFound },
});

/**
 * `/api/campaigns`: drafts, launch, operator controls, and delivery state.
 */
export function campaignRoutes(deps: { db: Database; campaigns: CampaignService; temporalUiUrl: string; namespace: string; readShareMs?: number }) {
  const { db, campaigns } = deps;
  const app = apiRouter<RequestLogEnv>();

  /*
   * Plain reads of one campaign are shared for READ_SHARE_MS (API_READ_SHARE_MS): fifty dashboards
   * polling a live run then cost one set of queries (and one serialisation) per
   * window, not fifty, and their latency stays low while the worker keeps the
   * machine busy. Writes through this process forget the entry at once; a change
   * made elsewhere (the worker, another API process) shows within the window.
   */
  const READ_SHARE_MS = deps.readShareMs ?? 250;
  const details = createReadShare(({ tookMs }) => READ_SHARE_MS - tookMs);
  const sharedDetail = (id: string) => details.get(id, async () => JSON.stringify(await detail(id)));
  const forget = (id: string) => details.forget(id);
  /*
   * A run's chart and failure groups scan the run (about 1.6 s for a million
   * users), so their answers are shared longer: for READ_SHARE_MS, or five
   * times as long as the read took, whichever is more. However many viewers
   * poll a big run, its scans then take at most a sixth of one core.
   * The campaign's status is part of the key: the read the console makes when
   * a run finishes must see the finished run, not an answer shared from just
   * before its last attempts were written.
   */
  const scans = createReadShare(({ tookMs }) => Math.max(READ_SHARE_MS, 5 * tookMs));
  const workflowUrl = (workflowId: string) => `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(workflowId)}`;

  /** The run `?run=` names (it must belong to the campaign), else the campaign's current run. */
  async function runOfCampaign(row: { id: string; currentRunId: string | null }, runId: string | undefined): Promise<string | null> {
    if (runId === undefined) return row.currentRunId;
    const run = isUuid(runId) ? await getRun(db, runId) : undefined;
    if (!run || run.campaignId !== row.id) throw notFound('run');
    return run.id;
  }

  async function presentRunOf(run: RunRow, definition: boolean) {
    return presentRun(run, { deliveries: await deliveryCounts(db, run.id), temporalUrl: workflowUrl(run.workflowId), definition });
  }

  /**
   * The campaign as PostgreSQL knows it (row, run, kept counts: a few indexed
   * reads). The workflow's own state costs a Temporal query that a busy worker
   * must answer, so it is included only when asked for (`?live=true`) or when the
   * caller already has it (an operator control's answer).
   */
  async function detail(id: string, live: { query: boolean } | { progress: CampaignProgress | null } = { query: false }) {
    const row = await campaigns.get(id);
    const progress = 'progress' in live ? Promise.resolve(live.progress) : live.query ? campaigns.progress(row) : Promise.resolve(null);
    const [counts, run, liveProgress, schedule, eventTrigger] = await Promise.all([
      campaigns.deliveryCounts(row.currentRunId),
      campaigns.run(row.currentRunId),
      progress,
      campaigns.schedule(row),
      row.trigger.type === 'event' && row.currentRunId ? queueFigures(db, row.currentRunId) : null,
    ]);
    return {
      ...presentCampaign(row),
      run,
      // Recurring campaigns: the schedule's next five firings (null otherwise, or when Temporal does not answer).
      nextFirings: schedule?.nextFirings ?? null,
      ...(schedule ? { schedule: { paused: schedule.paused, missedBeyondRecord: schedule.missedBeyondRecord } } : {}),
      deliveries: counts,
      // Event-triggered campaigns: events counted, sends waiting and due, and how far behind the oldest due one is.
      ...(eventTrigger ? { eventTrigger } : {}),
      progress: liveProgress,
      temporal: row.workflowId
        ? {
            workflowId: row.workflowId,
            url: workflowUrl(row.workflowId),
          }
        : null,
    };
  }

  /** An operator control's answer; its log line names the run and workflow it acted on. */
  /** Who asked for a control, as the run's history in the Temporal UI names them: the API key's name (the key check always sets it). */
  function requesterOf(c: Context<RequestLogEnv>): string {
    return `key ${c.get('apiKey').name}`;
  }

  function controlled<S extends 200 | 202>(c: Context<RequestLogEnv>, answer: Awaited<ReturnType<typeof detail>>, status: S) {
    c.set('logIds', { runId: answer.run?.id, workflowId: answer.run?.workflowId ?? answer.temporal?.workflowId });
    return c.json(answer, status);
  }

  app.openapi(createDraft, async (c) => c.json(presentCampaign(await campaigns.create(c.req.valid('json'))), 201));

  /** The create form's preview: the request rendered for a sample user, before anything is saved; nothing is sent. */
  app.openapi(previewRender, async (c) => c.json(await renderPreview(db, c.req.valid('json')), 200));

  app.openapi(listCampaigns, async (c) => {
    const rows = await campaigns.list(c.req.valid('query').status);
    return c.json({ items: rows.map(({ campaign, deliveries }) => ({ ...presentCampaign(campaign), deliveries })) }, 200);
  });

  app.openapi(getCampaign, async (c) => {
    const { id } = c.req.valid('param');
    // The same detail either way (the answer check holds both to campaignDetailSchema); a plain read is
    // serialised once for every viewer within the window, so the types see a body, not the detail.
    const answer = ['true', '1'].includes(c.req.valid('query').live ?? '')
      ? c.json(await detail(id, { query: true }), 200)
      : c.body(await sharedDetail(id), 200, { 'content-type': 'application/json' });
    return answer as never;
  });

  app.openapi(editDraft, async (c) => {
    const { id } = c.req.valid('param');
    const updated = await campaigns.update(id, c.req.valid('json'));
    forget(id);
    return c.json(presentCampaign(updated), 200);
  });

  app.openapi(deleteDraft, async (c) => {
    const { id } = c.req.valid('param');
    await campaigns.remove(id);
    forget(id);
    return c.body(null, 204);
  });

  app.openapi(launchCampaign, async (c) => {
    const { id } = c.req.valid('param');
    await campaigns.launch(id);
    forget(id);
    return controlled(c, await detail(id), 200);
  });

  app.openapi(pauseCampaign, async (c) => {
    const { id } = c.req.valid('param');
    const progress = await campaigns.pause(id, requesterOf(c));
    forget(id);
    return controlled(c, await detail(id, { progress }), 200);
  });

  app.openapi(resumeCampaign, async (c) => {
    const { id } = c.req.valid('param');
    const progress = await campaigns.resume(id, requesterOf(c));
    forget(id);
    return controlled(c, await detail(id, { progress }), 200);
  });

  app.openapi(cancelCampaign, async (c) => {
    const { id } = c.req.valid('param');
    await campaigns.cancel(id);
    forget(id);
    return controlled(c, await detail(id), 202);
  });

  /** Seed "测试效果": one real request to one named user, outside any run. */
  app.openapi(testCampaign, async (c) => {
    const row = await campaigns.get(c.req.valid('param').id);
    return c.json(await testCampaignSend(db, row, c.req.valid('json')), 200);
  });

  /** "Send once now" (recurring campaigns): one firing through the schedule; a run still sending makes it `skipped`. */
  app.openapi(triggerCampaign, async (c) => {
    const { id } = c.req.valid('param');
    await campaigns.trigger(id);
    forget(id);
    return c.json({ triggered: true as const, runs: `/api/campaigns/${id}/runs` }, 202);
  });

  /** Every run, newest first: one per firing, skipped and missed firings included. */
  app.openapi(listCampaignRuns, async (c) => {
    const row = await campaigns.get(c.req.valid('param').id);
    const runs = await listRuns(db, row.id, c.req.valid('query'));
    return c.json({ items: await Promise.all(runs.items.map((run) => presentRunOf(run, false))), nextCursor: runs.nextCursor }, 200);
  });

  app.openapi(getCampaignRun, async (c) => {
    const params = c.req.valid('param');
    const row = await campaigns.get(params.id);
    const runId = await runOfCampaign(row, params.runId);
    const run = runId ? await getRun(db, runId) : undefined;
    if (!run) throw notFound('run');
    return c.json(await presentRunOf(run, true), 200);
  });

  /** Attempts per interval and the current rate, for the detail page's chart (PostgreSQL only). */
  app.openapi(campaignTimeline, async (c) => {
    const row = await campaigns.get(c.req.valid('param').id);
    const runId = await runOfCampaign(row, c.req.valid('query').run);
    return c.json(await scans.get(`timeline:${runId}:${row.status}`, () => runTimeline(db, runId)), 200);
  });

  /**
   * Did it work: conversions of the sent and the control group, the difference
   * with its interval, and the curves (docs/goals.md). Every run of the
   * campaign added up, or one run with `?run=`. Stored figures once final;
   * otherwise a scan of the runs, shared like the timeline's.
   */
  app.openapi(campaignEffectRoute, async (c) => {
    const row = await campaigns.get(c.req.valid('param').id);
    const asked = c.req.valid('query').run;
    const runId = asked === undefined ? null : await runOfCampaign(row, asked);
    return c.json(await scans.get(`effect:${row.id}:${runId ?? 'all'}:${row.status}`, () => campaignEffect(db, row, runId)), 200);
  });

  /** "New draw" of a recurring campaign's control group: its next runs hold out other users. */
  app.openapi(redrawHoldout, async (c) => {
    const { id } = c.req.valid('param');
    const updated = await campaigns.redrawHoldout(id);
    forget(id);
    return c.json(presentCampaign(updated), 200);
  });

  /** Users who failed, were skipped or cancelled, or are being retried, grouped by reason. */
  app.openapi(campaignFailures, async (c) => {
    const row = await campaigns.get(c.req.valid('param').id);
    const runId = await runOfCampaign(row, c.req.valid('query').run);
    return c.json(await scans.get(`failures:${runId}:${row.status}`, () => failureReasons(db, runId)), 200);
  });

  app.openapi(listCampaignDeliveries, async (c) => {
    const row = await campaigns.get(c.req.valid('param').id);
    const { run, ...query } = c.req.valid('query');
    const runId = await runOfCampaign(row, run);
    if (!runId) return c.json({ items: [], nextCursor: null }, 200);
    return c.json(await listDeliveries(db, runId, query), 200);
  });

  app.openapi(deliveryForUser, async (c) => {
    const params = c.req.valid('param');
    const row = await campaigns.get(params.id);
    const runId = await runOfCampaign(row, c.req.valid('query').run);
    if (!runId) throw notFound('delivery (the campaign has not run)');
    // Response bodies are what the endpoint chose to answer: scrubbed, and still only for keys that may change campaigns.
    return c.json(await deliveryOfUser(db, runId, params.user, { responseBody: c.get('apiKey').scope !== 'read' }), 200);
  });

  return app;
}
