import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

import type { RunStatus } from '../lib/statuses.js';

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
