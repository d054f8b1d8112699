import { bigint, index, integer, jsonb, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';

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

/**
 * What a (campaign, user) pair of an event-triggered campaign has counted and
 * not yet used, and when it last sent (migration 0012): only while the window
 * or the frequency cap needs it.
 */
export const triggerState = pgTable(
  'trigger_state',
  {
    campaignId: uuid('campaign_id').notNull(),
    userId: uuid('user_id').notNull(),
    /** Counted events not yet consumed by a firing, oldest first: [event id, epoch ms]. */
    counted: jsonb('counted').$type<[number, number][]>().notNull().default([]),
    lastSentAt: at('last_sent_at'),
    expiresAt: at('expires_at'),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.userId] }), index('trigger_state_expiry_idx').on(t.expiresAt)],
);

/** A send decided and due at a time, until the event run's workflow claims it; at most one per (run, user). */
export const triggerFirings = pgTable(
  'trigger_firings',
  {
    runId: uuid('run_id').notNull(),
    userId: uuid('user_id').notNull(),
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    dueAt: at('due_at').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.userId] }), index('trigger_firings_due_idx').on(t.runId, t.dueAt)],
);

/** The audience positions each claim of an event run took, so a repeated claim answers the same range. */
export const triggerClaims = pgTable(
  'trigger_claims',
  {
    runId: uuid('run_id').notNull(),
    claimNo: integer('claim_no').notNull(),
    fromSeq: integer('from_seq').notNull(),
    toSeq: integer('to_seq').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.claimNo] })],
);
