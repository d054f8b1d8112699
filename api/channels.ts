import type { Dispatcher } from 'undici';
import { presentChannel } from '../channels/present.js';
import { unsavedChannel, type ChannelStore } from '../channels/store.js';
import { channelCreateSchema, channelEditSchema, channelTestSchema, rotationSchema, savedChannelTestSchema } from '../contracts/channel.js';
import { testSend } from '../channels/test-send.js';
import { channelSchema, testSendResultSchema } from './answers.js';
import { apiRouter, body, defaultHook, defineRoute, errors, idParam, items, json } from './contract.js';
import { example, storyChannel } from './examples.js';
import { jsonBodyOf } from './json.js';

const tags = ['channels'];

const createChannel = defineRoute({
  method: 'post',
  path: '/',
  tags,
  summary: 'Create a channel',
  request: { body: body(channelCreateSchema, storyChannel) },
  responses: { 201: json(channelSchema, undefined, 'Created; a generated secret is shown this once'), 400: errors.validation, 409: errors.conflict },
});
const listChannels = defineRoute({ method: 'get', path: '/', tags, summary: 'List channels', responses: { 200: json(items(channelSchema)) } });
const testUnsavedChannel = defineRoute({
  method: 'post',
  path: '/test',
  tags,
  summary: 'Test an unsaved channel definition',
  request: { body: body(channelTestSchema, example('channel test')) },
  responses: { 200: json(testSendResultSchema), 400: errors.validation },
});
const getChannel = defineRoute({ method: 'get', path: '/{id}', tags, summary: 'Read a channel', request: { params: idParam }, responses: { 200: json(channelSchema), 404: errors.notFound } });
const updateChannel = defineRoute({
  method: 'patch',
  path: '/{id}',
  tags,
  summary: 'Edit a channel',
  request: { params: idParam, body: body(channelEditSchema, example('channel patch')) },
  responses: { 200: json(channelSchema), 400: errors.validation, 404: errors.notFound, 409: errors.conflict },
});
const deleteChannel = defineRoute({
  method: 'delete',
  path: '/{id}',
  tags,
  summary: 'Delete a channel no live campaign uses',
  request: { params: idParam },
  responses: { 204: { description: 'Deleted' }, 404: errors.notFound, 409: errors.conflict },
});
const rotateSecret = defineRoute({
  method: 'post',
  path: '/{id}/rotate-secret',
  tags,
  summary: 'Rotate the secret; the old one still verifies for `graceHours` (body optional)',
  request: { params: idParam, body: body(rotationSchema, example('secret rotation'), false) },
  responses: { 200: json(channelSchema, undefined, 'The channel with its new secret, shown this once'), 400: errors.validation, 404: errors.notFound, 409: errors.conflict },
});
const testSavedChannel = defineRoute({
  method: 'post',
  path: '/{id}/test',
  tags,
  summary: 'Test a saved channel, or the saved channel with an unsaved edit (PATCH\'s fields, checked as PATCH checks them, nothing saved); `sampleValues` fill the template parameters',
  request: { params: idParam, body: body(savedChannelTestSchema, example('saved channel test'), false) },
  responses: { 200: json(testSendResultSchema), 400: errors.validation, 404: errors.notFound },
});

/**
 * `/api/channels`: CRUD of webhook channels and their test send (seed step 10).
 */
export function channelRoutes(store: ChannelStore, dispatcher?: Dispatcher) {
  const app = apiRouter();

  app.openapi(createChannel, async (c) => {
    const row = await store.create(c.req.valid('json'));
    return c.json(presentChannel(row, { revealCredentials: true }), 201);
  });

  app.openapi(listChannels, async (c) => {
    const rows = await store.list();
    return c.json({ items: rows.map((row) => presentChannel(row)) }, 200);
  });

  // Registered before '/:id' so "test" is never read as an id.
  app.openapi(testUnsavedChannel, async (c) => {
    const { sampleValues, ...definition } = c.req.valid('json');
    return c.json(await testSend(unsavedChannel(definition), sampleValues, dispatcher), 200);
  });

  app.openapi(getChannel, async (c) => c.json(presentChannel(await store.get(c.req.valid('param').id)), 200));

  app.openapi(
    updateChannel,
    async (c) => {
      const { row, credentialsChanged } = await store.update(c.req.valid('param').id, c.req.valid('json'));
      return c.json(presentChannel(row, { revealCredentials: credentialsChanged }), 200);
    },
    async (result, c) => {
      if (!result.success && result.target === 'json') await store.refuseEdit(c.req.param('id') ?? '', jsonBodyOf(c), result.error);
      return defaultHook(result, c);
    },
  );

  app.openapi(deleteChannel, async (c) => {
    await store.remove(c.req.valid('param').id);
    return c.body(null, 204);
  });

  app.openapi(rotateSecret, async (c) => {
    const row = await store.rotateSecret(c.req.valid('param').id, c.req.valid('json'));
    return c.json(presentChannel(row, { revealCredentials: true }), 200);
  });

  // Beside sampleValues, the body may hold an unsaved edit (PATCH's fields) so the
  // console's Test sends what its form shows; the edit is checked as a save would be, and not saved.
  app.openapi(testSavedChannel, async (c) => {
    const { sampleValues, ...edit } = c.req.valid('json');
    const channel = await store.preview(c.req.valid('param').id, edit);
    return c.json(await testSend(channel, sampleValues, dispatcher), 200);
  });

  return app;
}
