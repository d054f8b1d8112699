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
  };
}

export interface BatchWorkflowInput {
  campaignId: string;
  runId: string;
  fromSeq: number;
  toSeq: number;
  paused: boolean;
}

export interface BatchResult {
  fromSeq: number;
  toSeq: number;
  retried: number;
}
