import type { TriggerPlan } from './event.js';

/*
 * The counting rule of an event trigger, as a pure function the relay applies
 * to each (campaign, user) pair of a batch of events: what the pair had
 * counted before (from `trigger_state`) plus the new events in, the pair's
 * new state and at most one firing out. Kept free of I/O so every rule of
 * docs/event-triggers.md is a unit test.
 */

/** One counted event: its id and when it happened (epoch ms). */
export type CountedEvent = [id: number, at: number];

/** What a pair remembers between batches: counted events not yet used, and its last send (set when a send is claimed). */
export interface PairState {
  counted: CountedEvent[];
  lastSentAt: number | null;
}

/** What else decides whether a firing may be made, read beside the state. */
export interface PairFacts {
  /** A firing of this pair waits to be claimed: another one now would be a second waiting send. */
  firingWaits: boolean;
  /** Under `once`: the pair already has its send (recorded in the run, whatever its outcome). */
  sentOnce: boolean;
}

/** A send due at `dueAt`, caused by event `eventId`. */
export interface Firing {
  eventId: number;
  dueAt: number;
}

export interface CountResult {
  state: PairState;
  firing: Firing | null;
  /** Until when the state must be kept (the oldest counted event leaving the window, or the cap period's end); null: nothing to keep. */
  keepUntil: number | null;
}

export const EMPTY_STATE: PairState = { counted: [], lastSentAt: null };

/**
 * Counts `events` (in arrival order) for one pair at time `now`: `times`
 * events whose times span less than `within` fire, caused by the last of
 * them, and are used up. A firing while another one waits, after a `once`
 * send, or whose send would fall inside the frequency cap sends nothing (its
 * events are still used up). Events older than `within` when they arrive are
 * not counted.
 *
 * @example
 * countEvents({ times: 1, withinMs: null, delayMs: 0, atMostEveryMs: null }, EMPTY_STATE, [[7, now]], now, { firingWaits: false, sentOnce: false });
 * // { state: { counted: [], lastSentAt: null }, firing: { eventId: 7, dueAt: now }, keepUntil: null }
 */
export function countEvents(plan: TriggerPlan, before: PairState, events: readonly CountedEvent[], now: number, facts: PairFacts): CountResult {
  const inWindow = (event: CountedEvent) => plan.withinMs === null || event[1] > now - plan.withinMs;
  const once = plan.atMostEveryMs === null;
  let counted = before.counted.filter(inWindow);
  let firing: Firing | null = null;
  const capped = (at: number) => plan.atMostEveryMs !== null && before.lastSentAt !== null && at < before.lastSentAt + plan.atMostEveryMs;
  // A pair whose one send is made counts nothing more: there is nothing left to fire.
  if (!(once && facts.sentOnce)) {
    for (const event of events) {
      if (!inWindow(event)) continue;
      counted.push(event);
      counted.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
      const last = firstFullWindow(plan, counted);
      if (last < 0) continue;
      const cause = counted[last]!;
      counted = counted.slice(last + 1);
      const dueAt = now + plan.delayMs;
      if (firing !== null || facts.firingWaits || capped(dueAt)) continue;
      firing = { eventId: cause[0], dueAt };
    }
  } else {
    counted = [];
  }
  const state: PairState = { counted, lastSentAt: before.lastSentAt };
  return { state, firing, keepUntil: keepUntil(plan, state, now) };
}

/** Index of the last event of the earliest run of `times` counted events that fits the window, or -1. */
function firstFullWindow(plan: TriggerPlan, counted: readonly CountedEvent[]): number {
  for (let end = plan.times - 1; end < counted.length; end += 1) {
    if (plan.withinMs === null || counted[end]![1] - counted[end - plan.times + 1]![1] < plan.withinMs) return end;
  }
  return -1;
}

/** When a pair's state can be forgotten: its oldest counted event leaves the window, or its cap period ends; null when it holds nothing. */
export function keepUntil(plan: TriggerPlan, state: PairState, now: number): number | null {
  const windowEnd = plan.withinMs !== null && state.counted.length > 0 ? state.counted[0]![1] + plan.withinMs : null;
  const capEnd = plan.atMostEveryMs !== null && state.lastSentAt !== null && state.lastSentAt + plan.atMostEveryMs > now ? state.lastSentAt + plan.atMostEveryMs : null;
  // `times` > 1 always has a window (the schema requires one); without one nothing waits to be counted.
  const ends = [windowEnd, capEnd].filter((end): end is number => end !== null);
  return ends.length === 0 ? null : Math.max(...ends);
}
