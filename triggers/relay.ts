import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { safeErrorDescription } from '../lib/db-errors.js';
import type { Logger } from '../lib/logger.js';
import { CampaignIdKey, TriggerTypeKey } from '../temporal/search-attributes.js';
import { eventTriggerWorkflow, eventTriggerWorkflowId, triggerEventsSignal, type EventTriggerInput, type TriggerEvent } from '../workflows/event-trigger.js';
import { triggerPlan, type EventTrigger } from './event.js';

export interface RelayDeps {
  db: Database;
  temporal: Client;
  taskQueue: string;
  logger?: Logger;
  /** Outbox rows per drained batch (default 5,000: a full ingest batch of 1,000 events that several campaigns listen for). */
  batchSize?: number;
  /** Temporal calls in flight at once (default 64). */
  concurrency?: number;
  /** How often leftovers are looked for, e.g. rows a crashed process committed but never relayed (default 2 s). */
  intervalMs?: number;
  /** Passed to every per-user workflow (tests shorten the history limit and the pause recheck). */
  workflowTuning?: Pick<EventTriggerInput, 'historyLimit' | 'pauseRecheckMs'>;
}

export interface RelayBatch {
  /** Outbox rows drained (handed over or dropped). */
  rows: number;
  /** Distinct (campaign, user) pairs, one Temporal call each. */
  pairs: number;
  /** Rows of campaigns no longer running: dropped without a call. */
  dropped: number;
  /** Pairs whose call failed: their rows stay for the next drain. */
  failed: number;
}

type OutboxRow = {
  id: string;
  event_id: string;
  campaign_id: string;
  run_id: string;
  user_id: string;
  occurred_at: string;
  status: string | null;
  trigger: EventTrigger | null;
};

interface Pair {
  campaignId: string;
  runId: string;
  userId: string;
  trigger: EventTrigger;
  events: TriggerEvent[];
  rowIds: string[];
}

const SIGNAL_DEADLINE_MS = 10_000;

/** Runs `work` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Hands the outbox to Temporal: the one queue hookcast keeps itself, whose only
 * job is to survive the gap between an event's commit and its signal. A batch
 * is one transaction: take up to `batchSize` rows (FOR UPDATE SKIP LOCKED, so
 * relays in several processes share the work), group them per (campaign,
 * user), `signalWithStart` each pair's workflow concurrently, delete the rows
 * of the pairs Temporal took, commit. Four statements (BEGIN, SELECT, DELETE,
 * COMMIT) and one Temporal call per pair, whatever the batch holds. A process
 * that dies mid-batch leaves its rows for the next drain; a pair signalled
 * twice that way counts each event once (the workflow remembers event ids).
 *
 * @example
 * const relay = createRelay({ db, temporal, taskQueue: 'hookcast' });
 * relay.start();   // drains now and every 2 s
 * relay.kick();    // after an ingest committed outbox rows
 */
export function createRelay(deps: RelayDeps) {
  const batchSize = deps.batchSize ?? 5000;
  const concurrency = deps.concurrency ?? 64;
  let draining: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function signal(pair: Pair): Promise<void> {
    const plan = triggerPlan(pair.trigger);
    // A deadline: with Temporal down, the drain gives up (rows kept) instead of holding its transaction for the client's long retries.
    await deps.temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => deps.temporal.workflow.signalWithStart(eventTriggerWorkflow, {
      workflowId: eventTriggerWorkflowId(pair.campaignId, pair.userId),
      taskQueue: deps.taskQueue,
      args: [{ campaignId: pair.campaignId, runId: pair.runId, userId: pair.userId, plan, ...deps.workflowTuning }],
      signal: triggerEventsSignal,
      signalArgs: [pair.events],
      // Why these two policies make a second send impossible: see eventTriggerWorkflow.
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: plan.atMostEveryMs === null ? WorkflowIdReusePolicy.REJECT_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: [
        { key: CampaignIdKey, value: pair.campaignId },
        { key: TriggerTypeKey, value: 'event' },
      ],
    }));
  }

  /** Drains one batch; see RelayBatch. */
  async function drainBatch(): Promise<RelayBatch> {
    return deps.db.transaction(async (tx) => {
      const rows = await tx.execute<OutboxRow>(sql`
        SELECT o.id, o.event_id, o.campaign_id, o.run_id, o.user_id, o.occurred_at, c.status, c.trigger
        FROM trigger_outbox o LEFT JOIN campaigns c ON c.id = o.campaign_id
        ORDER BY o.id LIMIT ${batchSize}
        FOR UPDATE OF o SKIP LOCKED`);
      const pairs = new Map<string, Pair>();
      const done: string[] = [];
      let dropped = 0;
      for (const row of rows) {
        // Paused, cancelled or ended since the event was accepted: not acted on (resuming replays nothing).
        if (row.status !== 'running' || row.trigger?.type !== 'event') {
          done.push(row.id);
          dropped += 1;
          continue;
        }
        const key = `${row.campaign_id}/${row.user_id}`;
        const pair = pairs.get(key) ?? { campaignId: row.campaign_id, runId: row.run_id, userId: row.user_id, trigger: row.trigger, events: [], rowIds: [] };
        pair.events.push({ id: Number(row.event_id), at: new Date(row.occurred_at).getTime() });
        pair.rowIds.push(row.id);
        pairs.set(key, pair);
      }
      let failed = 0;
      await eachLimited([...pairs.values()], concurrency, async (pair) => {
        try {
          await signal(pair);
        } catch (error) {
          // A `once` pair whose workflow already sent and closed: the server refuses the start, as meant.
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
            failed += 1;
            deps.logger?.warn({ err: safeErrorDescription(error), workflowId: eventTriggerWorkflowId(pair.campaignId, pair.userId) }, 'trigger relay: signal failed; kept for the next drain');
            return;
          }
        }
        done.push(...pair.rowIds);
      });
      if (done.length > 0) {
        await tx.execute(sql`DELETE FROM trigger_outbox WHERE id = ANY (${`{${done.join(',')}}`}::bigint[])`);
      }
      return { rows: done.length, pairs: pairs.size, dropped, failed };
    });
  }

  /** Drains until the outbox is empty, or a batch could not hand everything over (the timer tries again). */
  async function drain(): Promise<RelayBatch[]> {
    const batches: RelayBatch[] = [];
    for (;;) {
      const batch = await drainBatch();
      batches.push(batch);
      if (batch.failed > 0 || batch.rows + batch.failed === 0 || batch.rows < batchSize) return batches;
    }
  }

  /** Starts a drain now, or right after the one in progress (whose snapshot may predate the newest rows). */
  function kick(): void {
    if (stopped) return;
    if (draining) {
      again = true;
      return;
    }
    draining = drain()
      .then(
        () => undefined,
        (error: unknown) => {
          deps.logger?.warn({ err: safeErrorDescription(error) }, 'trigger relay: drain failed; retrying on the next tick');
        },
      )
      .finally(() => {
        draining = null;
        if (again) {
          again = false;
          kick();
        }
      });
  }

  return {
    drain,
    kick,
    start(): void {
      timer = setInterval(kick, deps.intervalMs ?? 2000);
      timer.unref();
      kick();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await draining;
    },
  };
}

export type Relay = ReturnType<typeof createRelay>;
