import { Hono } from 'hono';
import type { Database } from '../db/client.js';
import { ingestEvents, type IngestHooks } from '../audience/events.js';
import { eventsIngested } from '../lib/metrics.js';
import { readJsonBody } from './json.js';

/**
 * `/api/events`: batch ingestion. Answers 200 with what was accepted,
 * duplicated and rejected; only a malformed envelope is a 400. Value checks
 * (NUL, depth, integers beyond ±2^53) run per event, so one bad event never
 * costs the good ones of its batch. `hooks` (event-triggered campaigns) gives
 * each ingest its own hooks.
 *
 * @example
 * app.route('/api/events', eventRoutes(db));
 */
export function eventRoutes(db: Database, hooks?: () => IngestHooks) {
  const app = new Hono();

  app.post('/', async function ingestBatch(c) {
    const { value, numberIssues } = await readJsonBody(c);
    const result = await ingestEvents(db, value, new Date(), numberIssues, hooks?.());
    eventsIngested.inc({ result: 'accepted' }, result.accepted);
    eventsIngested.inc({ result: 'duplicate' }, result.duplicates);
    // One entry per issue: count the events.
    eventsIngested.inc({ result: 'rejected' }, new Set(result.rejected.map((r) => r.index)).size);
    return c.json(result);
  });

  return app;
}
