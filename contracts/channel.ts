import { z } from 'zod';
import { bodyFormats } from './body-formats.js';
import { normalizeIsoDate } from './dates.js';
import { isoDurationMs, isoDurationSchema } from './iso-duration.js';

/** Parameter names become JSON keys and query parameters, so keep them plain. */
export const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a plain identifier: letters, digits and _, not starting with a digit, at most 64 characters');

export const MAX_PARAMS = 10;

export const templateParamTypes = ['integer', 'number', 'text', 'boolean', 'date'] as const;
export type TemplateParamType = (typeof templateParamTypes)[number];

const isoDate = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Checks one value against a template parameter type and explains a mismatch.
 * Returns undefined when the value fits.
 *
 * @example
 * templateValueProblem('integer', 100);   // undefined
 * templateValueProblem('integer', '100'); // 'must be an integer'
 */
export function templateValueProblem(type: TemplateParamType, value: unknown): string | undefined {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : 'must be an integer';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'text':
      if (typeof value !== 'string') return 'must be text';
      return value.length <= 10_000 ? undefined : 'must be at most 10000 characters';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'date':
      // normalizeIsoDate also refuses impossible days and year 0000.
      return typeof value === 'string' && isoDate.test(value) && normalizeIsoDate(value) !== undefined
        ? undefined
        : 'must be an ISO 8601 date (YYYY-MM-DD) or date-time';
  }
}

export const templateParamSchema = z
  .strictObject({
    name: identifier,
    displayName: z.string().trim().min(1, 'must not be empty').max(100),
    type: z.enum(templateParamTypes),
    default: z.unknown().optional(),
    required: z.boolean().default(false),
  })
  .superRefine(function defaultMatchesType(param, ctx) {
    if (param.default === undefined || param.default === null) return;
    const problem = templateValueProblem(param.type, param.default);
    if (problem) ctx.addIssue({ code: 'custom', path: ['default'], message: `default ${problem} (type ${param.type})` });
  });
export type TemplateParam = z.infer<typeof templateParamSchema>;

/**
 * `$id` reads the identity itself (login id or visitor id); any other name reads
 * that profile attribute.
 */
export const ID_ATTRIBUTE = '$id';

export const userAttributeParamSchema = z.strictObject({
  name: identifier,
  attribute: z.union([z.literal(ID_ATTRIBUTE), identifier], {
    error: `must be ${ID_ATTRIBUTE} or a plain attribute identifier`,
  }),
  identity: z.enum(['login', 'visitor']),
  default: z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]).optional(),
});
export type UserAttributeParam = z.infer<typeof userAttributeParamSchema>;

const WHSEC = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

const signingSecret = z.string().superRefine(function isStandardWebhooksSecret(secret, ctx) {
  const match = WHSEC.exec(secret);
  // Decoded length counted by hand (every 4 base64 characters are 3 bytes): the console runs this schema in a browser, which has no Buffer.
  const bytes = match ? Math.floor((match[1]!.replace(/=+$/, '').length * 3) / 4) : 0;
  if (!match || bytes < 24 || bytes > 64) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be whsec_ followed by 24 to 64 base64-encoded bytes (omit it to have one generated)',
    });
  }
});

export const authSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('secret'), secret: signingSecret.optional() }),
    z.strictObject({
      type: z.literal('basic'),
      username: z.string().min(1, 'is required').max(200).refine((u) => !u.includes(':'), 'must not contain ":"'),
      password: z.string().min(1, 'is required').max(200),
    }),
    z.strictObject({ type: z.literal('none') }),
  ],
  { error: 'type must be one of "secret", "basic", "none"' },
);
export type ChannelAuthInput = z.infer<typeof authSchema>;
/** What is stored: a secret is always present once the channel exists. */
export type ChannelAuth =
  | {
      type: 'secret';
      secret: string;
      /** During a rotation: the old secret, still signing beside the new one until `until` (ISO time). */
      previous?: { secret: string; until: string };
    }
  | { type: 'basic'; username: string; password: string }
  | { type: 'none' };

/** Headers hookcast sets itself; an operator may not override them. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-type',
  'content-length',
  'user-agent',
  'authorization',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-gio-signature',
]);

/**
 * Headers about the connection rather than the message (hop-by-hop, proxy and
 * protocol-switch headers). undici refuses to build a request with some of them
 * (`Expect`, `Upgrade`, `Keep-Alive`, `Transfer-Encoding`, a non-token
 * `Connection`) and the others would change how the connection behaves, so a
 * channel saved with one would fail every send.
 */
const CONNECTION_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'http2-settings',
]);

/** Extra headers a channel may send (the console's add button stops there too). */
export const MAX_HEADERS = 20;

