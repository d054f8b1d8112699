import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Executor } from '../audience/executor.js';
import type { FrozenDefinition } from '../contracts/campaign.js';
import type { Database } from '../db/client.js';
import { campaignRuns, campaigns, runStatusCounts } from '../db/schema.js';
import { fieldErrors } from '../lib/errors.js';
import type { FieldIssue } from '../contracts/errors.js';
import { transitionCampaign, type CampaignEvent, type TransitionColumns } from '../campaigns/lifecycle.js';
import { openRunStatuses, type RunControl, type RunStatus, type RunTrigger } from '../contracts/statuses.js';

/*
 * The run lifecycle in PostgreSQL: a run is opened (one per one-time launch,
 * schedule firing or event campaign), moves through its statuses, and is
 * finished. The run workflow drives these through activities; the API reads
 * them. The control flag and its epoch are the one source of truth for pause
 * and cancel that sending activities obey.
 */

export type RunRow = typeof campaignRuns.$inferSelect;

export interface NewRun {
  campaignId: string;
  workflowId: string;
  trigger: RunTrigger;
  scheduledAt?: Date | null;
  sendAt: Date;
  expiresAt: Date | null;
  status?: RunStatus;
  reason?: string | null;
  /** Frozen now (a launch); otherwise copied from the campaign's launch-time definition. */
  definition?: FrozenDefinition;
  id?: string;
}

/** Runs that are only a record of a firing: they never become the campaign's current run. */
const RECORD_ONLY: RunStatus[] = ['skipped', 'missed'];

/**
 * Opens a run. Idempotent on the workflow id: an activity retried after its
 * insert committed gets the same row back, so a firing never opens two runs.
 * A run that will send becomes the campaign's current run (the API's default).
 */
export async function createRun(db: Executor, input: NewRun): Promise<RunRow> {
  const status = input.status ?? 'scheduled';
  const definition = input.definition ? sql`${JSON.stringify(input.definition)}::jsonb` : sql`c.definition`;
  const inserted = await db.execute<{ id: string }>(sql`
    INSERT INTO campaign_runs (id, campaign_id, workflow_id, trigger, scheduled_at, send_at, expires_at, status, reason, definition)
    SELECT ${input.id ?? sql`gen_random_uuid()`}, c.id, ${input.workflowId}, ${input.trigger}, ${input.scheduledAt?.toISOString() ?? null},
           ${input.sendAt.toISOString()}, ${input.expiresAt?.toISOString() ?? null}, ${status}, ${input.reason ?? null}, ${definition}
    FROM campaigns c WHERE c.id = ${input.campaignId} AND ${definition} IS NOT NULL
    ON CONFLICT (workflow_id) DO NOTHING
    RETURNING id`);
  if (inserted.length > 0 && !RECORD_ONLY.includes(status)) {
    await db.update(campaigns).set({ currentRunId: inserted[0]!.id, workflowId: input.workflowId, updatedAt: new Date() }).where(eq(campaigns.id, input.campaignId));
  }
  const [row] = await db.select().from(campaignRuns).where(eq(campaignRuns.workflowId, input.workflowId));
  if (!row) throw new Error(`campaign ${input.campaignId} has no launch-time definition to open a run with`);
  return row;
}

export async function getRun(db: Executor, runId: string): Promise<RunRow | undefined> {
  const [row] = await db.select().from(campaignRuns).where(eq(campaignRuns.id, runId));
  return row;
}

/** The campaign's run that is still open (waiting, sending or paused), newest first. */
export async function activeRun(db: Executor, campaignId: string): Promise<RunRow | undefined> {
  const [row] = await db
    .select()
    .from(campaignRuns)
    .where(and(eq(campaignRuns.campaignId, campaignId), inArray(campaignRuns.status, [...openRunStatuses])))
    .orderBy(desc(campaignRuns.createdAt), desc(campaignRuns.id))
    .limit(1);
  return row;
}

const RUNS_PAGE_MAX = 200;

/** One page of a campaign's runs, newest first; `cursor` is the previous page's `nextCursor`. */
export async function listRuns(db: Database, campaignId: string, query: { cursor?: string; limit?: string }) {
  const issues: FieldIssue[] = [];
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > RUNS_PAGE_MAX) issues.push({ path: 'limit', message: `must be 1 to ${RUNS_PAGE_MAX}` });
  const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
  if (query.cursor !== undefined && !cursor) issues.push({ path: 'cursor', message: 'must be a cursor from a previous page' });
  if (issues.length > 0) throw fieldErrors(issues);
  const after = cursor
    ? or(lt(campaignRuns.createdAt, cursor.createdAt), and(eq(campaignRuns.createdAt, cursor.createdAt), lt(campaignRuns.id, cursor.id)))
    : undefined;
  const rows = await db
    .select()
    .from(campaignRuns)
    .where(and(eq(campaignRuns.campaignId, campaignId), after))
    .orderBy(desc(campaignRuns.createdAt), desc(campaignRuns.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

function encodeCursor(row: RunRow): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } | null {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(createdAt.getTime())) return null;
  return { createdAt, id };
}

/**
 * How a run's status shows on its campaign. A one-time campaign is its run.
 * Campaigns with many runs stay `scheduled` between runs: a run starting makes
 * a waiting campaign `running`, a run ending makes a running one `scheduled`
 * again; pausing, resuming and ending the campaign itself are the operator's.
 */
