import { sql, type SQL } from 'drizzle-orm';
import type { FrozenDefinition } from '../contracts/campaign.js';
import { holdOffErasures } from '../audience/erasure-lock.js';
import type { Database } from '../db/client.js';
import { heldOutSql } from '../effect/holdout.js';
import { memberPredicate } from '../segments/compile.js';
import { isoDurationMs } from '../contracts/iso-duration.js';
import type { EventTrigger } from '../contracts/trigger.js';
import { lockTriggerCampaigns } from './locks.js';

/*
 * The event run's side of the due-firing queue: a claim moves due firings
 * into the run's audience (run_recipients) as one range of positions, which
 * the batch path then sends like a frozen audience's batch. Every statement on
 * trigger_firings and trigger_claims outside the relay is here.
 */

export interface Claim {
  /** The positions taken, or null when nothing was due. */
  fromSeq: number | null;
  toSeq: number | null;
  /** Firings taken by this claim (sends and skips); a repeated claim answers its range's size. */
  claimed: number;
  /** The earliest firing still waiting (ISO), or null. */
  nextDueAt: string | null;
  /** Whether that firing may be taken already (due within the claim's `aheadMs`), by the database's clock (the one due times are kept in). */
  moreDue: boolean;
  /** The run's last audience position after this claim. */
  position: number;
}

export interface ClaimInput {
  campaignId: string;
  runId: string;
  /** The claim's number in its run: a repeated number answers the range it took the first time. */
  claimNo: number;
  /** Firings taken at most. */
  limit: number;
  /**
   * Firings falling due within this many ms are taken too (within the
   * claim's first half of `limit`), so the claim and its reads are done by
   * the time they fall due; the batch path holds each send until its
   * firing's due time (its first attempt's time). 0 by default.
   */
  aheadMs?: number;
  /** The lowest claim number the run may still repeat: records of older claims are deleted. */
  oldestOpen: number;
  definition: Pick<FrozenDefinition, 'segment' | 'identity' | 'holdout'>;
  /**
   * When nothing is due: false while the sending activity will look again
   * soon (the run stays awake, so the relay sends no wake signal); otherwise
   * the run is marked asleep until the next firing.
   */
  sleepWhenEmpty?: boolean;
  /**
   * The run's last audience position when this activity's claims began
   * finding nothing. Another activity's claim since then (the position moved)
   * means the run is still working: it is not marked asleep, since that
   * activity's own last look will.
   */
  quietSince?: number;
}

/**
 * Takes up to `limit` due firings of an event run (and those falling due
 * within `aheadMs`) into its audience as positions last_seq+1.., in due
 * order, under the campaign's lock: each is checked now, at send time (at
 * most `aheadMs` before it), against the segment (a user outside it, or
 * without the addressed identity, or erased, is recorded `skipped` under a
 * key of its own, which does not use up `once`) and keyed `once` or
 * `event:<id>`; a key the run already holds (a `once` send made meanwhile by
 * a per-user workflow of the old shape) takes nothing. A user in the
 * campaign's control group is recorded `held_out` instead of `pending`
 * (effect/holdout.ts: the same hash as at an audience freeze, so the same
 * users are held out every time), under the key a send would take: a held-out
 * user is the control group's, for good, and is capped like a sent one.
 * Under `atMostEvery` the pair's last send (or hold-out) is noted for the cap. When nothing was due, the run's wake
 * time is set to the next firing's due time, under the same lock the relay
 * takes, so a firing committed meanwhile wakes the run. A claim that marks
 * nothing (`sleepWhenEmpty: false`) and finds nothing due answers without
 * taking the lock.
 */
