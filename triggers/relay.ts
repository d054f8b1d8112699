import { holdOffErasures } from '../audience/erasure-lock.js';
import type { Client } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { safeErrorDescription } from '../lib/db-errors.js';
import type { Logger } from '../lib/logger.js';
import { wakeSignal } from '../workflows/messages.js';
import { countEvents, EMPTY_STATE, type CountedEvent } from './counting.js';
import { triggerPlan } from './event.js';
import type { EventTrigger } from '../contracts/trigger.js';
import { lockTriggerCampaigns } from './locks.js';

export interface RelayDeps {
  db: Database;
  temporal: Client;
  logger?: Logger;
  /** Outbox rows per drained batch (default 5,000: a full ingest batch of 1,000 events that several campaigns listen for). */
  batchSize?: number;
  /** How often leftovers are looked for: rows a crashed process committed but never relayed, runs whose wake was lost (default 2 s). */
  intervalMs?: number;
  /** How often expired counting state is deleted, in bounded batches (default 30 s). */
  sweepMs?: number;
}

export interface RelayBatch {
  /** Outbox rows drained (counted or dropped). */
  rows: number;
  /** Distinct (campaign, user) pairs counted. */
  pairs: number;
  /** Rows of campaigns not running (paused, ended): dropped, not counted. */
  dropped: number;
  /** Firings made: sends now due, or due after the trigger's delay. */
  firings: number;
  /** Run workflows woken because a new firing is due before they meant to look. */
  woken: number;
}

type OutboxRow = { id: string; event_id: string; campaign_id: string; run_id: string; user_id: string; occurred_at: string };

type CampaignRow = { campaign_id: string; run_id: string; workflow_id: string; trigger: EventTrigger; live: boolean };

type PairRow = { campaign_id: string; user_id: string; counted: CountedEvent[] | null; last_sent_at: string | null; firing_waits: boolean; sent_once: boolean };

type WakeRow = { workflow_id: string; run_id: string };

const SIGNAL_DEADLINE_MS = 10_000;
/** Expired counting state deleted per statement: short enough to never hold up a relay or a claim. */
const SWEEP_ROWS = 5_000;

/**
 * Counts the outbox in PostgreSQL: the one queue hookcast keeps itself, whose
 * job is to survive the gap between an event's commit and its counting. A
 * batch is one short transaction with no call to Temporal inside: take up to
 * `batchSize` outbox rows (FOR UPDATE SKIP LOCKED, so relays in several
 * processes share the work), lock their campaigns (so counting, claims and
 * the run's end never interleave for one campaign), read each (campaign,
 * user) pair's counting state and whether a send waits or was made, apply the
 * counting rule (triggers/counting.ts), then write the new state, the
 * firings and the run's counter and delete the rows in one statement. After
 * the commit, a run workflow that sleeps past a new firing's due time gets a
 * wake signal, at most one in flight per run. An event is counted exactly
 * once: its outbox row goes in the same transaction as its effect.
 *
 * @example
 * const relay = createRelay({ db, temporal });
 * relay.start();   // drains now and every 2 s
 * relay.kick();    // after an ingest committed outbox rows
 */
