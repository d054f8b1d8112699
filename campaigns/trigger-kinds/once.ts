import type { FieldIssue } from '../../contracts/errors.js';
import { resolveSendAt } from '../definition.js';
import type { OnceTrigger } from '../../contracts/trigger.js';
import { cancelOneRun, controlOneRun, launchOneRun } from './run-kinds.js';
import type { TriggerKind, TriggerKindDeps } from './types.js';

/** A one-time send, now or at a time: one run, opened at launch. */
export function onceKind(deps: TriggerKindDeps): TriggerKind {
  return {
    type: 'once',
    launchEvent: 'launch',
    validate(row, now) {
      const problems: FieldIssue[] = [];
      const { sendAt, problem } = resolveSendAt(row.trigger as OnceTrigger, now);
      if (problem) problems.push({ path: 'trigger.sendAt', message: problem });
      if (row.expiresAt && row.expiresAt.getTime() <= sendAt.getTime()) problems.push({ path: 'expiresAt', message: 'must be after the send time' });
      return { problems, sendAt };
    },
    launch: (row, launchable) => launchOneRun(deps, row, launchable, false),
    pause: (row, requestedBy) => controlOneRun(deps, row, 'pause', requestedBy),
    resume: (row, requestedBy) => controlOneRun(deps, row, 'resume', requestedBy),
    cancel: (row) => cancelOneRun(deps, row),
    describe: async () => null,
    redrawsHoldout: false,
  };
}
