import { sql } from 'drizzle-orm';
import { bigint, check, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { timestamps } from './columns.js';
import type { SegmentRule } from '../../contracts/segment-rule.js';

export const ATTRIBUTE_TYPES = ['string', 'number', 'boolean', 'date'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

/** Profile attributes as stored: dates are ISO strings (see audience/attributes.ts). */
export type UserAttributes = Record<string, string | number | boolean>;

/**
 * A person, known by a login id ("用户登陆id"), an anonymous visitor id
 * ("访问用户"), or both once identified.
 */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    loginId: text('login_id'),
    visitorId: text('visitor_id'),
    attributes: jsonb('attributes').$type<UserAttributes>().notNull().default({}),
    ...timestamps,
  },
  (table) => [
    uniqueIndex('users_login_id_key').on(table.loginId),
    uniqueIndex('users_visitor_id_key').on(table.visitorId),
    check('users_identity_present', sql`${table.loginId} IS NOT NULL OR ${table.visitorId} IS NOT NULL`),
    // jsonb_path_ops serves `attributes @> '{"vip_level":"gold"}'`, which is how
    // segment equality conditions compile, whatever the key.
    index('users_attributes_idx').using('gin', table.attributes.op('jsonb_path_ops')),
  ],
);

/**
 * The first type seen for each attribute key; later values must match it. Also
 * the catalog's list of attribute names: `last_seen_at` is the latest upsert
 * that carried the key, to the minute (audience/catalog.ts).
 */
export const attributeTypes = pgTable(
  'attribute_types',
  {
    key: text('key').primaryKey(),
    type: text('type', { enum: ATTRIBUTE_TYPES }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [check('attribute_types_type_check', sql`${table.type} IN ('string', 'number', 'boolean', 'date')`)],
);

/** Behaviour events, the hot table: ingested in batches, scanned by segments. */
export const events = pgTable(
  'events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    properties: jsonb('properties').$type<Record<string, unknown>>().notNull().default({}),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    clientEventId: text('client_event_id'),
  },
  (table) => [
    // Partial: most events carry no client id, and they need no index entry.
    uniqueIndex('events_client_event_id_key').on(table.clientEventId).where(sql`client_event_id IS NOT NULL`),
    // Serves segment EXISTS probes per user, one-user membership checks, and
    // the foreign key (identify re-points events, deleting a user cascades).
    index('events_user_name_time_idx').on(table.userId, table.name, table.occurredAt),
    // Serves segments driven by behaviour rather than by a selective attribute:
    // one range scan per (event, window) instead of a probe per user.
    index('events_name_time_user_idx').on(table.name, table.occurredAt, table.userId),
  ],
);

/** A named rule over users and events (seed: "用户分群"). */
export const segments = pgTable(
  'segments',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    name: text('name').notNull(),
    rule: jsonb('rule').$type<SegmentRule>().notNull(),
    timeZone: text('time_zone').notNull().default('Asia/Shanghai'),
    ...timestamps,
  },
  (table) => [uniqueIndex('segments_name_key').on(table.name)],
);

export type UserRow = typeof users.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type SegmentRow = typeof segments.$inferSelect;
