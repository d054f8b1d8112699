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
  /** Firings one claim takes at most. */
  claimLimit: number;
  /** Sending activities in flight at once (each makes its claims one after another). */
  window: number;
  /** A claim starts at least this long after the previous one of its activity, unless that one was full: firings gather into batches. */
  paceMs: number;
  /** Claims one sending activity makes at most, one after another, while firings keep coming. */
  claimsPerActivity: number;
  /** A sending activity makes no new claim after this long: it returns, and the run starts the next. */
  activityMs: number;
  /** Sending activities an execution starts before it continues as new. */
  activitiesPerExecution: number;
}

/**
 * How long before the next firing falls due an event run starts the sending
 * activity for it, which waits inside until then (its `notBefore`): the timer,
 * the workflow task and the activity's start took 200-300 ms on the dev server
 * as `npm start` runs it, and every send of a burst falling due inherited them.
 */
export const START_LEAD_MS = 500;

/**
 * The queue's settings for new event runs (and for a run of the old shape
 * that takes the queue up): claims of up to 2,000 firings at least 200 ms
 * apart (unless full), up to 50 claims or 10 s per sending activity, up to 4
 * such activities at once, continuing as new every 300 activities. While
 * events keep coming, Temporal sees one activity per 10 s, not one per claim.
 */
export const DEFAULT_DUE_QUEUE: DueQueue = { claimLimit: 2000, window: 4, paceMs: 200, claimsPerActivity: 50, activityMs: 10_000, activitiesPerExecution: 300 };

/** One sending activity of an event run: its claims are numbered `claimNo` to `claimNo + claims - 1`. */
export interface DueClaimInput {
  campaignId: string;
  runId: string;
  /** The first claim's number; a repeated number answers the range that claim took before (triggers/due.ts). */
  claimNo: number;
  /** Claims this activity may make, one after another. */
  claims: number;
  limit: number;
  /** The lowest claim number the run may still send again (held by a pause or quiet hours). */
  oldestOpen: number;
  /** ISO time the first claim waits for (the pace), inside the activity rather than on a workflow timer. */
  notBefore: string;
  paceMs: number;
  /** No new claim after this long. */
  forMs: number;
  /**
   * How often a range still sending looks at the backlog behind it: once a full claim is due, or a due firing has
   * waited two of these, it wakes the run, so another activity starts beside this one.
   */
  hintAfterMs: number;
}

/** One claim an activity sent: its number, its range of audience positions, and how many of its users wait for a retry. */
export interface SentRange {
  claimNo: number;
  fromSeq: number;
  toSeq: number;
  retries: number;
}

/** What a sending activity of an event run did. */
export interface DueDelivery {
  /** The claims it sent (new ones, or a held one again), in order. */
  ranges: SentRange[];
  /**
   * Why it stopped: nothing due (`idle`), its claims or time used up
   * (`budget`), a pause, the campaign's quiet hours, or the run's end
   * (`cancel`).
   */
  stopped: 'idle' | 'budget' | 'pause' | 'quiet' | 'cancel';
  /** With a pause or quiet hours: the claim whose range they stopped (sent again later, under its number); null when it stopped before claiming. */
  heldClaim: number | null;
  /** With quiet hours: when they end (ISO). */
  quietUntil?: string;
  /** When idle: the earliest firing still waiting (ISO), or null. */
  nextDueAt: string | null;
  /** When the next claim may start (ISO): the pace after its last claim. */
  resumeAt: string;
}
