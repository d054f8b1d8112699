import { Hono } from 'hono';
import type { ApiKeyStore } from '../access/api-keys.js';
import { readJson } from './json.js';

/** `/api/keys`: admin keys create (the key is answered once), list and revoke keys. */
export function apiKeyRoutes(keys: ApiKeyStore) {
  const app = new Hono();
  app.post('/', async (c) => c.json(await keys.create(await readJson(c)), 201));
  app.get('/', async (c) => c.json({ items: await keys.list() }));
  app.delete('/:id', async (c) => {
    await keys.revoke(c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
