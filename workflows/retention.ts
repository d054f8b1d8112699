import { continueAsNew, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { RetentionCursor, RetentionStage } from '../retention/batches.js';

/*
 * The maintenance workflow (docs/privacy.md#retention), started daily by the
 * `hookcast-maintenance` Schedule: it applies each retention setting in
 * bounded steps, one activity per step of at most `batchSize` rows, so no
 * statement holds a lock for long and ingestion and sending go on beside it.
 * Its history holds days, times, cursors (ids) and counts: never user data.
 * A long pass continues as new every STEPS_PER_EXECUTION steps.
 */

const STAGES: readonly RetentionStage[] = ['responseBodies', 'deliveries', 'events'];
export const STEPS_PER_EXECUTION = 500;
export const DEFAULT_RETENTION_BATCH = 5000;

export interface RetentionInput {
  /** Days each kind of record is kept; null: kept for ever (`keep`). */
  days: Record<RetentionStage, number | null>;
  /** Rows one step deletes or clears at most. */
  batchSize?: number;
  /** Steps one execution takes before it continues as new (tests lower it). */
  stepsPerExecution?: number;
  /** Where an execution that continued as new goes on from (set by the workflow itself). */
  progress?: RetentionProgress;
}

export interface RetentionProgress {
  /** The cutoffs, fixed when the pass began, so a continued pass keeps them. */
  cutoffs: Record<RetentionStage, string | null>;
  stage: number;
  cursor: RetentionCursor;
  changed: Record<RetentionStage, number>;
  steps: number;
}

export interface RetentionResult {
  cutoffs: Record<RetentionStage, string | null>;
  changed: Record<RetentionStage, number>;
  steps: number;
}

const { applyRetention } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const DAY_MS = 24 * 60 * 60 * 1000;

export async function retentionWorkflow(input: RetentionInput): Promise<RetentionResult> {
  const limit = input.batchSize ?? DEFAULT_RETENTION_BATCH;
  // Workflow time: the same on replay.
  const now = Date.now();
  const progress: RetentionProgress = input.progress ?? {
    cutoffs: Object.fromEntries(STAGES.map((s) => [s, input.days[s] === null ? null : new Date(now - input.days[s]! * DAY_MS).toISOString()])) as Record<RetentionStage, string | null>,
    stage: 0,
    cursor: {},
    changed: { responseBodies: 0, deliveries: 0, events: 0 },
    steps: 0,
  };
  let steps = 0;
  while (progress.stage < STAGES.length) {
    const stage = STAGES[progress.stage]!;
    const cutoff = progress.cutoffs[stage];
    if (cutoff === null) {
      progress.stage += 1;
      progress.cursor = {};
      continue;
    }
    if (steps >= (input.stepsPerExecution ?? STEPS_PER_EXECUTION)) await continueAsNew<typeof retentionWorkflow>({ ...input, progress });
    setCurrentDetails(`${stage}: ${progress.changed[stage]} rows older than ${cutoff}`);
    const step = await applyRetention.executeWithOptions({ summary: `${stage} before ${cutoff}` }, [{ stage, cutoff, cursor: progress.cursor, limit }]);
    steps += 1;
    progress.steps += 1;
    progress.changed[stage] += step.changed;
    progress.cursor = step.cursor;
    if (step.done) {
      progress.stage += 1;
      progress.cursor = {};
    }
  }
  setCurrentDetails(`done: ${STAGES.map((s) => `${s} ${progress.changed[s]}`).join(', ')}`);
  return { cutoffs: progress.cutoffs, changed: progress.changed, steps: progress.steps };
}
