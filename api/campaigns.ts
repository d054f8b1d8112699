import { Hono } from 'hono';
import { deliveryOfUser, listDeliveries } from '../runs/deliveries.js';
import { presentCampaign } from '../campaigns/present.js';
import type { CampaignService } from '../campaigns/store.js';
import { testCampaignSend } from '../campaigns/test-send.js';
import type { Database } from '../db/client.js';
import { notFound } from '../lib/errors.js';
import type { CampaignProgress } from '../workflows/messages.js';
import { readJson } from './json.js';

/**
 * `/api/campaigns`: drafts, launch, operator controls, and delivery state.
 */
export function campaignRoutes(deps: { db: Database; campaigns: CampaignService; temporalUiUrl: string; namespace: string }) {
  const { db, campaigns } = deps;
  const app = new Hono();

  /*
   * Plain reads of one campaign are shared for READ_SHARE_MS: fifty dashboards
   * polling a live run then cost one set of queries (and one serialisation) per
   * window, not fifty, and their latency stays low while the worker keeps the
   * machine busy. Writes through this process forget the entry at once; a change
   * made elsewhere (the worker, another API process) shows within the window.
   */
  const READ_SHARE_MS = 250;
  const shared = new Map<string, { at: number; body: Promise<string> }>();
  function sharedDetail(id: string): Promise<string> {
    const now = Date.now();
    const hit = shared.get(id);
    if (hit && now - hit.at < READ_SHARE_MS) return hit.body;
    if (shared.size > 10_000) shared.clear();
    const body = detail(id).then((d) => JSON.stringify(d));
    shared.set(id, { at: now, body });
    body.catch(() => shared.delete(id));
    return body;
  }
  const forget = (id: string) => shared.delete(id);

  /**
   * The campaign as PostgreSQL knows it (row, run, kept counts: a few indexed
   * reads). The workflow's own state costs a Temporal query that a busy worker
   * must answer, so it is included only when asked for (`?live=true`) or when the
   * caller already has it (an operator control's answer).
   */
  async function detail(id: string, live: { query: boolean } | { progress: CampaignProgress | null } = { query: false }) {
    const row = await campaigns.get(id);
    const progress = 'progress' in live ? Promise.resolve(live.progress) : live.query ? campaigns.progress(row) : Promise.resolve(null);
    const [counts, run, liveProgress] = await Promise.all([campaigns.deliveryCounts(row.currentRunId), campaigns.run(row.currentRunId), progress]);
    return {
      ...presentCampaign(row),
      run,
      deliveries: counts,
      progress: liveProgress,
      temporal: row.workflowId
        ? {
            workflowId: row.workflowId,
            url: `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(row.workflowId)}`,
          }
        : null,
    };
  }

  app.post('/', async function createDraft(c) {
    return c.json(presentCampaign(await campaigns.create(await readJson(c))), 201);
  });

  app.get('/', async function listCampaigns(c) {
    const rows = await campaigns.list(c.req.query('status'));
    return c.json({ items: rows.map(presentCampaign) });
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
    return c.json(await detail(c.req.param('id')));
  });

  app.post('/:id/pause', async function pauseCampaign(c) {
    const progress = await campaigns.pause(c.req.param('id'));
    forget(c.req.param('id'));
    return c.json(await detail(c.req.param('id'), { progress }));
  });

  app.post('/:id/resume', async function resumeCampaign(c) {
    const progress = await campaigns.resume(c.req.param('id'));
    forget(c.req.param('id'));
    return c.json(await detail(c.req.param('id'), { progress }));
  });

  app.post('/:id/cancel', async function cancelCampaign(c) {
    await campaigns.cancel(c.req.param('id'));
    forget(c.req.param('id'));
    return c.json(await detail(c.req.param('id')), 202);
  });

  /** Seed "测试效果": one real request to one named user, outside any run. */
  app.post('/:id/test', async function testCampaign(c) {
    const row = await campaigns.get(c.req.param('id'));
    return c.json(await testCampaignSend(db, row, await readJson(c)));
  });

  app.get('/:id/deliveries', async function listCampaignDeliveries(c) {
    const row = await campaigns.get(c.req.param('id'));
    if (!row.currentRunId) return c.json({ items: [], nextCursor: null });
    return c.json(await listDeliveries(db, row.currentRunId, c.req.query()));
  });

  app.get('/:id/deliveries/:user', async function deliveryForUser(c) {
    const row = await campaigns.get(c.req.param('id'));
    if (!row.currentRunId) throw notFound('delivery (the campaign has not run)');
    return c.json(await deliveryOfUser(db, row.currentRunId, c.req.param('user')));
  });

  return app;
}
