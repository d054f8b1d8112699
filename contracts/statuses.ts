/**
 * Every status word hookcast stores, defined once. The database enforces the
 * same lists with CHECK constraints (migration 0007), the API validates query
 * parameters against them, and workflows use the types.
 */

/** A campaign as the operator sees it. */
export const campaignStatuses = ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed'] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];

/** Campaigns that are live: they still need their channel and segment, and take operator controls. */
export const liveCampaignStatuses = ['scheduled', 'running', 'paused'] as const satisfies readonly CampaignStatus[];

/**
 * One run of a campaign (a one-time send, one firing of a schedule, or the
 * collector of an event campaign's sends). `skipped` and `missed` are firings
 * that were recorded but sent nothing: the previous run was still sending, or
 * the firing came too late after an outage.
 */
export const runStatuses = ['scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed', 'skipped', 'missed'] as const;
export type RunStatus = (typeof runStatuses)[number];

/** Runs still open: at most one of a campaign's batch runs is in one of these at a time. */
export const openRunStatuses = ['scheduled', 'running', 'paused'] as const satisfies readonly RunStatus[];

/** What started a run. */
export const runTriggers = ['once', 'schedule', 'manual', 'event'] as const;
export type RunTrigger = (typeof runTriggers)[number];

/** The flag sending activities obey for a run. */
export const runControls = ['run', 'pause', 'cancel'] as const;
export type RunControl = (typeof runControls)[number];

/**
 * One user's delivery in one run. `held_out`: in the campaign's control group
 * (effect/holdout.ts), never sent; `held_out_at` holds the moment they would
 * have been sent (migration 0014).
 */
export const deliveryStatuses = ['pending', 'succeeded', 'failed', 'skipped', 'cancelled', 'held_out'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** What one attempt meant for its user. */
export const attemptOutcomes = ['succeeded', 'retry', 'failed'] as const;
export type AttemptOutcome = (typeof attemptOutcomes)[number];

export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}
