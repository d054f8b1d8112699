import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';

/*
 * Retention's statements (docs/privacy.md#retention): each call deletes or
 * clears at most `limit` rows in one short transaction, found by a key range
 * (events by id, delivery rows by run and position), never by a scan under a
 * lock, so ingestion and sending go on beside it. The maintenance workflow
 * (workflows/retention.ts) calls them one after another with the cursor each
 * answers, until `done`.
 */

/** The kinds of record retention applies to, in the order the workflow takes them. */
export const retentionStages = ['responseBodies', 'deliveries', 'events'] as const;
export type RetentionStage = (typeof retentionStages)[number];

/** Where a stage goes on from: an event id, or a run and a position in it. */
export interface RetentionCursor {
  afterId?: number;
  runId?: string;
  afterSeq?: number;
}

export interface RetentionStep {
  stage: RetentionStage;
  /** ISO time: records older than this go. */
  cutoff: string;
  cursor: RetentionCursor;
  limit: number;
}

export interface RetentionStepResult {
  /** Rows deleted (events, delivery rows) or cleared (answers). */
  changed: number;
  cursor: RetentionCursor;
  done: boolean;
}

/**
 * Events in id order from the cursor: `limit` ids are looked at (the primary
 * key, no other index needed) and those received before the cutoff deleted.
 * Ids grow with the time events were received, so once a slice holds an event
 * newer than the cutoff the rest are newer too (the few that committed out of
 * order go the next day).
 */
async function events(db: Database, step: RetentionStep): Promise<RetentionStepResult> {
  const after = step.cursor.afterId ?? 0;
  const [row] = await db.execute<{ changed: number; last_id: string | null; newer: boolean }>(sql`
    WITH slice AS (SELECT id, received_at FROM events WHERE id > ${after} ORDER BY id LIMIT ${step.limit}),
    gone AS (DELETE FROM events e USING slice s WHERE e.id = s.id AND s.received_at < ${step.cutoff}::timestamptz RETURNING 1)
    SELECT (SELECT count(*)::int FROM gone) AS changed, (SELECT max(id)::text FROM slice) AS last_id,
           coalesce((SELECT bool_or(received_at >= ${step.cutoff}::timestamptz) FROM slice), true) AS newer`);
  const lastId = row?.last_id === null || row?.last_id === undefined ? after : Number(row.last_id);
  return { changed: row?.changed ?? 0, cursor: { afterId: lastId }, done: row?.newer ?? true };
}

/** The next run (by id) after `runId` that `which` selects, or null. */
async function nextRun(db: Database, runId: string | undefined, which: ReturnType<typeof sql>): Promise<string | null> {
  const [row] = await db.execute<{ id: string }>(sql`
    SELECT cr.id FROM campaign_runs cr JOIN campaigns c ON c.id = cr.campaign_id
    WHERE ${runId === undefined ? sql`true` : sql`cr.id > ${runId}::uuid`} AND ${which}
    ORDER BY cr.id LIMIT 1`);
  return row?.id ?? null;
}

/** One range of positions of the cursor's run (or the next run `which` selects), handled by `apply`; then on to the next range or run. */
async function byRunRange(
  db: Database,
  step: RetentionStep,
  which: ReturnType<typeof sql>,
  apply: (runId: string, fromSeq: number, toSeq: number) => Promise<number>,
): Promise<RetentionStepResult> {
  const runId = step.cursor.runId ?? (await nextRun(db, undefined, which));
  if (!runId) return { changed: 0, cursor: {}, done: true };
  const fromSeq = (step.cursor.afterSeq ?? 0) + 1;
  const toSeq = fromSeq + step.limit - 1;
  const changed = await apply(runId, fromSeq, toSeq);
  const [more] = await db.execute(sql`SELECT 1 FROM run_recipients WHERE run_id = ${runId} AND seq > ${toSeq} LIMIT 1`);
  if (more) return { changed, cursor: { runId, afterSeq: toSeq }, done: false };
  const next = await nextRun(db, runId, which);
  return next ? { changed, cursor: { runId: next, afterSeq: 0 }, done: false } : { changed, cursor: {}, done: true };
}

/** Endpoint answers of attempts made before the cutoff are cleared, in runs created before it. */
function responseBodies(db: Database, step: RetentionStep): Promise<RetentionStepResult> {
  return byRunRange(db, step, sql`cr.created_at < ${step.cutoff}::timestamptz`, async (runId, fromSeq, toSeq) => {
    const rows = await db.execute(sql`
      UPDATE run_recipients SET response_body = NULL
      WHERE run_id = ${runId} AND seq BETWEEN ${fromSeq} AND ${toSeq} AND response_body IS NOT NULL AND last_attempt_at < ${step.cutoff}::timestamptz`);
    return rows.count;
  });
}

/**
 * A finished run's per-user delivery rows and attempts are deleted once it
 * finished before the cutoff, keeping its counts (run_status_counts: the
 * delete trigger is told to leave them, migration 0015) and its stored effect.
 * A run whose goal window has not been stored yet keeps its rows (attribution
 * reads them), and so does a run still open: an event run's `once` rule is its rows.
 */
function deliveries(db: Database, step: RetentionStep): Promise<RetentionStepResult> {
  const finished = sql`cr.status NOT IN ('scheduled', 'running', 'paused') AND cr.finished_at < ${step.cutoff}::timestamptz
    AND (c.goal IS NULL OR EXISTS (SELECT 1 FROM run_effects e WHERE e.run_id = cr.id))
    AND EXISTS (SELECT 1 FROM run_recipients r WHERE r.run_id = cr.id)`;
  return byRunRange(db, step, finished, async (runId, fromSeq, toSeq) =>
    db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL hookcast.keep_counts = 'on'`);
      await tx.execute(sql`DELETE FROM delivery_attempts WHERE run_id = ${runId} AND seq BETWEEN ${fromSeq} AND ${toSeq}`);
      const rows = await tx.execute(sql`DELETE FROM run_recipients WHERE run_id = ${runId} AND seq BETWEEN ${fromSeq} AND ${toSeq}`);
      return rows.count;
    }),
  );
}

/**
 * One bounded step of one stage.
 *
 * @example
 * await retentionStep(db, { stage: 'events', cutoff: '2025-12-01T00:00:00Z', cursor: {}, limit: 5000 }); // { changed: 5000, cursor: { afterId: 5000 }, done: false }
 */
export function retentionStep(db: Database, step: RetentionStep): Promise<RetentionStepResult> {
  if (step.stage === 'events') return events(db, step);
  if (step.stage === 'deliveries') return deliveries(db, step);
  return responseBodies(db, step);
}
