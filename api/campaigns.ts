import { Hono } from 'hono';
import { deliveryOfUser, listDeliveries } from '../campaigns/deliveries.js';
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
    return c.json(await detail(c.req.param('id'), { query: ['true', '1'].includes(c.req.query('live') ?? '') }));
  });

  app.patch('/:id', async function editDraft(c) {
    return c.json(presentCampaign(await campaigns.update(c.req.param('id'), await readJson(c))));
  });

  app.delete('/:id', async function deleteDraft(c) {
    await campaigns.remove(c.req.param('id'));
    return c.body(null, 204);
  });

  app.post('/:id/launch', async function launchCampaign(c) {
    await campaigns.launch(c.req.param('id'));
    return c.json(await detail(c.req.param('id')));
  });

  app.post('/:id/pause', async function pauseCampaign(c) {
    const progress = await campaigns.pause(c.req.param('id'));
    return c.json(await detail(c.req.param('id'), { progress }));
  });

  app.post('/:id/resume', async function resumeCampaign(c) {
    const progress = await campaigns.resume(c.req.param('id'));
    return c.json(await detail(c.req.param('id'), { progress }));
  });

  app.post('/:id/cancel', async function cancelCampaign(c) {
    await campaigns.cancel(c.req.param('id'));
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
