import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';

/**
 * A channel's per-user cap (`userCap: {"max":3,"per":"P1D"}`): at most `max`
 * requests to one user within any window of `windowMs`, across every campaign
 * on the channel.
 *
 * Each send reserves room before its request starts. A reservation is keyed by
 * the delivery (its webhook-id, the same for every attempt to that user in that
 * run), so an attempt repeated after a crash finds its own reservation instead
 * of taking a second one. A delivery that does not succeed gives its
 * reservation back, so a failed send does not use up the user's cap; a retry
 * reserves again when it is due.
 */
export interface UserCapLimit {
  channelId: string;
  max: number;
  windowMs: number;
}

export interface CapEntry {
  userId: string;
  /** Identifies the delivery across its attempts: its webhook-id. */
  key: string;
}

function rowsJson(entries: readonly CapEntry[]): string {
  const seen = new Set<string>();
  const rows: { user_id: string; key: string }[] = [];
  // One entry per user: a statement may lock and change a row only once.
  for (const entry of entries) {
    if (seen.has(entry.userId)) continue;
    seen.add(entry.userId);
    rows.push({ user_id: entry.userId, key: entry.key });
  }
  return JSON.stringify(rows);
}

/**
 * Reserves room under the cap for each entry, in one statement, and answers
 * the users that got it (the others are over the cap). Safe under any
 * concurrency: each user's row is taken with `INSERT … ON CONFLICT DO UPDATE`,
 * which locks it and decides on the latest committed version, so two runs
 * reaching the same user at once queue on that row and the second one counts
 * the first one's reservation. Rows are locked in user-id order, so two
 * overlapping batches cannot deadlock. Times are PostgreSQL's clock.
 *
 * @example
 * const granted = await reserveUserCap(db, { channelId, max: 3, windowMs: 86_400_000 }, [{ userId, key: webhookId }]);
 * granted.has(userId); // false when the user already had 3 requests in the last day
 */
export async function reserveUserCap(db: Database, limit: UserCapLimit, entries: readonly CapEntry[]): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const rows = await db.execute<{ user_id: string }>(sql`
    WITH clock AS (SELECT (extract(epoch FROM now()) * 1000)::bigint AS now_ms)
    INSERT INTO user_cap_sends AS c (channel_id, user_id, sends, expires_at)
    SELECT ${limit.channelId}::uuid, v.user_id, jsonb_build_object(v.key, clock.now_ms), now() + ${limit.windowMs} * interval '1 millisecond'
    FROM json_to_recordset(${rowsJson(entries)}::json) AS v(user_id uuid, key text), clock
    ORDER BY v.user_id
    ON CONFLICT (channel_id, user_id) DO UPDATE SET
      -- Entries that left the window are dropped; this delivery's entry is added or refreshed.
      sends = coalesce(
        (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(c.sends) e
         WHERE e.value::bigint > (extract(epoch FROM now()) * 1000)::bigint - ${limit.windowMs}),
        '{}'::jsonb) || EXCLUDED.sends,
      expires_at = greatest(c.expires_at, EXCLUDED.expires_at)
    WHERE c.sends ?| array(SELECT jsonb_object_keys(EXCLUDED.sends))
       OR (SELECT count(*) FROM jsonb_each(c.sends) e
           WHERE e.value::bigint > (extract(epoch FROM now()) * 1000)::bigint - ${limit.windowMs}) < ${limit.max}
    RETURNING c.user_id`);
  return new Set(rows.map((row) => row.user_id));
}

/**
 * The users among `userIds` whose cap is already reached, without reserving
 * anything: what a held-out user (never sent, so using none of the cap)
 * would have met.
 *
 * @example
 * await usersAtCap(db, { channelId, max: 3, windowMs: 86_400_000 }, [userId]); // Set { userId } when 3 requests went out in the last day
 */
export async function usersAtCap(db: Database, limit: UserCapLimit, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db.execute<{ user_id: string }>(sql`
    SELECT c.user_id FROM user_cap_sends c
    WHERE c.channel_id = ${limit.channelId}::uuid AND c.user_id = ANY(${`{${userIds.join(',')}}`}::uuid[])
      AND (SELECT count(*) FROM jsonb_each(c.sends) e
           WHERE e.value::bigint > (extract(epoch FROM now()) * 1000)::bigint - ${limit.windowMs}) >= ${limit.max}`);
  return new Set(rows.map((row) => row.user_id));
}

/**
 * Gives reservations back (deliveries that did not succeed), in one
 * statement. Giving back one that is not held changes nothing.
 *
 * @example
 * await releaseUserCap(db, channelId, [{ userId, key: webhookId }]);
 */
export async function releaseUserCap(db: Database, channelId: string, entries: readonly CapEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.execute(sql`
    UPDATE user_cap_sends c SET sends = c.sends - v.key
    FROM json_to_recordset(${rowsJson(entries)}::json) AS v(user_id uuid, key text)
    WHERE c.channel_id = ${channelId}::uuid AND c.user_id = v.user_id AND c.sends ? v.key`);
}

/** Deletes rows whose every entry has left its window; answers how many. */
export async function pruneUserCaps(db: Database, limit = 10_000): Promise<number> {
  const rows = await db.execute(sql`
    DELETE FROM user_cap_sends WHERE ctid = ANY (ARRAY(
      SELECT ctid FROM user_cap_sends WHERE expires_at < now() LIMIT ${limit}))
    -- Checked again on the row as it is when locked: a reservation meanwhile keeps it.
    AND expires_at < now()`);
  return rows.count;
}

/**
 * The reservations one sending activity holds, by audience position: it keeps
 * those whose delivery succeeded and gives back the rest (failed, to be
 * retried, expired, or not sent because of a pause) in one statement when it
 * is done.
 */
export function createCapHolds(db: Database, limit: UserCapLimit) {
  const held = new Map<number, CapEntry>();
  return {
    /** Reserves for every entry at once; answers the positions that got room. */
    async reserve(entries: readonly (CapEntry & { seq: number })[]): Promise<Set<number>> {
      const granted = await reserveUserCap(db, limit, entries);
      const seqs = new Set<number>();
      for (const entry of entries) {
        if (!granted.has(entry.userId)) continue;
        seqs.add(entry.seq);
        held.set(entry.seq, { userId: entry.userId, key: entry.key });
      }
      return seqs;
    },
    /** The delivery at this position succeeded: its reservation stays. */
    keep(seq: number) {
      held.delete(seq);
    },
    /** Gives back every reservation not kept. */
    async releaseRest(): Promise<void> {
      const rest = [...held.values()];
      held.clear();
      await releaseUserCap(db, limit.channelId, rest);
    },
  };
}

export type CapHolds = ReturnType<typeof createCapHolds>;
