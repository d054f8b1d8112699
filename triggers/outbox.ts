import { sql } from 'drizzle-orm';
import type { IngestHooks } from '../audience/events.js';
import type { ListenerIndex } from './listeners.js';

/**
 * Ingestion's side of the transactional outbox: every stored event that a live
 * event-triggered campaign listens for (name and property filters, from the
 * in-memory index) gets one outbox row per such campaign, written by one
 * statement in the events' own transaction. Once committed, `onCommitted`
 * (the relay's kick) hands them to Temporal.
 *
 * One hooks object per ingest call.
 *
 * @example
 * await ingestEvents(db, body, new Date(), [], outboxHooks(listeners, () => relay.kick()));
 */
export function outboxHooks(listeners: ListenerIndex, onCommitted?: () => void): IngestHooks {
  let wrote = false;
  return {
    wants: listeners.wants,
    async stored(tx, events) {
      const rows = events.flatMap((event) =>
        listeners.matching(event.name, event.properties).map((listener) => ({
          event_id: event.id,
          campaign_id: listener.campaignId,
          run_id: listener.runId,
          user_id: event.userId,
          occurred_at: event.occurredAt.toISOString(),
        })),
      );
      if (rows.length === 0) return;
      await tx.execute(sql`
        INSERT INTO trigger_outbox (event_id, campaign_id, run_id, user_id, occurred_at)
        SELECT event_id, campaign_id, run_id, user_id, occurred_at
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS o(event_id bigint, campaign_id uuid, run_id uuid, user_id uuid, occurred_at timestamptz)`);
      wrote = true;
    },
    committed() {
      if (wrote) onCommitted?.();
    },
  };
}
