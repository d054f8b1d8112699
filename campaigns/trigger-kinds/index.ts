import { eventKind } from './event.js';
import { onceKind } from './once.js';
import { recurringKind } from './recurring.js';
import type { TriggerKind, TriggerKindDeps, TriggerType } from './types.js';

export type { CampaignRow, Launchable, ScheduleView, TriggerKind, TriggerKindDeps, TriggerType } from './types.js';

/** Every trigger kind, registered once; the type makes a trigger without a kind a compile error. */
const registry: Record<TriggerType, (deps: TriggerKindDeps) => TriggerKind> = {
  once: onceKind,
  recurring: recurringKind,
  event: eventKind,
};

/** The kinds for one campaign service, by trigger type. */
export function createTriggerKinds(deps: TriggerKindDeps): Record<TriggerType, TriggerKind> {
  return Object.fromEntries(Object.entries(registry).map(([type, make]) => [type, make(deps)])) as Record<TriggerType, TriggerKind>;
}
