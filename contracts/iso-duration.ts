import { z } from 'zod';

// Weeks, days, hours, minutes, seconds only: years and months have no fixed
// length, so "P1M" would mean different caps in different months.
const ISO_DURATION = /^P(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/;

const UNIT_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000];

/**
 * An ISO 8601 duration of fixed length (weeks, days, hours, minutes,
 * seconds) in milliseconds; undefined for anything else, including `P`,
 * `PT` and calendar units (`P1Y`, `P1M`).
 *
 * @example
 * isoDurationMs('P1D');    // 86400000
 * isoDurationMs('PT1H30M'); // 5400000
 * isoDurationMs('P1M');    // undefined
 */
export function isoDurationMs(value: string): number | undefined {
  const match = ISO_DURATION.exec(value);
  if (!match || value === 'P' || value.endsWith('T')) return undefined;
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) ms += Number(match[i + 1] ?? 0) * UNIT_MS[i]!;
  return ms;
}

function describe(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} day${ms === 86_400_000 ? '' : 's'}`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour${ms === 3_600_000 ? '' : 's'}`;
  if (ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  return `${ms / 1000} second${ms === 1000 ? '' : 's'}`;
}

/**
 * A zod string that must be an ISO 8601 duration (`P1D`, `PT12H`) between
 * `min` and `max` milliseconds; keeps the string as written.
 */
export function isoDurationSchema(bounds: { min: number; max: number }) {
  return z
    .string()
    .max(40)
    .superRefine(function fixedDurationInBounds(value, ctx) {
      const ms = isoDurationMs(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 duration in weeks, days, hours, minutes or seconds, such as P1D or PT12H' });
      } else if (ms < bounds.min || ms > bounds.max) {
        ctx.addIssue({ code: 'custom', message: `must be between ${describe(bounds.min)} and ${describe(bounds.max)}` });
      }
    });
}
