import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import { createDatabase, type Database } from '../db/client.js';

export interface TestDatabase {
  db: Database;
  url: string;
  sql: ReturnType<typeof postgres>;
}

/**
 * Gives a test file its own real PostgreSQL database, cloned from the migrated
 * template, and drops it afterwards.
 */
export function useTestDatabase(): TestDatabase {
  const handle = {} as TestDatabase;
  let close: () => Promise<void>;
  const name = `hookcast_test_${randomBytes(6).toString('hex')}`;
  const adminUrl = inject('adminDatabaseUrl');

  beforeAll(async () => {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const database = createDatabase(url.toString());
    Object.assign(handle, { db: database.db, url: url.toString(), sql: database.client });
    close = database.close;
  });

  afterAll(async () => {
    await close?.();
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  return handle;
}
