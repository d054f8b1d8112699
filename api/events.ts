import { Hono } from 'hono';
import type { Database } from '../db/client.js';
import { ingestEvents } from '../audience/events.js';
import { readJson } from './json.js';

/**
 * `/api/events`: batch ingestion. Answers 200 with what was accepted,
 * duplicated and rejected; only a malformed envelope is a 400.
 *
 * @example
 * app.route('/api/events', eventRoutes(db));
 */
export function eventRoutes(db: Database) {
  const app = new Hono();

  app.post('/', async function ingestBatch(c) {
    return c.json(await ingestEvents(db, await readJson(c)));
  });

  return app;
}
