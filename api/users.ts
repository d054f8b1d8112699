import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import type { Database } from '../db/client.js';
import { eraseUser } from '../audience/erase.js';
import { exportChunks, findProfile } from '../audience/export.js';
import type { RequestLogEnv } from './request-log.js';
import { CONTROL_TTL_MS } from '../delivery/context.js';
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
export function userRoutes(db: Database, options: { eraseSettleMs?: number | undefined } = {}) {
  const settleMs = options.eraseSettleMs ?? CONTROL_TTL_MS;
  const app = new Hono<RequestLogEnv>();

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

  // Admin keys only (api/auth.ts). Answers counts, never the erased data; idempotent: a second call answers erased: false.
  app.delete('/:id', async function eraseOneUser(c) {
    const key = c.get('apiKey');
    const result = await eraseUser(db, c.req.param('id'), { keyId: key.id, name: key.name });
    // Sending activities see the erasure within their cached flag's lifetime (as a pause): answer after it,
    // so that once DELETE answered, no request for the user starts any more (one in flight may still land).
    if (result.erased && settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
    return c.json(result);
  });

  // Admin keys only. Streamed from cursors: a user with a million events does not load into memory.
  app.get('/:id/export', async function exportOneUser(c) {
    const profile = await findProfile(db, c.req.param('id'));
    c.header('content-type', 'application/json; charset=utf-8');
    c.header('content-disposition', `attachment; filename="user-${profile.id}.json"`);
    return stream(c, async (out) => {
      for await (const chunk of exportChunks(db, profile)) {
        if (out.aborted) return;
        await out.write(chunk);
      }
    });
  });

  return app;
}
