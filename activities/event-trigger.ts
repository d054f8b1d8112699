import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
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

  return { recordTriggeredDelivery };
}
