import { z } from 'zod';
import { isIsoDay } from './dates.js';
import { attributeKeySchema, eventNameSchema } from './names.js';
import { ruleLimitIssues } from './rule-limits.js';

/*
 * A segment rule is a tree: groups `{ "all": [...] }` (AND) and `{ "any": [...] }`
 * (OR) over conditions. A node's kind is read from the key it carries:
 * `all`, `any`, `attribute`, `event`, `noEvent` or `identity`.
 */

export type ScalarValue = string | number | boolean;

/** Comparisons on one JSON value; shared by profile attributes and event properties. */
export type Comparison =
  | { op: 'equals' | 'notEquals'; value: ScalarValue }
  | { op: 'in' | 'notIn'; value: ScalarValue[] }
  | { op: 'gt' | 'gte' | 'lt' | 'lte'; value: number }
  | { op: 'contains' | 'startsWith'; value: string }
  | { op: 'exists' | 'notExists' };

/** Comparisons on date attributes, by calendar day in the segment's time zone. */
export type DateComparison =
  | { op: 'before' | 'after'; value: string }
  | { op: 'withinLastDays'; value: number }
  | { op: 'anniversaryToday' };

export type AttributeCondition = { attribute: string } & (Comparison | DateComparison);
export type PropertyFilter = { property: string } & Comparison;

export type EventWindow =
  | { type: 'today' }
  | { type: 'yesterday' }
  | { type: 'lastDays'; days: number }
  | { type: 'since'; date?: string; daysAgo?: number }
  | { type: 'between'; from: string; to: string };

export interface EventCount {
  op: 'atLeast' | 'atMost' | 'exactly';
  value: number;
}

export interface EventCondition {
  event: string;
  count?: EventCount;
  window?: EventWindow;
  where?: PropertyFilter[];
}

export interface NoEventCondition {
  noEvent: string;
  window?: EventWindow;
  where?: PropertyFilter[];
}

export interface IdentityCondition {
  identity: 'hasLoginId' | 'visitorOnly';
}

export type Condition = AttributeCondition | EventCondition | NoEventCondition | IdentityCondition;
export type RuleGroup = { all: RuleNode[] } | { any: RuleNode[] };
export type RuleNode = RuleGroup | Condition;
export type SegmentRule = RuleNode;

export const MAX_IN_VALUES = 100;
export const MAX_PROPERTY_FILTERS = 10;
const MAX_TEXT = 1000;
const MAX_DAYS = 36_600;

