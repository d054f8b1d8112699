import { z } from 'zod';
import { bodyFormats } from '../contracts/body-formats.js';
import { templateParamTypes, userAttributeParamSchema } from '../contracts/channel.js';
import type { JsonValue } from '../lib/json-values.js';
import type { RuleNode } from '../contracts/segment-rule.js';
import { verdicts } from '../webhook/send.js';
import { campaignStatuses, deliveryStatuses, runStatuses, runTriggers, type DeliveryStatus } from '../contracts/statuses.js';
import { eventTriggerSchema, recurringTriggerSchema } from '../contracts/trigger.js';
import { auditActions } from '../access/audit.js';
import { apiKeyScopes } from '../db/schema.js';

/*
 * What the API answers, one schema per presenter (channels/present.ts,
 * campaigns/present.ts, runs/present.ts…). Strict objects: in tests every
 * answer is checked against its route's schema (api/contract.ts), and a field
 * a presenter adds without describing it here fails that check.
 */

const isoTime = z.string().meta({ description: 'ISO 8601 date-time' });
export const timestamps = { createdAt: isoTime, updatedAt: isoTime };

/** A template parameter's value: what its type allows (dates as ISO text), or null. */
export const templateValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const templateParamAnswerSchema = z.strictObject({
  name: z.string(),
  displayName: z.string(),
  type: z.enum(templateParamTypes),
  default: templateValueSchema.optional().meta({ description: 'a value of the parameter\'s type' }),
  required: z.boolean(),
});
export type TemplateParamAnswer = z.infer<typeof templateParamAnswerSchema>;

const channelAuthAnswerSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('secret'),
      secret: z.string(),
      previous: z.strictObject({ secret: z.string(), until: isoTime }).optional().meta({ description: 'during a rotation: the old secret (masked), still signing until `until`' }),
    }),
    z.strictObject({ type: z.literal('basic'), username: z.string(), password: z.string() }),
    z.strictObject({ type: z.literal('none') }),
  ])
  .meta({ description: 'Masked (`whsec_********…` keeping the last 4 characters, `********`) except in the answer that created or replaced the credentials.' });

export const channelSchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    url: z.string(),
    method: z.enum(['POST', 'PUT', 'GET']),
    headers: z.record(z.string(), z.string()),
    auth: channelAuthAnswerSchema,
    userAttributeParams: z.array(userAttributeParamSchema),
    templateParams: z.array(templateParamAnswerSchema),
    timeoutMs: z.number().int(),
    format: z.enum(bodyFormats),
    batchSize: z.number().int(),
    retry: z.strictObject({ initialIntervalMs: z.number().int(), maxIntervalMs: z.number().int(), maxDurationMs: z.number().int() }),
    rateLimit: z.strictObject({ perSecond: z.number().int().nullable(), concurrency: z.number().int().nullable() }).meta({ description: 'null members: unlimited' }),
    userCap: z.strictObject({ max: z.number().int(), per: z.string() }).nullable(),
    flagged: z.strictObject({ at: isoTime, reason: z.string().nullable() }).nullable().meta({ description: 'set when the endpoint answered 410 Gone; an edit clears it' }),
    ...timestamps,
  })
  .meta({ id: 'Channel', description: 'Credentials are shown in full only in the answer that created or replaced them; masked elsewhere.' });

export const testSendResultSchema = z
  .strictObject({
    verdict: z.enum(verdicts).meta({ description: '`ok` for 2xx; otherwise why not (docs/api.md)' }),
    status: z.number().int().nullable(),
    latencyMs: z.number(),
    request: z
      .strictObject({ method: z.enum(['POST', 'PUT', 'GET']), url: z.string(), headers: z.record(z.string(), z.string()), body: z.string() })
      .meta({ description: 'the request sent, signature and credentials masked' }),
    response: z
      .strictObject({
        headers: z.record(z.string(), z.string()),
        body: z.string().meta({ description: 'its first characters, credentials masked' }),
        bodyTruncated: z.boolean(),
      })
      .nullable()
      .meta({ description: 'null when no response arrived' }),
    error: z.string().nullable().meta({ description: 'a transport failure, in short' }),
  })
  .meta({ id: 'TestSendResult', description: 'The request sent (signature and credentials masked), the response, and the verdict (`ok` for 2xx).' });

