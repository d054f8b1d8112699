import { recurringLaunchProblems } from '../../triggers/recurring.js';
import type { RecurringTrigger } from '../../contracts/trigger.js';
import { applyCampaignEvent } from '../lifecycle.js';
import { createRecurringControls } from '../recurring.js';
import type { CampaignRow, TriggerKind, TriggerKindDeps } from './types.js';

/** Fired by a Temporal Schedule (triggers/recurring.ts); each firing opens its own run. campaigns/recurring.ts holds the controls. */
export function recurringKind(deps: TriggerKindDeps): TriggerKind {
  const controls = createRecurringControls(deps);
  const recurring = (row: CampaignRow) => ({ ...row, trigger: row.trigger as RecurringTrigger });
  return {
    type: 'recurring',
    launchEvent: 'launch',
    validate(row, now) {
      const problems = recurringLaunchProblems(row.trigger as RecurringTrigger, now);
      if (row.expiresAt) problems.push({ path: 'expiresAt', message: 'is not used by recurring campaigns: each run stops trying its users 24 h after its firing' });
      return { problems, sendAt: now };
    },
    async launch(row, { definition, now }) {
      // No run yet: each firing of the schedule opens its own.
      await deps.db.transaction(async (tx) => {
        await applyCampaignEvent(tx, row.id, 'launch', { definition, launchedAt: now });
        await controls.launch(recurring(row));
      });
    },
    pause: (row, requestedBy) => controls.pause(recurring(row), requestedBy),
    resume: (row, requestedBy) => controls.resume(recurring(row), requestedBy),
    cancel: (row) => controls.cancel(recurring(row)),
    async describe(row) {
      const state = await controls.scheduleState(recurring(row));
      return state && { paused: state.paused, nextFirings: state.nextFirings.map((at) => at.toISOString()), missedBeyondRecord: state.missedBeyondRecord };
    },
    fireNow: (row) => controls.trigger(recurring(row)),
    redrawsHoldout: true,
  };
}