export async function claimDue(db: Database, input: ClaimInput): Promise<Claim> {
  const takeUntil = sql`now() + make_interval(secs => ${(input.aheadMs ?? 0) / 1000})`;
  if (input.sleepWhenEmpty === false) {
    const idle = await nothingDue(db, input, takeUntil);
    if (idle) return idle;
  }
  return db.transaction(async (tx) => {
    // Every statement from the campaign's lock to the commit holds up the run's other sending activities, and
    // each waits for this worker's event loop, busy with a burst's requests: as few as can be (lock, look, claim).
    // The first three go out together: the look's snapshot is still taken once the lock is held (read committed
    // takes one per statement), and the lock is not held while this worker gets round to sending the look.
    const [, , [look]] = await Promise.all([
      holdOffErasures(tx),
      lockTriggerCampaigns(tx, [input.campaignId]),
      tx.execute<{ trigger: EventTrigger | null; from_seq: number | null; to_seq: number | null }>(sql`
        SELECT (SELECT trigger FROM campaigns WHERE id = ${input.campaignId}) AS trigger, c.from_seq, c.to_seq
        FROM (SELECT 1) one LEFT JOIN trigger_claims c ON c.run_id = ${input.runId} AND c.claim_no = ${input.claimNo}`),
    ]);
    if (look?.from_seq != null && look.to_seq != null) {
      const [run] = await tx.execute<{ last_seq: number }>(sql`SELECT last_seq FROM campaign_runs WHERE id = ${input.runId}`);
      return { fromSeq: look.from_seq, toSeq: look.to_seq, claimed: look.to_seq - look.from_seq + 1, ...(await nextDue(tx, input.runId, takeUntil)), position: run?.last_seq ?? look.to_seq };
    }
    const trigger = look?.trigger ?? undefined;
    const capMs = trigger?.type === 'event' && trigger.frequency !== 'once' ? isoDurationMs(trigger.frequency.atMostEvery)! : null;
    const { segment, identity } = input.definition;
    const address = identity === 'login' ? sql`u.login_id` : sql`u.visitor_id`;
    const sendKey = capMs === null ? sql`'once'` : sql`'event:' || d.event_id`;
    const holdout = input.definition.holdout;
    const heldOut = holdout ? heldOutSql({ campaignId: input.campaignId, ...holdout }, sql`d.user_id`) : sql`false`;
    const noAddress = identity === 'login' ? 'no_login_id' : 'no_visitor_id';
    const [taken] = await tx.execute<{ base: number | null; claimed: number; skipped: number; next_at: string | null; next_due: boolean }>(sql`
      WITH due AS (
        -- By row address: joined on user_id, the planner scanned every firing of the run (a burst's 100,000) to
        -- delete a claim's 2,000. The campaign's lock (taken above, also by the relay) keeps the addresses valid.
        -- Firings not due yet only within the claim's first half: at a burst's first due time, claims made ahead
        -- took a full range each, one due time apart, and one activity's requests went out while the others' ranges
        -- waited to fall due (1,700 sent in the first second, a steady pace of 7,000).
        DELETE FROM trigger_firings f
        -- Numbered after the limit: a window over the firings themselves sorted a whole backlog, not its first claim.
        WHERE f.ctid = ANY (ARRAY(
          SELECT ctid FROM (
            SELECT ctid, due_at, row_number() OVER (ORDER BY due_at, user_id) AS n FROM (
              SELECT ctid, due_at, user_id FROM trigger_firings WHERE run_id = ${input.runId} AND due_at <= ${takeUntil}
              ORDER BY due_at, user_id LIMIT ${input.limit}) l) t
          WHERE t.due_at <= now() OR t.n <= ${Math.ceil(input.limit / 2)}))
        RETURNING f.user_id, f.event_id, f.due_at
      ),
      run AS (
        -- A claim that took something wakes the run (the relay then sends it no signal).
        UPDATE campaign_runs SET last_seq = last_seq + (SELECT count(*) FROM due),
                                 wake_at = CASE WHEN EXISTS (SELECT FROM due) THEN NULL ELSE wake_at END
        WHERE id = ${input.runId}
        RETURNING last_seq - (SELECT count(*) FROM due)::int AS base
      ),
      noted AS (
        INSERT INTO trigger_claims (run_id, claim_no, from_seq, to_seq)
        SELECT ${input.runId}, ${input.claimNo}, run.base + 1, run.base + n.claimed
        FROM run, (SELECT count(*)::int AS claimed FROM due) n WHERE n.claimed > 0
      ),
      pruned AS (
        -- Claims older than the oldest the run may still repeat.
        DELETE FROM trigger_claims WHERE run_id = ${input.runId} AND claim_no < ${input.oldestOpen}
      ),
      decided AS (
        SELECT d.user_id, d.event_id, d.due_at, run.base + row_number() OVER (ORDER BY d.due_at, d.user_id) AS seq,
               ${address} AS address,
               -- A tombstone (audience/erase.ts): the user was erased while this send waited.
               CASE WHEN u.id IS NULL AND substr(d.user_id::text, 15, 1) = '8' THEN 'erased'
                    WHEN u.id IS NULL THEN 'user_deleted'
                    WHEN NOT coalesce(${memberPredicate(segment.rule, { at: new Date(), timeZone: segment.timeZone })}, false) THEN 'not_in_segment'
                    WHEN ${address} IS NULL THEN ${noAddress}
               END AS skip
        -- One primary-key lookup per firing: as a plain join the planner hashed the whole users table (50 ms of a
        -- claim's 100 with 200,000 users, more with more), to find 2,000 of them.
        FROM due d CROSS JOIN run LEFT JOIN LATERAL (SELECT * FROM users WHERE users.id = d.user_id LIMIT 1) u ON true
      ),
      inserted AS (
        INSERT INTO run_recipients (run_id, seq, user_id, address, status, delivery_key, trigger_event_id, last_error_class, last_error_message, next_attempt_at)
        SELECT ${input.runId}, seq, user_id, address,
               CASE WHEN skip IS NOT NULL THEN 'skipped' WHEN ${heldOut} THEN 'held_out' ELSE 'pending' END,
               CASE WHEN skip IS NULL THEN ${sendKey} ELSE 'skip:' || d.event_id END,
               event_id, skip,
               CASE skip WHEN 'erased' THEN 'the user was erased before delivery'
                         WHEN 'user_deleted' THEN 'the user no longer exists'
                         WHEN 'not_in_segment' THEN ${`not in segment "${segment.name}" at send time`}
                         WHEN ${noAddress} THEN ${`user has no ${identity} id; the campaign addresses ${identity} ids`} END,
               -- Its first attempt is due when the firing was: how far behind the run is reads it (queueFigures).
               CASE WHEN skip IS NULL AND NOT ${heldOut} THEN due_at END
        FROM decided d
        ON CONFLICT (run_id, user_id, delivery_key) DO NOTHING
        RETURNING user_id, status
      ),
      capped AS (
        INSERT INTO trigger_state (campaign_id, user_id, last_sent_at, expires_at)
        SELECT ${input.campaignId}, user_id, now(), now() + make_interval(secs => ${(capMs ?? 0) / 1000})
        FROM inserted WHERE status IN ('pending', 'held_out') AND ${capMs !== null}
        ON CONFLICT (campaign_id, user_id) DO UPDATE
          SET last_sent_at = excluded.last_sent_at, expires_at = greatest(trigger_state.expires_at, excluded.expires_at)
      )
      SELECT (SELECT base FROM run) AS base, (SELECT count(*) FROM due)::int AS claimed,
             (SELECT count(*) FROM inserted WHERE status = 'skipped')::int AS skipped,
             nx.due_at AS next_at, coalesce(nx.due_at <= ${takeUntil}, false) AS next_due
      -- The statement sees the firings as they were before it: the one after those it takes, in the same order
      -- (made total by user_id, unique in a run), is the next to fall due.
      FROM (SELECT 1) one LEFT JOIN LATERAL (
        SELECT due_at FROM trigger_firings WHERE run_id = ${input.runId} ORDER BY due_at, user_id OFFSET (SELECT count(*) FROM due) LIMIT 1
      ) nx ON true`);
    // No run row: nothing could be numbered (nor the claim recorded), so nothing must look claimed.
    if (!taken || taken.base === null) throw new Error(`claim ${input.claimNo}: run ${input.runId} not found`);
    const claimed = taken.claimed;
    const next = taken.next_at ? new Date(taken.next_at).toISOString() : null;
    const moreDue = taken.next_due === true;
    const position = taken.base + claimed;
    if (claimed === 0) {
      // Asleep until the next firing (or until woken): the relay compares new firings with this.
      const othersClaimed = input.quietSince !== undefined && position !== input.quietSince;
      if (input.sleepWhenEmpty !== false && !othersClaimed) {
        await tx.execute(sql`UPDATE campaign_runs SET wake_at = ${next ?? 'infinity'}::timestamptz WHERE id = ${input.runId}`);
      }
      return { fromSeq: null, toSeq: null, claimed: 0, nextDueAt: next, moreDue, position };
    }
    return { fromSeq: taken.base + 1, toSeq: taken.base + claimed, claimed, nextDueAt: next, moreDue, position };
  });
}

