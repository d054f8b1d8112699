import { describe, expect, it } from 'vitest';
import { campaignStatuses, type CampaignStatus } from '../contracts/statuses.js';
import { ApiError } from '../lib/errors.js';
import { assertCampaignTransition, campaignEvents, campaignTransitions, nextCampaignStatus, targetOf, type CampaignEvent } from './lifecycle.js';
import { campaignEventsFor } from '../runs/store.js';

/*
 * The whole table, spelled out once more by hand: every status × every event
 * is either the status it leads to or refused (null). A change to the
 * lifecycle has to change this test too, on purpose.
 */
const expected: Record<CampaignStatus, Record<CampaignEvent, CampaignStatus | null>> = {
  draft: { launch: 'scheduled', launchListening: 'running', start: null, pause: null, resume: null, resumeWaiting: null, runEnded: null, complete: null, fail: null, cancel: null },
  scheduled: { launch: null, launchListening: null, start: 'running', pause: 'paused', resume: null, resumeWaiting: null, runEnded: null, complete: 'completed', fail: 'failed', cancel: 'cancelled' },
  running: { launch: null, launchListening: null, start: 'running', pause: 'paused', resume: null, resumeWaiting: null, runEnded: 'scheduled', complete: 'completed', fail: 'failed', cancel: 'cancelled' },
  paused: { launch: null, launchListening: null, start: null, pause: 'paused', resume: 'running', resumeWaiting: 'scheduled', runEnded: null, complete: 'completed', fail: 'failed', cancel: 'cancelled' },
  completed: { launch: null, launchListening: null, start: null, pause: null, resume: null, resumeWaiting: null, runEnded: null, complete: null, fail: null, cancel: null },
  cancelled: { launch: null, launchListening: null, start: null, pause: null, resume: null, resumeWaiting: null, runEnded: null, complete: null, fail: null, cancel: null },
  failed: { launch: null, launchListening: null, start: null, pause: null, resume: null, resumeWaiting: null, runEnded: null, complete: null, fail: null, cancel: null },
};

describe('campaign lifecycle table', () => {
  for (const from of campaignStatuses) {
    for (const event of campaignEvents) {
      const to = expected[from][event];
      it(`${event} from ${from}: ${to ?? 'refused'}`, () => {
        expect(nextCampaignStatus(from, event)).toBe(to);
        if (to === null) {
          let thrown: unknown;
          try {
            assertCampaignTransition(from, event);
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(ApiError);
          const refusal = thrown as ApiError;
          expect(refusal.status).toBe(409);
          expect(refusal.code).toBe('invalid_transition');
          // Names both: the status the campaign is in and the event refused.
          expect(refusal.message).toContain(`from ${from}, event ${event}`);
        } else {
          expect(assertCampaignTransition(from, event)).toBe(to);
        }
      });
    }
  }

  it('has no row twice, and each event one target', () => {
    const keys = campaignTransitions.map((t) => `${t.from}/${t.event}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const event of campaignEvents) {
      expect(new Set(campaignTransitions.filter((t) => t.event === event).map((t) => t.to))).toEqual(new Set([targetOf(event)]));
    }
  });

  it('never leaves a final status, and reaches every status from draft', () => {
    for (const final of ['completed', 'cancelled', 'failed'] as const) expect(campaignTransitions.filter((t) => t.from === final)).toEqual([]);
    const reached = new Set<CampaignStatus>(['draft']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const t of campaignTransitions) {
        if (reached.has(t.from) && !reached.has(t.to)) {
          reached.add(t.to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...campaignStatuses].sort());
  });

  it('mirrors a one-time run on its campaign, and only a run start or end on a campaign with many runs', () => {
    expect(campaignEventsFor({ trigger: 'once' }, 'completed')).toEqual(['complete']);
    expect(campaignEventsFor({ trigger: 'once' }, 'skipped')).toEqual([]);
    expect(campaignEventsFor({ trigger: 'schedule' }, 'paused')).toEqual([]);
    expect(campaignEventsFor({ trigger: 'manual' }, 'running')).toEqual(['start']);
    expect(campaignEventsFor({ trigger: 'event' }, 'cancelled')).toEqual(['runEnded']);
  });
});
