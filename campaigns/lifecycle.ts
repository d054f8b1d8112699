import { and, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../audience/executor.js';
import { campaigns } from '../db/schema.js';
import { ApiError } from '../lib/errors.js';
import type { CampaignStatus } from '../contracts/statuses.js';

/*
 * A campaign's lifecycle, in one place: which events move a campaign from
 * which status to which. Every write of `campaigns.status` goes through
 * `transitionCampaign` below (a guarded UPDATE … WHERE status IN (the allowed
 * from-states)), so no writer can put a campaign where the table does not
 * allow; lifecycle.test.ts walks the table and a grep test keeps the writers
 * here. A new campaign starts as `draft` (the column's default).
 */

export const campaignEvents = [
  /** The operator launches a one-time or recurring campaign: it waits for its send time or first firing. */
  'launch',
  /** The operator launches an event-triggered campaign: it listens (its one run sends) from then on. */
  'launchListening',
  /** A run starts sending (a one-time campaign's run, or one of many runs). */
  'start',
  /** The operator (or the channel's circuit breaker) pauses; repeating it is harmless. */
  'pause',
  /** Resumed with a run sending. */
  'resume',
  /** Resumed before anything sends (before the send time, or a recurring campaign between firings). */
  'resumeWaiting',
  /** One of a campaign's many runs ended: it waits for the next firing or event again. */
  'runEnded',
  /** The campaign's last run finished (a one-time run, a recurring campaign past its end, an event campaign's expiry). */
  'complete',
  /** The campaign's one run failed. */
  'fail',
  /** The operator cancels (or the campaign's one run ended cancelled). */
  'cancel',
] as const;
export type CampaignEvent = (typeof campaignEvents)[number];

export interface CampaignTransition {
  from: CampaignStatus;
  event: CampaignEvent;
  to: CampaignStatus;
}

const live = ['scheduled', 'running', 'paused'] as const satisfies readonly CampaignStatus[];
const each = (from: readonly CampaignStatus[], event: CampaignEvent, to: CampaignStatus): CampaignTransition[] => from.map((f) => ({ from: f, event, to }));

/**
 * The allowed transitions; anything not listed is refused. Each event has one
 * target status. `completed`, `cancelled` and `failed` are final.
 */
export const campaignTransitions: readonly CampaignTransition[] = [
  ...each(['draft'], 'launch', 'scheduled'),
  ...each(['draft'], 'launchListening', 'running'),
  ...each(['scheduled', 'running'], 'start', 'running'),
  ...each(live, 'pause', 'paused'),
  ...each(['paused'], 'resume', 'running'),
  ...each(['paused'], 'resumeWaiting', 'scheduled'),
  ...each(['running'], 'runEnded', 'scheduled'),
  ...each(live, 'complete', 'completed'),
  ...each(live, 'fail', 'failed'),
  ...each(live, 'cancel', 'cancelled'),
];

/** Where `event` takes a campaign that is `from`, or null when the table does not allow it. */
export function nextCampaignStatus(from: CampaignStatus, event: CampaignEvent): CampaignStatus | null {
  return campaignTransitions.find((t) => t.from === from && t.event === event)?.to ?? null;
}

/** The statuses `event` may start from. */
export function statusesAllowing(event: CampaignEvent): CampaignStatus[] {
  return campaignTransitions.filter((t) => t.event === event).map((t) => t.from);
}

/** The one status `event` leads to. */
export function targetOf(event: CampaignEvent): CampaignStatus {
  return campaignTransitions.find((t) => t.event === event)!.to;
}

/** The 409 for an event the table refuses, naming both the status and the event. */
export function invalidTransition(from: CampaignStatus, event: CampaignEvent, detail?: string): ApiError {
  const verb = event === 'launchListening' ? 'launch' : event === 'resumeWaiting' ? 'resume' : event;
  return new ApiError(
    409,
    'invalid_transition',
    `cannot ${verb} a campaign that is ${from} (from ${from}, event ${event})${detail ? `: ${detail}` : ''}`,
    [{ path: 'status', message: `is ${from}` }],
    { from, event: verb },
  );
}

/** Throws the 409 unless the table allows `event` from `from`; answers the status it leads to. */
export function assertCampaignTransition(from: CampaignStatus, event: CampaignEvent): CampaignStatus {
  const to = nextCampaignStatus(from, event);
  if (to === null) throw invalidTransition(from, event);
  return to;
}

/** Columns a transition may write along with the status (never the status itself). */
export type TransitionColumns = Partial<Pick<typeof campaigns.$inferInsert, 'definition' | 'launchedAt' | 'finishedAt' | 'lastError' | 'pauseReason'>>;

export type TransitionResult =
  | { applied: true; to: CampaignStatus }
  /** Refused: `from` is the status the campaign had (null: no such campaign). Nothing was written. */
  | { applied: false; from: CampaignStatus | null };

/**
 * Moves a campaign by one of `events` (all leading to the same status; the
 * one allowed from the current status applies), writing `columns` with it in
 * the same guarded UPDATE. A refused transition writes nothing and answers
 * the status the campaign had, so callers decide whether that is a 409 (an
 * operator's action: `applyCampaignEvent`) or nothing to do (a run mirroring
 * its status after the operator moved on).
 */
export async function transitionCampaign(
  db: Executor,
  campaignId: string,
  events: CampaignEvent | readonly CampaignEvent[],
  columns: TransitionColumns = {},
): Promise<TransitionResult> {
  const list: readonly CampaignEvent[] = typeof events === 'string' ? [events] : events;
  const to = targetOf(list[0]!);
  if (list.some((e) => targetOf(e) !== to)) throw new Error(`events ${list.join(', ')} lead to different statuses`);
  const from = [...new Set(list.flatMap(statusesAllowing))];
  const now = new Date();
  const [updated] = await db
    .update(campaigns)
    .set({ ...columns, status: to, updatedAt: now })
    .where(and(eq(campaigns.id, campaignId), inArray(campaigns.status, from)))
    .returning({ id: campaigns.id });
  if (updated) return { applied: true, to };
  const [current] = await db.select({ status: campaigns.status }).from(campaigns).where(eq(campaigns.id, campaignId));
  return { applied: false, from: current?.status ?? null };
}

/** An operator's action: applies `event` or throws the 409 naming the status the campaign is in. */
export async function applyCampaignEvent(db: Executor, campaignId: string, event: CampaignEvent, columns: TransitionColumns = {}): Promise<CampaignStatus> {
  const result = await transitionCampaign(db, campaignId, event, columns);
  if (result.applied) return result.to;
  if (result.from === null) throw new ApiError(404, 'not_found', 'campaign not found');
  throw invalidTransition(result.from, event);
}

