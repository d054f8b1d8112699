import { ApplicationFailure, Context } from '@temporalio/activity';
import { sql } from 'drizzle-orm';
import { eventTriggerPairPrefix } from '../contracts/workflow-ids.js';
import type { Database } from '../db/client.js';
import type { RunContextCache } from '../delivery/context.js';
import { closePending } from '../runs/recipients.js';
import { finishRun } from '../runs/store.js';
import { transitionCampaign, type CampaignEvent } from '../campaigns/lifecycle.js';
import { memberPredicate } from '../segments/compile.js';
import { countEvents, EMPTY_STATE, type CountedEvent } from '../triggers/counting.js';
import { dropQueue } from '../triggers/due.js';
import { triggerPlan } from '../triggers/event.js';
import type { EventTrigger } from '../contracts/trigger.js';
import { lockTriggerCampaigns } from '../triggers/locks.js';
import { triggerStateQuery, type EventTriggerState } from '../workflows/messages.js';
import type { RetryOutcome } from '../workflows/inputs.js';

export type RecordedTrigger =
  | { status: 'pending'; seq: number }
  | { status: 'exists'; seq: number }
  | { status: 'skipped'; seq: number }
  | { status: 'closed' };

/** One send of an event-triggered campaign, named by ids: the event that caused it and the run's key for it. */
export interface TriggeredSend {
  campaignId: string;
  runId: string;
  userId: string;
  eventId: number;
  deliveryKey: string;
}

/** What `deliverTriggered` did: recorded and sent (with the send's outcome), or why it sent nothing. */
export type TriggeredDelivery = Exclude<RecordedTrigger, { status: 'pending' }> | { status: 'pending'; seq: number; outcome: RetryOutcome };

/**
 * Activities of event-triggered campaigns: the end of an event run, and the
 * take-over of per-user workflows of the shape before the due-firing queue.
 * `recordTriggeredDelivery` and `deliverTriggered` are what those per-user
 * workflows call; they stay while such workflows may still run (their
 * histories replay against them).
 */
