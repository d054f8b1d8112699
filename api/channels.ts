import { Hono } from 'hono';
import type { Dispatcher } from 'undici';
import { presentChannel } from '../channels/present.js';
import { parseChannelInput, type ChannelStore } from '../channels/store.js';
import { testSend } from '../channels/test-send.js';
import { readJson } from './json.js';

/**
 * `/api/channels`: CRUD of webhook channels and their test send (seed step 10).
 */
export function channelRoutes(store: ChannelStore, dispatcher?: Dispatcher) {
  const app = new Hono();

  app.post('/', async function createChannel(c) {
    const row = await store.create(await readJson(c));
    return c.json(presentChannel(row, { revealCredentials: true }), 201);
  });

  app.get('/', async function listChannels(c) {
    const rows = await store.list();
    return c.json({ items: rows.map((row) => presentChannel(row)) });
  });

  // Registered before '/:id' so "test" is never read as an id.
  app.post('/test', async function testUnsavedChannel(c) {
    const body = (await readJson(c)) as Record<string, unknown>;
    const { sampleValues, ...definition } = body && typeof body === 'object' ? body : {};
    const channel = parseChannelInput(definition);
    return c.json(await testSend(channel, sampleValues, dispatcher));
  });

  app.get('/:id', async function getChannel(c) {
    return c.json(presentChannel(await store.get(c.req.param('id'))));
  });

  app.patch('/:id', async function updateChannel(c) {
    const { row, credentialsChanged } = await store.update(c.req.param('id'), await readJson(c));
    return c.json(presentChannel(row, { revealCredentials: credentialsChanged }));
  });

  app.delete('/:id', async function deleteChannel(c) {
    await store.remove(c.req.param('id'));
    return c.body(null, 204);
  });

  app.post('/:id/rotate-secret', async function rotateSecret(c) {
    const row = await store.rotateSecret(c.req.param('id'), await readJson(c, { optional: true }));
    return c.json(presentChannel(row, { revealCredentials: true }));
  });

  // Beside sampleValues, the body may hold an unsaved edit (PATCH's fields) so the
  // console's Test sends what its form shows; the edit is checked as a save would be, and not saved.
  app.post('/:id/test', async function testSavedChannel(c) {
    const body = (await readJson(c, { optional: true })) as Record<string, unknown> | undefined;
    const { sampleValues, ...changes } = body && typeof body === 'object' ? body : {};
    const channel = await store.preview(c.req.param('id'), changes);
    return c.json(await testSend(channel, sampleValues, dispatcher));
  });

  return app;
}
