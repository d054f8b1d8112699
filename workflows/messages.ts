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

/** Operator pause: validated (409 on an illegal transition), acknowledged once sends are gated. */
export const pauseUpdate = defineUpdate<CampaignProgress>('pause');
export const resumeUpdate = defineUpdate<CampaignProgress>('resume');
export const progressQuery = defineQuery<CampaignProgress>('progress');

/**
 * Parent → batch children: stop/start scheduling new attempts, with the run's
 * control epoch of that change (absent from parents recorded before epochs).
 */
export const batchPausedSignal = defineSignal<[boolean, number?]>('paused');

/**
 * Relay → event run: a firing is due before the run meant to look again
 * (coalesced by the relay: at most one in flight per run, not one per event).
 */
export const wakeSignal = defineSignal('wake');

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
