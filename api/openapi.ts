import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { campaignDraftSchema, campaignPatchSchema } from '../campaigns/definition.js';
import { goalSchema } from '../effect/goal.js';
import { renderPreviewAnswerSchema, renderPreviewSchema } from '../campaigns/render-preview.js';
import { campaignStatuses, deliveryStatuses, runStatuses, runTriggers } from '../lib/statuses.js';
import { failureReasonsSchema, runTimelineSchema } from '../runs/insights.js';
import { testSendResultSchema, timestamps } from './answers.js';
import { body, errorBodySchema, errors, idParam, items, json, page } from './contract.js';
import { campaignListExample, campaignTestSchema, example, storyCampaign } from './examples.js';

export { campaignListExample, requestExamples } from './examples.js';

/*
 * The API's description. Request bodies are the very zod schemas the stores
 * validate with (imported, so the document cannot drift from what is
 * accepted); answers are described here from the presenters. Validation stays
 * in the stores and readJson, whose answers (400 validation_failed naming the
 * field, 413, invalid_json) the document lists as the error bodies.
 */

const deliveryCountsSchema = z
  .object({ total: z.number().int(), ...Object.fromEntries(deliveryStatuses.map((status) => [status, z.number().int()])) } as Record<'total' | (typeof deliveryStatuses)[number], z.ZodNumber>)
  .meta({ id: 'DeliveryCounts', description: `Users of the current run: total, and by delivery status (${deliveryStatuses.join(', ')}).` });
const campaignSchema = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    status: z.enum(campaignStatuses).meta({ description: `One of ${campaignStatuses.join(', ')}.` }),
    segmentId: z.string().nullable(),
    channelId: z.string().nullable(),
    trigger: z.unknown(),
    templateValues: z.record(z.string(), z.unknown()),
    timeZone: z.string().meta({ description: 'the campaign\'s zone (quiet hours; a recurring trigger\'s own `timeZone` wins for its schedule)' }),
    goal: goalSchema.nullable().meta({ description: 'the conversion goal the effect is measured by (docs/goals.md), or null' }),
    holdout: z
      .object({ percent: z.number().int(), draw: z.number().int().meta({ description: 'which draw of the control group the next runs use; POST …/holdout/redraw counts it up' }) })
      .nullable()
      .meta({ description: 'the control group: percent of users held out and never sent, or null' }),
    launchedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    ...timestamps,
  })
  .meta({ id: 'Campaign' });
const campaignListItemSchema = campaignSchema
  .extend({ deliveries: deliveryCountsSchema })
  .meta({ id: 'CampaignListItem', description: 'A campaign as listed, with its current (latest) run\'s delivery counts as in the detail (all 0 before the first run), read from PostgreSQL: no Temporal query.' });
const eventTriggerFiguresSchema = z
  .object({
    eventsCounted: z.number().int().meta({ description: 'events the campaign counted while it was running' }),
    firingsWaiting: z.number().int().meta({ description: 'sends decided and not sent yet: due now, or inside their delay' }),
    firingsDue: z.number().int().meta({ description: 'of those, the ones already due (held by a pause, quiet hours or a backlog)' }),
    lagMs: z.number().int().meta({ description: 'how long the oldest due send has waited, in ms (0 when none is due): how far behind the campaign is' }),
  })
  .meta({ id: 'EventTriggerFigures', description: 'Event-triggered campaigns only: the queue of sends the campaign\'s events decided.' });
const campaignDetailSchema = campaignSchema
  .extend({
    run: z.unknown(),
    deliveries: deliveryCountsSchema,
    eventTrigger: eventTriggerFiguresSchema.optional(),
    progress: z.unknown(),
    temporal: z.looseObject({ workflowId: z.string(), url: z.string() }).nullable(),
  })
  .meta({ id: 'CampaignDetail' });
