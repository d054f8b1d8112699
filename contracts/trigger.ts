import { z } from 'zod';
import { isoDurationMs } from './iso-duration.js';
import { eventNameSchema } from './names.js';
import { scheduleTimeSchema } from './schedule-horizon.js';
import { propertyFilters, type PropertyFilter } from './segment-rule.js';
import { DEFAULT_TIME_ZONE, timeZoneSchema } from './time-zone.js';

/*
 * How a campaign is triggered, as every layer reads it: the API validates it,
 * the campaign and run rows store it, the console builds it. A leaf: imports
 * nothing of the project outside contracts/ (the Temporal schedule a recurring
 * trigger becomes is triggers/recurring.ts; an event trigger's plan and filter
 * matching are triggers/event.ts).
 */

/** A one-time send, now or at a time. */
export type OnceTrigger = { type: 'once'; sendAt: 'now' | string };

// ---- Recurring: a Temporal Schedule fires the campaign (triggers/recurring.ts).

/** Day names an operator writes, in Temporal's week order (Sunday first, as cron counts). */
export const weekDays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type WeekDay = (typeof weekDays)[number];

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM (00:00–23:59)');

const cronFields = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], firstName: 1 },
  // 0 and 7 are both Sunday, as Temporal reads them.
  { name: 'day of week', min: 0, max: 7, names: weekDays as readonly string[], firstName: 0 },
] as const;

/**
 * Why a cron expression is not one hookcast schedules, or undefined.
 *
 * Accepts the classic five fields (minute hour day-of-month month day-of-week)
 * with `*`, numbers, three-letter names, ranges `a-b`, steps `/n` and lists.
 * Deliberately narrower than Temporal's parser: Temporal also takes six and
 * seven fields (year, seconds), `@every`/`@daily` and `CRON_TZ=`, which would
 * fight the campaign's own `timeZone`, and it silently reads `1#2` (second
 * Monday) as "every Monday" with a comment — a schedule the operator did not
 * mean. Everything this accepts, Temporal accepts with the same meaning (tested
 * against the real server in runs/schedule.test.ts).
 *
 * @example
 * cronProblem('0 9 * * mon-fri'); // undefined
 * cronProblem('0 24 * * *');      // 'hour must be between 0 and 23 (got 24)'
 */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return 'must have 5 fields: minute hour day-of-month month day-of-week';
  for (const [index, spec] of cronFields.entries()) {
    const problem = cronFieldProblem(fields[index]!, spec);
    if (problem) return problem;
  }
  return undefined;
}

type CronFieldSpec = (typeof cronFields)[number];

function cronFieldProblem(field: string, spec: CronFieldSpec): string | undefined {
  for (const item of field.split(',')) {
    const match = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!match) return `${spec.name} has an invalid item "${item}"`;
    const [, range, step] = match;
    if (step !== undefined && Number(step) < 1) return `${spec.name} step must be at least 1`;
    if (range === '*') continue;
    const bounds = range!.split('-');
    if (bounds.length > 2) return `${spec.name} has an invalid range "${range}"`;
    const values: number[] = [];
    for (const bound of bounds) {
      const value = cronValue(bound, spec);
      if (value === undefined) return `${spec.name} must be between ${spec.min} and ${spec.max}${'names' in spec ? ' or a three-letter name' : ''} (got ${bound || 'nothing'})`;
      values.push(value);
    }
    if (values.length === 2 && values[0]! > values[1]!) return `${spec.name} range "${range}" ends before it starts`;
  }
  return undefined;
}

function cronValue(text: string, spec: CronFieldSpec): number | undefined {
  if (/^\d{1,2}$/.test(text)) {
    const value = Number(text);
    return value >= spec.min && value <= spec.max ? value : undefined;
  }
  if ('names' in spec) {
    const index = (spec.names as readonly string[]).indexOf(text.toLowerCase());
    if (index >= 0) return index + spec.firstName;
  }
  return undefined;
}

const daySchedule = z.strictObject({ every: z.literal('day'), at: timeOfDay });
const weekSchedule = z.strictObject({
  every: z.literal('week'),
  on: z.array(z.enum(weekDays, 'must be a day: sun, mon, tue, wed, thu, fri, sat')).min(1, 'must name at least one day').max(7),
  at: timeOfDay,
});
const monthSchedule = z.strictObject({
  every: z.literal('month'),
  on: z
    .array(z.number().int('must be a whole day of the month').min(1, 'must be a day of the month 1–31').max(31, 'must be a day of the month 1–31'))
    .min(1, 'must name at least one day')
    .max(31),
  at: timeOfDay,
});
const cronSchedule = z.strictObject({
  cron: z
    .string()
    .max(200)
    .superRefine((value, ctx) => {
      const problem = cronProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
});

const everyForms = new Map<unknown, z.ZodType<RecurringSchedule>>([
  ['day', daySchedule],
  ['week', weekSchedule],
  ['month', monthSchedule],
]);

/**
 * The `schedule` of a recurring trigger. A hand-written union rather than
 * `z.union`, so an error names the field of the form the operator meant
 * (`trigger.schedule.at`) instead of "matched none of 4 forms".
 */
const scheduleSchema = z.unknown().transform((value, ctx): RecurringSchedule => {
  const object = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  if (!object) {
    ctx.addIssue({ code: 'custom', message: 'must be an object' });
    return z.NEVER;
  }
  const form = 'cron' in object ? cronSchedule : everyForms.get(object.every);
  if (!form) {
    ctx.addIssue({ code: 'custom', message: 'must be "day", "week" or "month" (or give "cron" instead)', path: ['every'] });
    return z.NEVER;
  }
  const parsed = form.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) ctx.addIssue({ code: 'custom', message: 'is not a known field', path: [...issue.path, key] });
    } else {
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    }
  }
  return z.NEVER;
});

