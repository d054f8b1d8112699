import { Context } from '@temporalio/activity';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaigns } from '../db/schema.js';
import { finishRun } from '../runs/store.js';
import type { FrozenDefinition } from '../campaigns/definition.js';
import { isSegmentMember } from '../segments/membership.js';

export type RecordedTrigger =
  | { status: 'pending'; seq: number }
  | { status: 'exists'; seq: number }
  | { status: 'skipped'; seq: number }
  | { status: 'closed' };

/**
 * Activities of event-triggered campaigns. Sending itself is `deliverOne`,
 * the same signed, rate-limited, retried path as a batch's retries.
 */
export function createEventTriggerActivities(deps: { db: Database }) {
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
  async function recordTriggeredDelivery(input: {
    campaignId: string;
    runId: string;
    userId: string;
    eventId: number;
    deliveryKey: string;
  }): Promise<RecordedTrigger> {
    return db.transaction(async (tx) => {
      const [run] = await tx.execute<{ control: string; definition: FrozenDefinition }>(sql`
        SELECT control, definition FROM campaign_runs WHERE id = ${input.runId} AND campaign_id = ${input.campaignId}`);
      if (!run || run.control === 'cancel') return { status: 'closed' as const };
      const [earlier] = await tx.execute<{ seq: number; status: string; trigger_event_id: string | null }>(sql`
        SELECT seq, status, trigger_event_id FROM run_recipients
        WHERE run_id = ${input.runId} AND user_id = ${input.userId} AND delivery_key = ${input.deliveryKey}`);
      if (earlier) {
        const ours = Number(earlier.trigger_event_id) === input.eventId && earlier.status === 'pending';
        return { status: ours ? ('pending' as const) : ('exists' as const), seq: earlier.seq };
      }
      const { segment, identity } = run.definition;
      const [user] = await tx.execute<{ login_id: string | null; visitor_id: string | null }>(sql`
        SELECT login_id, visitor_id FROM users WHERE id = ${input.userId}`);
      const address = user ? (identity === 'login' ? user.login_id : user.visitor_id) : null;
      let skip: { errorClass: string; message: string } | null = null;
      if (!user) skip = { errorClass: 'user_deleted', message: 'the user no longer exists' };
      else if (!(await isSegmentMember(tx, { rule: segment.rule, timeZone: segment.timeZone, userId: input.userId, at: new Date() }))) {
        skip = { errorClass: 'not_in_segment', message: `not in segment "${segment.name}" at send time` };
      } else if (address === null) {
        skip = { errorClass: identity === 'login' ? 'no_login_id' : 'no_visitor_id', message: `user has no ${identity} id; the campaign addresses ${identity} ids` };
      }
      const [position] = await tx.execute<{ last_seq: number }>(sql`
        UPDATE campaign_runs SET last_seq = last_seq + 1 WHERE id = ${input.runId} RETURNING last_seq`);
      const seq = position!.last_seq;
      // A skip is keyed by its event: it does not take the key of the send it stands for.
      const key = skip ? `skip:${input.eventId}` : input.deliveryKey;
      const inserted = await tx.execute(sql`
        INSERT INTO run_recipients (run_id, seq, user_id, address, status, delivery_key, trigger_event_id, last_error_class, last_error_message)
        VALUES (${input.runId}, ${seq}, ${input.userId}, ${address}, ${skip ? 'skipped' : 'pending'}, ${key}, ${input.eventId},
                ${skip?.errorClass ?? null}, ${skip?.message ?? null})
        ON CONFLICT (run_id, user_id, delivery_key) DO NOTHING`);
      if (inserted.count === 0) {
        // Recorded meanwhile by a concurrent attempt: answer what it recorded.
        const [row] = await tx.execute<{ seq: number; status: string }>(sql`
          SELECT seq, status FROM run_recipients WHERE run_id = ${input.runId} AND user_id = ${input.userId} AND delivery_key = ${key}`);
        return { status: row!.status === 'skipped' ? ('skipped' as const) : ('exists' as const), seq: row!.seq };
      }
      return skip ? { status: 'skipped' as const, seq } : { status: 'pending' as const, seq };
    });
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

  return { recordTriggeredDelivery, cancelTriggerWorkflows, endEventCampaign };
}
