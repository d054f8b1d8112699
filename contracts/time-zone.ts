import { z } from 'zod';

/*
 * Time zone names as every layer checks them. A leaf: imports nothing of the
 * project (db/schema, triggers and campaigns read it; whether PostgreSQL knows a
 * zone too is segments/time-zone.ts, which needs the database).
 */

/** The seed's customers run on China time. */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

// Only region names: PostgreSQL reads POSIX strings such as "UTC+8" with the
// sign inverted, and abbreviations such as "CST" are ambiguous.
const IANA_SHAPE = /^(UTC|[A-Za-z]+(?:\/[A-Za-z0-9_+-]+){1,2})$/;

/**
 * True for an IANA zone name the runtime knows (`Asia/Shanghai`, `UTC`).
 *
 * @example
 * isIanaTimeZone('Europe/Paris'); // true
 * isIanaTimeZone('UTC+8');        // false
 */
export function isIanaTimeZone(value: string): boolean {
  if (!IANA_SHAPE.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const timeZoneSchema = z
  .string()
  .max(64)
  .refine(isIanaTimeZone, 'must be an IANA time zone such as Asia/Shanghai or UTC');
