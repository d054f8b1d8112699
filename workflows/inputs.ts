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
  /**
   * Started by an event run to retry the users of one claimed range, and left
   * to itself (its parent continues as new without it): no pause or resume
   * signal comes, so a retry held by a pause looks again after
   * `pauseRecheckMs` (default 30 s).
   */
  detached?: { pauseRecheckMs?: number };
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

/** How an event run works through its due firings (triggers/due.ts). */
export interface DueQueue {
  /** Firings one claim takes at most: a full claim means a backlog, and the next claims start without the pace. */
  claimLimit: number;
  /** Claims (each a sending activity) in flight at once. */
  window: number;
  /** Without a backlog, a claim starts at least this long after the previous one, so firings gather into batches. */
  paceMs: number;
  /** Claims an execution makes before it continues as new. */
  claimsPerExecution: number;
}

/**
 * The queue's settings for new event runs (and for a run of the old shape
 * that takes the queue up): claims of up to 2,000 firings, 4 at a time, at
 * most one per 200 ms without a backlog, continuing as new every 500 claims.
 */
export const DEFAULT_DUE_QUEUE: DueQueue = { claimLimit: 2000, window: 4, paceMs: 200, claimsPerExecution: 500 };

/** One claim of an event run's due firings, sent through the batch path. */
export interface DueClaimInput {
  campaignId: string;
  runId: string;
  claimNo: number;
  limit: number;
  /** The lowest claim number the run may still send again (held by a pause or quiet hours). */
  oldestOpen: number;
  /** ISO time the claim waits for first (the pace), inside the activity rather than on a workflow timer. */
  notBefore: string;
  /** A range still sending this long after its claim wakes the run, so the next claim starts beside it (the pace). */
  hintAfterMs?: number;
}

/** What a claim did: the range it took (null: nothing was due) and how its first attempts went. */
export interface DueDelivery extends BatchDelivery {
  fromSeq: number | null;
  toSeq: number | null;
  claimed: number;
  /** The earliest firing still waiting (ISO), or null. */
  nextDueAt: string | null;
}
