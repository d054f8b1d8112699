import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaignRuns, campaigns, runStatusCounts, type CampaignStatus } from '../db/schema.js';
import { dropSendLeases } from '../delivery/lease.js';
import type { RunContextCache, RunControl } from '../delivery/context.js';

/**
 * Bookkeeping activities the campaign workflows call to mirror their state
 * into PostgreSQL, where the API and the sending activities read it.
 */
export function createRunControlActivities(deps: { db: Database; runs: RunContextCache }) {
  const { db, runs } = deps;

  /**
   * Sets the flag sending activities obey (pause and cancel take effect within
   * CONTROL_TTL_MS) and, when given, the campaign status the API shows, in one
   * transaction: an operator's pause is acknowledged as soon as this returns.
   */
  async function setRunControl(input: { runId: string; control: RunControl; campaignId?: string; status?: CampaignStatus }): Promise<void> {
    const now = new Date();
    await db.transaction(async (tx) => {
      await tx.update(campaignRuns).set({ control: input.control, updatedAt: now }).where(eq(campaignRuns.id, input.runId));
      if (input.campaignId && input.status) {
        // Resuming is the operator's answer to whatever paused the run, the circuit breaker included.
        const reason = input.control === 'run' ? { pauseReason: null } : {};
        await tx.update(campaigns).set({ status: input.status, ...reason, updatedAt: now }).where(eq(campaigns.id, input.campaignId));
      }
    });
    runs.invalidateControl(input.runId);
  }

  async function recordCampaignStatus(input: { campaignId: string; runId: string; status: CampaignStatus }): Promise<void> {
    const now = new Date();
    await db.update(campaigns).set({ status: input.status, updatedAt: now }).where(eq(campaigns.id, input.campaignId));
    if (input.status === 'running') {
      await db
        .update(campaignRuns)
        .set({ startedAt: now, updatedAt: now })
        .where(and(eq(campaignRuns.id, input.runId), sql`${campaignRuns.startedAt} IS NULL`));
    }
  }

  /**
   * Records a run's last status. A run may only complete once every user is in a
   * final state: whatever went wrong underneath, `completed` with users still
   * pending would tell the operator a lie, so that fails loudly instead.
   */
  async function finishRun(input: { campaignId: string; runId: string; status: 'completed' | 'cancelled' | 'failed'; error?: string }): Promise<void> {
    if (input.status === 'completed') {
      const [pending] = await db
        .select({ n: runStatusCounts.n })
        .from(runStatusCounts)
        .where(and(eq(runStatusCounts.runId, input.runId), eq(runStatusCounts.status, 'pending')));
      if (pending && pending.n > 0) {
        throw ApplicationFailure.nonRetryable(`the run cannot complete: ${pending.n} users are still pending`, 'RunNotSettled');
      }
    }
    await dropSendLeases(db, input.runId);
    const now = new Date();
    await db.transaction(async (tx) => {
      await tx.update(campaignRuns).set({ finishedAt: now, updatedAt: now }).where(eq(campaignRuns.id, input.runId));
      await tx
        .update(campaigns)
        .set({ status: input.status, finishedAt: now, lastError: input.error ?? null, updatedAt: now })
        .where(eq(campaigns.id, input.campaignId));
    });
  }

  /**
   * Ends every still-pending user of a run (or of one batch range) as
   * `cancelled`, or as `failed` when the campaign expired, in one statement.
   */
  async function closeRecipients(input: {
    runId: string;
    fromSeq?: number;
    toSeq?: number;
    status: 'cancelled' | 'failed';
    reason: 'cancelled' | 'expired';
  }): Promise<number> {
    const range = input.fromSeq !== undefined && input.toSeq !== undefined ? sql`AND seq BETWEEN ${input.fromSeq} AND ${input.toSeq}` : sql``;
    const message = input.reason === 'expired' ? 'campaign expired before delivery' : 'campaign cancelled before delivery';
    const rows = await db.execute(sql`
      UPDATE run_recipients
      SET status = ${input.status}, next_attempt_at = NULL, last_error_class = ${input.reason},
          last_error_message = CASE WHEN attempts > 0 THEN coalesce(last_error_message, '') || '; ' || ${message} ELSE ${message} END
      WHERE run_id = ${input.runId} AND status = 'pending' ${range}`);
    return rows.count;
  }

  return { setRunControl, recordCampaignStatus, finishRun, closeRecipients };
}
