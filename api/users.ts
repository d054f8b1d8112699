import { Hono } from 'hono';
import type { Database } from '../db/client.js';
import { identify } from '../audience/identify.js';
import { getUser, parseUserUpsert, presentUser, upsertUsers } from '../audience/users.js';
import { readJson } from './json.js';

/**
 * `/api/users`: upsert one user or a batch, read one, and identify (link a
 * visitor id to a login id).
 *
 * @example
 * app.route('/api/users', userRoutes(db));
 */
export function userRoutes(db: Database) {
  const app = new Hono();

  app.post('/', async function upsertUserOrBatch(c) {
    const { batch, items } = parseUserUpsert(await readJson(c));
    const rows = await upsertUsers(db, items, { batch });
    return batch ? c.json({ items: rows.map(presentUser) }) : c.json(presentUser(rows[0]!));
  });

  // Registered before '/:id' so "identify" is never read as an id.
  app.post('/identify', async function identifyVisitor(c) {
    const { user, mergedUserId } = await identify(db, await readJson(c));
    return c.json({ user: presentUser(user), mergedUserId });
  });

  app.get('/:id', async function getOneUser(c) {
    return c.json(presentUser(await getUser(db, c.req.param('id'))));
  });

  return app;
}