export function campaignEventsFor(run: Pick<RunRow, 'trigger'>, status: RunStatus): CampaignEvent[] {
  if (run.trigger === 'once') return onceRunEvents[status];
  if (status === 'running') return ['start'];
  if (status === 'completed' || status === 'failed' || status === 'cancelled') return ['runEnded'];
  return [];
}

/** A one-time campaign's status is its run's: the events that get it there (a run resumed with the old workflow code records `running` after `paused`). */
const onceRunEvents: Record<RunStatus, CampaignEvent[]> = {
  scheduled: ['resumeWaiting'],
  running: ['start', 'resume'],
  paused: ['pause'],
  completed: ['complete'],
  cancelled: ['cancel'],
  failed: ['fail'],
  skipped: [],
  missed: [],
};

/** Applies the campaign's side of a run's status; one the campaign's lifecycle refuses (the operator moved on) changes nothing. */
async function mirrorOnCampaign(db: Executor, run: Pick<RunRow, 'trigger' | 'campaignId'>, status: RunStatus, columns: TransitionColumns = {}) {
  const events = campaignEventsFor(run, status);
  if (events.length > 0) await transitionCampaign(db, run.campaignId, events, columns);
}

async function runOf(db: Executor, runId: string) {
  const [row] = await db.select({ trigger: campaignRuns.trigger, campaignId: campaignRuns.campaignId }).from(campaignRuns).where(eq(campaignRuns.id, runId));
  if (!row) throw new Error(`run ${runId} does not exist`);
  return row;
}

/**
 * Sets the flag sending activities obey and, with it, the run's status (and
 * its campaign's), in one transaction; answers the new control epoch, which
 * the workflow passes to its batches with the signal.
 */
/** The campaign events an operator's pause or resume of one of its runs is. */
const controlEvents: Partial<Record<RunStatus, CampaignEvent[]>> = {
  paused: ['pause'],
  running: ['resume', 'start'],
  scheduled: ['resumeWaiting'],
};

export async function setRunControl(db: Database, input: { runId: string; control: RunControl; status?: RunStatus }): Promise<number> {
  const now = new Date();
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(campaignRuns)
      .set({ control: input.control, controlEpoch: sql`${campaignRuns.controlEpoch} + 1`, ...(input.status ? { status: input.status } : {}), updatedAt: now })
      .where(eq(campaignRuns.id, input.runId))
      .returning({ epoch: campaignRuns.controlEpoch, trigger: campaignRuns.trigger, campaignId: campaignRuns.campaignId });
    if (!updated) throw new Error(`run ${input.runId} does not exist`);
    if (input.status) {
      // Resuming is the operator's answer to whatever paused the run, the circuit breaker included.
      const reason = input.control === 'run' ? { pauseReason: null } : {};
      // An operator's pause or resume of a run shows on its campaign, whatever started the run.
      const events = controlEvents[input.status];
      if (events) await transitionCampaign(tx, updated.campaignId, events, reason);
    }
    return updated.epoch;
  });
}

/** Records a run's status while it is open (running); the first `running` also stamps its start. */
export async function recordRunStatus(db: Database, input: { runId: string; status: RunStatus }): Promise<void> {
  const now = new Date();
  await db.transaction(async (tx) => {
    const started = input.status === 'running' ? { startedAt: sql`coalesce(${campaignRuns.startedAt}, now())` } : {};
    await tx.update(campaignRuns).set({ status: input.status, ...started, updatedAt: now }).where(eq(campaignRuns.id, input.runId));
    await mirrorOnCampaign(tx, await runOf(tx, input.runId), input.status);
  });
}

export class RunNotSettledError extends Error {}

/**
 * Records a run's last status. A run may only complete once every user is in a
 * final state: whatever went wrong underneath, `completed` with users still
 * pending would tell the operator a lie, so that fails loudly instead.
 */
export async function finishRun(db: Database, input: { runId: string; status: 'completed' | 'cancelled' | 'failed' | 'skipped' | 'missed'; error?: string }) {
  if (input.status === 'completed') {
    const [pending] = await db
      .select({ n: runStatusCounts.n })
      .from(runStatusCounts)
      .where(and(eq(runStatusCounts.runId, input.runId), eq(runStatusCounts.status, 'pending')));
    if (pending && pending.n > 0) throw new RunNotSettledError(`the run cannot complete: ${pending.n} users are still pending`);
  }
  const now = new Date();
  await db.transaction(async (tx) => {
    await tx
      .update(campaignRuns)
      .set({ status: input.status, finishedAt: now, ...(input.error !== undefined ? { reason: input.error } : {}), updatedAt: now })
      .where(eq(campaignRuns.id, input.runId));
    const run = await runOf(tx, input.runId);
    // A campaign with many runs finishes when the operator or its schedule ends it, not with a run.
    await mirrorOnCampaign(tx, run, input.status, run.trigger === 'once' ? { finishedAt: now, lastError: input.error ?? null } : {});
  });
}

/**
 * Records that a run's sends wait for its quiet hours to end at `until`, so the
 * API can say why nothing is being sent (a later wait moves it forward, an
 * earlier one leaves it).
 */
export async function markQuietUntil(db: Database, runId: string, until: Date): Promise<void> {
  await db
    .update(campaignRuns)
    .set({ quietUntil: sql`greatest(${campaignRuns.quietUntil}, ${until.toISOString()}::timestamptz)` })
    .where(eq(campaignRuns.id, runId));
}