const runSchema = z
  .looseObject({
    id: z.string(),
    status: z.enum(runStatuses),
    trigger: z.enum(runTriggers),
    scheduledAt: z.string().nullable().meta({ description: 'a schedule firing\'s nominal time' }),
    sendAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    reason: z.string().nullable().meta({ description: 'why the run was skipped, missed or failed' }),
    deliveries: deliveryCountsSchema.optional(),
  })
  .meta({ id: 'Run' });
const attemptSchema = z.object({
  attempt: z.number().int(),
  at: z.string().nullable(),
  latencyMs: z.number().nullable(),
  httpStatus: z.number().int().nullable(),
  outcome: z.string(),
  error: z.object({ class: z.string(), message: z.string().nullable() }).nullable(),
});
const deliverySchema = z
  .looseObject({
    seq: z.number().int(),
    user: z.object({ id: z.string(), loginId: z.string().nullable(), visitorId: z.string().nullable() }),
    status: z.enum(deliveryStatuses),
    attempts: z.number().int(),
    lastHttpStatus: z.number().int().nullable(),
    lastError: z.object({ class: z.string(), message: z.string().nullable() }).nullable(),
    firstAttemptAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    latencyMs: z.number().nullable(),
    webhookId: z.string().nullable(),
    heldOutAt: z.string().nullable().meta({ description: 'a `held_out` user\'s moment they would have been sent (their goal window starts there)' }),
  })
  .meta({ id: 'Delivery' });
const deliveryWithAttemptsSchema = deliverySchema
  .extend({ responseBody: z.string().nullable().optional().meta({ description: 'the last response\'s body (its first 4,096 characters, credentials masked); absent for read keys' }), attemptLog: z.array(attemptSchema) })
  .meta({ id: 'DeliveryWithAttempts', description: 'One user\'s delivery and every attempt (time, outcome, status, latency, error); `triggeredSends` lists each send of an event-triggered run.' });
const interval = z.object({ low: z.number(), high: z.number() }).meta({ description: '95 % confidence interval' });
const effectGroupSchema = z.object({
  users: z.number().int().meta({ description: 'recipients measured: sent ones whose delivery succeeded, held-out ones the run\'s sends reached (one per send in event-triggered runs)' }),
  conversions: z.number().int().meta({ description: 'recipients with a goal event within the window after their start (the first counts)' }),
  rate: z.number().nullable(),
  interval: interval.nullable().meta({ description: 'Wilson score interval of the rate' }),
  value: z.number().nullable().meta({ description: 'sum of the goal\'s `value` property over goal events in the windows; null without `value`' }),
  valuePerUser: z.number().nullable(),
});
export const effectAnswerSchema = z
  .object({
    campaignId: z.string(),
    runId: z.string().nullable().meta({ description: 'the run asked for with `?run=`; null: every run of the campaign added up' }),
    runs: z.number().int().meta({ description: 'runs measured (skipped and missed firings sent nothing and are not counted)' }),
    goal: goalSchema.nullable(),
    holdout: z.object({ percent: z.number().int(), draw: z.number().int() }).nullable(),
    status: z.enum(['final', 'provisional']).meta({ description: '`final` once every run\'s figures were stored by its workflow (after its last window and the late-event grace); `provisional` before' }),
    windowOpen: z.boolean().meta({ description: 'a run still sends or a recipient\'s window is still open' }),
    windowClosesAt: z.string().nullable().meta({ description: 'when the last recipient\'s window closes; null while a run still sends' }),
    finalizedAt: z.string().nullable(),
    sent: effectGroupSchema,
    control: effectGroupSchema.nullable().meta({ description: 'the held-out group; null without a control group' }),
    difference: z
      .object({
        rate: z.number().meta({ description: 'sent rate minus control rate' }),
        interval: interval.meta({ description: 'Newcombe hybrid score interval (method 10 of Newcombe 1998)' }),
        relativeUplift: z.number().nullable().meta({ description: 'difference / control rate; null when the control rate is 0' }),
        pValue: z.number().meta({ description: 'two-sided pooled two-proportion z test' }),
      })
      .nullable(),
    curve: z
      .array(z.object({ afterMs: z.number(), sent: z.number().nullable(), control: z.number().nullable() }))
      .meta({ description: 'cumulative conversion rate per group at the end of each sixtieth of the window since send' }),
  })
  .meta({ id: 'CampaignEffect', description: 'Did it work: each group\'s conversions, the difference with its interval, and the curves (docs/goals.md).' });
