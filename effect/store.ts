import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaignRuns, runEffects, type campaigns } from '../db/schema.js';
import type { RunRow } from '../runs/store.js';
import { CURVE_BUCKETS, runFigures } from './attribution.js';
import { goalWindowMs, lateEventGraceMs } from './goal.js';
import type { FrozenHoldout, Goal } from '../contracts/goal.js';
import { addCounts, emptyCounts, summarizeEffect, type EffectSummary } from './stats.js';

/*
 * A campaign's effect as the API answers it (GET /api/campaigns/:id/effect):
 * one run's, or every run's added up. A run whose figures were stored final
 * (by its workflow, after the goal window and the late-event grace) is read
 * back; any other run is measured now (effect/attribution.ts).
 */

type CampaignRow = typeof campaigns.$inferSelect;

export interface EffectAnswer extends EffectSummary {
  campaignId: string;
  /** The run asked for (`?run=`), or null: every run of the campaign. */
  runId: string | null;
  /** Runs measured (firings that were skipped or missed sent nothing and are not counted). */
  runs: number;
  goal: Goal | null;
  holdout: FrozenHoldout | null;
  /** `final` once every measured run's figures are stored; `provisional` before. */
  status: 'final' | 'provisional';
  /** True while a run still sends or a recipient's window is still open. */
  windowOpen: boolean;
  /**
   * When every recipient's window has closed (ISO): a window after the last
   * run finished (every window started by then); null while a run still
   * sends, or without a goal.
   */
  windowClosesAt: string | null;
  /** When the last of the stored figures were computed, once final. */
  finalizedAt: string | null;
}

interface RunFacts {
  id: string;
  sendAt: Date;
  finishedAt: Date | null;
  holdout: boolean;
}

const NOT_MEASURED = ['skipped', 'missed'] as const;

function factsOf(run: Pick<RunRow, 'id' | 'sendAt' | 'finishedAt' | 'definition'>): RunFacts {
  return { id: run.id, sendAt: run.sendAt, finishedAt: run.finishedAt, holdout: Boolean(run.definition.holdout) };
}

/** When a run's last window has closed: a window after it finished, since every window started by then; null while it sends. */
function closesAt(run: Pick<RunFacts, 'finishedAt'>, withinMs: number): Date | null {
  return run.finishedAt ? new Date(run.finishedAt.getTime() + withinMs) : null;
}

/**
 * The effect of one run (`runId`) or of all the campaign's runs.
 *
 * @example
 * const answer = await campaignEffect(db, campaignRow);
 * answer.difference?.interval; // { low: 0.014, high: 0.028 }
 */
