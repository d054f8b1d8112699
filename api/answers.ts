import { z } from 'zod';
import { bodyFormats } from '../contracts/body-formats.js';
import { templateParamTypes, userAttributeParamSchema } from '../channels/schema.js';
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
