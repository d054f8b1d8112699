import { sql } from 'drizzle-orm';
import type { Executor } from '../audience/executor.js';

/**
 * Takes the transaction-scoped advisory lock of each event-triggered campaign
 * in `campaignIds`, in one order (sorted), so two holders never wait on each
 * other in a circle. Every writer of a campaign's counting state, firings and
 * claims (the relay, a claim, the adoption of old per-user workflows, the end
 * of the run) holds it: what one reads, no other changes meanwhile.
 */
export async function lockTriggerCampaigns(tx: Executor, campaignIds: readonly string[]): Promise<void> {
  if (campaignIds.length === 0) return;
  const sorted = [...new Set(campaignIds)].sort();
  // The function runs once per row of the sorted subquery, so the locks are taken in its order.
  await tx.execute(sql`
    SELECT pg_advisory_xact_lock(hashtextextended('hookcast-trigger:' || id, 0))
    FROM (SELECT unnest(${`{${sorted.join(',')}}`}::text[]) AS id ORDER BY 1) ids`);
}
