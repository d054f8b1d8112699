import { bigint, pgTable, smallint, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row, counted up by every erasure (migration 0015, audience/erase.ts):
 * sending activities cache it like a pause flag and re-read their users when it moved.
 */
export const erasureClock = pgTable('erasure_clock', {
  id: smallint('id').primaryKey().default(1),
  n: bigint('n', { mode: 'number' }).notNull().default(0),
  erasedAt: timestamp('erased_at', { withTimezone: true, mode: 'date' }),
});
