import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { Database } from './client.js';

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** What a migration pass did: how many migrations the database had before, and how many it applied. */
export interface MigrationOutcome {
  before: number;
  applied: number;
}

/** Migrations recorded in drizzle's own table; 0 for a database that has never been migrated. */
async function appliedMigrations(db: Database): Promise<number> {
  // Asked first: a statement naming a table that does not exist fails however it is guarded.
  const [table] = await db.execute<{ present: boolean }>(sql`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`);
  if (!table?.present) return 0;
  const [row] = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
  return row?.n ?? 0;
}

/** Applies the committed drizzle-kit migrations that this database lacks. */
export async function migrateDatabase(db: Database): Promise<MigrationOutcome> {
  const before = await appliedMigrations(db);
  await migrate(db, { migrationsFolder });
  return { before, applied: (await appliedMigrations(db)) - before };
}

/** One line for an operator: a new database's schema was created, an old one's brought up to date, or nothing to do. */
export function describeMigration({ before, applied }: MigrationOutcome): string {
  if (before === 0) return `created the database schema (${applied} migrations)`;
  if (applied > 0) return `applied ${applied} new migration${applied === 1 ? '' : 's'}; database schema is current`;
  return 'database schema is current';
}
