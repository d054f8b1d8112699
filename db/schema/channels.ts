import { sql } from 'drizzle-orm';
import { integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { timestamps } from './columns.js';
import type { ChannelAuth, TemplateParam, UserAttributeParam } from '../../channels/schema.js';
import type { RetrySettings } from '../../delivery/backoff.js';


/** One customer endpoint and how to call it (seed: "webhook通道"). */
export const channels = pgTable(
  'channels',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    name: text('name').notNull(),
    url: text('url').notNull(),
    method: text('method', { enum: ['POST', 'PUT', 'GET'] }).notNull().default('POST'),
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    auth: jsonb('auth').$type<ChannelAuth>().notNull(),
    userAttributeParams: jsonb('user_attribute_params').$type<UserAttributeParam[]>().notNull().default([]),
    templateParams: jsonb('template_params').$type<TemplateParam[]>().notNull().default([]),
    timeoutMs: integer('timeout_ms').notNull().default(10_000),
    format: text('format', { enum: ['standard', 'growingio'] }).notNull().default('standard'),
    batchSize: integer('batch_size').notNull().default(100),
    retry: jsonb('retry').$type<RetrySettings>().notNull().default({ initialIntervalMs: 5_000, maxIntervalMs: 3_600_000, maxDurationMs: 86_400_000 }),
    /** Set when the endpoint answered 410 Gone: operators must look before reusing it. */
    flaggedAt: timestamp('flagged_at', { withTimezone: true, mode: 'date' }),
    flagReason: text('flag_reason'),
    ...timestamps,
  },
  (table) => [uniqueIndex('channels_name_key').on(table.name)],
);

export type ChannelRow = typeof channels.$inferSelect;
