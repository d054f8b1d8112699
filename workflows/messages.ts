import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

import type { RunStatus } from '../contracts/statuses.js';

export type { RunStatus };

/** What the `progress` query answers: counters only, never user data. */
export interface CampaignProgress {
  status: RunStatus;
  total: number | null;
  /** Next audience position to hand to a batch (1-based); beyond `total` when all are handed out. */
  nextSeq: number;
  batchesInFlight: number;
  batchesDone: number;
  continuedAsNew: number;
}

/**
 * Who asked for a pause or resume, as the run's history shows it ("key ops-1"):
 * the API key's name, never the key or anything of a user. Absent from
 * Updates sent before it existed.
 */
export interface ControlRequest {
  requestedBy: string;
}

/** Operator pause: validated (409 on an illegal transition), acknowledged once sends are gated. */
export const pauseUpdate = defineUpdate<CampaignProgress, [ControlRequest]>('pause');
export const resumeUpdate = defineUpdate<CampaignProgress, [ControlRequest]>('resume');

/**
 * How a pause or resume Update is sent so that the run's history says what it
 * was: an Update id naming the action, who asked and the control epoch it
 * makes (`pause-by-key-ops-1-epoch-3`), and who asked as its argument, which
 * the workflow puts in the step's summary. The epoch keeps ids unique, since
 * every control bumps it; the same id sent twice (a double click) is one Update.
 */
export function controlUpdate(verb: 'pause' | 'resume', requestedBy: string, currentEpoch: number): { updateId: string; args: [ControlRequest] } {
  return { updateId: `${verb}-by-${requestedBy.replace(/\s+/g, '-')}-epoch-${currentEpoch + 1}`, args: [{ requestedBy }] };
}
export const progressQuery = defineQuery<CampaignProgress>('progress');

/**
 * Parent → batch children: stop/start scheduling new attempts, with the run's
 * control epoch of that change (absent from parents recorded before epochs).
 */
export const batchPausedSignal = defineSignal<[boolean, number?]>('paused');

/**
 * Relay → event run: a firing is due before the run meant to look again
 * (coalesced by the relay: at most one in flight per run, not one per event).
 * Sending activity → event run: more is due than it can send; `'burst'` when
 * its claim came back full with more due behind it, or a full claim waits, so
 * the run starts activities up to its window at once rather than one a wake.
 */
export const wakeSignal = defineSignal<[('burst' | undefined)?]>('wake');

/** One triggering event as it travels through history: its id and when it happened (epoch ms), nothing else. */
export interface TriggerEvent {
  id: number;
  at: number;
}

/** State a run hands to the next when it continues as new. */
export interface EventTriggerState {
  /** Counted events not yet consumed by a firing, oldest first. */
  counted: TriggerEvent[];
  /** Ids seen lately, so a batch the relay hands over twice (a crash between signal and delete) counts once. */
  seen: number[];
  /** The send waiting for its delay, if any. */
  due: { eventId: number; sendAt: number } | null;
  /** When the last send (not a skip) happened. */
  lastSentAt: number | null;
  sends: number;
  skips: number;
  continuedAsNew: number;
}

/** A per-user event-trigger workflow (the shape before the due-firing queue) answers its state; adoption reads it. */
export const triggerStateQuery = defineQuery<EventTriggerState>('triggerState');
