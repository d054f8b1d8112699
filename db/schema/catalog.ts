import { index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './audience.js';

/*
 * The catalog of what has been ingested (migration 0016, audience/catalog.ts):
 * written by each ingest batch in one statement, read by GET /api/catalog, so
 * the console's pickers never scan users or events. Attribute names and types
 * live in attribute_types (with their last_seen_at).
 */

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * A few values of each attribute (at most CATALOG_EXAMPLES per key, short and
 * not credential-like), each with the user it came from: values are user
 * data, so erasing that user deletes them (audience/erase.ts).
 */
export const attributeExamples = pgTable(
  'attribute_examples',
  {
    key: text('key').notNull(),
    value: jsonb('value').$type<string | number | boolean>().notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    seenAt: at('seen_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.key, t.value] }), index('attribute_examples_user_idx').on(t.userId)],
);

/** Every event name ingested, with the latest time one happened (its `occurred_at`, never later than its receipt). */
export const eventNames = pgTable('event_names', {
  name: text('name').primaryKey(),
  lastSeenAt: at('last_seen_at').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
});

/** The top-level property names of each event name and the JSON types seen for them (at most CATALOG_PROPERTIES rows per event). */
export const eventProperties = pgTable(
  'event_properties',
  {
    event: text('event').notNull(),
    property: text('property').notNull(),
    type: text('type').notNull(),
  },
  (t) => [primaryKey({ columns: [t.event, t.property, t.type] })],
);
