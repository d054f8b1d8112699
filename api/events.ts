import type { MiddlewareHandler } from 'hono';
import type { Database } from '../db/client.js';
import { eventEnvelopeSchema, ingestEventList, type IngestHooks } from '../audience/events.js';
import type { FieldIssue } from '../contracts/errors.js';
import { eventsIngested } from '../lib/metrics.js';
import { ingestResultSchema } from './answers.js';
import { apiRouter, body, defineRoute, errors, handOverBody, json } from './contract.js';
import { example } from './examples.js';
import { readJsonBody } from './json.js';

type EventsEnv = { Variables: { numberIssues: FieldIssue[] } };

/**
 * The envelope is read without readJson's value checks: those run per event
 * (numberIssues are the integers JSON.parse rounded), so one bad event never
 * costs the good ones of its batch.
 */
const readEnvelope: MiddlewareHandler<EventsEnv> = async function readEnvelope(c, next) {
  const { value, numberIssues } = await readJsonBody(c);
  c.set('numberIssues', numberIssues);
  handOverBody(c, value);
  await next();
};

const ingestRoute = defineRoute(
  {
    method: 'post',
    path: '/',
    tags: ['audience'],
    summary: 'Ingest a batch of events, always wrapped as `{"events":[…]}`',
    request: { body: body(eventEnvelopeSchema, example('events')) },
    responses: { 200: json(ingestResultSchema), 400: errors.validation, 503: errors.ingestBusy },
  },
  readEnvelope,
);

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
  const app = apiRouter<EventsEnv>();

  app.openapi(ingestRoute, async (c) => {
    const result = await ingestEventList(db, c.req.valid('json').events, new Date(), c.get('numberIssues'), hooks?.());
    eventsIngested.inc({ result: 'accepted' }, result.accepted);
    eventsIngested.inc({ result: 'duplicate' }, result.duplicates);
    // One entry per issue: count the events.
    eventsIngested.inc({ result: 'rejected' }, new Set(result.rejected.map((r) => r.index)).size);
    return c.json(result, 200);
  });

  return app;
}