/**
 * The run's backlog: how long its oldest due firing has waited to be claimed
 * (ms; 0 when none is due), and how many are due, counted up to `atMost`;
 * with `aheadMs`, also those falling due within that time from now.
 */
export async function backlogOf(db: Pick<Database, 'execute'>, runId: string, atMost: number, aheadMs = 0): Promise<{ waitedMs: number; due: number }> {
  const [row] = await db.execute<{ ms: number | null; due: number }>(sql`
    SELECT (extract(epoch FROM now() - min(due_at)) * 1000)::float8 AS ms, count(*)::int AS due
    FROM (SELECT due_at FROM trigger_firings WHERE run_id = ${runId} AND due_at <= now() + make_interval(secs => ${aheadMs / 1000}) ORDER BY due_at LIMIT ${atMost}) d`);
  return { waitedMs: Math.max(0, row?.ms ?? 0), due: row?.due ?? 0 };
}

/**
 * The empty answer of a claim that would find nothing due and mark nothing,
 * read without the campaign's lock; null when it must take the lock (a firing
 * is due, or the claim number is recorded and must answer its range). A
 * sending activity looks this way every pace while it lingers, and at a
 * burst's first due time several look at once: queued behind each other's
 * claims on the lock, three empty looks held the fourth activity's first
 * claim for 400 ms.
 */
