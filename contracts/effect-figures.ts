/*
 * A run's raw effect figures as stored (run_effects.figures): the shape
 * db/schema and effect/ share. A leaf: imports nothing.
 */

/** One group's raw figures, as attribution counts them (they add up across runs). */
export interface GroupCounts {
  users: number;
  conversions: number;
  /** Sum of the goal's value property over goal events in the windows; null without `value`. */
  value: number | null;
  /** Conversions whose first goal event came in each bucket of time since send (not cumulative). */
  curve: number[];
}

/** A run's raw figures, stored once final (run_effects.figures) and added across runs. */
export interface EffectFigures {
  bucketMs: number;
  sent: GroupCounts;
  /** null when the run had no control group. */
  control: GroupCounts | null;
}
