import type { CalendarSpec, DayOfWeek, ScheduleSpec } from '@temporalio/client';
import { z } from 'zod';
import { scheduleTimeProblem } from '../lib/schedule-horizon.js';
import { DEFAULT_TIME_ZONE, timeZoneSchema } from '../contracts/time-zone.js';

/** Day names an operator writes, in Temporal's week order (Sunday first, as cron counts). */
export const weekDays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type WeekDay = (typeof weekDays)[number];
const temporalWeekDays: readonly DayOfWeek[] = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

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

const isoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' }).superRefine(function withinHorizon(value, ctx) {
  if (!/^\d{4}-/.test(value)) return;
  const problem = scheduleTimeProblem(new Date(value));
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

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
    startAt: isoDateTime.optional(),
    endAt: isoDateTime.optional(),
  })
  .superRefine((trigger, ctx) => {
    if (trigger.startAt && trigger.endAt && Date.parse(trigger.endAt) <= Date.parse(trigger.startAt)) {
      ctx.addIssue({ code: 'custom', message: 'must be after startAt', path: ['endAt'] });
    }
  });

export type RecurringTrigger = z.output<typeof recurringTriggerSchema>;

/**
 * Problems with a recurring trigger that depend on the launch time: an end
 * already past would create a schedule that never fires.
 */
export function recurringLaunchProblems(trigger: RecurringTrigger, now: Date): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (trigger.endAt && Date.parse(trigger.endAt) <= now.getTime()) problems.push({ path: 'trigger.endAt', message: 'is already past' });
  return problems;
}

/**
 * The Temporal `ScheduleSpec` of a recurring trigger: calendars (or the cron
 * expression) read in the trigger's time zone, so 09:00 stays 09:00 local
 * across daylight-saving changes.
 *
 * A month day that a month lacks is skipped by Temporal, not moved: `on: [31]`
 * fires in January and March, never in April, and `on: [29]` fires in February
 * only in leap years (seen with the dev server: runs/schedule.test.ts).
 *
 * @example
 * recurringScheduleSpec({ type: 'recurring', schedule: { every: 'day', at: '09:00' }, timeZone: 'Asia/Shanghai' });
 * // { calendars: [{ hour: 9, minute: 0, second: 0, dayOfMonth: '*', month: '*', dayOfWeek: '*' }], timezone: 'Asia/Shanghai' }
 */
export function recurringScheduleSpec(trigger: RecurringTrigger): ScheduleSpec {
  const spec: ScheduleSpec = { timezone: trigger.timeZone };
  const { schedule } = trigger;
  if ('cron' in schedule) {
    spec.cronExpressions = [schedule.cron.trim()];
  } else {
    const [hour, minute] = schedule.at.split(':').map(Number) as [number, number];
    const calendar: CalendarSpec = { hour, minute, second: 0, dayOfMonth: '*', month: '*', dayOfWeek: '*' };
    if (schedule.every === 'week') {
      calendar.dayOfWeek = [...new Set(schedule.on)].map((day) => {
        const name = temporalWeekDays[weekDays.indexOf(day)]!;
        // The server reads a missing end as 0, not as the start.
        return { start: name, end: name };
      });
    } else if (schedule.every === 'month') {
      calendar.dayOfMonth = [...new Set(schedule.on)].sort((a, b) => a - b).map((day) => ({ start: day, end: day }));
    }
    spec.calendars = [calendar];
  }
  if (trigger.startAt) spec.startAt = new Date(trigger.startAt);
  if (trigger.endAt) spec.endAt = new Date(trigger.endAt);
  return spec;
}
