import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.js';

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

let postgresZones: Promise<Set<string>> | undefined;

/**
 * Whether PostgreSQL knows the zone too: Node's ICU and the server's tzdata
 * can differ, and an unknown zone would fail every query of the segment.
 * The list is read once per process.
 *
 * @example
 * await postgresKnowsTimeZone(db, 'Asia/Shanghai'); // true
 */
export async function postgresKnowsTimeZone(db: Database, timeZone: string): Promise<boolean> {
  postgresZones ??= db
    .execute<{ name: string }>(sql`SELECT name FROM pg_timezone_names`)
    .then((rows) => new Set(rows.map((row) => row.name)))
    .catch((error: unknown) => {
      postgresZones = undefined;
      throw error;
    });
  return (await postgresZones).has(timeZone);
}