const scalar = z.union([z.string(), z.number(), z.boolean()]);
/** The comparisons of segments/rule.ts, shared by profile attributes and event properties. */
const comparisons = [
  { op: z.enum(['equals', 'notEquals']), value: scalar },
  { op: z.enum(['in', 'notIn']), value: z.array(scalar) },
  { op: z.enum(['gt', 'gte', 'lt', 'lte']), value: z.number() },
  { op: z.enum(['contains', 'startsWith']), value: z.string() },
  { op: z.enum(['exists', 'notExists']) },
] as const;
const isoDay = z.string().meta({ description: 'a calendar date YYYY-MM-DD' });
const attributeConditionSchema = z
  .union([
    ...comparisons.map((shape) => z.strictObject({ attribute: z.string(), ...shape })),
    z.strictObject({ attribute: z.string(), op: z.enum(['before', 'after']), value: isoDay }),
    z.strictObject({ attribute: z.string(), op: z.literal('withinLastDays'), value: z.number().int() }),
    z.strictObject({ attribute: z.string(), op: z.literal('anniversaryToday') }),
  ])
  .meta({ id: 'AttributeCondition', description: 'A profile attribute compared; date comparisons by calendar day in the segment\'s time zone.' });
export const propertyFilterSchema = z
  .union(comparisons.map((shape) => z.strictObject({ property: z.string(), ...shape })))
  .meta({ id: 'PropertyFilter', description: 'An event property compared.' });
const eventWindowSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('today') }),
    z.strictObject({ type: z.literal('yesterday') }),
    z.strictObject({ type: z.literal('lastDays'), days: z.number().int() }),
    z.strictObject({ type: z.literal('since'), date: isoDay.optional(), daysAgo: z.number().int().optional() }),
    z.strictObject({ type: z.literal('between'), from: isoDay, to: isoDay }),
  ])
  .meta({ id: 'EventWindow' });
const eventCountSchema = z.strictObject({ op: z.enum(['atLeast', 'atMost', 'exactly']), value: z.number().int() });
const where = z.array(propertyFilterSchema).optional();

/** segments/rule.ts's RuleNode: groups (`all`, `any`) over conditions, read by the key a node carries. */
export const ruleSchema: z.ZodType<RuleNode> = z
  .union([
    z.strictObject({
      get all() {
        return z.array(ruleSchema);
      },
    }),
    z.strictObject({
      get any() {
        return z.array(ruleSchema);
      },
    }),
    attributeConditionSchema,
    z.strictObject({ event: z.string(), count: eventCountSchema.optional(), window: eventWindowSchema.optional(), where }),
    z.strictObject({ noEvent: z.string(), window: eventWindowSchema.optional(), where }),
    z.strictObject({ identity: z.enum(['hasLoginId', 'visitorOnly']) }),
  ])
  .meta({ id: 'RuleNode', description: 'A segment rule: `{"all":[…]}` (and), `{"any":[…]}` (or), or a condition on an attribute, an event (`event`, `noEvent`) or the identity (docs/segments.md).' });

export const segmentSchema = z
  .strictObject({ id: z.string(), name: z.string(), rule: ruleSchema, timeZone: z.string(), ...timestamps })
  .meta({ id: 'Segment' });

export const segmentPreviewSchema = z
  .strictObject({
    count: z.number().int(),
    sample: z.array(z.strictObject({ id: z.string(), loginId: z.string().nullable(), visitorId: z.string().nullable() })),
    missingLoginId: z.number().int(),
    missingVisitorId: z.number().int(),
  })
  .meta({ id: 'SegmentPreview', description: 'Member count, a sample of 20 users and how many members lack each id.' });

/** Any JSON value: what a client sent and hookcast keeps as sent (event properties, an audited change). */
export const jsonValueSchema: z.ZodType<JsonValue> = z
  .union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.lazy(() => jsonValueSchema)), z.record(z.string(), z.lazy(() => jsonValueSchema))])
  .meta({ id: 'JsonValue' });
const jsonObject = z.record(z.string(), jsonValueSchema);

export const userSchema = z
  .strictObject({
    id: z.string(),
    loginId: z.string().nullable(),
    visitorId: z.string().nullable(),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).meta({ description: 'profile attributes; dates as ISO text' }),
    ...timestamps,
  })
  .meta({ id: 'User' });

