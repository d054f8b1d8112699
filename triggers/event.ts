import { isoDurationMs } from '../contracts/iso-duration.js';
import type { EventTrigger } from '../contracts/trigger.js';
import type { PropertyFilter, ScalarValue } from '../contracts/segment-rule.js';

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
    withinMs: trigger.within === undefined ? null : isoDurationMs(trigger.within)!,
    delayMs: trigger.delay === undefined ? 0 : isoDurationMs(trigger.delay)!,
    atMostEveryMs: trigger.frequency === 'once' ? null : isoDurationMs(trigger.frequency.atMostEvery)!,
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
