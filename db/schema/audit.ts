import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** The audit trail: one row per change an API key made (access/audit.ts). */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    actorKeyId: uuid('actor_key_id'),
    actorName: text('actor_name').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id'),
    targetName: text('target_name'),
    change: jsonb('change'),
  },
  (t) => [index('audit_events_at_idx').on(t.at.desc(), t.id.desc()), index('audit_events_target_idx').on(t.targetType, t.targetId, t.id.desc())],
);
