import { z } from 'zod';
import { bodyFormats } from '../contracts/body-formats.js';
import { templateParamTypes, userAttributeParamSchema } from '../channels/schema.js';
import type { RuleNode } from '../segments/rule.js';
import { verdicts } from '../webhook/send.js';

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
