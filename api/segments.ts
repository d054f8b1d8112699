import { Hono } from 'hono';
import { parsePreviewInstant, presentSegment, type SegmentStore } from '../segments/store.js';
import { readJson } from './json.js';

/**
 * `/api/segments`: CRUD of segments (seed: "用户分群") and previews of saved
 * and unsaved rules.
 *
 * @example
 * app.route('/api/segments', segmentRoutes(createSegmentStore(db, async () => [])));
 */
export function segmentRoutes(store: SegmentStore) {
  const app = new Hono();

  app.post('/', async function createSegment(c) {
    return c.json(presentSegment(await store.create(await readJson(c))), 201);
  });

  app.get('/', async function listSegments(c) {
    return c.json({ items: (await store.list()).map(presentSegment) });
  });

  // Registered before '/:id' so "preview" is never read as an id.
  app.post('/preview', async function previewUnsavedRule(c) {
    return c.json(await store.previewUnsaved(await readJson(c)));
  });

  app.get('/:id', async function getSegment(c) {
    return c.json(presentSegment(await store.get(c.req.param('id'))));
  });

  app.patch('/:id', async function updateSegment(c) {
    return c.json(presentSegment(await store.update(c.req.param('id'), await readJson(c))));
  });

  app.delete('/:id', async function deleteSegment(c) {
    await store.remove(c.req.param('id'));
    return c.body(null, 204);
  });

  app.get('/:id/preview', async function previewSavedSegment(c) {
    return c.json(await store.preview(c.req.param('id'), parsePreviewInstant(c.req.query('at'))));
  });

  return app;
}