export async function campaignEffect(db: Database, campaign: CampaignRow, runId: string | null, now = new Date()): Promise<EffectAnswer> {
  // One round trip for the runs and their stored figures: once final, that is the whole answer.
  const runs = await db
    .select({
      id: campaignRuns.id,
      sendAt: campaignRuns.sendAt,
      finishedAt: campaignRuns.finishedAt,
      goal: sql<Goal | null>`${campaignRuns.definition} -> 'goal'`,
      holdout: sql<FrozenHoldout | null>`${campaignRuns.definition} -> 'holdout'`,
      kept: { figures: runEffects.figures, windowClosedAt: runEffects.windowClosedAt, computedAt: runEffects.computedAt },
    })
    .from(campaignRuns)
    .leftJoin(runEffects, eq(runEffects.runId, campaignRuns.id))
    .where(runId ? eq(campaignRuns.id, runId) : and(eq(campaignRuns.campaignId, campaign.id), notInArray(campaignRuns.status, [...NOT_MEASURED])));
  const one = runId ? runs[0] : undefined;
  const goal = one ? (one.goal ?? null) : (campaign.definition?.goal ?? campaign.goal ?? null);
  const holdout = one
    ? (one.holdout ?? null)
    : (campaign.definition?.holdout ?? (campaign.holdout ? { ...campaign.holdout, draw: campaign.holdoutDraw } : null));
  const base = { campaignId: campaign.id, runId, runs: runs.length, goal, holdout };
  if (!goal) {
    return { ...base, status: 'provisional', windowOpen: false, windowClosesAt: null, finalizedAt: null, ...summarizeEffect({ sent: emptyCounts(0), control: null, bucketMs: 0 }) };
  }
  const withinMs = goalWindowMs(goal);
  let sent = emptyCounts(CURVE_BUCKETS);
  let control = holdout ? emptyCounts(CURVE_BUCKETS) : null;
  let open = false;
  let last = null as Date | null;
  let finalizedAt = null as Date | null;
  // Runs one after the other: each measurement is one statement that may use both cores.
  for (const run of runs) {
    const facts: RunFacts = { id: run.id, sendAt: run.sendAt, finishedAt: run.finishedAt, holdout: Boolean(run.holdout) };
    // A left join's missing row comes back as an object of nulls.
    const kept = run.kept?.figures ? run.kept : undefined;
    const figures = kept?.figures ?? (await runFigures(db, facts, goal, now));
    sent = addCounts(sent, figures.sent);
    if (figures.control) control = addCounts(control ?? emptyCounts(CURVE_BUCKETS), figures.control);
    const closes = kept ? kept.windowClosedAt : closesAt(facts, withinMs);
    if (kept?.computedAt) finalizedAt = finalizedAt && finalizedAt > kept.computedAt ? finalizedAt : kept.computedAt;
    if (!kept && (closes === null || closes.getTime() > now.getTime())) open = true;
    if (closes && (!last || closes > last)) last = closes;
  }
  const final = runs.length > 0 && runs.every((r) => r.kept?.figures);
  const anyUnfinished = runs.some((r) => !r.finishedAt && !r.kept?.figures);
  return {
    ...base,
    status: final ? 'final' : 'provisional',
    windowOpen: open,
    windowClosesAt: anyUnfinished || !last ? null : last.toISOString(),
    finalizedAt: final && finalizedAt ? finalizedAt.toISOString() : null,
    ...summarizeEffect({ sent, control, bucketMs: withinMs / CURVE_BUCKETS }),
  };
}

export type FinalizeOutcome =
  /** Not yet: the run still sends, or its last window (plus the late-event grace) is still open; ask again then. */
  | { waitUntil: string }
  /** Done: stored now or before (`stored: true`), or nothing to store (no goal: `stored: false`). */
  | { stored: boolean };

/**
 * Stores a finished run's final effect once its last window and the grace
 * for late events have passed; otherwise says when to ask again. Idempotent:
 * the first stored figures stay.
 *
 * @example
 * await finalizeRunEffect(db, runId); // { waitUntil: '2026-03-18T10:00:00.000Z' }, later { stored: true }
 */
export async function finalizeRunEffect(db: Database, runId: string, now = new Date()): Promise<FinalizeOutcome> {
  const [run] = await db.select().from(campaignRuns).where(eq(campaignRuns.id, runId));
  if (!run) throw new Error(`run ${runId} does not exist`);
  const goal = run.definition.goal;
  if (!goal) return { stored: false };
  const [kept] = await db.select({ runId: runEffects.runId }).from(runEffects).where(eq(runEffects.runId, runId));
  if (kept) return { stored: true };
  const withinMs = goalWindowMs(goal);
  const graceMs = lateEventGraceMs(goal);
  // Still sending: no window can close before a window's length from now.
  if (!run.finishedAt) return { waitUntil: new Date(now.getTime() + withinMs + graceMs).toISOString() };
  // Every window started by the finish, so all have closed a window's length after it.
  const due = new Date(run.finishedAt.getTime() + withinMs + graceMs);
  if (due > now) return { waitUntil: due.toISOString() };
  const facts = factsOf(run);
  const figures = await runFigures(db, facts, goal, now);
  await db
    .insert(runEffects)
    .values({ runId, campaignId: run.campaignId, figures, windowClosedAt: closesAt(facts, withinMs), computedAt: now })
    .onConflictDoNothing();
  return { stored: true };
}

/** Holds the run's stored figures (tests and the bench read them back). */
export async function storedEffect(db: Database, runId: string) {
  const [row] = await db.select().from(runEffects).where(eq(runEffects.runId, runId));
  return row;
}