// RFC 9110 token characters, as undici checks header names.
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
// What undici accepts in a value: tab, visible ASCII and space, and Latin-1 (sent as single bytes).
// Anything else (line breaks, NUL, other control characters, 中文) makes it refuse to build the request.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const headersSchema = z
  .record(
    z.string().regex(HEADER_NAME, 'must be a valid HTTP header name (letters, digits and !#$%&\'*+.^_`|~-, at most 100)'),
    z
      .string()
      .max(2000)
      .regex(
        HEADER_VALUE,
        'must hold only printable ASCII, tab or Latin-1 characters: no line breaks, NUL or other control characters, and no characters beyond U+00FF (percent-encode them)',
      ),
  )
  .superRefine(function noReservedHeaders(headers, ctx) {
    const names = Object.keys(headers);
    if (names.length > MAX_HEADERS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_HEADERS} extra headers` });
    for (const name of names) {
      const lower = name.toLowerCase();
      if (RESERVED_HEADERS.has(lower)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `${name} is set by hookcast and cannot be overridden` });
      } else if (CONNECTION_HEADERS.has(lower) || lower.startsWith('proxy-')) {
        ctx.addIssue({ code: 'custom', path: [name], message: `${name} is a connection-level header and cannot be sent as a channel header` });
      }
    }
  });

const httpUrl = z
  .string()
  .max(2000)
  .refine(function isHttpUrl(value) {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL')
  // A URL is shown to every key that may read channels; credentials belong in `auth`, which is sealed and masked.
  .refine(function withoutUserinfo(value) {
    try {
      const url = new URL(value);
      return url.username === '' && url.password === '';
    } catch {
      return true;
    }
  }, 'must not contain a user name or password (user:pass@): use auth {"type":"basic"} for Basic credentials');

function limitedList<T extends z.ZodType>(item: T, label: string) {
  // Counted by hand so the error names the first parameter over the limit.
  return z.array(item).superRefine(function atMostTen(list, ctx) {
    if (list.length > MAX_PARAMS) {
      ctx.addIssue({
        code: 'custom',
        path: [MAX_PARAMS],
        message: `at most ${MAX_PARAMS} ${label} are allowed (got ${list.length})`,
      });
    }
  });
}

/** Per-channel retry settings (delivery/backoff.ts reads them): 5 s, doubling, ≤ 1 h apart, for 24 h by default. */
export interface RetrySettings {
  initialIntervalMs: number;
  maxIntervalMs: number;
  /** How long after a user's first attempt retries may continue. */
  maxDurationMs: number;
}

export const retrySettingsSchema = z
  .strictObject({
    initialIntervalMs: z.number().int().min(100).max(3_600_000).default(5_000),
    maxIntervalMs: z.number().int().min(100).max(86_400_000).default(3_600_000),
    maxDurationMs: z.number().int().min(0).max(7 * 86_400_000).default(86_400_000),
  })
  .refine((r) => r.maxIntervalMs >= r.initialIntervalMs, { path: ['maxIntervalMs'], message: 'must be at least initialIntervalMs' });

/**
 * Limits that protect the customer's endpoint, across every campaign on the
 * channel and every worker. Read live by the sending activities, so lowering
 * them slows a running campaign within seconds. null means unlimited.
 */
export const rateLimitSchema = z.strictObject({
  perSecond: z
    .number()
    .int('must be a whole number of requests per second')
    .min(1, 'must be at least 1')
    .max(10_000, 'must be at most 10000')
    .nullable()
    .default(null),
  concurrency: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000, 'must be at most 1000').nullable().default(null),
});
export type RateLimitSettings = z.infer<typeof rateLimitSchema>;
export const UNLIMITED: RateLimitSettings = { perSecond: null, concurrency: null };

/**
 * How many requests one user may get from this channel within a rolling
 * window (`per`, an ISO 8601 duration), across every campaign on it. Frozen
 * into a run at launch; null means no cap.
 */
export const userCapSchema = z.strictObject({
  max: z.number().int('must be a whole number of requests').min(1, 'must be at least 1').max(1_000, 'must be at most 1000'),
  per: isoDurationSchema({ min: 60_000, max: 31 * 86_400_000 }),
});
export type UserCap = z.infer<typeof userCapSchema>;

/** The cap's window in milliseconds (the schema has checked `per`). */
export function userCapWindowMs(cap: UserCap): number {
  return isoDurationMs(cap.per)!;
}

const channelFields = {
  name: z.string().trim().min(1, 'is required').max(200),
  url: httpUrl,
  method: z.enum(['POST', 'PUT', 'GET']),
  headers: headersSchema,
  auth: authSchema,
  userAttributeParams: limitedList(userAttributeParamSchema, 'user-attribute parameters'),
  templateParams: limitedList(templateParamSchema, 'template parameters'),
  timeoutMs: z.number().int().min(100, 'must be at least 100').max(60_000, 'must be at most 60000 (60 s)'),
  /** `growingio` sends batches in the body shape receivers of that platform expect. */
  format: z.enum(bodyFormats),
  /** Users per request in `growingio` format. */
  batchSize: z.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000'),
  retry: retrySettingsSchema,
  rateLimit: rateLimitSchema,
  userCap: userCapSchema.nullable(),
};

/**
 * Finds parameter names used twice across both lists. Works on raw input so the
 * check runs even when other fields fail, and every bad field is reported at once.
 */
export function duplicateParamNameIssues(raw: unknown): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (!raw || typeof raw !== 'object') return issues;
  const seen = new Map<string, string>();
  for (const list of ['userAttributeParams', 'templateParams'] as const) {
    const params = (raw as Record<string, unknown>)[list];
    if (!Array.isArray(params)) continue;
    params.forEach((param: unknown, index) => {
      const name = param && typeof param === 'object' ? (param as { name?: unknown }).name : undefined;
      if (typeof name !== 'string') return;
      const where = `${list}.${index}.name`;
      const earlier = seen.get(name);
      if (earlier) issues.push({ path: where, message: `duplicate parameter name "${name}" (also at ${earlier})` });
      else seen.set(name, where);
    });
  }
  return issues;
}

/**
 * A full channel definition as an operator submits it (create, test, or a merged
 * PATCH). Parameter-name uniqueness is checked beside it by duplicateParamNameIssues.
 */
export const channelInputSchema = z
  .strictObject({
    ...channelFields,
    method: channelFields.method.default('POST'),
    headers: channelFields.headers.default({}),
    userAttributeParams: channelFields.userAttributeParams.default([]),
    templateParams: channelFields.templateParams.default([]),
    timeoutMs: channelFields.timeoutMs.default(10_000),
    format: channelFields.format.default('standard'),
    batchSize: channelFields.batchSize.default(100),
    retry: channelFields.retry.default({ initialIntervalMs: 5_000, maxIntervalMs: 3_600_000, maxDurationMs: 86_400_000 }),
    rateLimit: channelFields.rateLimit.default(UNLIMITED),
    userCap: channelFields.userCap.default(null),
  });
export type ChannelInput = z.infer<typeof channelInputSchema>;

/** A PATCH body: any subset of the fields, checked again after merging. */
export const channelPatchSchema = z.strictObject(channelFields).partial();

/** Values for a test send's parameters, by name (each checked against its parameter's type when the test renders). */
export const sampleValuesSchema = z.record(z.string(), z.unknown()).meta({ description: 'values for the template parameters by name; defaults fill the rest' });

/**
 * Parameter names used twice, as issues of the body's schema. Checked even
 * when other fields fail (`when`), so one answer names every bad field.
 */
const uniqueParamNames = z.superRefine(
  (value: unknown, ctx) => {
    for (const issue of duplicateParamNameIssues(value)) {
      ctx.addIssue({ code: 'custom', path: issue.path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), message: issue.message });
    }
  },
  { when: () => true },
);

/** POST /api/channels: a full definition. */
export const channelCreateSchema = channelInputSchema.check(uniqueParamNames);
/** POST /api/channels/test: a full definition, unsaved, and values for its template parameters. */
export const channelTestSchema = channelInputSchema.extend({ sampleValues: sampleValuesSchema.optional() }).check(uniqueParamNames);

/**
 * Auth as an edit gives it: a basic-auth edit may leave the password out (or
 * empty) to keep the stored one; the merged channel is checked in full after.
 */
const [secretAuth, basicAuth, noAuth] = authSchema.options;
const authEditSchema = z.discriminatedUnion('type', [secretAuth, basicAuth.extend({ password: z.string().max(200).optional() }), noAuth], {
  error: 'type must be one of "secret", "basic", "none"',
});
/** PATCH /api/channels/:id: any subset of the fields, checked again merged with the saved channel. */
export const channelEditSchema = channelPatchSchema.extend({ auth: authEditSchema.optional() }).check(uniqueParamNames);
export type ChannelEdit = z.infer<typeof channelEditSchema>;
/** POST /api/channels/:id/test: an unsaved edit of the saved channel, and values for its template parameters. */
export const savedChannelTestSchema = channelPatchSchema.extend({ auth: authEditSchema.optional(), sampleValues: sampleValuesSchema.optional() }).check(uniqueParamNames);

/** POST /api/channels/:id/rotate-secret: a fresh secret that signs beside the old one until the grace period ends. */
export const DEFAULT_ROTATION_GRACE_HOURS = 24;
export const rotationSchema = z
  .strictObject({ graceHours: z.number().min(0, 'must be at least 0').max(168, 'must be at most 168 (7 days)').default(DEFAULT_ROTATION_GRACE_HOURS) })
  .default({ graceHours: DEFAULT_ROTATION_GRACE_HOURS });
export type RotationInput = z.infer<typeof rotationSchema>;
