import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/activity';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaignRuns } from '../db/schema.js';
import { segmentMembersQuery } from '../segments/membership.js';

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
        const { segment, identity } = run.definition;
        const members = segmentMembersQuery(segment.rule, { timeZone: segment.timeZone, at: new Date() });
        const address = identity === 'login' ? sql`u.login_id` : sql`u.visitor_id`;
        const missing = identity === 'login' ? 'no_login_id' : 'no_visitor_id';
        const [counts] = await tx.execute<{ total: number; skipped: number }>(sql`
          WITH inserted AS (
            INSERT INTO run_recipients (run_id, seq, user_id, address, status, last_error_class, last_error_message)
            SELECT ${input.runId}, row_number() OVER (ORDER BY u.id), u.id, ${address},
                   CASE WHEN ${address} IS NULL THEN 'skipped' ELSE 'pending' END,
                   CASE WHEN ${address} IS NULL THEN ${missing} END,
                   CASE WHEN ${address} IS NULL THEN ${`member has no ${identity} id; the campaign addresses ${identity} ids`} END
            FROM (${members}) m JOIN users u ON u.id = m.user_id
            RETURNING status
          )
          SELECT count(*)::int AS total, (count(*) FILTER (WHERE status = 'skipped'))::int AS skipped FROM inserted`);
        const total = counts?.total ?? 0;
        const skipped = counts?.skipped ?? 0;
        await tx.update(campaignRuns).set({ total, skipped, frozenAt: new Date(), updatedAt: new Date() }).where(eq(campaignRuns.id, input.runId));
        frozenNow = true;
        return { total, skipped };
      });
      // Fresh statistics before the first outcome write: without them the planner took a new run
      // for one row and outcome writes degraded to scans of the whole run (writes also carry a seq
      // range, so a stale estimate cannot make them unbounded either).
      if (frozenNow) await db.execute(sql`ANALYZE run_recipients`);
      return counts;
    } finally {
      clearInterval(heartbeat);
    }
  }

  return { freezeAudience };
}
