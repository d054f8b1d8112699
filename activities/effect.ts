import { Context } from '@temporalio/activity';
import type { Database } from '../db/client.js';
import { finalizeRunEffect, type FinalizeOutcome } from '../effect/store.js';

/**
 * The activity a run's workflow calls once the run has finished, and again
 * after each durable timer it answers, until the run's final effect is
 * stored (effect/store.ts). Works on any run with a goal, whatever started it.
 */
export function createEffectActivities(deps: { db: Database }) {
  async function finalizeEffect(input: { runId: string }): Promise<FinalizeOutcome> {
    // Measuring a 10M-recipient run takes a while: beat so a dead worker is noticed, a busy one is not.
    const beat = setInterval(() => Context.current().heartbeat(), 10_000);
    try {
      return await finalizeRunEffect(deps.db, input.runId);
    } finally {
      clearInterval(beat);
    }
  }
  return { finalizeEffect };
}
