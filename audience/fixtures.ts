import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { attributeTypes, events, users, type AttributeType, type UserAttributes } from '../db/schema.js';

/*
 * Direct inserts for tests that need exact users and events (the API paths are
 * tested on their own). Test support only: nothing in the app imports it.
 */

export interface FixtureUser {
  loginId?: string;
  visitorId?: string;
  attributes?: UserAttributes;
}

/**
 * Inserts users and returns their ids in order.
 *
 * @example
 * const [alice] = await insertUsers(db, [{ loginId: 'alice', attributes: { vip_level: 'gold' } }]);
 */
export async function insertUsers(db: Database, list: FixtureUser[]): Promise<string[]> {
  const rows = await db
    .insert(users)
    .values(list.map((u) => ({ loginId: u.loginId ?? null, visitorId: u.visitorId ?? null, attributes: u.attributes ?? {} })))
    .returning({ id: users.id });
  return rows.map((row) => row.id);
}

/**
 * Records attribute types as ingestion would have.
 *
 * @example
 * await recordAttributeTypes(db, { vip_level: 'string', birthday: 'date' });
 */
export async function recordAttributeTypes(db: Database, types: Record<string, AttributeType>): Promise<void> {
  await db
    .insert(attributeTypes)
    .values(Object.entries(types).map(([key, type]) => ({ key, type })))
    .onConflictDoNothing();
}

/**
 * Inserts events for one user at ISO instants.
 *
 * @example
 * await insertEvents(db, userId, [['add_to_cart', '2026-02-27T23:59:00+08:00']]);
 */
export async function insertEvents(
  db: Database,
  userId: string,
  list: [name: string, time: string, properties?: Record<string, unknown>][],
): Promise<void> {
  if (list.length === 0) return;
  await db.insert(events).values(
    list.map(([name, time, properties]) => ({ userId, name, occurredAt: new Date(time), properties: properties ?? {} })),
  );
}

/**
 * Empties the audience tables between tests.
 *
 * @example
 * beforeEach(() => clearAudience(db));
 */
export async function clearAudience(db: Database): Promise<void> {
  await db.execute(sql`TRUNCATE events, users, attribute_types, event_names, event_properties, segments RESTART IDENTITY CASCADE`);
}
