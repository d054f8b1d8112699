import { sql } from 'drizzle-orm';
import { integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { timestamps } from './columns.js';
import type { ChannelAuth, TemplateParam, UserAttributeParam } from '../../channels/schema.js';


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
    ...timestamps,
  },
  (table) => [uniqueIndex('channels_name_key').on(table.name)],
);

export type ChannelRow = typeof channels.$inferSelect;
