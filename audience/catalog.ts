import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { AttributeType, UserAttributes } from '../db/schema.js';
import type { Executor, Transaction } from './executor.js';

/*
 * The catalog of what has been ingested: attribute names (type, a few example
 * values, last seen) and event names (last seen, property names and types), so
 * an operator picks names instead of guessing them. Each ingest batch keeps it
 * in one statement (recordAttributeCatalog, recordEventCatalog) that writes
 * only what is new: once a name is known and has its examples, a batch only
 * probes primary keys, and "last seen" moves at most once a minute (rows
 * being moved by another batch are skipped, not waited for). Reading it never
 * touches users or events (migration 0016, docs/api.md#catalog).
 */

/** Example values kept per attribute. */
export const CATALOG_EXAMPLES = 5;
/** Longer strings are not kept as examples: a long value is more likely a token or free text than a category. */
export const EXAMPLE_MAX_CHARS = 32;
/** Property rows (name × type) kept per event name: a client that keys properties by id cannot grow the catalog without end. */
export const CATALOG_PROPERTIES = 100;
/** Names per kind a catalog answer lists at most; `limit` picks fewer. */
export const CATALOG_MAX_LIMIT = 1000;
export const CATALOG_DEFAULT_LIMIT = 200;

/** Attribute names whose values are never examples: credentials an SDK may have put on a profile. */
const CREDENTIAL_NAME = /pass(?:word|wd)|secret|token|credential|api_?key|private_?key|otp|cvv/i;

export type PropertyType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null';

/** A profile written by an upsert, with the ids it is known by. */
export interface UpsertedProfile {
  userId: string;
  loginId: string | null;
  visitorId: string | null;
  attributes: UserAttributes;
}

/**
 * Whether a value may be shown as an example of its attribute: not under a
 * credential-like name, not a long string, and not the user's own login or
 * visitor id (an attribute that repeats it would show ids the picker has no business showing).
 *
 * @example
 * exampleable('vip_level', 'gold', { loginId: 'u-1', visitorId: null }); // true
 * exampleable('uid', 'u-1', { loginId: 'u-1', visitorId: null });        // false
 */
export function exampleable(key: string, value: string | number | boolean, ids: { loginId: string | null; visitorId: string | null }): boolean {
  if (CREDENTIAL_NAME.test(key)) return false;
  if (typeof value !== 'string') return true;
  return value.length > 0 && value.length <= EXAMPLE_MAX_CHARS && value !== ids.loginId && value !== ids.visitorId;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Records the attribute keys an upsert carried as seen now, and offers its
 * values as examples (a key keeps the first CATALOG_EXAMPLES distinct values
 * it is offered; an erased user's go with them). One statement, in the
 * upsert's transaction, after the types were settled (so every key has its
 * attribute_types row). Two batches adding a key's first examples at the same
 * moment may each fill the room they saw; the answer still shows at most
 * CATALOG_EXAMPLES.
 *
 * @example
 * await recordAttributeCatalog(tx, [{ userId, loginId: 'u-1', visitorId: null, attributes: { vip_level: 'gold' } }]);
 */
export async function recordAttributeCatalog(tx: Transaction, profiles: readonly UpsertedProfile[]): Promise<void> {
  const keys = new Set<string>();
  const offered = new Map<string, Map<string, { key: string; value: unknown; user_id: string }>>();
  for (const profile of profiles) {
    for (const [key, value] of Object.entries(profile.attributes)) {
      keys.add(key);
      if (!exampleable(key, value, profile)) continue;
      const values = offered.get(key) ?? new Map<string, { key: string; value: unknown; user_id: string }>();
      offered.set(key, values);
      const text = JSON.stringify(value);
      if (values.size < CATALOG_EXAMPLES && !values.has(text)) values.set(text, { key, value, user_id: profile.userId });
    }
  }
  if (keys.size === 0) return;
  const candidates = [...offered.values()].flatMap((values) => [...values.values()]);
  // Keys and values in one order, so concurrent batches take the same rows' locks in the same order.
  await tx.execute(sql`
    WITH offered AS (
      SELECT key, value, user_id FROM jsonb_to_recordset(${JSON.stringify(candidates)}::jsonb) AS o(key text, value jsonb, user_id uuid)
    ),
    fresh AS (
      SELECT o.*, row_number() OVER (PARTITION BY o.key ORDER BY o.value) AS rank
      FROM offered o
      WHERE NOT EXISTS (SELECT 1 FROM attribute_examples e WHERE e.key = o.key AND e.value = o.value)
    ),
    held AS (
      SELECT e.key, count(*) AS n FROM attribute_examples e WHERE e.key IN (SELECT DISTINCT key FROM fresh) GROUP BY e.key
    ),
    examples AS (
      INSERT INTO attribute_examples (key, value, user_id)
      SELECT f.key, f.value, f.user_id FROM fresh f LEFT JOIN held h USING (key)
      WHERE f.rank <= ${CATALOG_EXAMPLES} - coalesce(h.n, 0)
      ORDER BY f.key, f.value
      ON CONFLICT (key, value) DO NOTHING
    )
    UPDATE attribute_types t SET last_seen_at = now()
    FROM (
      SELECT key FROM attribute_types
      WHERE key IN (SELECT jsonb_array_elements_text(${JSON.stringify([...keys].sort(byText))}::jsonb))
        AND last_seen_at < now() - interval '1 minute'
      ORDER BY key
      FOR UPDATE SKIP LOCKED
    ) due
    WHERE t.key = due.key`);
}

/** A property value's JSON type. */
export function propertyType(value: unknown): PropertyType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean' ? type : 'object';
}

