import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { summaries } from './summaries.js';

/** Measuring a big run scans it once; a dead worker shows in the heartbeat. */
const effects = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Marks histories of runs that store their effect when their goal window closes (older ones end without it). */
export const EFFECT_PATCH = 'conversion-effect';

/** A run asks again at most this often: the activity answers one wait after the finish, so two suffice. */
const MAX_ROUNDS = 10;

/**
 * Stores a finished run's final effect: asks `finalizeEffect`, sleeps on a
 * durable timer until the time it answers (the last recipient's goal window
 * plus the grace for late events), and asks again. Survives worker restarts
 * and outlives event retention; a run without a goal ends at the first answer.
 * Call it, behind `patched(EFFECT_PATCH)`, after the run's last status is
 * recorded.
 *
 * @example
 * if (patched(EFFECT_PATCH)) await settleEffect(input.runId);
 */
export async function settleEffect(runId: string): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const outcome = await effects.finalizeEffect.executeWithOptions({ summary: summaries.effect() }, [{ runId }]);
    if (!('waitUntil' in outcome)) return;
    await sleep(Math.max(1, Date.parse(outcome.waitUntil) - Date.now()), { summary: summaries.effectWindow(outcome.waitUntil) });
  }
}