export function createEventTriggerActivities(deps: {
  db: Database;
  runs: RunContextCache;
  /** The delivery activity's send of one recorded user (activities/delivery.ts). */
  deliverOne: (input: { runId: string; seq: number }) => Promise<RetryOutcome>;
}) {
  const { db } = deps;

  /**
   * Records one triggered send in the campaign's event run, once its delay is
   * over: the segment is checked now, as a condition (a user outside it is
   * recorded `skipped` with the reason, which does not use up a `once`), the
   * address is read now, and the row takes the next audience position of the
   * run. The row's delivery key is unique per (run, user): an earlier record of
   * the same key (this activity retried, or an execution of the pair's
   * workflow started anew after Temporal's retention) is answered as it is,
   * never recorded twice.
   */
  async function recordTriggeredDelivery(input: TriggeredSend): Promise<RecordedTrigger> {
    // The definition is frozen with the run: the cached copy (the same one sends use) is as good as a read.
    const ctx = await deps.runs.context(input.runId).catch((error: unknown) => {
      if (error instanceof ApplicationFailure && error.type === 'RunMissing') return null;
      throw error;
    });
    if (!ctx || ctx.campaignId !== input.campaignId) return { status: 'closed' };
    const { segment, identity } = ctx.definition;
    // No transaction: the reads decide nothing the unique key does not enforce, and the write is one
    // statement, so the run's counters (its position, its status counts) are locked for one round trip,
    // not for a transaction's: every send of an event run passes through them. The segment is checked
    // in the same statement as the rest: one round trip, not two.
    const [run] = await db.execute<{
      control: string;
      earlier: { seq: number; status: string; trigger_event_id: number | null } | null;
      user_exists: boolean;
      member: boolean;
      login_id: string | null;
      visitor_id: string | null;
    }>(sql`
      SELECT r.control,
             (SELECT json_build_object('seq', x.seq, 'status', x.status, 'trigger_event_id', x.trigger_event_id) FROM run_recipients x
              WHERE x.run_id = r.id AND x.user_id = ${input.userId} AND x.delivery_key = ${input.deliveryKey}) AS earlier,
             u.id IS NOT NULL AS user_exists,
             coalesce(u.id IS NOT NULL AND ${memberPredicate(segment.rule, { at: new Date(), timeZone: segment.timeZone })}, false) AS member,
             u.login_id, u.visitor_id
      FROM campaign_runs r LEFT JOIN users u ON u.id = ${input.userId}
      WHERE r.id = ${input.runId}`);
    if (!run || run.control === 'cancel') return { status: 'closed' };
    if (run.earlier) {
      const ours = Number(run.earlier.trigger_event_id) === input.eventId && run.earlier.status === 'pending';
      return { status: ours ? 'pending' : 'exists', seq: run.earlier.seq };
    }
    const address = identity === 'login' ? run.login_id : run.visitor_id;
    let skip: { errorClass: string; message: string } | null = null;
    if (!run.user_exists) skip = { errorClass: 'user_deleted', message: 'the user no longer exists' };
    else if (!run.member) {
      skip = { errorClass: 'not_in_segment', message: `not in segment "${segment.name}" at send time` };
    } else if (address === null) {
      skip = { errorClass: identity === 'login' ? 'no_login_id' : 'no_visitor_id', message: `user has no ${identity} id; the campaign addresses ${identity} ids` };
    }
    // A skip is keyed by its event: it does not take the key of the send it stands for.
    const key = skip ? `skip:${input.eventId}` : input.deliveryKey;
    const [inserted] = await db.execute<{ seq: number }>(sql`
      WITH position AS (UPDATE campaign_runs SET last_seq = last_seq + 1 WHERE id = ${input.runId} RETURNING last_seq)
      INSERT INTO run_recipients (run_id, seq, user_id, address, status, delivery_key, trigger_event_id, last_error_class, last_error_message)
      SELECT ${input.runId}, position.last_seq, ${input.userId}, ${address}, ${skip ? 'skipped' : 'pending'}, ${key}, ${input.eventId},
             ${skip?.errorClass ?? null}, ${skip?.message ?? null}
      FROM position
      ON CONFLICT (run_id, user_id, delivery_key) DO NOTHING
      RETURNING seq`);
    if (!inserted) {
      // Recorded meanwhile by a racing attempt (its position is left unused): answer what it recorded.
      const [row] = await db.execute<{ seq: number; status: string }>(sql`
        SELECT seq, status FROM run_recipients WHERE run_id = ${input.runId} AND user_id = ${input.userId} AND delivery_key = ${key}`);
      return { status: row!.status === 'skipped' ? 'skipped' : 'exists', seq: row!.seq };
    }
    return { status: skip ? 'skipped' : 'pending', seq: inserted.seq };
  }

  /**
   * Records one triggered send and makes its first attempt, in one activity:
   * one trip through the task queue and one workflow activation per send
   * instead of two (the per-user path's cost is mostly per activation).
   * Retried by Temporal like `deliverOne`: a retry finds its own record
   * (`pending`, same event) and sends again under the same webhook-id; a
   * record that is no longer pending (an earlier attempt's send finished, its
   * answer lost) is answered `exists` and nothing is resent.
   */
  async function deliverTriggered(input: TriggeredSend): Promise<TriggeredDelivery> {
    const recorded = await recordTriggeredDelivery(input);
    if (recorded.status !== 'pending') return recorded;
    return { ...recorded, outcome: await deps.deliverOne({ runId: input.runId, seq: recorded.seq }) };
  }

  /**
   * Cancels every running per-user workflow of a campaign, found through the
   * `CampaignId` search attribute. Visibility lags a little behind new starts,
   * so it lists again until a listing comes back empty; a workflow that still
   * slipped through finds the run's flag at `cancel` when its send falls due,
   * and ends without sending.
   */
  async function cancelTriggerWorkflows(input: { campaignId: string }): Promise<number> {
    const activity = Context.current();
    const query = `CampaignId = "${input.campaignId}" AND WorkflowType = "eventTriggerWorkflow" AND ExecutionStatus = "Running"`;
    let cancelled = 0;
    for (let round = 0; round < 20; round += 1) {
      const ids: string[] = [];
      for await (const execution of activity.client.workflow.list({ query })) ids.push(execution.workflowId);
      if (ids.length === 0 && round > 0) return cancelled;
      let next = 0;
      const lane = async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          // Closed meanwhile: nothing to cancel.
          await activity.client.workflow.getHandle(id).cancel().catch(() => {});
          cancelled += 1;
          activity.heartbeat(cancelled);
        }
      };
      await Promise.all(Array.from({ length: Math.min(32, ids.length) }, lane));
      await activity.sleep(1000);
    }
    return cancelled;
  }

  /**
   * Ends the event run and its campaign together: an event campaign has one
   * run, so its end (cancel, or the expiry) is the campaign's.
   */
  const endEvents: Record<'cancelled' | 'completed' | 'failed', CampaignEvent> = { cancelled: 'cancel', completed: 'complete', failed: 'fail' };

  async function endEventCampaign(input: { campaignId: string; runId: string; status: 'cancelled' | 'completed' | 'failed' }): Promise<void> {
    await finishRun(db, { runId: input.runId, status: input.status });
    // Once: a retry after the campaign ended finds it final and changes nothing.
    await transitionCampaign(db, input.campaignId, endEvents[input.status], { finishedAt: new Date() });
  }

  /**
   * Ends an event run's queue: the firings still waiting and the campaign's
   * counting state go, and every pending user is closed (`cancelled`, or
   * `failed` when the campaign expired), except one whose retry is sending
   * right now, which closes itself.
   */
  async function closeEventRun(input: { campaignId: string; runId: string; status: 'cancelled' | 'failed'; reason: 'cancelled' | 'expired' }): Promise<number> {
    await dropQueue(db, input);
    return closePending(db, { runId: input.runId, status: input.status, reason: input.reason, exceptLeased: true });
  }

  /**
   * Takes over the per-user workflows (`eventTriggerWorkflow`) an event run of
   * the shape before the due-firing queue left open: each one's counted
   * events and last send join the pair's counting state (counted as if they
   * arrived now, so a count they complete fires), then it is cancelled. One
   * whose send is due or under way is left to finish it (its delivery key
   * keeps the queue from sending it again, and its send time counts for the
   * frequency cap). Found through the `CampaignId` search attribute, listed
   * again until no new one shows up.
   */
  async function adoptTriggerWorkflows(input: { campaignId: string; runId: string }): Promise<{ adopted: number; leftToFinish: number }> {
    const activity = Context.current();
    const [campaign] = await db.execute<{ trigger: EventTrigger }>(sql`SELECT trigger FROM campaigns WHERE id = ${input.campaignId}`);
    const query = `CampaignId = "${input.campaignId}" AND WorkflowType = "eventTriggerWorkflow" AND ExecutionStatus = "Running"`;
    const seen = new Set<string>();
    let adopted = 0;
    let leftToFinish = 0;
    if (campaign?.trigger.type === 'event') {
      const plan = triggerPlan(campaign.trigger);
      for (let round = 0; round < 20; round += 1) {
        const ids: string[] = [];
        for await (const execution of activity.client.workflow.list({ query })) if (!seen.has(execution.workflowId)) ids.push(execution.workflowId);
        if (ids.length === 0) break;
        for (let i = 0; i < ids.length; i += 200) {
          const chunk = ids.slice(i, i + 200);
          const states = await Promise.all(
            chunk.map(async (id) => {
              seen.add(id);
              const state = await activity.client.workflow.getHandle(id).query(triggerStateQuery).catch(() => null);
              return state ? { id, userId: id.slice(eventTriggerPairPrefix(input.campaignId).length), state } : null;
            }),
          );
          const taken = states.filter((s): s is { id: string; userId: string; state: EventTriggerState } => s !== null);
          await mergeAdopted(input, plan, taken);
          for (const { id, state } of taken) {
            if (state.due !== null) leftToFinish += 1;
            else {
              await activity.client.workflow.getHandle(id).cancel().catch(() => {});
              adopted += 1;
            }
          }
          activity.heartbeat(adopted + leftToFinish);
        }
      }
    }
    // Taken up: the relay no longer needs to wake this run to move it onto the queue.
    await db.execute(sql`UPDATE campaign_runs SET wake_at = 'infinity' WHERE id = ${input.runId} AND wake_at = '-infinity'`);
    return { adopted, leftToFinish };
  }

  /** Writes adopted per-user states into the pairs' counting state, under the campaign's lock, as the relay would count them. */
  async function mergeAdopted(input: { campaignId: string; runId: string }, plan: ReturnType<typeof triggerPlan>, taken: { userId: string; state: EventTriggerState }[]) {
    if (taken.length === 0) return;
    await db.transaction(async (tx) => {
      await lockTriggerCampaigns(tx, [input.campaignId]);
      const users = `{${taken.map((t) => t.userId).join(',')}}`;
      const known = await tx.execute<{ user_id: string; counted: CountedEvent[] | null; last_sent_at: string | null; firing_waits: boolean; sent_once: boolean }>(sql`
        SELECT u.user_id, s.counted, s.last_sent_at,
               EXISTS (SELECT 1 FROM trigger_firings f WHERE f.run_id = ${input.runId} AND f.user_id = u.user_id) AS firing_waits,
               EXISTS (SELECT 1 FROM run_recipients x WHERE x.run_id = ${input.runId} AND x.user_id = u.user_id AND x.delivery_key = 'once') AS sent_once
        FROM unnest(${users}::uuid[]) AS u(user_id)
        LEFT JOIN trigger_state s ON s.campaign_id = ${input.campaignId} AND s.user_id = u.user_id`);
      const byUser = new Map(known.map((k) => [k.user_id, k]));
      const now = Date.now();
      const keep: { u: string; s: CountedEvent[]; l: string | null; e: string }[] = [];
      const firings: { u: string; e: number; d: string }[] = [];
      for (const { userId, state } of taken) {
        const fact = byUser.get(userId);
        const lastSent = Math.max(fact?.last_sent_at ? Date.parse(fact.last_sent_at) : -Infinity, state.lastSentAt ?? -Infinity, state.due?.sendAt ?? -Infinity);
        const before = { counted: fact?.counted ?? EMPTY_STATE.counted, lastSentAt: Number.isFinite(lastSent) ? lastSent : null };
        const events = state.counted.map((e): CountedEvent => [e.id, e.at]);
        // A pair whose old workflow still owes its send counts as one with a send waiting.
        const result = countEvents(plan, before, events, now, { firingWaits: (fact?.firing_waits ?? false) || state.due !== null, sentOnce: fact?.sent_once ?? false });
        if (result.firing) firings.push({ u: userId, e: result.firing.eventId, d: new Date(result.firing.dueAt).toISOString() });
        if (result.keepUntil !== null) {
          keep.push({ u: userId, s: result.state.counted, l: before.lastSentAt === null ? null : new Date(before.lastSentAt).toISOString(), e: new Date(result.keepUntil).toISOString() });
        }
      }
      await tx.execute(sql`
        WITH kept AS (
          INSERT INTO trigger_state (campaign_id, user_id, counted, last_sent_at, expires_at)
          SELECT ${input.campaignId}, k.u, k.s, k.l, k.e FROM jsonb_to_recordset(${JSON.stringify(keep)}::jsonb) AS k(u uuid, s jsonb, l timestamptz, e timestamptz)
          ON CONFLICT (campaign_id, user_id) DO UPDATE
            SET counted = excluded.counted, last_sent_at = excluded.last_sent_at, expires_at = greatest(trigger_state.expires_at, excluded.expires_at)
        )
        INSERT INTO trigger_firings (run_id, user_id, event_id, due_at)
        SELECT ${input.runId}, f.u, f.e, f.d FROM jsonb_to_recordset(${JSON.stringify(firings)}::jsonb) AS f(u uuid, e bigint, d timestamptz)
        ON CONFLICT DO NOTHING`);
    });
  }

  return { recordTriggeredDelivery, deliverTriggered, cancelTriggerWorkflows, endEventCampaign, closeEventRun, adoptTriggerWorkflows };
}
