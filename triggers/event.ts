import { z } from 'zod';
import { eventNameSchema } from '../audience/names.js';
import { propertyFilters, type PropertyFilter, type ScalarValue } from '../segments/rule.js';

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

// Weeks, days and clock units only: months and years have no fixed length, so a cap of "P1M" would mean different things on different days.
const DURATION = /^P(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/;

/**
 * Milliseconds in an ISO 8601 duration made of weeks, days, hours, minutes and
 * seconds (`PT30M`, `P7D`, `P1DT12H`); undefined for anything else.
 *
 * @example
 * durationMs('PT30M'); // 1800000
 */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [w, d, h, m, s] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number];
  return ((((w * 7 + d) * 24 + h) * 60 + m) * 60 + s) * SECOND;
}

function duration(min: number, max: number, what: string) {
  return z.string({ error: 'must be an ISO 8601 duration such as PT30M or P7D' }).superRefine(function boundedDuration(text, ctx) {
    const ms = durationMs(text);
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

/** What the per-user workflow needs of a trigger: numbers only, so it can live in workflow history. */
export interface TriggerPlan {
  times: number;
  withinMs: number | null;
  delayMs: number;
  /** null: once per user per campaign. */
  atMostEveryMs: number | null;
}

/**
 * The trigger as numbers for the per-user workflow.
 *
 * @example
 * triggerPlan({ type: 'event', event: 'add_to_cart', times: 1, frequency: 'once', delay: 'PT30M' });
 * // { times: 1, withinMs: null, delayMs: 1800000, atMostEveryMs: null }
 */
export function triggerPlan(trigger: EventTrigger): TriggerPlan {
  return {
    times: trigger.times,
    withinMs: trigger.within === undefined ? null : durationMs(trigger.within)!,
    delayMs: trigger.delay === undefined ? 0 : durationMs(trigger.delay)!,
    atMostEveryMs: trigger.frequency === 'once' ? null : durationMs(trigger.frequency.atMostEvery)!,
  };
}

function sameScalar(stored: unknown, value: ScalarValue): boolean {
  return stored === value;
}

/**
 * Whether an event's properties pass a trigger's filters, with the same
 * meaning segments give them in SQL (segments/sql-comparison.ts): equality is
 * jsonb equality of one scalar (no type coercion, an array is not equal to its
 * element), `notEquals`/`notIn` need the property present, order comparisons
 * need a number, text comparisons a string.
 *
 * @example
 * matchesFilters([{ property: 'price', op: 'gte', value: 100 }], { price: 120 }); // true
 */
export function matchesFilters(filters: readonly PropertyFilter[] | undefined, properties: Record<string, unknown>): boolean {
  if (!filters) return true;
  return filters.every(function passes(filter) {
    const present = Object.hasOwn(properties, filter.property);
    const stored = present ? properties[filter.property] : undefined;
    switch (filter.op) {
      case 'equals':
        return present && sameScalar(stored, filter.value);
      case 'notEquals':
        return present && !sameScalar(stored, filter.value);
      case 'in':
        return present && filter.value.some((v) => sameScalar(stored, v));
      case 'notIn':
        return present && !filter.value.some((v) => sameScalar(stored, v));
      case 'gt':
        return typeof stored === 'number' && stored > filter.value;
      case 'gte':
        return typeof stored === 'number' && stored >= filter.value;
      case 'lt':
        return typeof stored === 'number' && stored < filter.value;
      case 'lte':
        return typeof stored === 'number' && stored <= filter.value;
      case 'contains':
        return typeof stored === 'string' && stored.includes(filter.value);
      case 'startsWith':
        return typeof stored === 'string' && stored.startsWith(filter.value);
      case 'exists':
        return present;
      case 'notExists':
        return !present;
    }
  });
}