const text = z.string().max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`);
const scalar = z.union([text, z.number(), z.boolean()], { error: 'must be a string, number or boolean' });
const isoDay = z.string().refine(isIsoDay, 'must be a calendar date YYYY-MM-DD');
const days = (minimum: number) =>
  z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(minimum, `must be at least ${minimum}`)
    .max(MAX_DAYS, `must be at most ${MAX_DAYS}`);

const comparisonShapes = {
  equality: { op: z.enum(['equals', 'notEquals']), value: scalar },
  membership: {
    op: z.enum(['in', 'notIn']),
    value: z.array(scalar).min(1, 'must list at least one value').max(MAX_IN_VALUES, `must list at most ${MAX_IN_VALUES} values`),
  },
  order: { op: z.enum(['gt', 'gte', 'lt', 'lte']), value: z.number({ error: 'must be a number' }) },
  text: { op: z.enum(['contains', 'startsWith']), value: text.min(1, 'must not be empty') },
  presence: { op: z.enum(['exists', 'notExists']) },
};

const COMPARISON_OPS = 'equals, notEquals, in, notIn, gt, gte, lt, lte, contains, startsWith, exists, notExists';
const DATE_OPS = 'before, after, withinLastDays, anniversaryToday';

const attributeConditionSchema = z.discriminatedUnion(
  'op',
  [
    z.strictObject({ attribute: attributeKeySchema, ...comparisonShapes.equality }),
    z.strictObject({ attribute: attributeKeySchema, ...comparisonShapes.membership }),
    z.strictObject({ attribute: attributeKeySchema, ...comparisonShapes.order }),
    z.strictObject({ attribute: attributeKeySchema, ...comparisonShapes.text }),
    z.strictObject({ attribute: attributeKeySchema, ...comparisonShapes.presence }),
    z.strictObject({ attribute: attributeKeySchema, op: z.enum(['before', 'after']), value: isoDay }),
    z.strictObject({ attribute: attributeKeySchema, op: z.literal('withinLastDays'), value: days(1) }),
    z.strictObject({ attribute: attributeKeySchema, op: z.literal('anniversaryToday') }),
  ],
  { error: `op must be one of ${COMPARISON_OPS}, ${DATE_OPS}` },
);

// Property keys come from client JSON, so any text is allowed: it is only ever a bound parameter.
const propertyKey = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

const propertyFilterSchema = z.discriminatedUnion(
  'op',
  [
    z.strictObject({ property: propertyKey, ...comparisonShapes.equality }),
    z.strictObject({ property: propertyKey, ...comparisonShapes.membership }),
    z.strictObject({ property: propertyKey, ...comparisonShapes.order }),
    z.strictObject({ property: propertyKey, ...comparisonShapes.text }),
    z.strictObject({ property: propertyKey, ...comparisonShapes.presence }),
  ],
  { error: `op must be one of ${COMPARISON_OPS}` },
);

const windowSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('today') }),
    z.strictObject({ type: z.literal('yesterday') }),
    z.strictObject({ type: z.literal('lastDays'), days: days(1) }),
    z
      .strictObject({ type: z.literal('since'), date: isoDay.optional(), daysAgo: days(0).optional() })
      .refine((w) => (w.date === undefined) !== (w.daysAgo === undefined), {
        message: 'give exactly one of date (YYYY-MM-DD) or daysAgo (0 = today, 1 = yesterday)',
      }),
    z
      .strictObject({ type: z.literal('between'), from: isoDay, to: isoDay })
      .refine((w) => w.from <= w.to, { path: ['to'], message: 'must not be before from' }),
  ],
  { error: 'type must be one of today, yesterday, lastDays, since, between' },
);

const countSchema = z
  .strictObject({
    op: z.enum(['atLeast', 'atMost', 'exactly'], { error: 'must be one of atLeast, atMost, exactly' }),
    value: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must be at least 0').max(10_000, 'must be at most 10000'),
  })
  .refine((c) => c.op !== 'atLeast' || c.value >= 1, { path: ['value'], message: 'atLeast must be at least 1' });

/** Filters on an event's properties; shared with event triggers (contracts/trigger.ts) and goals (contracts/goal.ts). */
export const propertyFilters = z.array(propertyFilterSchema).max(MAX_PROPERTY_FILTERS, `at most ${MAX_PROPERTY_FILTERS} property filters`);

const eventConditionSchema = z.strictObject({
  event: eventNameSchema,
  count: countSchema.optional(),
  window: windowSchema.optional(),
  where: propertyFilters.optional(),
});

const noEventConditionSchema = z.strictObject({
  noEvent: eventNameSchema,
  window: windowSchema.optional(),
  where: propertyFilters.optional(),
});

const identityConditionSchema = z.strictObject({
  identity: z.enum(['hasLoginId', 'visitorOnly'], { error: 'must be hasLoginId or visitorOnly' }),
});

const allGroupSchema = z.strictObject({ get all() { return z.array(ruleNodeSchema); } });
const anyGroupSchema = z.strictObject({ get any() { return z.array(ruleNodeSchema); } });

const NODE_KINDS = [
  ['all', allGroupSchema],
  ['any', anyGroupSchema],
  ['attribute', attributeConditionSchema],
  ['event', eventConditionSchema],
  ['noEvent', noEventConditionSchema],
  ['identity', identityConditionSchema],
] as const;

/**
 * One node of the tree. The kind is picked from the key the node carries, so a
 * mistake is reported against that kind's fields (`rule.all.2.op`) rather than
 * as "matches no alternative".
 */
const ruleNodeSchema: z.ZodType<RuleNode> = z.unknown().transform(function parseRuleNode(value, ctx): RuleNode {
  const kind = value && typeof value === 'object' && !Array.isArray(value)
    ? NODE_KINDS.find(([key]) => key in value)
    : undefined;
  if (!kind) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a group ({"all": [...]} or {"any": [...]}) or a condition (attribute, event, noEvent or identity)',
    });
    return z.NEVER;
  }
  const parsed = (kind[1] as z.ZodType<RuleNode>).safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

/**
 * A whole rule. Size limits (nesting depth, number of conditions) are checked
 * first, on the raw JSON, so a hostile tree is refused before it is walked.
 *
 * @example
 * segmentRuleSchema.parse({ all: [{ attribute: 'vip_level', op: 'equals', value: 'gold' }] });
 */
export const segmentRuleSchema: z.ZodType<SegmentRule> = z.unknown().transform(function parseSegmentRule(value, ctx): SegmentRule {
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: 'is required' });
    return z.NEVER;
  }
  const limits = ruleLimitIssues(value);
  if (limits.length > 0) {
    for (const issue of limits) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    return z.NEVER;
  }
  const parsed = ruleNodeSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});
