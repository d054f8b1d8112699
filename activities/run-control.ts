import { ApplicationFailure } from '@temporalio/activity';
import type { Database } from '../db/client.js';
import { dropSendLeases } from '../delivery/lease.js';
import { pruneUserCaps } from '../delivery/user-cap.js';
import type { RunContextCache } from '../delivery/context.js';
import type { RunControl, RunStatus } from '../contracts/statuses.js';
import { closePending } from '../runs/recipients.js';
import { finishRun as finishRunRow, recordRunStatus, RunNotSettledError, setRunControl as setRunControlRow } from '../runs/store.js';

/**
 * Bookkeeping activities the run workflows call to mirror their state into
 * PostgreSQL, where the API and the sending activities read it. Activity names
 * are part of recorded histories: keep them (and accept the inputs older
 * workflow code sends) when changing what they do.
 */
export function createRunControlActivities(deps: { db: Database; runs: RunContextCache }) {
  const { db, runs } = deps;

  /**
   * Sets the flag sending activities obey (a pause or cancel reaches them
   * within CONTROL_TTL_MS) and, when given, the run's status, in one
   * transaction; answers the new control epoch. An operator's pause is
   * acknowledged as soon as this returns.
   */
  async function setRunControl(input: { runId: string; control: RunControl; campaignId?: string; status?: RunStatus }): Promise<number> {
    const epoch = await setRunControlRow(db, { runId: input.runId, control: input.control, ...(input.status ? { status: input.status } : {}) });
    runs.invalidateControl(input.runId);
    return epoch;
  }

  async function recordCampaignStatus(input: { campaignId?: string; runId: string; status: RunStatus }): Promise<void> {
    await recordRunStatus(db, { runId: input.runId, status: input.status });
  }

  async function finishRun(input: { campaignId?: string; runId: string; status: 'completed' | 'cancelled' | 'failed'; error?: string }): Promise<void> {
    try {
      await finishRunRow(db, { runId: input.runId, status: input.status, ...(input.error !== undefined ? { error: input.error } : {}) });
    } catch (error) {
      if (error instanceof RunNotSettledError) throw ApplicationFailure.nonRetryable(error.message, 'RunNotSettled');
      throw error;
    }
    await dropSendLeases(db, input.runId);
    // Per-user cap rows whose sends all left their window hold nothing: each finished run clears some.
    await pruneUserCaps(db);
  }

  /** Ends every still-pending user of a run (or one batch range) as cancelled, or failed on expiry. */
  async function closeRecipients(input: { runId: string; fromSeq?: number; toSeq?: number; status: 'cancelled' | 'failed'; reason: 'cancelled' | 'expired' }): Promise<number> {
    return closePending(db, input);
  }

  return { setRunControl, recordCampaignStatus, finishRun, closeRecipients };
}
