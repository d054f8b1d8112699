import { describe, expect, it } from 'vitest';
import { validationError } from '../lib/errors.js';
import { eventTriggerSchema } from '../contracts/trigger.js';
import { matchesFilters, triggerPlan } from './event.js';

function issues(trigger: unknown) {
  const parsed = eventTriggerSchema.safeParse(trigger);
  return parsed.success ? [] : validationError(parsed.error, 'trigger').issues;
}

describe('event trigger schema', () => {
  it('fills defaults: once, one time, no delay', () => {
    expect(eventTriggerSchema.parse({ type: 'event', event: 'add_to_cart' })).toEqual({ type: 'event', event: 'add_to_cart', times: 1, frequency: 'once' });
  });

  it('accepts the full shape with the segment rule property filters', () => {
    const trigger = {
      type: 'event',
      event: 'add_to_cart',
      where: [{ property: 'price', op: 'gte', value: 100 }, { property: 'sku', op: 'in', value: ['A1', 'B2'] }],
      times: 3,
      within: 'PT24H',
      delay: 'PT30M',
      frequency: { atMostEvery: 'P7D' },
    };
    expect(eventTriggerSchema.parse(trigger)).toEqual(trigger);
    expect(triggerPlan(eventTriggerSchema.parse(trigger))).toEqual({ times: 3, withinMs: 86_400_000, delayMs: 1_800_000, atMostEveryMs: 7 * 86_400_000 });
  });

  it('names each bad field', () => {
    expect(issues({ type: 'event', event: 'add_to_cart', times: 2 })).toEqual([{ path: 'trigger.within', message: expect.stringMatching(/required when times is more than 1/), code: 'required_with_times', params: {} }]);
    expect(issues({ type: 'event', event: '1bad' }).map((i) => i.path)).toEqual(['trigger.event']);
    expect(issues({ type: 'event', event: 'e', times: 0 }).map((i) => i.path)).toEqual(['trigger.times']);
    expect(issues({ type: 'event', event: 'e', times: 1.5 }).map((i) => i.path)).toEqual(['trigger.times']);
    expect(issues({ type: 'event', event: 'e', times: 1001, within: 'PT1H' }).map((i) => i.path)).toEqual(['trigger.times']);
    expect(issues({ type: 'event', event: 'e', delay: '30 minutes' }).map((i) => i.path)).toEqual(['trigger.delay']);
    expect(issues({ type: 'event', event: 'e', delay: 'P31D' })).toEqual([{ path: 'trigger.delay', message: 'must be at most 30 days (P30D)', code: 'duration_too_long', params: { days: 30, iso: 'P30D' } }]);
    expect(issues({ type: 'event', event: 'e', times: 2, within: 'P1M' })[0]!.message).toMatch(/months and years have no fixed length/);
    expect(issues({ type: 'event', event: 'e', times: 2, within: 'PT0S' })).toEqual([{ path: 'trigger.within', message: 'must be at least 1 s', code: 'duration_too_short', params: { seconds: 1 } }]);
    expect(issues({ type: 'event', event: 'e', frequency: 'always' }).map((i) => i.path)).toEqual(['trigger.frequency']);
    expect(issues({ type: 'event', event: 'e', frequency: { atMostEvery: 'P367D' } }).map((i) => i.path)).toEqual(['trigger.frequency.atMostEvery']);
    expect(issues({ type: 'event', event: 'e', where: [{ property: 'p', op: 'like', value: 'x' }] }).map((i) => i.path)).toEqual(['trigger.where.0.op']);
    expect(issues({ type: 'event', event: 'e', colour: 'red' })).toEqual([{ path: 'trigger.colour', message: 'is not a known field', code: 'unknown_field', params: {} }]);
  });
});


describe('matchesFilters (same meaning as segments in SQL)', () => {
  it('compares scalars without coercion and needs the property for negations', () => {
    expect(matchesFilters(undefined, {})).toBe(true);
    expect(matchesFilters([{ property: 'n', op: 'equals', value: 1 }], { n: 1 })).toBe(true);
    expect(matchesFilters([{ property: 'n', op: 'equals', value: 1 }], { n: '1' })).toBe(false);
    expect(matchesFilters([{ property: 'n', op: 'equals', value: 1 }], { n: [1] })).toBe(false);
    expect(matchesFilters([{ property: 'n', op: 'notEquals', value: 1 }], {})).toBe(false);
    expect(matchesFilters([{ property: 'n', op: 'notEquals', value: 1 }], { n: 2 })).toBe(true);
    expect(matchesFilters([{ property: 'n', op: 'in', value: ['a', 2] }], { n: 2 })).toBe(true);
    expect(matchesFilters([{ property: 'n', op: 'notIn', value: ['a', 2] }], { n: null })).toBe(true);
    expect(matchesFilters([{ property: 'n', op: 'notIn', value: ['a', 2] }], {})).toBe(false);
    expect(matchesFilters([{ property: 'p', op: 'gte', value: 100 }], { p: 100 })).toBe(true);
    expect(matchesFilters([{ property: 'p', op: 'gt', value: 100 }], { p: '200' })).toBe(false);
    expect(matchesFilters([{ property: 's', op: 'contains', value: 'ik' }], { s: 'Nike' })).toBe(true);
    expect(matchesFilters([{ property: 's', op: 'startsWith', value: 'Ni' }], { s: 5 })).toBe(false);
    expect(matchesFilters([{ property: 's', op: 'exists' }], { s: null })).toBe(true);
    expect(matchesFilters([{ property: 's', op: 'notExists' }], { s: null })).toBe(false);
    // Every filter must pass.
    expect(matchesFilters([{ property: 'a', op: 'exists' }, { property: 'b', op: 'exists' }], { a: 1 })).toBe(false);
  });
});
