import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { triggerSchema } from '../../contracts/trigger.js';
import { nextCampaignStatus } from '../lifecycle.js';
import { createTriggerKinds, type TriggerKindDeps } from './index.js';

// Building the kinds does no I/O: nothing here is called.
const kinds = createTriggerKinds({} as TriggerKindDeps);

describe('trigger kinds', () => {
  it('registers one kind per trigger type the API accepts, under its own name', () => {
    const types = triggerSchema.options.map((option) => option.shape.type.value).sort();
    expect(Object.keys(kinds).sort()).toEqual(types);
    for (const [type, kind] of Object.entries(kinds)) expect(kind.type).toBe(type);
  });

  it('launches each kind out of draft, and only the kind with many runs fires on demand or redraws its control group', () => {
    for (const kind of Object.values(kinds)) expect(nextCampaignStatus('draft', kind.launchEvent)).not.toBeNull();
    expect(Object.values(kinds).filter((k) => k.fireNow).map((k) => k.type)).toEqual(['recurring']);
    expect(Object.values(kinds).filter((k) => k.redrawsHoldout).map((k) => k.type)).toEqual(['recurring']);
  });

  it('validates each kind\'s own trigger at launch', () => {
    const now = new Date('2026-12-07T00:00:00Z');
    const row = (trigger: unknown, expiresAt: Date | null = null) => ({ trigger, expiresAt }) as never;
    expect(kinds.once.validate(row({ type: 'once', sendAt: '2026-12-06T00:00:00Z' }), now).problems).toEqual([{ path: 'trigger.sendAt', message: 'is more than one minute in the past' }]);
    expect(kinds.once.validate(row({ type: 'once', sendAt: 'now' }), now)).toEqual({ problems: [], sendAt: now });
    expect(kinds.event.validate(row({ type: 'event' }, new Date('2026-12-06T00:00:00Z')), now).problems).toEqual([{ path: 'expiresAt', message: 'must be after the send time' }]);
    const recurring = { type: 'recurring', schedule: { every: 'day', at: '09:00' }, timeZone: 'Asia/Shanghai' };
    expect(kinds.recurring.validate(row(recurring, new Date('2027-01-01T00:00:00Z')), now).problems.map((p) => p.path)).toEqual(['expiresAt']);
  });

  it('leaves campaigns/store.ts no branch on the trigger type', () => {
    const store = readFileSync(join(import.meta.dirname, '..', 'store.ts'), 'utf8');
    expect(store.match(/trigger\.type\s*[!=]==/g) ?? []).toEqual([]);
  });
});
