import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import { safeErrorDescription } from '../lib/db-errors.js';
import { matchesFilters } from './event.js';
import type { EventTrigger } from '../contracts/trigger.js';

/** A live event-triggered campaign as ingestion sees it. */
export interface Listener {
  campaignId: string;
  /** The run that collects the campaign's deliveries. */
  runId: string;
  trigger: EventTrigger;
}

/** The channel migration 0008's trigger on `campaigns` notifies on any change to an event-triggered campaign. */
export const EVENT_CAMPAIGNS_CHANNEL = 'hookcast_event_campaigns';

/**
 * An in-memory index of the running event-triggered campaigns by event name,
 * so ingesting a batch asks no question of PostgreSQL about campaigns. It is
 * reloaded (one query, coalesced) when this process changes a campaign
 * (`refresh`), when any process does (PostgreSQL NOTIFY from a trigger on
 * `campaigns`, re-subscribed after a reconnect), and every `refreshMs` in case
 * a notification was missed. Paused campaigns are not in it: events they would
 * have caught are stored and never acted on.
 *
 * @example
 * const listeners = createListenerIndex(db);
 * await listeners.start();
 * listeners.matching('add_to_cart', { sku: 'A1' }); // [{ campaignId, runId, trigger }]
 */
export function createListenerIndex(db: Database, options: { refreshMs?: number; logger?: Logger } = {}) {
  let byName = new Map<string, Listener[]>();
  let queued: Promise<void> | null = null;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let stopped = false;

  async function load(): Promise<void> {
    try {
      const rows = await db.execute<{ id: string; run_id: string; trigger: EventTrigger }>(sql`
        SELECT id, current_run_id AS run_id, trigger FROM campaigns
        WHERE status = 'running' AND trigger->>'type' = 'event' AND current_run_id IS NOT NULL`);
      const next = new Map<string, Listener[]>();
      for (const row of rows) {
        const list = next.get(row.trigger.event) ?? [];
        list.push({ campaignId: row.id, runId: row.run_id, trigger: row.trigger });
        next.set(row.trigger.event, list);
      }
      byName = next;
    } catch (error) {
      // The index stays as it was; the next notification or tick tries again.
      options.logger?.warn({ err: safeErrorDescription(error) }, 'event campaign index not refreshed');
    }
  }

  /** Reloads the index; calls made while a load is waiting share it, so a burst of changes costs two loads at most. */
  function refresh(): Promise<void> {
    if (queued) return queued;
    const next = running.then(() => {
      queued = null;
      return load();
    });
    queued = next;
    running = next;
    return next;
  }

  return {
    refresh,
    /** Whether any live campaign listens for this event name. */
    wants: (name: string) => byName.has(name),
    /** The live campaigns an event of this name with these properties triggers. */
    matching(name: string, properties: Record<string, unknown>): Listener[] {
      return (byName.get(name) ?? []).filter((listener) => matchesFilters(listener.trigger.where, properties));
    },
    /**
     * Loads the index and subscribes to changes. PostgreSQL being down does not
     * stop the process: the subscription is retried with each periodic refresh.
     */
    async start(): Promise<void> {
      const subscribe = async () => {
        if (unlisten || stopped) return;
        try {
          // postgres.js listens on a connection of its own and subscribes again (calling onlisten) after a reconnect.
          const subscription = await db.$client.listen(EVENT_CAMPAIGNS_CHANNEL, () => void refresh(), () => void refresh());
          unlisten = subscription.unlisten;
        } catch (error) {
          options.logger?.warn({ err: safeErrorDescription(error) }, 'event campaign index: cannot subscribe to changes yet');
        }
      };
      timer = setInterval(() => {
        void subscribe();
        void refresh();
      }, options.refreshMs ?? 30_000);
      timer.unref();
      await subscribe();
      await refresh();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await unlisten?.().catch(() => {});
      await running;
    },
  };
}

export type ListenerIndex = ReturnType<typeof createListenerIndex>;
