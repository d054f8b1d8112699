import { z } from 'zod';
import { isoDurationSchema } from './iso-duration.js';
import { eventNameSchema } from './names.js';
import { propertyFilters, type PropertyFilter } from './segment-rule.js';

/**
 * A campaign's conversion goal (docs/goals.md): a recipient converts when they
 * do `event` (matching `where`, with the meaning segments and triggers give
 * it) within `within` after their send succeeded, or, held out, after the
 * moment they would have been sent. `value` names a numeric property summed
 * over the goal events in the window (an order's amount).
 */
export interface Goal {
  event: string;
  where?: PropertyFilter[];
  within: string;
  value?: string;
}

/** The campaign's control group: `percent` of its users are held out and never sent. */
export interface Holdout {
  percent: number;
}

/** The hold-out as a run freezes it: which draw decides who is held out (a new draw picks a new control group). */
export interface FrozenHoldout extends Holdout {
  draw: number;
}

/** Shortest window: a second, so tests and demos can watch a window close. */
export const MIN_GOAL_WINDOW_MS = 1000;
/** Longest window: 90 days. A run's workflow waits for it, and attribution scans events across it. */
export const MAX_GOAL_WINDOW_MS = 90 * 24 * 60 * 60_000;
export const MIN_HOLDOUT_PERCENT = 1;
export const MAX_HOLDOUT_PERCENT = 50;

export const goalSchema = z.strictObject({
  event: eventNameSchema,
  where: propertyFilters.optional(),
  within: isoDurationSchema({ min: MIN_GOAL_WINDOW_MS, max: MAX_GOAL_WINDOW_MS }),
  value: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters').optional(),
});

export const holdoutSchema = z.strictObject({
  percent: z
    .number({ error: 'must be a whole number of percent' })
    .int('must be a whole number of percent')
    .min(MIN_HOLDOUT_PERCENT, `must be at least ${MIN_HOLDOUT_PERCENT}`)
    .max(MAX_HOLDOUT_PERCENT, `must be at most ${MAX_HOLDOUT_PERCENT}`),
});
