import type { Database } from '../db/client.js';
import { retentionStep, type RetentionStep, type RetentionStepResult } from '../retention/batches.js';

/**
 * The maintenance workflow's one activity: one bounded step of retention
 * (retention/batches.ts), a short transaction of at most `limit` rows.
 */
export function createRetentionActivities(deps: { db: Database }) {
  async function applyRetention(step: RetentionStep): Promise<RetentionStepResult> {
    return retentionStep(deps.db, step);
  }
  return { applyRetention };
}
