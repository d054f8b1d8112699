import { isoDurationMs } from '../contracts/iso-duration.js';
import type { Goal } from '../contracts/goal.js';

const MINUTE = 60_000;

/** The goal's window in milliseconds (validated on input, so always defined). */
export function goalWindowMs(goal: Pick<Goal, 'within'>): number {
  return isoDurationMs(goal.within)!;
}

/**
 * How long after the last recipient's window closed late events (ingested
 * later, timed inside it) still count before the figures are stored: as long
 * as the window again, at most an hour.
 */
export function lateEventGraceMs(goal: Pick<Goal, 'within'>): number {
  return Math.min(goalWindowMs(goal), 60 * MINUTE);
}