async function nothingDue(db: Pick<Database, 'execute'>, input: Pick<ClaimInput, 'runId' | 'claimNo'>, takeUntil: SQL): Promise<Claim | null> {
  const [row] = await db.execute<{ recorded: boolean; next_at: string | null; next_due: boolean | null; position: number | null }>(sql`
    SELECT EXISTS (SELECT FROM trigger_claims WHERE run_id = ${input.runId} AND claim_no = ${input.claimNo}) AS recorded,
           nx.due_at AS next_at, nx.due_at <= ${takeUntil} AS next_due,
           (SELECT last_seq FROM campaign_runs WHERE id = ${input.runId}) AS position
    FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT due_at FROM trigger_firings WHERE run_id = ${input.runId} ORDER BY due_at LIMIT 1) nx ON true`);
  if (!row || row.recorded || row.next_due === true || row.position === null) return null;
  return { fromSeq: null, toSeq: null, claimed: 0, nextDueAt: row.next_at ? new Date(row.next_at).toISOString() : null, moreDue: false, position: row.position };
}

async function nextDue(tx: Pick<Database, 'execute'>, runId: string, takeUntil: SQL): Promise<{ nextDueAt: string | null; moreDue: boolean }> {
  const [row] = await tx.execute<{ at: string | null; due: boolean | null }>(sql`
    SELECT min(due_at) AS at, min(due_at) <= ${takeUntil} AS due FROM trigger_firings WHERE run_id = ${runId}`);
  return { nextDueAt: row?.at ? new Date(row.at).toISOString() : null, moreDue: row?.due === true };
}

/**
 * Ends an event run's queue: drops the firings still waiting and the
 * campaign's counting state and claim records, under the campaign's lock (a
 * relay that took rows before sees the run's flag at `cancel` and drops them).
 */
export async function dropQueue(db: Database, input: { campaignId: string; runId: string }): Promise<{ firings: number }> {
  return db.transaction(async (tx) => {
    await lockTriggerCampaigns(tx, [input.campaignId]);
    const firings = await tx.execute(sql`DELETE FROM trigger_firings WHERE run_id = ${input.runId}`);
    await tx.execute(sql`DELETE FROM trigger_state WHERE campaign_id = ${input.campaignId}`);
    await tx.execute(sql`DELETE FROM trigger_claims WHERE run_id = ${input.runId}`);
    await tx.execute(sql`UPDATE campaign_runs SET wake_at = NULL WHERE id = ${input.runId}`);
    return { firings: firings.count };
  });
}

/** An event run's queue as the API shows it. */
export interface QueueFigures {
  /** Events the run counted (relayed while it was running). */
  eventsCounted: number;
  /** Sends decided and not claimed yet: due now, or inside their delay. */
  firingsWaiting: number;
  /** Sends due and not attempted yet: waiting to be claimed (a pause, quiet hours, a backlog) or claimed and waiting their turn. */
  firingsDue: number;
  /** How long the oldest of those has waited (ms): how far behind the run is; 0 when none is. */
  lagMs: number;
}

/**
 * The queue's figures of an event run: index reads on (run, due time), and
 * the positions of the claims not yet pruned (a few claims' ranges at most),
 * whose users still without an attempt are due since their firing was.
 */
export async function queueFigures(db: Database, runId: string): Promise<QueueFigures> {
  const [row] = await db.execute<{ counted: string; waiting: number; due: number; claimed_due: number; oldest: string | null }>(sql`
    WITH claimed AS (
      SELECT x.next_attempt_at AS due_at FROM trigger_claims c
      JOIN run_recipients x ON x.run_id = c.run_id AND x.seq BETWEEN c.from_seq AND c.to_seq
      -- A send claimed ahead of its due time is not due yet.
      WHERE c.run_id = ${runId} AND x.status = 'pending' AND x.attempts = 0 AND x.next_attempt_at <= now()
    ),
    unclaimed AS (SELECT due_at FROM trigger_firings WHERE run_id = ${runId} AND due_at <= now())
    SELECT r.events_counted::text AS counted,
           (SELECT count(*)::int FROM trigger_firings f WHERE f.run_id = r.id) AS waiting,
           (SELECT count(*)::int FROM unclaimed) AS due,
           (SELECT count(*)::int FROM claimed) AS claimed_due,
           least((SELECT min(due_at) FROM unclaimed), (SELECT min(due_at) FROM claimed)) AS oldest
    FROM campaign_runs r WHERE r.id = ${runId}`);
  const oldest = row?.oldest ? Date.parse(row.oldest) : null;
  return {
    eventsCounted: Number(row?.counted ?? 0),
    firingsWaiting: row?.waiting ?? 0,
    firingsDue: (row?.due ?? 0) + (row?.claimed_due ?? 0),
    lagMs: oldest === null ? 0 : Math.max(0, Date.now() - oldest),
  };
}
