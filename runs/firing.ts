/**
 * What one firing of a recurring campaign's schedule does, decided when its
 * run opens. Pure: the opening activity gathers the facts under a lock on the
 * campaign row and records the answer as the run's status.
 */

/** How late a firing may still send (see TEMPORAL_CATCH_UP_WINDOW in runs/schedule.ts for the other half). */
export const FIRING_CATCH_UP_MS = 60 * 60 * 1000;

/**
 * How long a recurring run keeps delivering after its firing. Users not
 * reached by then are `failed` (expired): a daily greeting is not sent the
 * day after, and the next firing does not find this run still sending.
 */
export const RECURRING_RUN_WINDOW_MS = 24 * 60 * 60 * 1000;

export type FiringVerdict =
  /** Send: the run freezes its audience and delivers. */
  | { status: 'open' }
  /** Recorded as a run that sends nothing. */
  | { status: 'skipped' | 'missed'; reason: string }
  /** Not recorded: the campaign no longer runs (a firing that raced a cancel or the end). */
  | { status: 'ignored'; reason: string };

export interface FiringFacts {
  /** The firing's nominal time (Temporal's `TemporalScheduledStartTime`). */
  scheduledAt: Date;
  now: Date;
  /** `schedule` for a time the spec names, `manual` for an operator's trigger. */
  trigger: 'schedule' | 'manual';
  campaignStatus: string;
  /** The campaign's latest run still scheduled, running or paused, if any. */
  activeRun?: { id: string; expiresAt: Date | null };
}

/**
 * Decides a firing.
 *
 * - A campaign that is no longer live ignores it (its schedule is being deleted).
 * - A scheduled firing handed over more than FIRING_CATCH_UP_MS after its time
 *   (Temporal or the worker was down) is `missed`: late, it would reach users
 *   at the wrong hour. A manual trigger is never late.
 * - While a previous run still sends (and has not passed its expiry), the
 *   firing is `skipped`: two runs of one campaign would reach the same users twice.
 * - A firing that raced the operator's pause is `skipped` too.
 *
 * @example
 * firingVerdict({ scheduledAt, now, trigger: 'schedule', campaignStatus: 'scheduled' }); // { status: 'open' }
 */
export function firingVerdict(facts: FiringFacts): FiringVerdict {
  if (!['scheduled', 'running', 'paused'].includes(facts.campaignStatus)) {
    return { status: 'ignored', reason: `the campaign is ${facts.campaignStatus}` };
  }
  const lateMs = facts.now.getTime() - facts.scheduledAt.getTime();
  if (facts.trigger === 'schedule' && lateMs > FIRING_CATCH_UP_MS) {
    return {
      status: 'missed',
      reason: `fired ${Math.round(lateMs / 60_000)} min after its time, beyond the ${FIRING_CATCH_UP_MS / 60_000} min catch-up window (Temporal or the worker was down)`,
    };
  }
  if (facts.campaignStatus === 'paused') return { status: 'skipped', reason: 'the campaign was paused' };
  const active = facts.activeRun;
  if (active && (active.expiresAt === null || active.expiresAt.getTime() > facts.scheduledAt.getTime())) {
    return { status: 'skipped', reason: `run ${active.id} was still sending` };
  }
  return { status: 'open' };
}

/** When a recurring run stops trying its users. */
export function recurringRunExpiry(sendAt: Date): Date {
  return new Date(sendAt.getTime() + RECURRING_RUN_WINDOW_MS);
}
