import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaignRuns, campaigns, type CampaignStatus } from '../db/schema.js';
import type { RunContextCache, RunControl } from '../delivery/context.js';

/**
 * Bookkeeping activities the campaign workflows call to mirror their state
 * into PostgreSQL, where the API and the sending activities read it.
 */
export function createRunControlActivities(deps: { db: Database; runs: RunContextCache }) {
  const { db, runs } = deps;

  /** Sets the flag sending activities obey; pause and cancel take effect within CONTROL_TTL_MS. */
  async function setRunControl(input: { runId: string; control: RunControl }): Promise<void> {
    await db.update(campaignRuns).set({ control: input.control, updatedAt: new Date() }).where(eq(campaignRuns.id, input.runId));
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

  async function finishRun(input: { campaignId: string; runId: string; status: 'completed' | 'cancelled' | 'failed'; error?: string }): Promise<void> {
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
