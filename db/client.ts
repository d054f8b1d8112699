import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.js';

export type Database = ReturnType<typeof createDatabase>['db'];

/**
 * Opens a pooled connection to PostgreSQL and wraps it in Drizzle.
 *
 * @example
 * const { db, close } = createDatabase(process.env.DATABASE_URL!);
 * await db.select().from(channels);
 * await close();
 */
export function createDatabase(url: string, options: { max?: number; connectTimeoutSeconds?: number } = {}) {
  const client = postgres(url, {
    max: options.max ?? 10,
    // A server in crash recovery can hold a new connection for many seconds before refusing it.
    connect_timeout: options.connectTimeoutSeconds ?? 30,
    onnotice: () => {},
    // Drizzle parses timestamps itself; JSON columns arrive as objects.
    connection: { application_name: 'hookcast' },
  });
  const db = drizzle(client, { schema });
  return {
    db,
    client,
    close: () => client.end({ timeout: 5 }),
  };
}
