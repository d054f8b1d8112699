import { z } from 'zod';

/*
 * The time range hookcast schedules in, shared by every trigger type.
 */

/**
 * How far ahead a send time or an expiry may be: a campaign is a plan for the
 * coming months, and a timer years away (9999-12-31) is a typo that would sit
 * in Temporal for ever.
 */
export const SCHEDULE_HORIZON_MS = 366 * 24 * 60 * 60 * 1000;
/** Earliest send time or expiry a draft accepts; anything before is a typo (year 0), not a plan. */
export const EARLIEST_SCHEDULE_TIME = new Date('2000-01-01T00:00:00Z');

/** Why a send time or expiry is outside what hookcast schedules, or undefined. */
export function scheduleTimeProblem(time: Date, now = new Date()): string | undefined {
  if (time.getTime() < EARLIEST_SCHEDULE_TIME.getTime()) return 'must not be before 2000-01-01T00:00:00Z';
  if (time.getTime() > now.getTime() + SCHEDULE_HORIZON_MS) return 'must be at most one year (366 days) ahead';
  return undefined;
}

/** A send time, start, end or expiry as submitted: an ISO 8601 date-time with a zone, within the horizon. */
export const scheduleTimeSchema = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' }).superRefine(function withinHorizon(value, ctx) {
  // zod runs refinements after a failed format check too; '+099999-…' already has its issue.
  if (!/^\d{4}-/.test(value)) return;
  const problem = scheduleTimeProblem(new Date(value));
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