export type RecurringSchedule = z.infer<typeof daySchedule> | z.infer<typeof weekSchedule> | z.infer<typeof monthSchedule> | z.infer<typeof cronSchedule>;

export const recurringTriggerSchema = z
  .strictObject({
    type: z.literal('recurring'),
    schedule: scheduleSchema,
    timeZone: timeZoneSchema.default(DEFAULT_TIME_ZONE),
    startAt: scheduleTimeSchema.optional(),
    endAt: scheduleTimeSchema.optional(),
  })
  .superRefine((trigger, ctx) => {
    if (trigger.startAt && trigger.endAt && Date.parse(trigger.endAt) <= Date.parse(trigger.startAt)) {
      ctx.addIssue({ code: 'custom', message: 'must be after startAt', path: ['endAt'] });
    }
  });

export type RecurringTrigger = z.output<typeof recurringTriggerSchema>;

// ---- Event: each user's events trigger their send (triggers/event.ts).

/**
 * "After a user has done something N times": the campaign sends to a user
 * when they did `event` (matching `where`) `times` times within `within`,
 * `delay` after the last of those events, at most once per user (`once`) or at
 * most once per `atMostEvery`.
 */
export interface EventTrigger {
  type: 'event';
  event: string;
  where?: PropertyFilter[];
  times: number;
  within?: string;
  delay?: string;
  frequency: 'once' | { atMostEvery: string };
}

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;
export const MAX_TIMES = 1000;
/** A counting window longer than a year is a typo, and would keep events in workflow state for ever. */
export const MAX_WITHIN_MS = 366 * DAY;
/** A send waits at most 30 days after its trigger: a longer wait is a scheduled campaign, not a reaction. */
export const MAX_DELAY_MS = 30 * DAY;
export const MAX_AT_MOST_EVERY_MS = 366 * DAY;

function duration(min: number, max: number, what: string) {
  return z.string({ error: 'must be an ISO 8601 duration such as PT30M or P7D' }).superRefine(function boundedDuration(text, ctx) {
    const ms = isoDurationMs(text);
    if (ms === undefined) {
      const why = /^P[^T]*[YM]/.test(text) ? ' (months and years have no fixed length; use weeks or days)' : '';
      ctx.addIssue({ code: 'custom', message: `must be an ISO 8601 duration of weeks, days, hours, minutes and seconds such as PT30M or P7D${why}` });
    } else if (ms < min) ctx.addIssue({ code: 'custom', message: `must be at least ${min / SECOND} s` });
    else if (ms > max) ctx.addIssue({ code: 'custom', message: `must be at most ${what}` });
  });
}

export const eventTriggerSchema = z
  .strictObject({
    type: z.literal('event'),
    event: eventNameSchema,
    where: propertyFilters.optional(),
    times: z
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(MAX_TIMES, `must be at most ${MAX_TIMES}`)
      .default(1),
    within: duration(SECOND, MAX_WITHIN_MS, '366 days (P366D)').optional(),
    delay: duration(0, MAX_DELAY_MS, '30 days (P30D)').optional(),
    frequency: z
      .union([z.literal('once'), z.strictObject({ atMostEvery: duration(SECOND, MAX_AT_MOST_EVERY_MS, '366 days (P366D)') })], {
        error: 'must be "once" or {"atMostEvery": "<ISO 8601 duration>"}',
      })
      .default('once'),
  })
  // Only for a valid count: a bad `times` is its own issue, not a missing window.
  .refine((t) => !Number.isInteger(t.times) || t.times <= 1 || t.times > MAX_TIMES || t.within !== undefined, {
    path: ['within'],
    message: 'is required when times is more than 1 (the window the events must fall in, e.g. PT24H)',
  });

/** How a campaign is triggered: once, by a schedule, or by each user's events. */
export type CampaignTrigger = OnceTrigger | RecurringTrigger | EventTrigger;

export const triggerSchema = z.discriminatedUnion(
  'type',
  [z.strictObject({ type: z.literal('once'), sendAt: z.union([z.literal('now'), scheduleTimeSchema]).default('now') }), recurringTriggerSchema, eventTriggerSchema],
  { error: 'type must be "once", "recurring" or "event"' },
);
