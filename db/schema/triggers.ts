import { bigint, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * The transactional outbox of event-triggered campaigns (migration 0008): one
 * row per (accepted event, live campaign listening for it), written in the
 * event's own transaction and deleted once handed to Temporal.
 */
export const triggerOutbox = pgTable('trigger_outbox', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  eventId: bigint('event_id', { mode: 'number' }).notNull(),
  campaignId: uuid('campaign_id').notNull(),
  runId: uuid('run_id').notNull(),
  userId: uuid('user_id').notNull(),
  occurredAt: at('occurred_at').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
});
