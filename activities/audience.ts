import { ApplicationFailure, Context } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaignRuns } from '../db/schema.js';
import { analyzeRecipients, insertAudience } from '../runs/recipients.js';

/**
 * Freezes a run's audience: one INSERT … SELECT copies the segment's members
 * into run_recipients, numbered by user id, so batches are stable key ranges
 * while users keep changing. Members lacking the addressed identity are
 * recorded as `skipped`. Idempotent: a retry after success changes nothing.
 */
export function createAudienceActivities(deps: { db: Database }) {
  const { db } = deps;

  async function freezeAudience(input: { runId: string }): Promise<{ total: number; skipped: number }> {
    const heartbeat = setInterval(() => Context.current().heartbeat(), 10_000);
    try {
      let frozenNow = false;
      const counts = await db.transaction(async (tx) => {
        const [run] = await tx.select().from(campaignRuns).where(eq(campaignRuns.id, input.runId)).for('update');
        if (!run) throw ApplicationFailure.nonRetryable(`run ${input.runId} does not exist`, 'RunMissing');
        if (run.frozenAt) return { total: run.total ?? 0, skipped: run.skipped ?? 0 };
        const { segment, identity, holdout } = run.definition;
        const { total, skipped } = await insertAudience(tx, {
          runId: input.runId,
          rule: segment.rule,
          timeZone: segment.timeZone,
          identity,
          at: new Date(),
          holdout: holdout ? { ...holdout, campaignId: run.campaignId } : null,
        });
        await tx.update(campaignRuns).set({ total, skipped, frozenAt: new Date(), updatedAt: new Date() }).where(eq(campaignRuns.id, input.runId));
        frozenNow = true;
        return { total, skipped };
      });
      // Fresh statistics before the first outcome write: without them the planner took a new run
      // for one row and outcome writes degraded to scans of the whole run (writes also carry a seq
      // range, so a stale estimate cannot make them unbounded either).
      if (frozenNow) await analyzeRecipients(db);
      return counts;
    } finally {
      clearInterval(heartbeat);
    }
  }

  return { freezeAudience };
}