/**
 * Records a batch's event names with the latest time one happened (never
 * later than now: a client clock ahead does not make a name look newer than
 * it is), and their top-level property names with the JSON type of each
 * value. One statement, in the ingest transaction.
 *
 * @example
 * await recordEventCatalog(tx, [{ name: 'pay_order', properties: { amount: 100 }, occurredAt: new Date() }], new Date());
 */
export async function recordEventCatalog(
  tx: Transaction,
  events: readonly { name: string; properties: Record<string, unknown>; occurredAt: Date }[],
  now: Date,
): Promise<void> {
  if (events.length === 0) return;
  const latest = new Map<string, number>();
  const properties = new Map<string, Map<string, { event: string; property: string; type: PropertyType }>>();
  for (const event of events) {
    latest.set(event.name, Math.max(latest.get(event.name) ?? 0, Math.min(event.occurredAt.getTime(), now.getTime())));
    const seen = properties.get(event.name) ?? new Map<string, { event: string; property: string; type: PropertyType }>();
    properties.set(event.name, seen);
    for (const [property, value] of Object.entries(event.properties)) {
      const type = propertyType(value);
      const key = `${type}:${property}`;
      if (seen.size < CATALOG_PROPERTIES && !seen.has(key)) seen.set(key, { event: event.name, property, type });
    }
  }
  const names = [...latest].sort(([a], [b]) => byText(a, b)).map(([name, at]) => ({ name, last_seen_at: new Date(at).toISOString() }));
  const offered = [...properties.values()].flatMap((seen) => [...seen.values()]);
  await tx.execute(sql`
    WITH batch AS (
      SELECT name, last_seen_at FROM jsonb_to_recordset(${JSON.stringify(names)}::jsonb) AS b(name text, last_seen_at timestamptz)
    ),
    added AS (
      INSERT INTO event_names (name, last_seen_at)
      SELECT name, last_seen_at FROM batch ORDER BY name
      ON CONFLICT (name) DO NOTHING
    ),
    moved AS (
      UPDATE event_names n SET last_seen_at = due.last_seen_at
      FROM (
        SELECT b.name, b.last_seen_at FROM event_names e JOIN batch b USING (name)
        WHERE e.last_seen_at < b.last_seen_at - interval '1 minute'
        ORDER BY e.name
        FOR UPDATE OF e SKIP LOCKED
      ) due
      WHERE n.name = due.name
    ),
    offered AS (
      SELECT event, property, type FROM jsonb_to_recordset(${JSON.stringify(offered)}::jsonb) AS o(event text, property text, type text)
    ),
    fresh AS (
      SELECT o.*, row_number() OVER (PARTITION BY o.event ORDER BY o.property, o.type) AS rank
      FROM offered o
      WHERE NOT EXISTS (SELECT 1 FROM event_properties p WHERE p.event = o.event AND p.property = o.property AND p.type = o.type)
    ),
    held AS (
      SELECT p.event, count(*) AS n FROM event_properties p WHERE p.event IN (SELECT DISTINCT event FROM fresh) GROUP BY p.event
    )
    INSERT INTO event_properties (event, property, type)
    SELECT f.event, f.property, f.type FROM fresh f LEFT JOIN held h USING (event)
    WHERE f.rank <= ${CATALOG_PROPERTIES} - coalesce(h.n, 0)
    ORDER BY f.event, f.property, f.type
    ON CONFLICT DO NOTHING`);
}

