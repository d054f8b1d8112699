import { apiKeyInputSchema, type ApiKeyStore } from '../access/api-keys.js';
import { apiKeySchema } from './answers.js';
import { apiRouter, body, defineRoute, errors, idParam, items, json } from './contract.js';
import { example } from './examples.js';

const tags = ['keys'];
const security = [{ apiKey: [] }];
const createKey = defineRoute({
  method: 'post',
  path: '/',
  tags,
  summary: 'Create an API key (admin); the key is answered this once',
  security,
  request: { body: body(apiKeyInputSchema, example('api key')) },
  responses: { 201: json(apiKeySchema.extend({ key: apiKeySchema.shape.prefix.meta({ description: 'the key itself, shown this once' }) })), 400: errors.validation, 401: errors.unauthorized, 403: errors.forbidden },
});
const listKeys = defineRoute({ method: 'get', path: '/', tags, summary: 'List API keys (admin)', security, responses: { 200: json(items(apiKeySchema)), 401: errors.unauthorized, 403: errors.forbidden } });
const revokeKey = defineRoute({
  method: 'delete',
  path: '/{id}',
  tags,
  summary: 'Revoke an API key (admin)',
  security,
  request: { params: idParam },
  responses: { 204: { description: 'Revoked' }, 401: errors.unauthorized, 403: errors.forbidden, 404: errors.notFound },
});

/** `/api/keys`: admin keys create (the key is answered once), list and revoke keys. */
export function apiKeyRoutes(keys: ApiKeyStore) {
  const app = apiRouter();
  app.openapi(createKey, async (c) => c.json(await keys.create(c.req.valid('json')), 201));
  app.openapi(listKeys, async (c) => c.json({ items: await keys.list() }, 200));
  app.openapi(revokeKey, async (c) => {
    await keys.revoke(c.req.valid('param').id);
    return c.body(null, 204);
  });
  return app;
}
