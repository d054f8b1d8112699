import { describe, expect, it } from 'vitest';
import { FIRING_CATCH_UP_MS, firingVerdict, recurringRunExpiry } from './firing.js';

const scheduledAt = new Date('2026-11-30T01:00:00Z');
const at = (ms: number) => new Date(scheduledAt.getTime() + ms);

describe('firingVerdict', () => {
  it('opens a run for a live campaign with nothing running', () => {
    expect(firingVerdict({ scheduledAt, now: at(2_000), trigger: 'schedule', campaignStatus: 'scheduled' })).toEqual({ status: 'open' });
  });

  it('still sends a firing caught up within the window, and records one beyond it as missed', () => {
    expect(firingVerdict({ scheduledAt, now: at(FIRING_CATCH_UP_MS), trigger: 'schedule', campaignStatus: 'scheduled' })).toEqual({ status: 'open' });
    const late = firingVerdict({ scheduledAt, now: at(FIRING_CATCH_UP_MS + 60_000), trigger: 'schedule', campaignStatus: 'scheduled' });
    expect(late).toEqual({ status: 'missed', reason: expect.stringMatching(/61 min after its time, beyond the 60 min catch-up window/) });
  });

  it('never calls a manual trigger late', () => {
    expect(firingVerdict({ scheduledAt, now: at(5 * FIRING_CATCH_UP_MS), trigger: 'manual', campaignStatus: 'scheduled' })).toEqual({ status: 'open' });
  });

  it('skips while the previous run still sends, naming it', () => {
    const verdict = firingVerdict({ scheduledAt, now: at(1_000), trigger: 'schedule', campaignStatus: 'running', activeRun: { id: 'r1', expiresAt: at(60_000) } });
    expect(verdict).toEqual({ status: 'skipped', reason: 'run r1 was still sending' });
    expect(firingVerdict({ scheduledAt, now: at(1_000), trigger: 'manual', campaignStatus: 'running', activeRun: { id: 'r1', expiresAt: null } }).status).toBe('skipped');
  });

  it('does not let a run closing after its expiry hold up the next firing', () => {
    expect(firingVerdict({ scheduledAt, now: at(1_000), trigger: 'schedule', campaignStatus: 'running', activeRun: { id: 'r1', expiresAt: scheduledAt } })).toEqual({ status: 'open' });
  });

  it('records a firing that raced a pause as skipped, and ignores one after cancel or the end', () => {
    expect(firingVerdict({ scheduledAt, now: at(1_000), trigger: 'schedule', campaignStatus: 'paused' })).toEqual({ status: 'skipped', reason: 'the campaign was paused' });
    for (const campaignStatus of ['cancelled', 'completed', 'failed', 'draft']) {
      expect(firingVerdict({ scheduledAt, now: at(1_000), trigger: 'schedule', campaignStatus })).toEqual({ status: 'ignored', reason: `the campaign is ${campaignStatus}` });
    }
  });
});

describe('recurringRunExpiry', () => {
  it('gives each run a day', () => {
    expect(recurringRunExpiry(scheduledAt).toISOString()).toBe('2026-12-01T01:00:00.000Z');
  });
});