export function createRelay(deps: RelayDeps) {
  const batchSize = deps.batchSize ?? 5000;
  let draining: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  let stopped = false;
  /** Wake signals in flight per run, and runs that need one more once it lands (a claim may have run before the newest firing). */
  const signalling = new Map<string, Promise<void>>();
  const resignal = new Set<string>();

  /**
   * Wakes a run's workflow; coalesced: while one signal is in flight, later
   * requests make one more after it (the first may have been taken before the
   * newest firing committed), never more. A lost signal (Temporal down, this
   * process dying) is made good by the periodic look for due firings.
   */
  function wake(run: WakeRow): void {
    if (signalling.has(run.run_id)) {
      resignal.add(run.run_id);
      return;
    }
    const sent = deps.temporal.connection
      .withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => deps.temporal.workflow.getHandle(run.workflow_id).signal(wakeSignal))
      .catch((error: unknown) => {
        deps.logger?.warn({ err: safeErrorDescription(error), workflowId: run.workflow_id }, 'trigger relay: wake signal failed; the periodic check tries again');
      })
      .finally(() => {
        signalling.delete(run.run_id);
        if (resignal.delete(run.run_id) && !stopped) wake(run);
      });
    signalling.set(run.run_id, sent);
  }

  /** Drains one batch; see RelayBatch. */
  async function drainBatch(): Promise<RelayBatch> {
    const { batch, wakes } = await deps.db.transaction(async (tx) => {
      // Firings carry user ids into the run's audience: an erasure waits for them (audience/erasure-lock.ts).
      await holdOffErasures(tx);
      const rows = await tx.execute<OutboxRow>(sql`
        SELECT id, event_id, campaign_id, run_id, user_id, occurred_at FROM trigger_outbox
        ORDER BY id LIMIT ${batchSize}
        FOR UPDATE SKIP LOCKED`);
      if (rows.length === 0) return { batch: { rows: 0, pairs: 0, dropped: 0, firings: 0, woken: 0 }, wakes: [] };
      const campaignIds = [...new Set(rows.map((r) => r.campaign_id))];
      await lockTriggerCampaigns(tx, campaignIds);
      // Read under the lock: a run being ended or paused is seen as such, and its rows are dropped.
      const campaigns = await tx.execute<CampaignRow>(sql`
        SELECT c.id AS campaign_id, r.id AS run_id, r.workflow_id, c.trigger,
               (c.status = 'running' AND c.trigger->>'type' = 'event' AND r.control = 'run' AND r.finished_at IS NULL) AS live
        FROM campaigns c JOIN campaign_runs r ON r.campaign_id = c.id
        WHERE c.id = ANY (${`{${campaignIds.join(',')}}`}::uuid[]) AND r.trigger = 'event'`);
      const byRun = new Map(campaigns.filter((c) => c.live).map((c) => [c.run_id, c]));

      // Each pair's events, in arrival (outbox) order.
      const pairs = new Map<string, { campaign: CampaignRow; userId: string; events: CountedEvent[] }>();
      let dropped = 0;
      for (const row of rows) {
        const campaign = byRun.get(row.run_id);
        if (!campaign) {
          dropped += 1;
          continue;
        }
        const key = `${row.run_id}/${row.user_id}`;
        const pair = pairs.get(key) ?? { campaign, userId: row.user_id, events: [] };
        pair.events.push([Number(row.event_id), new Date(row.occurred_at).getTime()]);
        pairs.set(key, pair);
      }

      const facts = new Map<string, PairRow>();
      if (pairs.size > 0) {
        const asked = [...pairs.values()].map((p) => ({
          campaign_id: p.campaign.campaign_id,
          run_id: p.campaign.run_id,
          user_id: p.userId,
          once: p.campaign.trigger.frequency === 'once',
        }));
        // One snapshot of everything the rule needs; the campaign locks keep it true until the commit.
        const known = await tx.execute<PairRow>(sql`
          SELECT p.campaign_id, p.user_id, s.counted, s.last_sent_at,
                 EXISTS (SELECT 1 FROM trigger_firings f WHERE f.run_id = p.run_id AND f.user_id = p.user_id) AS firing_waits,
                 (p.once AND EXISTS (SELECT 1 FROM run_recipients x WHERE x.run_id = p.run_id AND x.user_id = p.user_id AND x.delivery_key = 'once')) AS sent_once
          FROM jsonb_to_recordset(${JSON.stringify(asked)}::jsonb) AS p(campaign_id uuid, run_id uuid, user_id uuid, once boolean)
          LEFT JOIN trigger_state s ON s.campaign_id = p.campaign_id AND s.user_id = p.user_id`);
        for (const row of known) facts.set(`${row.campaign_id}/${row.user_id}`, row);
      }

      const now = Date.now();
      const keep: { c: string; u: string; s: CountedEvent[]; e: string }[] = [];
      const forget: { c: string; u: string }[] = [];
      const firings: { r: string; u: string; e: number; d: string }[] = [];
      const counted = new Map<string, number>();
      for (const pair of pairs.values()) {
        const { campaign_id: campaignId, run_id: runId } = pair.campaign;
        const fact = facts.get(`${campaignId}/${pair.userId}`);
        const before = fact?.counted ? { counted: fact.counted, lastSentAt: fact.last_sent_at ? new Date(fact.last_sent_at).getTime() : null } : EMPTY_STATE;
        const result = countEvents(triggerPlan(pair.campaign.trigger), before, pair.events, now, { firingWaits: fact?.firing_waits ?? false, sentOnce: fact?.sent_once ?? false });
        counted.set(runId, (counted.get(runId) ?? 0) + pair.events.length);
        if (result.firing) firings.push({ r: runId, u: pair.userId, e: result.firing.eventId, d: new Date(result.firing.dueAt).toISOString() });
        if (result.keepUntil !== null) keep.push({ c: campaignId, u: pair.userId, s: result.state.counted, e: new Date(result.keepUntil).toISOString() });
        else if (fact?.counted) forget.push({ c: campaignId, u: pair.userId });
      }
      const runs = [...counted].map(([r, n]) => ({ r, n }));
      // Every write of the batch in one statement: state kept or forgotten, firings, the runs' counters, the rows.
      const wakes = await tx.execute<WakeRow>(sql`
        WITH kept AS (
          INSERT INTO trigger_state (campaign_id, user_id, counted, expires_at)
          SELECT k.c, k.u, k.s, k.e FROM jsonb_to_recordset(${JSON.stringify(keep)}::jsonb) AS k(c uuid, u uuid, s jsonb, e timestamptz)
          ON CONFLICT (campaign_id, user_id) DO UPDATE SET counted = excluded.counted, expires_at = excluded.expires_at
        ),
        forgotten AS (
          DELETE FROM trigger_state s USING jsonb_to_recordset(${JSON.stringify(forget)}::jsonb) AS f(c uuid, u uuid)
          WHERE s.campaign_id = f.c AND s.user_id = f.u
        ),
        fired AS (
          INSERT INTO trigger_firings (run_id, user_id, event_id, due_at)
          SELECT f.r, f.u, f.e, f.d FROM jsonb_to_recordset(${JSON.stringify(firings)}::jsonb) AS f(r uuid, u uuid, e bigint, d timestamptz)
          ON CONFLICT DO NOTHING
          RETURNING run_id, due_at
        ),
        relayed AS (
          DELETE FROM trigger_outbox WHERE id = ANY (${`{${rows.map((r) => r.id).join(',')}}`}::bigint[])
        ),
        tallied AS (
          UPDATE campaign_runs r SET events_counted = r.events_counted + t.n
          FROM jsonb_to_recordset(${JSON.stringify(runs)}::jsonb) AS t(r uuid, n int)
          WHERE r.id = t.r
          RETURNING r.id, r.workflow_id, r.wake_at
        )
        -- A run sleeping past a new firing's due time (or not yet on the queue: '-infinity') needs waking.
        SELECT t.workflow_id, t.id AS run_id FROM tallied t
        WHERE t.wake_at = '-infinity' OR t.wake_at > (SELECT min(f.due_at) FROM fired f WHERE f.run_id = t.id)`);
      return { batch: { rows: rows.length, pairs: pairs.size, dropped, firings: firings.length, woken: wakes.length }, wakes: [...wakes] };
    });
    for (const run of wakes) wake(run);
    return batch;
  }

  /**
   * Wakes runs whose wake went missing: a due firing earlier than the run's
   * planned wake (the signal was lost to a crash or an outage), or a run from
   * before the due-firing queue that has not taken it up yet.
   */
  async function wakeOverdue(): Promise<number> {
    const runs = await deps.db.execute<WakeRow>(sql`
      SELECT r.workflow_id, r.id AS run_id FROM campaign_runs r
      WHERE r.trigger = 'event' AND r.finished_at IS NULL AND r.wake_at IS NOT NULL
        AND (r.wake_at = '-infinity'
             OR (r.control = 'run' AND EXISTS (
                   SELECT 1 FROM trigger_firings f WHERE f.run_id = r.id AND f.due_at <= now() AND f.due_at < r.wake_at)))`);
    for (const run of runs) wake(run);
    return runs.length;
  }

  /** Deletes counting state nobody needs any more (windows and cap periods over), a bounded batch at a time. */
  async function sweepExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await deps.db.execute(sql`
        DELETE FROM trigger_state WHERE ctid = ANY (ARRAY(
          SELECT ctid FROM trigger_state WHERE expires_at < now() LIMIT ${SWEEP_ROWS}))`);
      total += deleted.count;
      if (deleted.count < SWEEP_ROWS || stopped) return total;
    }
  }

  /** Drains until the outbox is empty (or holds only rows another relay has locked). */
  async function drain(): Promise<RelayBatch[]> {
    const batches: RelayBatch[] = [];
    for (;;) {
      const batch = await drainBatch();
      batches.push(batch);
      if (batch.rows < batchSize) return batches;
    }
  }

  /** Starts a drain now, or right after the one in progress (whose snapshot may predate the newest rows). */
  function kick(): void {
    if (stopped) return;
    if (draining) {
      again = true;
      return;
    }
    draining = drain()
      .then(
        () => undefined,
        (error: unknown) => {
          deps.logger?.warn({ err: safeErrorDescription(error) }, 'trigger relay: drain failed; retrying on the next tick');
        },
      )
      .finally(() => {
        draining = null;
        if (again) {
          again = false;
          kick();
        }
      });
  }

  function tick(): void {
    kick();
    wakeOverdue().catch((error: unknown) => deps.logger?.warn({ err: safeErrorDescription(error) }, 'trigger relay: overdue check failed'));
  }

  return {
    drain,
    kick,
    wakeOverdue,
    sweepExpired,
    start(): void {
      timer = setInterval(tick, deps.intervalMs ?? 2000);
      timer.unref();
      sweeper = setInterval(() => {
        sweepExpired().catch((error: unknown) => deps.logger?.warn({ err: safeErrorDescription(error) }, 'trigger relay: state sweep failed'));
      }, deps.sweepMs ?? 30_000);
      sweeper.unref();
      tick();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      clearInterval(sweeper);
      await draining;
      await Promise.all(signalling.values());
    },
  };
}

export type Relay = ReturnType<typeof createRelay>;
