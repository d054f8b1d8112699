import { z } from 'zod';
import { parsePreviewInstant, presentSegment, previewInputSchema, segmentInputSchema, segmentPatchSchema, type SegmentStore } from '../segments/store.js';
import { segmentPreviewSchema, segmentSchema } from './answers.js';
import { apiRouter, body, defineRoute, errors, idParam, items, json } from './contract.js';
import { example, storySegment } from './examples.js';

const tags = ['segments'];

const createSegment = defineRoute({
  method: 'post',
  path: '/',
  tags,
  summary: 'Create a segment',
  request: { body: body(segmentInputSchema, storySegment) },
  responses: { 201: json(segmentSchema), 400: errors.validation, 409: errors.conflict },
});
const listSegments = defineRoute({ method: 'get', path: '/', tags, summary: 'List segments', responses: { 200: json(items(segmentSchema)) } });
const previewUnsavedRule = defineRoute({
  method: 'post',
  path: '/preview',
  tags,
  summary: 'Preview an unsaved rule',
  request: { body: body(previewInputSchema, example('segment preview')) },
  responses: { 200: json(segmentPreviewSchema), 400: errors.validation },
});
const getSegment = defineRoute({ method: 'get', path: '/{id}', tags, summary: 'Read a segment', request: { params: idParam }, responses: { 200: json(segmentSchema), 404: errors.notFound } });
const updateSegment = defineRoute({
  method: 'patch',
  path: '/{id}',
  tags,
  summary: 'Edit a segment',
  request: { params: idParam, body: body(segmentPatchSchema, example('segment patch')) },
  responses: { 200: json(segmentSchema), 400: errors.validation, 404: errors.notFound, 409: errors.conflict },
});
const deleteSegment = defineRoute({
  method: 'delete',
  path: '/{id}',
  tags,
  summary: 'Delete a segment no live campaign uses',
  request: { params: idParam },
  responses: { 204: { description: 'Deleted' }, 404: errors.notFound, 409: errors.conflict },
});
const previewSavedSegment = defineRoute({
  method: 'get',
  path: '/{id}/preview',
  tags,
  summary: 'Preview a saved segment',
  request: { params: idParam, query: z.object({ at: z.string().optional().meta({ description: 'ISO 8601 date-time with Z or an offset; now when absent' }) }) },
  responses: { 200: json(segmentPreviewSchema), 400: errors.validation, 404: errors.notFound },
});

/**
 * `/api/segments`: CRUD of segments (seed: "用户分群") and previews of saved
 * and unsaved rules.
 *
 * @example
 * app.route('/api/segments', segmentRoutes(createSegmentStore(db, async () => [])));
 */
export function segmentRoutes(store: SegmentStore) {
  const app = apiRouter();

  app.openapi(createSegment, async (c) => c.json(presentSegment(await store.create(c.req.valid('json'))), 201));

  app.openapi(listSegments, async (c) => c.json({ items: (await store.list()).map(presentSegment) }, 200));

  // Registered before '/:id' so "preview" is never read as an id.
  app.openapi(previewUnsavedRule, async (c) => c.json(await store.previewUnsaved(c.req.valid('json')), 200));

  app.openapi(getSegment, async (c) => c.json(presentSegment(await store.get(c.req.valid('param').id)), 200));

  app.openapi(updateSegment, async (c) => c.json(presentSegment(await store.update(c.req.valid('param').id, c.req.valid('json'))), 200));

  app.openapi(deleteSegment, async (c) => {
    await store.remove(c.req.valid('param').id);
    return c.body(null, 204);
  });

  app.openapi(previewSavedSegment, async (c) => c.json(await store.preview(c.req.valid('param').id, parsePreviewInstant(c.req.valid('query').at)), 200));

  return app;
}