export const campaignListAnswerSchema = items(campaignListItemSchema);

/** Registers every route hookcast serves (campaign routes only when mounted). */
export function describeApi(app: Pick<OpenAPIHono, 'openAPIRegistry'>, options: { campaigns: boolean }) {
  const r = app.openAPIRegistry;
  const route = (config: Parameters<typeof createRoute>[0]) => r.registerPath(createRoute(config));
  const health = (path: string, summary: string) => route({ method: 'get', path, tags: ['operations'], security: [], summary, responses: { 200: { description: 'OK' }, 503: json(errorBodySchema, undefined, 'Not ready') } });
  health('/healthz', 'Liveness');
  health('/readyz', 'Readiness (PostgreSQL, Temporal)');
  route({ method: 'get', path: '/metrics', tags: ['operations'], security: [], summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } });
  route({ method: 'get', path: '/api/openapi.json', tags: ['operations'], security: [], summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } });
  r.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer', description: 'An API key: `read` keys may GET, `ingest` keys only POST /api/events, /api/users and /api/users/identify, `write` keys everything but /api/keys and /api/audit, `admin` keys everything. 20 wrong keys from one address within a minute: 429 until the minute ends.' });
  route({ method: 'get', path: '/api/docs', tags: ['operations'], security: [], summary: 'Browsable API reference', responses: { 200: { description: 'HTML' } } });
  route({ method: 'get', path: '/api/docs/reference.js', tags: ['operations'], security: [], summary: 'The reference page\'s start-up script (a file: the CSP allows no inline script)', responses: { 200: { description: 'JavaScript' } } });

  if (!options.campaigns) return;
  const withId = { params: idParam };
  const control = (action: string, summary: string, status: 200 | 202 = 200) =>
    route({ method: 'post', path: `/api/campaigns/{id}/${action}`, tags: ['campaigns'], summary, request: withId, responses: { [status]: json(campaignDetailSchema), 404: errors.notFound, 409: errors.conflict } });
  route({ method: 'post', path: '/api/campaigns/preview', tags: ['campaigns'], summary: 'Render the request a campaign would send to a sample user of its segment, before saving; nothing is sent', request: { body: body(renderPreviewSchema, example('campaign render preview')) }, responses: { 200: json(renderPreviewAnswerSchema), 400: errors.validation } });
  route({ method: 'post', path: '/api/campaigns', tags: ['campaigns'], summary: 'Save a draft', request: { body: body(campaignDraftSchema, storyCampaign) }, responses: { 201: json(campaignSchema), 400: errors.validation } });
  route({ method: 'get', path: '/api/campaigns', tags: ['campaigns'], summary: 'List campaigns, newest first (at most 500), each with its current run\'s delivery counts', request: { query: z.object({ status: z.enum(campaignStatuses).optional() }) }, responses: { 200: json(campaignListAnswerSchema, campaignListExample), 400: errors.validation } });
  route({ method: 'get', path: '/api/campaigns/{id}', tags: ['campaigns'], summary: 'A campaign with its run, delivery counts and (with `?live=true`) the workflow\'s progress', request: { params: idParam, query: z.object({ live: z.enum(['true', '1']).optional() }) }, responses: { 200: json(campaignDetailSchema), 404: errors.notFound } });
  route({ method: 'patch', path: '/api/campaigns/{id}', tags: ['campaigns'], summary: 'Edit a draft', request: { params: idParam, body: body(campaignPatchSchema, example('campaign patch')) }, responses: { 200: json(campaignSchema), 400: errors.validation, 404: errors.notFound, 409: errors.conflict } });
  route({ method: 'delete', path: '/api/campaigns/{id}', tags: ['campaigns'], summary: 'Delete a draft', request: withId, responses: { 204: { description: 'Deleted' }, 404: errors.notFound, 409: errors.conflict } });
  control('launch', 'Go live (上线); 409 with the reasons when it cannot');
  control('pause', 'Pause a running campaign');
  control('resume', 'Resume a paused campaign');
  control('cancel', 'Cancel; the run stops in the background', 202);
  route({ method: 'post', path: '/api/campaigns/{id}/test', tags: ['campaigns'], summary: 'One real request to one named user, outside any run', request: { params: idParam, body: body(campaignTestSchema, example('campaign test')) }, responses: { 200: json(testSendResultSchema), 400: errors.validation, 404: errors.notFound } });
  route({ method: 'post', path: '/api/campaigns/{id}/trigger', tags: ['campaigns'], summary: 'Send a recurring campaign once now', request: withId, responses: { 202: json(z.object({ triggered: z.boolean(), runs: z.string() })), 404: errors.notFound, 409: errors.conflict } });
  route({ method: 'get', path: '/api/campaigns/{id}/runs', tags: ['campaigns'], summary: 'Runs, newest first', request: { params: idParam, query: z.object({ cursor: z.string().optional(), limit: z.string().optional() }) }, responses: { 200: json(page(runSchema)), 400: errors.validation, 404: errors.notFound } });
  route({ method: 'get', path: '/api/campaigns/{id}/runs/{runId}', tags: ['campaigns'], summary: 'One run with its frozen definition', request: { params: idParam.extend({ runId: z.string() }) }, responses: { 200: json(runSchema), 404: errors.notFound } });
  const runQuery = z.object({ run: z.string().optional().meta({ description: 'a run of the campaign; the current run when absent' }) });
  route({ method: 'get', path: '/api/campaigns/{id}/timeline', tags: ['campaigns'], summary: 'Attempts per interval by outcome and the current sending rate of a run, for a chart (from PostgreSQL)', request: { params: idParam, query: runQuery }, responses: { 200: json(runTimelineSchema), 404: errors.notFound } });
  route({ method: 'get', path: '/api/campaigns/{id}/failures', tags: ['campaigns'], summary: 'Users of a run that failed, were skipped or cancelled, or are being retried, grouped by reason with counts', request: { params: idParam, query: runQuery }, responses: { 200: json(failureReasonsSchema), 404: errors.notFound } });
  route({
    method: 'get',
    path: '/api/campaigns/{id}/effect',
    tags: ['campaigns'],
    summary: 'Did it work: conversions of the sent and the control group, the difference with its 95 % interval, the p-value and the curves; every run added up, or one with `?run=`',
    request: { params: idParam, query: z.object({ run: z.string().optional().meta({ description: 'one run of the campaign; every run added up when absent' }) }) },
    responses: { 200: json(effectAnswerSchema), 404: errors.notFound },
  });
  route({ method: 'post', path: '/api/campaigns/{id}/holdout/redraw', tags: ['campaigns'], summary: 'New draw of a recurring campaign\'s control group: its next runs hold out other users (runs hold out the same users until then)', request: withId, responses: { 200: json(campaignSchema), 404: errors.notFound, 409: errors.conflict } });
  route({ method: 'get', path: '/api/campaigns/{id}/deliveries', tags: ['campaigns'], summary: 'Deliveries of a run (the current one unless `?run=`)', request: { params: idParam, query: z.looseObject({ run: z.string().optional(), cursor: z.string().optional() }) }, responses: { 200: json(page(deliverySchema)), 400: errors.validation, 404: errors.notFound } });
  route({ method: 'get', path: '/api/campaigns/{id}/deliveries/{user}', tags: ['campaigns'], summary: 'One user\'s delivery with every attempt (by login or visitor id)', request: { params: idParam.extend({ user: z.string() }), query: z.object({ run: z.string().optional() }) }, responses: { 200: json(deliveryWithAttemptsSchema), 404: errors.notFound } });
}
