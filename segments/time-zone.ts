import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';

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
