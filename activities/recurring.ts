import { Context } from '@temporalio/activity';
import { isGrpcServiceError } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaigns } from '../db/schema.js';
import { triggersFired } from '../lib/metrics.js';
import { isOneOf, openRunStatuses } from '../contracts/statuses.js';
import { firingVerdict, recurringRunExpiry } from '../runs/firing.js';
import { deleteCampaignSchedule, isScheduledFiring } from '../runs/schedule.js';
import { activeRun, createRun, finishRun } from '../runs/store.js';
import { transitionCampaign } from '../campaigns/lifecycle.js';

export type OpenedFiring =
  | { status: 'open'; runId: string; sendAt: string; expiresAt: string | null }
  | { status: 'skipped' | 'missed' | 'ignored'; runId: string | null };

const GRPC_NOT_FOUND = 5;

/**
 * Activities of recurring campaigns: opening the run of one schedule firing,
 * and ending the campaign after its schedule's end.
 */
export function createRecurringActivities(deps: { db: Database }) {
  const { db } = deps;

  /**
   * Opens the run of one firing, or records why it sends nothing.
   *
   * Race-free by a row lock: the campaign row is locked (`FOR UPDATE`) while
   * the previous run is looked up and this firing's run is inserted, so two
   * firings at once (a timed one and a manual trigger) cannot both find
   * nothing running; and an operator's pause or cancel, which updates the
   * same row, is seen either before (this firing is skipped or ignored) or
   * after (the control finds this run and acts on it).
   *
   * Idempotent: the run is keyed by the firing's workflow id, so a retry of
   * this activity gets the same answer.
   */
  async function openFiring(input: { campaignId: string; workflowId: string; scheduledAt: string }): Promise<OpenedFiring> {
    const scheduledAt = new Date(input.scheduledAt);
    const trigger = (await scheduledByTemporal(input.campaignId, scheduledAt)) ? 'schedule' : 'manual';
    const decided = await db.transaction(async (tx) => {
      const [campaign] = await tx.select({ status: campaigns.status }).from(campaigns).where(eq(campaigns.id, input.campaignId)).for('update');
      const existing = await tx.execute<{ id: string; status: string; send_at: Date; expires_at: Date | null }>(
        sql`SELECT id, status, send_at, expires_at FROM campaign_runs WHERE workflow_id = ${input.workflowId}`,
      );
      const mine = existing[0];
      if (mine) return { again: mine };
      const now = new Date();
      const active = await activeRun(tx, input.campaignId);
      const verdict = firingVerdict({
        scheduledAt,
        now,
        trigger,
        campaignStatus: campaign?.status ?? 'deleted',
        ...(active ? { activeRun: { id: active.id, expiresAt: active.expiresAt } } : {}),
      });
      if (verdict.status === 'ignored') return { verdict, run: null };
      const sendAt = scheduledAt;
      const run = await createRun(tx, {
        campaignId: input.campaignId,
        workflowId: input.workflowId,
        trigger,
        scheduledAt,
        sendAt,
        expiresAt: recurringRunExpiry(sendAt),
        ...(verdict.status === 'open' ? {} : { status: verdict.status, reason: verdict.reason }),
      });
      return { verdict, run };
    });

    if ('again' in decided) {
      const run = decided.again!;
      const at = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
      if (isOneOf(openRunStatuses, run.status)) return { status: 'open', runId: run.id, sendAt: at(run.send_at)!, expiresAt: at(run.expires_at) };
      if (run.status === 'skipped' || run.status === 'missed') return { status: run.status, runId: run.id };
      // A second execution under a finished firing's workflow id (a trigger in the same second): it sends nothing.
      return { status: 'ignored', runId: null };
    }
    const { verdict, run } = decided;
    // Counted once per firing: a retry of this activity takes the `again` path above.
    triggersFired.inc({ trigger, result: verdict.status });
    if (verdict.status === 'ignored' || !run) {
      // The campaign has ended (or never launched) but its schedule still fires: a cancel whose
      // delete did not reach Temporal, or a launch rolled back after creating it. Finish the job.
      await deleteCampaignSchedule(Context.current().client, input.campaignId);
      return { status: 'ignored', runId: null };
    }
    if (verdict.status !== 'open') {
      // Stamps its finish time; a record-only run never touches the campaign's status.
      await finishRun(db, { runId: run.id, status: verdict.status, error: verdict.reason });
      return { status: verdict.status, runId: run.id };
    }
    return { status: 'open', runId: run.id, sendAt: run.sendAt.toISOString(), expiresAt: run.expiresAt?.toISOString() ?? null };
  }

  /** Whether Temporal's spec names this time; a schedule already deleted (cancel) makes it a manual one, then ignored. */
  async function scheduledByTemporal(campaignId: string, at: Date): Promise<boolean> {
    try {
      return await isScheduledFiring(Context.current().client, campaignId, at);
    } catch (error) {
      if (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND) return false;
      throw error;
    }
  }

  /**
   * Ends a recurring campaign whose schedule has passed its `endAt` and whose
   * last run has finished: `completed`, and its schedule deleted. Called when
   * each run ends and once at `endAt`; whichever comes last does it.
   */
  async function settleRecurringCampaign(input: { campaignId: string }): Promise<'completed' | 'live'> {
    const ended = await db.transaction(async (tx) => {
      const [campaign] = await tx.select({ status: campaigns.status, trigger: campaigns.trigger }).from(campaigns).where(eq(campaigns.id, input.campaignId)).for('update');
      if (!campaign || campaign.trigger.type !== 'recurring' || campaign.status !== 'scheduled') return false;
      const endAt = campaign.trigger.endAt ? Date.parse(campaign.trigger.endAt) : null;
      if (endAt === null || endAt > Date.now()) return false;
      if (await activeRun(tx, input.campaignId)) return false;
      await transitionCampaign(tx, input.campaignId, 'complete', { finishedAt: new Date() });
      return true;
    });
    if (!ended) return 'live';
    await deleteCampaignSchedule(Context.current().client, input.campaignId);
    return 'completed';
  }

  return { openFiring, settleRecurringCampaign };
}
