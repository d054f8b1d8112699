import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaigns } from '../db/schema.js';
import type { RunContextCache } from '../delivery/context.js';
import { finishRun } from '../runs/store.js';
import { memberPredicate } from '../segments/compile.js';
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
 * Activities of event-triggered campaigns. A send is recorded and first tried
 * by `deliverTriggered`, which sends through `deliverOne`: the same signed,
 * rate-limited, retried path as a batch's retries.
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
  async function endEventCampaign(input: { campaignId: string; runId: string; status: 'cancelled' | 'completed' }): Promise<void> {
    await finishRun(db, { runId: input.runId, status: input.status });
    const now = new Date();
    await db
      .update(campaigns)
      .set({ status: input.status, finishedAt: now, updatedAt: now })
      .where(and(eq(campaigns.id, input.campaignId), sql`${campaigns.status} NOT IN ('completed', 'cancelled', 'failed')`));
  }

  return { recordTriggeredDelivery, deliverTriggered, cancelTriggerWorkflows, endEventCampaign };
}
