import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../access/audit.js';
import type { Database } from '../db/client.js';
import { fieldError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { waitForAudienceCopies } from './erasure-lock.js';
import { inTransactionWithRetry, type Transaction } from './executor.js';

/*
 * Erasing a user (PIPL art. 47, GDPR art. 17): docs/privacy.md lists every
 * place personal data goes and how this reaches it. One transaction removes
 * the profile (and with it, by foreign key, the user's values among the
 * catalog's attribute examples), its events, the event-trigger counting state
 * and per-user cap state, and strips the user's delivery records down to counts: each keeps its
 * run, position and status (a run's totals do not change) under an opaque
 * tombstone instead of the user's id, with the addressed id, rendered request
 * echoes, endpoint answers and error texts cleared. A delivery not made yet
 * becomes `skipped` (`erased`), and a firing still waiting is re-pointed to
 * the tombstone so its claim records it `erased` too (triggers/due.ts). The
 * erasure clock moves in the same transaction, which is what sending
 * activities watch to drop an erased user they already hold in memory. It
 * first waits for transactions copying users into a run (audience/erasure-lock.ts).
 */

/** What one erasure changed, as the API answers it and the audit trail keeps it: counts only. */
export interface ErasureCounts {
  events: number;
  deliveries: number;
  /** Deliveries that had not been made and never will be (now `skipped`, `erased`). */
  unsent: number;
  /** Waiting event-triggered sends that will be recorded `erased` when claimed. */
  firings: number;
  triggerState: number;
}

export type ErasureResult = { erased: true; counts: ErasureCounts } | { erased: false };

/** The reason a never-made delivery of an erased user is recorded under. */
export const ERASED = 'erased';

/**
 * A tombstone: a version-8 UUID (RFC 9562's custom version), which
 * gen_random_uuid() (version 4) never produces, so SQL can tell an erased
 * user's rows apart (`substr(user_id::text, 15, 1) = '8'`) and it links to nothing.
 */
export function tombstoneId(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** SQL that is true for a tombstone id column. */
export const isTombstone = (column: ReturnType<typeof sql>) => sql`substr(${column}::text, 15, 1) = '8'`;

/** The user a login id, visitor id or internal id names, in that order of preference, locked for the erasure. */
async function lockUser(tx: Transaction, key: string): Promise<string | undefined> {
  const byId = isUuid(key) ? sql`OR id = ${key}::uuid` : sql``;
  const [row] = await tx.execute<{ id: string }>(sql`
    SELECT id FROM users
    WHERE login_id = ${key} OR visitor_id = ${key} ${byId}
    ORDER BY (login_id = ${key}) DESC NULLS LAST, (visitor_id = ${key}) DESC NULLS LAST
    LIMIT 1
    FOR UPDATE`);
  return row?.id;
}

/** Checks a path's user key: what a login or visitor id may be (1–256 characters). */
export function checkUserKey(key: string): string {
  if (key.length === 0 || key.length > 256) throw fieldError('id', 'must be a login id, visitor id or user id of 1 to 256 characters');
  // PostgreSQL text cannot hold NUL: refused here rather than failing the query.
  if (key.includes('\u0000')) throw fieldError('id', 'must not contain NUL characters');
  return key;
}

/**
 * Erases one user in one transaction and records it in the audit trail
 * (counts and an erasure id, nothing of the user). Idempotent: a key that
 * names nobody (erased before, or never known) changes nothing and answers
 * `{ erased: false }`. A later event or upsert with the same login id creates
 * a new user.
 *
 * @example
 * await eraseUser(db, 'u-42', { keyId: key.id, name: key.name }); // { erased: true, counts: { events: 12, … } }
 */
export async function eraseUser(db: Database, key: string, actor: AuditActor): Promise<ErasureResult> {
  checkUserKey(key);
  return inTransactionWithRetry(db, async function eraseInTransaction(tx): Promise<ErasureResult> {
    await waitForAudienceCopies(tx);
    const userId = await lockUser(tx, key);
    if (!userId) return { erased: false };
    const tombstone = tombstoneId();
    // Delivery rows are reached through the run index (run_id, user_id, …): one probe per run, no scan of the hot table.
    const [deliveries] = await tx.execute<{ deliveries: number; unsent: number; attempts: number }>(sql`
      WITH touched AS (
        UPDATE run_recipients r SET
          user_id = ${tombstone}::uuid,
          address = NULL,
          webhook_id = NULL,
          response_body = NULL,
          next_attempt_at = NULL,
          status = CASE WHEN r.status = 'pending' OR (r.status = 'held_out' AND r.held_out_at IS NULL) THEN 'skipped' ELSE r.status END,
          last_error_class = CASE WHEN r.status = 'pending' OR (r.status = 'held_out' AND r.held_out_at IS NULL) THEN ${ERASED} ELSE r.last_error_class END,
          last_error_message = CASE WHEN r.status = 'pending' OR (r.status = 'held_out' AND r.held_out_at IS NULL) THEN 'the user was erased before delivery' END
        FROM campaign_runs cr
        WHERE r.run_id = cr.id AND r.user_id = ${userId}::uuid
        RETURNING r.run_id, r.seq, r.last_error_class = ${ERASED} AS unsent
      ),
      attempts AS (
        UPDATE delivery_attempts a SET error_message = NULL
        FROM touched t WHERE a.run_id = t.run_id AND a.seq = t.seq AND a.error_message IS NOT NULL
        RETURNING 1
      )
      SELECT (SELECT count(*)::int FROM touched) AS deliveries,
             (SELECT count(*)::int FROM touched WHERE unsent) AS unsent,
             (SELECT count(*)::int FROM attempts) AS attempts`);
    const firings = await tx.execute(sql`
      UPDATE trigger_firings f SET user_id = ${tombstone}::uuid
      FROM campaign_runs cr WHERE f.run_id = cr.id AND f.user_id = ${userId}::uuid`);
    const state = await tx.execute(sql`
      DELETE FROM trigger_state s USING campaigns c WHERE s.campaign_id = c.id AND s.user_id = ${userId}::uuid`);
    // Small: rows live only until the relay hands them to Temporal.
    await tx.execute(sql`DELETE FROM trigger_outbox WHERE user_id = ${userId}::uuid`);
    await tx.execute(sql`DELETE FROM user_cap_sends s USING channels c WHERE s.channel_id = c.id AND s.user_id = ${userId}::uuid`);
    const events = await tx.execute(sql`DELETE FROM events WHERE user_id = ${userId}::uuid`);
    // The profile, its attributes, and its identify links (both ids live on this row); its catalog examples cascade.
    await tx.execute(sql`DELETE FROM users WHERE id = ${userId}::uuid`);
    await tx.execute(sql`UPDATE erasure_clock SET n = n + 1, erased_at = now() WHERE id = 1`);
    const counts: ErasureCounts = {
      events: events.count,
      deliveries: deliveries?.deliveries ?? 0,
      unsent: deliveries?.unsent ?? 0,
      firings: firings.count,
      triggerState: state.count,
    };
    // The erasure's own id (the tombstone): nothing that names the person, and no internal id that other rows still hold.
    await recordAudit(tx, { actor, action: 'erased', targetType: 'user', targetId: tombstone, change: counts });
    return { erased: true, counts };
  });
}
