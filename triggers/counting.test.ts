import { describe, expect, it } from 'vitest';
import { countEvents, EMPTY_STATE, keepUntil, type CountedEvent, type PairFacts } from './counting.js';
import type { TriggerPlan } from './event.js';

const MIN = 60_000;
const now = Date.parse('2026-12-07T10:00:00Z');
const free: PairFacts = { firingWaits: false, sentOnce: false };
const plan = (p: Partial<TriggerPlan>): TriggerPlan => ({ times: 1, withinMs: null, delayMs: 0, atMostEveryMs: null, ...p });

describe('countEvents', () => {
  it('fires on the first event under times 1, with the delay, and keeps nothing', () => {
    const result = countEvents(plan({ delayMs: 30 * MIN }), EMPTY_STATE, [[7, now - 1000]], now, free);
    expect(result.firing).toEqual({ eventId: 7, dueAt: now + 30 * MIN });
    expect(result.state.counted).toEqual([]);
    expect(result.keepUntil).toBeNull();
  });

  it('fires on the event that completes `times` within the window, not on events spread wider', () => {
    const p = plan({ times: 3, withinMs: 10 * MIN });
    // Two events 20 minutes apart, then a third: the oldest has left the window, so no firing yet.
    const spread = countEvents(p, EMPTY_STATE, [[1, now - 20 * MIN], [2, now - 5 * MIN], [3, now - 4 * MIN]], now, free);
    expect(spread.firing).toBeNull();
    expect(spread.state.counted.map(([id]) => id)).toEqual([2, 3]);
    // Kept until the oldest counted event leaves the window.
    expect(spread.keepUntil).toBe(now - 5 * MIN + 10 * MIN);
    const third = countEvents(p, spread.state, [[4, now - MIN]], now, free);
    expect(third.firing).toEqual({ eventId: 4, dueAt: now });
    expect(third.state.counted).toEqual([]);
    expect(third.keepUntil).toBeNull();
  });

  it('counts by the events own times: an event older than the window when it arrives is not counted', () => {
    const p = plan({ times: 2, withinMs: 10 * MIN });
    const result = countEvents(p, EMPTY_STATE, [[1, now - 11 * MIN], [2, now - MIN]], now, free);
    expect(result.firing).toBeNull();
    expect(result.state.counted).toEqual([[2, now - MIN]]);
  });

  it('orders counted events by time, so a late-arriving earlier event still counts in its place', () => {
    const p = plan({ times: 2, withinMs: 10 * MIN });
    const before = { counted: [[5, now - 2 * MIN]] as CountedEvent[], lastSentAt: null };
    const result = countEvents(p, before, [[9, now - 3 * MIN]], now, free);
    // The pair spans 1 minute: it fires, caused by the later of the two by time.
    expect(result.firing).toEqual({ eventId: 5, dueAt: now });
  });

  it('a firing while another one waits sends nothing and uses its events up', () => {
    const result = countEvents(plan({}), EMPTY_STATE, [[1, now]], now, { firingWaits: true, sentOnce: false });
    expect(result.firing).toBeNull();
    expect(result.state.counted).toEqual([]);
  });

  it('one batch holding two firings makes only the first', () => {
    const result = countEvents(plan({ times: 1 }), EMPTY_STATE, [[1, now], [2, now]], now, free);
    expect(result.firing?.eventId).toBe(1);
  });

  it('under once, a pair that has its send counts nothing more and keeps no state', () => {
    const before = { counted: [[1, now - MIN]] as CountedEvent[], lastSentAt: null };
    const result = countEvents(plan({ times: 2, withinMs: 10 * MIN }), before, [[2, now]], now, { firingWaits: false, sentOnce: true });
    expect(result.firing).toBeNull();
    expect(result.state.counted).toEqual([]);
    expect(result.keepUntil).toBeNull();
  });

  it('under atMostEvery, a send that would fall inside the cap period is dropped; after it, the next fires', () => {
    const p = plan({ atMostEveryMs: 60 * MIN, delayMs: 10 * MIN });
    const sent = { counted: [] as CountedEvent[], lastSentAt: now - 55 * MIN };
    // Due at now + 10 min = 65 minutes after the last send: outside the cap, fires.
    expect(countEvents(p, sent, [[1, now]], now, free).firing).toEqual({ eventId: 1, dueAt: now + 10 * MIN });
    const recent = { counted: [] as CountedEvent[], lastSentAt: now - 45 * MIN };
    const capped = countEvents(p, recent, [[2, now]], now, free);
    expect(capped.firing).toBeNull();
    // The state is kept until the cap period ends, so the next event still sees it.
    expect(capped.keepUntil).toBe(now + 15 * MIN);
  });

  it('sentOnce does not hold back an atMostEvery trigger', () => {
    expect(countEvents(plan({ atMostEveryMs: MIN }), EMPTY_STATE, [[1, now]], now, { firingWaits: false, sentOnce: true }).firing?.eventId).toBe(1);
  });
});

describe('keepUntil', () => {
  it('is the later of the window end and the cap end, or null when nothing is held', () => {
    const p = plan({ times: 2, withinMs: 10 * MIN, atMostEveryMs: 30 * MIN });
    expect(keepUntil(p, { counted: [[1, now - MIN]], lastSentAt: now - 20 * MIN }, now)).toBe(now + 10 * MIN);
    expect(keepUntil(p, { counted: [[1, now - MIN]], lastSentAt: null }, now)).toBe(now + 9 * MIN);
    expect(keepUntil(p, { counted: [], lastSentAt: now - 40 * MIN }, now)).toBeNull();
  });
});
