import { z } from 'zod';
import { ATTRIBUTE_TYPES } from '../db/schema.js';
import type { Database } from '../db/client.js';
import { CATALOG_EXAMPLES, catalogQuerySchema, readCatalog } from '../audience/catalog.js';
import { apiRouter, defineRoute, errors, json } from './contract.js';

const propertyTypes = ['string', 'number', 'boolean', 'object', 'array', 'null'] as const;

const catalogAttributeSchema = z
  .object({
    name: z.string(),
    type: z.enum(ATTRIBUTE_TYPES).meta({ description: 'the type the first value gave the key; later values must match it' }),
    examples: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .max(CATALOG_EXAMPLES)
      .meta({ description: `up to ${CATALOG_EXAMPLES} values users have (short, never under a credential-like name, never a user's own login or visitor id); an erased user's values are removed` }),
    lastSeenAt: z.string().meta({ description: 'the latest upsert that carried the key, to the minute' }),
  })
  .meta({ id: 'CatalogAttribute' });

const catalogEventSchema = z
  .object({
    name: z.string(),
    lastSeenAt: z.string().meta({ description: 'when the latest such event happened (its time, never later than its receipt), to the minute' }),
    properties: z
      .array(z.object({ name: z.string(), types: z.array(z.enum(propertyTypes)).meta({ description: 'the JSON types its values had' }) }))
      .meta({ description: 'top-level property names seen on the event (at most 100 name × type pairs per event)' }),
  })
  .meta({ id: 'CatalogEvent' });

export const catalogAnswerSchema = z
  .object({
    attributes: z.array(catalogAttributeSchema),
    events: z.array(catalogEventSchema),
    truncated: z
      .object({ attributes: z.boolean(), events: z.boolean() })
      .meta({ description: 'true for a list cut at `limit`: narrow it with `q`' }),
  })
  .meta({ id: 'Catalog', description: 'What has been ingested: attribute names with types, examples and last seen; event names with last seen and their properties. Names in order.' });

const catalogRoute = defineRoute({
  method: 'get',
  path: '/',
  tags: ['audience'],
  summary: 'The catalog of ingested attribute and event names, for pickers (read keys may read it: examples are user data, like a user\'s profile)',
  request: { query: catalogQuerySchema },
  responses: {
    200: json(catalogAnswerSchema),
    400: errors.validation,
    403: errors.forbidden,
  },
});

/**
 * `/api/catalog`: what has been ingested, kept at ingest (audience/catalog.ts),
 * so reading it costs the catalog's small tables, never users or events.
 *
 * @example
 * app.route('/api/catalog', catalogRoutes(db));
 */
export function catalogRoutes(db: Database) {
  const app = apiRouter();
  app.openapi(catalogRoute, async (c) => c.json(await readCatalog(db, c.req.valid('query')), 200));
  return app;
}
