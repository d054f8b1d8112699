import { z } from 'zod';
import { bodyFormats } from '../contracts/body-formats.js';
import { templateParamTypes, userAttributeParamSchema } from '../channels/schema.js';
import type { JsonValue } from '../lib/json-values.js';
import type { RuleNode } from '../segments/rule.js';
import { verdicts } from '../webhook/send.js';
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
