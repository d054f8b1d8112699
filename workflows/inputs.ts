/** Ids, times and cursors only: no user data, rendered bodies or secrets travel through history. */
export interface CampaignWorkflowInput {
  campaignId: string;
  runId: string;
  /** ISO time; the workflow sleeps until then with a durable timer. */
  sendAt: string;
  expiresAt: string | null;
  /** Users per child batch workflow. */
  batchSize: number;
  /** Child batches in flight at once (the sliding window). */
  window: number;
  /** Children this execution may start before it continues as new. */
  childrenPerExecution: number;
  /** Set when continuing as new. */
  carried?: {
    total: number;
    nextSeq: number;
    batchesDone: number;
    paused: boolean;
    continuedAsNew: number;
    /** The run's control epoch of the last pause or resume. */
    epoch?: number;
  };
}

export interface BatchWorkflowInput {
  campaignId: string;
  runId: string;
  fromSeq: number;
  toSeq: number;
  paused: boolean;
  /** The run's control epoch `paused` belongs to (absent in batches started before epochs existed). */
  epoch?: number;
}

/** `quiet`: the campaign's quiet hours (mode `wait`) hold the batch's sends back until `quietUntil`. */
export type BatchInterruption = 'pause' | 'cancel' | 'quiet' | null;

/** What one attempt of a batch's first sends answers. */
export interface BatchDelivery {
  /** Users to retry, each after its delay. */
  retries: { seq: number; delayMs: number }[];
  interrupted: BatchInterruption;
  /** With a pause: the control epoch the activity saw; the batch waits for its parent's signal of that epoch. */
  epoch?: number;
  /** With `quiet`: ISO time the quiet hours end (or the campaign expires, if sooner); the batch sleeps until then. */
  quietUntil?: string;
}

/**
 * One retry of one user: a final state, or the control epoch of the pause that
 * held it back (`'paused'` without an epoch in histories recorded before epochs),
 * or the ISO time the campaign's quiet hours end, which it waits for.
 */
export type RetryOutcome = 'succeeded' | 'failed' | 'done' | 'paused' | { paused: number } | { quietUntil: string };

export interface BatchResult {
  fromSeq: number;
  toSeq: number;
  retried: number;
}

/**
 * What a recurring campaign's schedule passes to every firing: no run id
 * (each firing opens its own run) and no times (Temporal supplies the nominal
 * time; the run's send time and expiry follow from it).
 */
export interface FiringInput {
  campaignId: string;
  batchSize: number;
  window: number;
  childrenPerExecution: number;
}
