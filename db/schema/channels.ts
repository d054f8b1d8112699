import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { bodyFormats } from '../../contracts/body-formats.js';
import { timestamps } from './columns.js';
import { sealedAuth } from './sealed-auth.js';
import type { RateLimitSettings, RetrySettings, TemplateParam, UserAttributeParam, UserCap } from '../../contracts/channel.js';


/** One customer endpoint and how to call it (seed: "webhook通道"). */
export const channels = pgTable(
  'channels',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    name: text('name').notNull(),
    url: text('url').notNull(),
    method: text('method', { enum: ['POST', 'PUT', 'GET'] }).notNull().default('POST'),
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    /** Credentials sealed with AES-256-GCM (see sealed-auth.ts); plaintext only in memory. */
    auth: sealedAuth('auth').notNull(),
    userAttributeParams: jsonb('user_attribute_params').$type<UserAttributeParam[]>().notNull().default([]),
    templateParams: jsonb('template_params').$type<TemplateParam[]>().notNull().default([]),
    timeoutMs: integer('timeout_ms').notNull().default(10_000),
    format: text('format', { enum: bodyFormats }).notNull().default('standard'),
    batchSize: integer('batch_size').notNull().default(100),
    retry: jsonb('retry').$type<RetrySettings>().notNull().default({ initialIntervalMs: 5_000, maxIntervalMs: 3_600_000, maxDurationMs: 86_400_000 }),
    /** Read live (not frozen at launch) by the delivery limiter; null members mean unlimited. */
    rateLimit: jsonb('rate_limit').$type<RateLimitSettings>().notNull().default({ perSecond: null, concurrency: null }),
    /** Requests per user per rolling window across all campaigns on the channel; frozen into runs at launch; null: no cap. */
    userCap: jsonb('user_cap').$type<UserCap>(),
    /** Set when the endpoint answered 410 Gone: operators must look before reusing it. */
    flaggedAt: timestamp('flagged_at', { withTimezone: true, mode: 'date' }),
    flagReason: text('flag_reason'),
    ...timestamps,
  },
  (table) => [uniqueIndex('channels_name_key').on(table.name)],
);

export type ChannelRow = typeof channels.$inferSelect;

/*
 * Shared state of the delivery limiter (delivery/limiter.ts): every worker
 * process coordinates through these rows. They are UNLOGGED (migration 0005):
 * after a PostgreSQL crash they come back empty, which only forgets leases that
 * would have expired within seconds anyway.
 */

/** The next free request slot of a channel (GCRA): leasing k slots advances it by k spacings. */
export const channelRateSlots = pgTable('channel_rate_slots', {
  channelId: uuid('channel_id')
    .primaryKey()
    .references(() => channels.id, { onDelete: 'cascade' }),
  nextSlot: timestamp('next_slot', { withTimezone: true, mode: 'date' }).notNull(),
});

/** One row per permit of a channel's concurrency limit; a worker leases it until expires_at and renews it while in use. */
export const channelConcurrencySlots = pgTable(
  'channel_concurrency_slots',
  {
    channelId: uuid('channel_id')
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
    slot: integer('slot').notNull(),
    holder: text('holder'),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.slot] })],
);

/** How many permits each worker wants (in use + waiting), so holders give back their excess over a fair share. */
export const channelLimiterMembers = pgTable(
  'channel_limiter_members',
  {
    channelId: uuid('channel_id')
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
    holder: text('holder').notNull(),
    wants: integer('wants').notNull(),
    seenAt: timestamp('seen_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.holder] })],
);

/**
 * Recent sends per (channel, user) for the channel's per-user cap
 * (delivery/user-cap.ts): `sends` maps a delivery's key (its webhook-id, the
 * same for every attempt) to when it was reserved, in epoch milliseconds.
 * One row per user, so a reservation locks that row and concurrent campaigns
 * reaching the same user queue behind each other instead of both counting
 * the same free room.
 */
export const userCapSends = pgTable(
  'user_cap_sends',
  {
    channelId: uuid('channel_id')
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    sends: jsonb('sends').$type<Record<string, number>>().notNull(),
    /** When the newest entry leaves the cap's window: rows past it hold nothing and may be deleted. */
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.userId] }), index('user_cap_sends_expires_idx').on(t.expiresAt)],
);