const limitMessage = `must be a whole number from 1 to ${CATALOG_MAX_LIMIT}`;

/** `GET /api/catalog`'s query: `q` filters names (case-insensitive, anywhere in the name), `limit` caps each list. */
export const catalogQuerySchema = z.strictObject({
  q: z.string().max(128, 'must be at most 128 characters').optional().meta({ description: 'only names containing this text (case-insensitive)' }),
  limit: z
    .string()
    .refine((v) => /^\d{1,7}$/.test(v) && Number(v) >= 1 && Number(v) <= CATALOG_MAX_LIMIT, limitMessage)
    .optional()
    .meta({ description: `names per list, 1–${CATALOG_MAX_LIMIT} (default ${CATALOG_DEFAULT_LIMIT}), in name order` }),
});
export type CatalogQuery = z.infer<typeof catalogQuerySchema>;

export interface CatalogAttribute {
  name: string;
  type: AttributeType;
  examples: (string | number | boolean)[];
  lastSeenAt: string;
}

export interface CatalogEvent {
  name: string;
  lastSeenAt: string;
  properties: { name: string; types: PropertyType[] }[];
}

export interface Catalog {
  attributes: CatalogAttribute[];
  events: CatalogEvent[];
  /** True for a list cut at `limit`: narrow it with `q`. */
  truncated: { attributes: boolean; events: boolean };
}

/**
 * The catalog, names in order; reads only the catalog tables (one probe per
 * listed name for its examples or properties).
 *
 * @example
 * await readCatalog(db, { q: 'vip' });
 * // { attributes: [{ name: 'vip_level', type: 'string', examples: ['gold', 'silver'], lastSeenAt: '…' }], events: [], truncated: { attributes: false, events: false } }
 */
export async function readCatalog(db: Executor, query: CatalogQuery = {}): Promise<Catalog> {
  const limit = query.limit === undefined ? CATALOG_DEFAULT_LIMIT : Number(query.limit);
  // A substring test (strpos), not LIKE: the operator's text is never a pattern.
  const matches = (column: ReturnType<typeof sql>) => (query.q ? sql`strpos(lower(${column}), lower(${query.q})) > 0` : sql`true`);
  const attributes = await db.execute<{ name: string; type: AttributeType; last_seen_at: Date | string; examples: (string | number | boolean)[] }>(sql`
    SELECT t.key AS name, t.type, t.last_seen_at,
      coalesce((SELECT jsonb_agg(e.value ORDER BY e.value)
                FROM (SELECT value FROM attribute_examples WHERE key = t.key ORDER BY value LIMIT ${CATALOG_EXAMPLES}) e), '[]'::jsonb) AS examples
    FROM attribute_types t
    WHERE ${matches(sql`t.key`)}
    ORDER BY t.key
    LIMIT ${limit + 1}`);
  const events = await db.execute<{ name: string; last_seen_at: Date | string; properties: { name: string; types: PropertyType[] }[] }>(sql`
    SELECT n.name, n.last_seen_at,
      coalesce((SELECT jsonb_agg(jsonb_build_object('name', p.property, 'types', p.types) ORDER BY p.property)
                FROM (SELECT property, jsonb_agg(type ORDER BY type) AS types FROM event_properties WHERE event = n.name GROUP BY property) p), '[]'::jsonb) AS properties
    FROM event_names n
    WHERE ${matches(sql`n.name`)}
    ORDER BY n.name
    LIMIT ${limit + 1}`);
  const iso = (at: Date | string) => new Date(at).toISOString();
  return {
    attributes: attributes.slice(0, limit).map((row) => ({ name: row.name, type: row.type, examples: row.examples, lastSeenAt: iso(row.last_seen_at) })),
    events: events.slice(0, limit).map((row) => ({ name: row.name, lastSeenAt: iso(row.last_seen_at), properties: row.properties })),
    truncated: { attributes: attributes.length > limit, events: events.length > limit },
  };
}