export const erasureSchema = z.union([
  z.strictObject({
    erased: z.literal(true),
    counts: z.strictObject({ events: z.number().int(), deliveries: z.number().int(), unsent: z.number().int(), firings: z.number().int(), triggerState: z.number().int() }),
  }),
  z.strictObject({ erased: z.literal(false) }),
]);

const isoOrNull = isoTime.nullable();
export const userExportSchema = z
  .strictObject({
    format: z.literal('hookcast-user-export/1'),
    exportedAt: isoTime,
    user: userSchema,
    events: z.array(
      z.strictObject({ id: z.string(), name: z.string(), properties: jsonObject, occurredAt: isoTime, receivedAt: isoTime, clientEventId: z.string().nullable() }),
    ),
    deliveries: z.array(
      z.strictObject({
        campaign: z.strictObject({ id: z.string(), name: z.string() }),
        runId: z.string(),
        trigger: z.string(),
        status: z.string(),
        address: z.string().nullable(),
        deliveryKey: z.string(),
        request: z
          .strictObject({ url: z.string().nullable(), method: z.string().nullable(), webhookId: z.string().nullable(), templateValues: jsonObject.nullable() })
          .meta({ description: 'bodies are rendered at send time and not stored: the channel it went to and the campaign\'s values' }),
        answer: z.strictObject({ httpStatus: z.number().int().nullable(), body: z.string().nullable(), errorClass: z.string().nullable(), errorMessage: z.string().nullable() }),
        attempts: z.number().int(),
        firstAttemptAt: isoOrNull,
        lastAttemptAt: isoOrNull,
        attemptLog: z.array(
          z.strictObject({
            attempt: z.number().int(),
            startedAt: isoTime,
            latencyMs: z.number().nullable(),
            httpStatus: z.number().int().nullable(),
            outcome: z.string(),
            errorClass: z.string().nullable(),
            errorMessage: z.string().nullable(),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'UserExport', description: 'Everything held about one user (docs/privacy.md).' });

export const ingestResultSchema = z
  .strictObject({
    accepted: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.array(
      z.strictObject({ index: z.number().int().meta({ description: 'the event\'s position in the batch' }), path: z.string(), message: z.string(), code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])) }),
    ),
  })
  .meta({ id: 'IngestResult', description: 'What was accepted, duplicated and rejected (one entry per issue of a rejected event).' });

export const apiKeySchema = z
  .strictObject({ id: z.string(), name: z.string(), scope: z.enum(apiKeyScopes), prefix: z.string(), createdAt: isoTime, revokedAt: isoOrNull })
  .meta({ id: 'ApiKey' });

export const auditEventSchema = z
  .strictObject({
    id: z.string(),
    at: isoTime,
    actor: z.strictObject({ keyId: z.string().nullable(), name: z.string() }),
    action: z.enum(auditActions),
    target: z.strictObject({ type: z.string(), id: z.string().nullable(), name: z.string().nullable() }),
    change: jsonValueSchema.meta({ description: 'the fields the request changed, secrets masked; null when none' }),
  })
  .meta({ id: 'AuditEvent' });

const templateValuesSchema = z.record(z.string(), jsonValueSchema).meta({ description: 'values for the channel\'s template parameters by name; text may hold Liquid' });
const quietHoursAnswerSchema = z.strictObject({ from: z.string(), to: z.string(), mode: z.enum(['wait', 'skip']) });
const goalAnswerSchema = z
  .strictObject({ event: z.string(), where: z.array(propertyFilterSchema).optional(), within: z.string().meta({ description: 'ISO 8601 duration' }), value: z.string().optional() })
  .meta({ id: 'Goal', description: 'The conversion goal the effect is measured by (docs/goals.md).' });
const holdoutAnswerSchema = z.strictObject({
  percent: z.number().int(),
  draw: z.number().int().meta({ description: 'which draw of the control group the runs use; POST …/holdout/redraw counts it up' }),
});

/** A campaign's trigger as saved: the very schemas drafts are validated with (triggers/recurring.ts, triggers/event.ts). */
export const triggerAnswerSchema = z
  .discriminatedUnion('type', [z.strictObject({ type: z.literal('once'), sendAt: z.string().meta({ description: '`now` or an ISO 8601 date-time' }) }), recurringTriggerSchema, eventTriggerSchema])
  .meta({ id: 'Trigger', description: 'Once (now or at a time), recurring (a schedule: docs/recurring.md) or by each user\'s events (docs/event-triggers.md).' });

export const campaignSchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    status: z.enum(campaignStatuses),
    segmentId: z.string().nullable(),
    channelId: z.string().nullable(),
    identity: z.enum(['login', 'visitor']),
    templateValues: templateValuesSchema,
    trigger: triggerAnswerSchema,
    expiresAt: isoOrNull,
    timeZone: z.string().meta({ description: 'the campaign\'s zone (quiet hours; a recurring trigger\'s own `timeZone` wins for its schedule)' }),
    quietHours: quietHoursAnswerSchema.nullable(),
    launchedAt: isoOrNull,
    finishedAt: isoOrNull,
    lastError: z.string().nullable(),
    pauseReason: z.string().nullable().meta({ description: 'why the campaign paused itself (the channel\'s circuit breaker); null when an operator paused it or it runs' }),
    goal: goalAnswerSchema.nullable(),
    holdout: holdoutAnswerSchema.nullable().meta({ description: 'the control group: percent of users held out and never sent, or null' }),
    ...timestamps,
  })
  .meta({ id: 'Campaign' });

export const deliveryCountsSchema = z
  .strictObject({ total: z.number().int(), ...Object.fromEntries(deliveryStatuses.map((status) => [status, z.number().int()])) } as Record<'total' | DeliveryStatus, z.ZodNumber>)
  .meta({ id: 'DeliveryCounts', description: `Users of the current run: total, and by delivery status (${deliveryStatuses.join(', ')}).` });

export const campaignListItemSchema = campaignSchema
  .extend({ deliveries: deliveryCountsSchema })
  .meta({ id: 'CampaignListItem', description: 'A campaign as listed, with its current (latest) run\'s delivery counts as in the detail (all 0 before the first run), read from PostgreSQL: no Temporal query.' });

/** campaigns/definition.ts FrozenDefinition: what a launch froze, copied to each run (no credentials). */
const frozenDefinitionSchema = z
  .strictObject({
    campaignName: z.string(),
    identity: z.enum(['login', 'visitor']),
    channel: z.strictObject({
      ...channelSchema.pick({ id: true, name: true, url: true, method: true, headers: true, format: true, batchSize: true, timeoutMs: true, retry: true, userAttributeParams: true, templateParams: true }).shape,
      userCap: channelSchema.shape.userCap.optional(),
    }),
    templateValues: templateValuesSchema,
    segment: z.strictObject({ id: z.string(), name: z.string(), rule: ruleSchema, timeZone: z.string() }),
    quietHours: quietHoursAnswerSchema.nullable().optional(),
    timeZone: z.string().optional(),
    goal: goalAnswerSchema.nullable().optional(),
    holdout: holdoutAnswerSchema.nullable().optional(),
  })
  .meta({ id: 'FrozenDefinition', description: 'What the launch froze: the campaign\'s settings, the channel\'s request shape and the segment\'s rule.' });

export const runSchema = z
  .strictObject({
    id: z.string(),
    status: z.enum(runStatuses),
    trigger: z.enum(runTriggers),
    scheduledAt: isoOrNull.meta({ description: 'a schedule firing\'s nominal time' }),
    reason: z.string().nullable().meta({ description: 'why the run was skipped, missed or failed' }),
    sendAt: isoTime,
    expiresAt: isoOrNull,
    audience: z.strictObject({ total: z.number().int(), skipped: z.number().int().nullable(), frozenAt: isoOrNull }).nullable().meta({ description: 'null until the audience is frozen' }),
    startedAt: isoOrNull,
    finishedAt: isoOrNull,
    quietUntil: isoOrNull.meta({ description: 'while the run\'s sends wait for quiet hours to end: until when' }),
    workflowId: z.string(),
    temporalUrl: z.string().optional(),
    deliveries: deliveryCountsSchema.optional(),
    definition: frozenDefinitionSchema.optional().meta({ description: 'absent in lists' }),
  })
  .meta({ id: 'Run' });

/** workflows/messages.ts CampaignProgress: the workflow's own account, by a Temporal query. */
const progressSchema = z
  .strictObject({
    status: z.enum(runStatuses),
    total: z.number().int().nullable(),
    nextSeq: z.number().int().meta({ description: 'next audience position to hand to a batch (1-based)' }),
    batchesInFlight: z.number().int(),
    batchesDone: z.number().int(),
    continuedAsNew: z.number().int(),
  })
  .meta({ id: 'CampaignProgress' });

const eventTriggerFiguresSchema = z
  .strictObject({
    eventsCounted: z.number().int().meta({ description: 'events the campaign counted while it was running' }),
    firingsWaiting: z.number().int().meta({ description: 'sends decided and not sent yet: due now, or inside their delay' }),
    firingsDue: z.number().int().meta({ description: 'of those, the ones already due (held by a pause, quiet hours or a backlog)' }),
    lagMs: z.number().int().meta({ description: 'how long the oldest due send has waited, in ms (0 when none is due): how far behind the campaign is' }),
  })
  .meta({ id: 'EventTriggerFigures', description: 'Event-triggered campaigns only: the queue of sends the campaign\'s events decided.' });

export const campaignDetailSchema = campaignSchema
  .extend({
    run: runSchema.nullable().meta({ description: 'the current run with its frozen definition; null before the first' }),
    nextFirings: z.array(isoTime).nullable().meta({ description: 'recurring campaigns: the schedule\'s next five firings (null otherwise, or when Temporal does not answer)' }),
    schedule: z.strictObject({ paused: z.boolean(), missedBeyondRecord: z.number().int() }).optional(),
    deliveries: deliveryCountsSchema,
    eventTrigger: eventTriggerFiguresSchema.optional(),
    progress: progressSchema.nullable().meta({ description: 'with `?live=true` (or after an operator control): the workflow\'s own progress; else null' }),
    temporal: z.strictObject({ workflowId: z.string(), url: z.string() }).nullable(),
  })
  .meta({ id: 'CampaignDetail' });

const errorOf = z.strictObject({ class: z.string(), message: z.string().nullable() }).nullable();
export const deliverySchema = z
  .strictObject({
    seq: z.number().int(),
    user: z.strictObject({ id: z.string(), loginId: z.string().nullable(), visitorId: z.string().nullable() }),
    address: z.string().nullable().meta({ description: 'the login or visitor id addressed; null: skipped' }),
    status: z.enum(deliveryStatuses),
    attempts: z.number().int(),
    lastHttpStatus: z.number().int().nullable(),
    lastError: errorOf,
    firstAttemptAt: isoOrNull,
    lastAttemptAt: isoOrNull,
    nextAttemptAt: isoOrNull,
    latencyMs: z.number().nullable(),
    webhookId: z.string().nullable(),
    heldOutAt: isoOrNull.meta({ description: 'a `held_out` user\'s moment they would have been sent (their goal window starts there)' }),
    responseBody: z.string().nullable().optional().meta({ description: 'the last response\'s body (its first 4,096 characters, credentials masked); absent for read keys' }),
  })
  .meta({ id: 'Delivery' });
const attemptSchema = z.strictObject({
  attempt: z.number().int(),
  at: isoOrNull,
  latencyMs: z.number().nullable(),
  httpStatus: z.number().int().nullable(),
  outcome: z.string(),
  error: errorOf,
});
export const deliveryWithAttemptsSchema = deliverySchema
  .extend({
    attemptLog: z.array(attemptSchema),
    triggeredSends: z
      .array(deliverySchema.extend({ event: z.strictObject({ id: z.string(), name: z.string().nullable(), occurredAt: isoOrNull }), attemptLog: z.array(attemptSchema) }))
      .optional()
      .meta({ description: 'event-triggered runs: each send to the user, newest first, with the event that caused it' }),
  })
  .meta({ id: 'DeliveryWithAttempts', description: 'One user\'s delivery and every attempt (time, outcome, status, latency, error); `triggeredSends` lists each send of an event-triggered run.' });

const interval = z.strictObject({ low: z.number(), high: z.number() }).meta({ description: '95 % confidence interval' });
const effectGroupSchema = z.strictObject({
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
    goal: goalAnswerSchema.nullable(),
    holdout: holdoutAnswerSchema.nullable(),
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
      .array(z.strictObject({ afterMs: z.number(), sent: z.number().nullable(), control: z.number().nullable() }))
      .meta({ description: 'cumulative conversion rate per group at the end of each sixtieth of the window since send' }),
  })
  .meta({ id: 'CampaignEffect', description: 'Did it work: each group\'s conversions, the difference with its interval, and the curves (docs/goals.md).' });
export const campaignListAnswerSchema = z.strictObject({ items: z.array(campaignListItemSchema) });

