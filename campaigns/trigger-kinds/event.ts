import type { FieldIssue } from '../../contracts/errors.js';
import { cancelOneRun, controlOneRun, launchOneRun } from './run-kinds.js';
import type { TriggerKind, TriggerKindDeps } from './types.js';

/**
 * Triggered by each user's events (triggers/event.ts): one run collects the
 * sends from launch on. After each change, this process's index of listening
 * campaigns is reloaded so the next ingest already sees it.
 */
export function eventKind(deps: TriggerKindDeps): TriggerKind {
  const refresh = async () => deps.eventListeners?.refresh();
  return {
    type: 'event',
    launchEvent: 'launchListening',
    validate(row, now) {
      // It listens from its launch on.
      const problems: FieldIssue[] = [];
      if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) problems.push({ path: 'expiresAt', message: 'must be after the send time' });
      return { problems, sendAt: now };
    },
    async launch(row, launchable) {
      await launchOneRun(deps, row, launchable, true);
      await refresh();
    },
    async pause(row, requestedBy) {
      const progress = await controlOneRun(deps, row, 'pause', requestedBy);
      await refresh();
      return progress;
    },
    async resume(row, requestedBy) {
      const progress = await controlOneRun(deps, row, 'resume', requestedBy);
      await refresh();
      return progress;
    },
    cancel: (row) => cancelOneRun(deps, row),
    describe: async () => null,
    redrawsHoldout: false,
  };
}
