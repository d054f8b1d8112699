import { Hono, type Context } from 'hono';
import { deliveryOfUser, listDeliveries } from '../runs/deliveries.js';
import { presentCampaign } from '../campaigns/present.js';
import type { CampaignService } from '../campaigns/store.js';
import { renderPreview } from '../campaigns/render-preview.js';
import { testCampaignSend } from '../campaigns/test-send.js';
import type { Database } from '../db/client.js';
import { notFound } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { createReadShare } from '../lib/read-share.js';
import { failureReasons, runTimeline } from '../runs/insights.js';
import { campaignEffect } from '../effect/store.js';
import { presentRun } from '../runs/present.js';
import { deliveryCounts } from '../runs/recipients.js';
import { getRun, listRuns, type RunRow } from '../runs/store.js';
import { queueFigures } from '../triggers/due.js';
import type { CampaignProgress } from '../workflows/messages.js';
import { readJson } from './json.js';
import type { RequestLogEnv } from './request-log.js';

/**
 * `/api/campaigns`: drafts, launch, operator controls, and delivery state.
 */
export function campaignRoutes(deps: { db: Database; campaigns: CampaignService; temporalUiUrl: string; namespace: string; readShareMs?: number }) {
  const { db, campaigns } = deps;
  const app = new Hono<RequestLogEnv>();

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

  function controlled(c: Context<RequestLogEnv>, answer: Awaited<ReturnType<typeof detail>>, status: 200 | 202 = 200) {
    c.set('logIds', { runId: answer.run?.id, workflowId: answer.run?.workflowId ?? answer.temporal?.workflowId });
    return c.json(answer, status);
  }

  app.post('/', async function createDraft(c) {
    return c.json(presentCampaign(await campaigns.create(await readJson(c))), 201);
  });

  /** The create form's preview: the request rendered for a sample user, before anything is saved; nothing is sent. */
  app.post('/preview', async function previewRender(c) {
    return c.json(await renderPreview(db, await readJson(c)));
  });

  app.get('/', async function listCampaigns(c) {
    const rows = await campaigns.list(c.req.query('status'));
    return c.json({ items: rows.map(({ campaign, deliveries }) => ({ ...presentCampaign(campaign), deliveries })) });
  });

  app.get('/:id', async function getCampaign(c) {
    if (['true', '1'].includes(c.req.query('live') ?? '')) return c.json(await detail(c.req.param('id'), { query: true }));
    return c.body(await sharedDetail(c.req.param('id')), 200, { 'content-type': 'application/json' });
  });

  app.patch('/:id', async function editDraft(c) {
    const updated = await campaigns.update(c.req.param('id'), await readJson(c));
    forget(c.req.param('id'));
    return c.json(presentCampaign(updated));
  });

  app.delete('/:id', async function deleteDraft(c) {
    await campaigns.remove(c.req.param('id'));
    forget(c.req.param('id'));
    return c.body(null, 204);
  });

  app.post('/:id/launch', async function launchCampaign(c) {
    await campaigns.launch(c.req.param('id'));
    forget(c.req.param('id'));
    return controlled(c, await detail(c.req.param('id')));
  });

  app.post('/:id/pause', async function pauseCampaign(c) {
    const progress = await campaigns.pause(c.req.param('id'), requesterOf(c));
    forget(c.req.param('id'));
    return controlled(c, await detail(c.req.param('id'), { progress }));
  });

  app.post('/:id/resume', async function resumeCampaign(c) {
    const progress = await campaigns.resume(c.req.param('id'), requesterOf(c));
    forget(c.req.param('id'));
    return controlled(c, await detail(c.req.param('id'), { progress }));
  });

  app.post('/:id/cancel', async function cancelCampaign(c) {
    await campaigns.cancel(c.req.param('id'));
    forget(c.req.param('id'));
    return controlled(c, await detail(c.req.param('id')), 202);
  });

  /** Seed "测试效果": one real request to one named user, outside any run. */
  app.post('/:id/test', async function testCampaign(c) {
    const row = await campaigns.get(c.req.param('id'));
    return c.json(await testCampaignSend(db, row, await readJson(c)));
  });

  /** "Send once now" (recurring campaigns): one firing through the schedule; a run still sending makes it `skipped`. */
  app.post('/:id/trigger', async function triggerCampaign(c) {
    await campaigns.trigger(c.req.param('id'));
    forget(c.req.param('id'));
    return c.json({ triggered: true, runs: `/api/campaigns/${c.req.param('id')}/runs` }, 202);
  });

  /** Every run, newest first: one per firing, skipped and missed firings included. */
  app.get('/:id/runs', async function listCampaignRuns(c) {
    const row = await campaigns.get(c.req.param('id'));
    const page = await listRuns(db, row.id, { cursor: c.req.query('cursor'), limit: c.req.query('limit') });
    return c.json({ items: await Promise.all(page.items.map((run) => presentRunOf(run, false))), nextCursor: page.nextCursor });
  });

  app.get('/:id/runs/:runId', async function getCampaignRun(c) {
    const row = await campaigns.get(c.req.param('id'));
    const runId = await runOfCampaign(row, c.req.param('runId'));
    const run = runId ? await getRun(db, runId) : undefined;
    if (!run) throw notFound('run');
    return c.json(await presentRunOf(run, true));
  });

  /** Attempts per interval and the current rate, for the detail page's chart (PostgreSQL only). */
  app.get('/:id/timeline', async function campaignTimeline(c) {
    const row = await campaigns.get(c.req.param('id'));
    const runId = await runOfCampaign(row, c.req.query('run'));
    return c.json(await scans.get(`timeline:${runId}`, () => runTimeline(db, runId)));
  });

  /**
   * Did it work: conversions of the sent and the control group, the difference
   * with its interval, and the curves (docs/goals.md). Every run of the
   * campaign added up, or one run with `?run=`. Stored figures once final;
   * otherwise a scan of the runs, shared like the timeline's.
   */
  app.get('/:id/effect', async function campaignEffectOf(c) {
    const row = await campaigns.get(c.req.param('id'));
    const asked = c.req.query('run');
    const runId = asked === undefined ? null : await runOfCampaign(row, asked);
    return c.json(await scans.get(`effect:${row.id}:${runId ?? 'all'}`, () => campaignEffect(db, row, runId)));
  });

  /** "New draw" of a recurring campaign's control group: its next runs hold out other users. */
  app.post('/:id/holdout/redraw', async function redrawHoldout(c) {
    const updated = await campaigns.redrawHoldout(c.req.param('id'));
    forget(c.req.param('id'));
    return c.json(presentCampaign(updated));
  });

  /** Users who failed, were skipped or cancelled, or are being retried, grouped by reason. */
  app.get('/:id/failures', async function campaignFailures(c) {
    const row = await campaigns.get(c.req.param('id'));
    const runId = await runOfCampaign(row, c.req.query('run'));
    return c.json(await scans.get(`failures:${runId}`, () => failureReasons(db, runId)));
  });

  app.get('/:id/deliveries', async function listCampaignDeliveries(c) {
    const row = await campaigns.get(c.req.param('id'));
    const { run, ...query } = c.req.query();
    const runId = await runOfCampaign(row, run);
    if (!runId) return c.json({ items: [], nextCursor: null });
    return c.json(await listDeliveries(db, runId, query));
  });

  app.get('/:id/deliveries/:user', async function deliveryForUser(c) {
    const row = await campaigns.get(c.req.param('id'));
    const runId = await runOfCampaign(row, c.req.query('run'));
    if (!runId) throw notFound('delivery (the campaign has not run)');
    // Response bodies are what the endpoint chose to answer: scrubbed, and still only for keys that may change campaigns.
    return c.json(await deliveryOfUser(db, runId, c.req.param('user'), { responseBody: c.get('apiKey').scope !== 'read' }));
  });

  return app;
}
