import { stream } from 'hono/streaming';
import { z } from 'zod';
import type { Database } from '../db/client.js';
import { eraseUser } from '../audience/erase.js';
import { exportChunks, findProfile } from '../audience/export.js';
import type { RequestLogEnv } from './request-log.js';
import { CONTROL_TTL_MS } from '../delivery/context.js';
import { identifyInputSchema, identifyValid } from '../audience/identify.js';
import { getUser, parseUserUpsert, presentUser, upsertUsers, userBatchSchema, userInputSchema } from '../audience/users.js';
import { erasureSchema, userExportSchema, userSchema } from './answers.js';
import { apiRouter, body, defaultHook, defineRoute, errors, idParam, items, json } from './contract.js';
import { example } from './examples.js';
import { jsonBodyOf } from './json.js';

const tags = ['audience'];
const upsertRoute = defineRoute({
  method: 'post',
  path: '/',
  tags,
  summary: 'Upsert one user, or a batch as `{"users":[…]}`',
  request: { body: body(z.union([userInputSchema, userBatchSchema]), example('user')) },
  responses: { 200: json(z.union([userSchema, items(userSchema)]), undefined, 'The user, or `{"items":[…]}` for a batch'), 400: errors.validation, 503: errors.ingestBusy },
});
const identifyRoute = defineRoute({
  method: 'post',
  path: '/identify',
  tags,
  summary: 'Link a visitor id to a login id',
  request: { body: body(identifyInputSchema, example('identify')) },
  responses: { 200: json(z.strictObject({ user: userSchema, mergedUserId: z.string().nullable() })), 400: errors.validation, 503: errors.ingestBusy },
});
const getUserRoute = defineRoute({ method: 'get', path: '/{id}', tags, summary: 'Read a user', request: { params: idParam }, responses: { 200: json(userSchema), 404: errors.notFound } });
const eraseRoute = defineRoute({
  method: 'delete',
  path: '/{id}',
  tags,
  summary:
    'Erase a user (admin keys): `id` is a login id, visitor id or user id. Profile, events and trigger state are deleted; delivery records keep their counts under an opaque tombstone; sends not made yet are recorded skipped (`erased`). Idempotent: `{"erased":false}` when nobody has that id (docs/privacy.md)',
  request: { params: idParam },
  responses: { 200: json(erasureSchema), 400: errors.validation, 403: errors.forbidden },
});
const exportRoute = defineRoute({
  method: 'get',
  path: '/{id}/export',
  tags,
  summary: 'Export everything held about a user as one JSON document, streamed (admin keys): profile, events, deliveries with their requests and answers (docs/privacy.md)',
  request: { params: idParam },
  responses: { 200: json(userExportSchema), 403: errors.forbidden, 404: errors.notFound },
});

/**
 * `/api/users`: upsert one user or a batch, read one, and identify (link a
 * visitor id to a login id).
 *
 * @example
 * app.route('/api/users', userRoutes(db));
 */
export function userRoutes(db: Database, options: { eraseSettleMs?: number | undefined } = {}) {
  const settleMs = options.eraseSettleMs ?? CONTROL_TTL_MS;
  const app = apiRouter<RequestLogEnv>();

  app.openapi(
    upsertRoute,
    async (c) => {
      const input = c.req.valid('json');
      if ('users' in input) return c.json({ items: (await upsertUsers(db, input.users, { batch: true })).map(presentUser) }, 200);
      const [row] = await upsertUsers(db, [input], { batch: false });
      return c.json(presentUser(row!), 200);
    },
    // A union's refusal names neither shape's fields: explain it as the shape the body has (a batch when it has `users`).
    (result, c) => {
      if (!result.success && result.target === 'json') parseUserUpsert(jsonBodyOf(c));
      return defaultHook(result, c);
    },
  );

  // Registered before '/:id' so "identify" is never read as an id.
  app.openapi(identifyRoute, async (c) => {
    const { user, mergedUserId } = await identifyValid(db, c.req.valid('json'));
    return c.json({ user: presentUser(user), mergedUserId }, 200);
  });

  app.openapi(getUserRoute, async (c) => c.json(presentUser(await getUser(db, c.req.valid('param').id)), 200));

  // Admin keys only (api/auth.ts). Answers counts, never the erased data; idempotent: a second call answers erased: false.
  app.openapi(eraseRoute, async (c) => {
    const key = c.get('apiKey');
    const result = await eraseUser(db, c.req.valid('param').id, { keyId: key.id, name: key.name });
    // Sending activities see the erasure within their cached flag's lifetime (as a pause): answer after it,
    // so that once DELETE answered, no request for the user starts any more (one in flight may still land).
    if (result.erased && settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
    return c.json(result, 200);
  });

  // Admin keys only. Streamed from cursors: a user with a million events does not load into memory.
  app.openapi(exportRoute, async (c) => {
    const profile = await findProfile(db, c.req.valid('param').id);
    c.header('content-type', 'application/json; charset=utf-8');
    c.header('content-disposition', `attachment; filename="user-${profile.id}.json"`);
    const streamed = stream(c, async (out) => {
      for await (const chunk of exportChunks(db, profile)) {
        if (out.aborted) return;
        await out.write(chunk);
      }
    });
    // The document userExportSchema describes, written in chunks: the types cannot follow a stream.
    return streamed as unknown as ReturnType<typeof c.json<z.infer<typeof userExportSchema>, 200>>;
  });

  return app;
}
