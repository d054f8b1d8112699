import { describe, expect, it } from 'vitest';
import { quietAtFirstSend, quietState, quietUntil, quietWatch } from './quiet-hours.js';

const night = { from: '22:00', to: '08:00' };
const t = (iso: string) => new Date(iso);

describe('quiet hours in Asia/Shanghai (UTC+8, no daylight saving)', () => {
  const zone = 'Asia/Shanghai';

  it('is inside from 22:00 up to, not including, 08:00 local, across midnight', () => {
    expect(quietState(night, zone, t('2026-03-01T21:59:59+08:00'))).toEqual({ inside: false, startsAt: t('2026-03-01T22:00:00+08:00') });
    expect(quietState(night, zone, t('2026-03-01T22:00:00+08:00'))).toEqual({ inside: true, endsAt: t('2026-03-02T08:00:00+08:00') });
    expect(quietState(night, zone, t('2026-03-01T23:59:00+08:00'))).toEqual({ inside: true, endsAt: t('2026-03-02T08:00:00+08:00') });
    // After midnight the window is the one that started the evening before.
    expect(quietState(night, zone, t('2026-03-02T03:00:00+08:00'))).toEqual({ inside: true, endsAt: t('2026-03-02T08:00:00+08:00') });
    expect(quietState(night, zone, t('2026-03-02T07:59:59.999+08:00'))).toEqual({ inside: true, endsAt: t('2026-03-02T08:00:00+08:00') });
    expect(quietState(night, zone, t('2026-03-02T08:00:00+08:00'))).toEqual({ inside: false, startsAt: t('2026-03-02T22:00:00+08:00') });
  });

  it('is evaluated in the zone, not in UTC: 15:00 UTC is 23:00 in Shanghai', () => {
    expect(quietState(night, zone, t('2026-03-01T15:00:00Z')).inside).toBe(true);
    expect(quietState(night, 'UTC', t('2026-03-01T15:00:00Z')).inside).toBe(false);
  });

  it('handles a window within one day', () => {
    const lunch = { from: '12:00', to: '13:30' };
    expect(quietState(lunch, zone, t('2026-03-01T11:00:00+08:00'))).toEqual({ inside: false, startsAt: t('2026-03-01T12:00:00+08:00') });
    expect(quietState(lunch, zone, t('2026-03-01T13:00:00+08:00'))).toEqual({ inside: true, endsAt: t('2026-03-01T13:30:00+08:00') });
    expect(quietState(lunch, zone, t('2026-03-01T13:30:00+08:00'))).toEqual({ inside: false, startsAt: t('2026-03-02T12:00:00+08:00') });
  });

  it('crosses month and year ends', () => {
    expect(quietState(night, zone, t('2026-12-31T23:00:00+08:00'))).toEqual({ inside: true, endsAt: t('2027-01-01T08:00:00+08:00') });
    expect(quietState(night, zone, t('2027-01-01T01:00:00+08:00'))).toEqual({ inside: true, endsAt: t('2027-01-01T08:00:00+08:00') });
    expect(quietState(night, zone, t('2026-02-28T12:00:00+08:00'))).toEqual({ inside: false, startsAt: t('2026-02-28T22:00:00+08:00') });
  });

  it('treats an empty window (from = to) as never quiet', () => {
    expect(quietState({ from: '09:00', to: '09:00' }, zone, t('2026-03-01T09:00:00+08:00')).inside).toBe(false);
  });
});

describe('quiet hours across daylight-saving changes (Europe/Berlin: CET +1, CEST +2)', () => {
  const zone = 'Europe/Berlin';

  it('a night window over the spring-forward night is one hour shorter in real time', () => {
    // 2026-03-29: clocks jump from 02:00 CET to 03:00 CEST.
    const state = quietState(night, zone, t('2026-03-29T01:30:00+01:00'));
    expect(state).toEqual({ inside: true, endsAt: t('2026-03-29T08:00:00+02:00') });
    expect(quietState(night, zone, t('2026-03-28T22:00:00+01:00'))).toEqual({ inside: true, endsAt: t('2026-03-29T08:00:00+02:00') });
    const { endsAt } = state as { endsAt: Date };
    expect(endsAt.getTime() - t('2026-03-28T22:00:00+01:00').getTime()).toBe(9 * 3_600_000);
  });

  it('a night window over the fall-back night is one hour longer in real time', () => {
    // 2026-10-25: clocks go back from 03:00 CEST to 02:00 CET; 02:30 happens twice.
    expect(quietState(night, zone, t('2026-10-25T02:30:00+02:00'))).toEqual({ inside: true, endsAt: t('2026-10-25T08:00:00+01:00') });
    expect(quietState(night, zone, t('2026-10-25T02:30:00+01:00'))).toEqual({ inside: true, endsAt: t('2026-10-25T08:00:00+01:00') });
    expect(t('2026-10-25T08:00:00+01:00').getTime() - t('2026-10-24T22:00:00+02:00').getTime()).toBe(11 * 3_600_000);
    expect(quietState(night, zone, t('2026-10-24T21:00:00+02:00'))).toEqual({ inside: false, startsAt: t('2026-10-24T22:00:00+02:00') });
  });

  it('an edge inside the skipped hour moves later by the gap (02:30 that day is 03:30 CEST)', () => {
    const early = { from: '02:30', to: '06:00' };
    expect(quietState(early, zone, t('2026-03-29T01:59:00+01:00'))).toEqual({ inside: false, startsAt: t('2026-03-29T03:30:00+02:00') });
    expect(quietState(early, zone, t('2026-03-29T03:10:00+02:00')).inside).toBe(false);
    expect(quietState(early, zone, t('2026-03-29T03:30:00+02:00'))).toEqual({ inside: true, endsAt: t('2026-03-29T06:00:00+02:00') });
    const ending = { from: '23:00', to: '02:30' };
    expect(quietState(ending, zone, t('2026-03-29T01:59:00+01:00'))).toEqual({ inside: true, endsAt: t('2026-03-29T03:30:00+02:00') });
  });

  it('an edge in the repeated hour means its first occurrence', () => {
    const early = { from: '02:30', to: '06:00' };
    expect(quietState(early, zone, t('2026-10-25T02:00:00+02:00'))).toEqual({ inside: false, startsAt: t('2026-10-25T02:30:00+02:00') });
    expect(quietState(early, zone, t('2026-10-25T02:10:00+01:00'))).toEqual({ inside: true, endsAt: t('2026-10-25T06:00:00+01:00') });
  });
});

describe('quietUntil', () => {
  it('answers the window end inside, the instant itself outside, and the instant when no quiet hours are set', () => {
    expect(quietUntil(night, 'Asia/Shanghai', t('2026-03-01T15:00:00Z'))).toEqual(t('2026-03-02T00:00:00Z'));
    expect(quietUntil(night, 'Asia/Shanghai', t('2026-03-01T05:00:00Z'))).toEqual(t('2026-03-01T05:00:00Z'));
    expect(quietUntil(null, 'Asia/Shanghai', t('2026-03-01T15:00:00Z'))).toEqual(t('2026-03-01T15:00:00Z'));
  });

  it('in a US zone too (America/New_York, spring forward 2026-03-08)', () => {
    expect(quietUntil(night, 'America/New_York', t('2026-03-08T01:00:00-05:00'))).toEqual(t('2026-03-08T08:00:00-04:00'));
  });
});

describe('quietWatch', () => {
  it('answers null between windows and the window end inside, across several days', () => {
    const quietAt = quietWatch(night, 'Asia/Shanghai', t('2026-03-01T12:00:00+08:00').getTime());
    expect(quietAt(t('2026-03-01T21:59:59+08:00').getTime())).toBeNull();
    expect(quietAt(t('2026-03-01T22:00:00+08:00').getTime())).toEqual(t('2026-03-02T08:00:00+08:00'));
    expect(quietAt(t('2026-03-02T07:00:00+08:00').getTime())).toEqual(t('2026-03-02T08:00:00+08:00'));
    expect(quietAt(t('2026-03-02T08:00:00+08:00').getTime())).toBeNull();
    expect(quietAt(t('2026-03-03T23:30:00+08:00').getTime())).toEqual(t('2026-03-04T08:00:00+08:00'));
  });

  it('starting inside a window', () => {
    const quietAt = quietWatch(night, 'Europe/Berlin', t('2026-03-29T01:00:00+01:00').getTime());
    expect(quietAt(t('2026-03-29T01:00:00+01:00').getTime())).toEqual(t('2026-03-29T08:00:00+02:00'));
    expect(quietAt(t('2026-03-29T09:00:00+02:00').getTime())).toBeNull();
  });
});

describe('quietAtFirstSend', () => {
  const hours = { from: '22:00', to: '08:00' };
  // 07:59:59.700 in Shanghai: 300 ms before the window ends at 00:00Z.
  const now = Date.parse('2026-03-01T23:59:59.700Z');

  it('decides at the first send: a range claimed just before the end, due after it, is not held', () => {
    expect(quietAtFirstSend(hours, 'Asia/Shanghai', now, Date.parse('2026-03-02T00:00:00.100Z'))).toBeNull();
  });

  it('holds a range whose first send falls due inside the window, or is due already (a backlog)', () => {
    expect(quietAtFirstSend(hours, 'Asia/Shanghai', now, Date.parse('2026-03-01T23:59:59.900Z'))?.toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(quietAtFirstSend(hours, 'Asia/Shanghai', now, Date.parse('2026-03-01T23:00:00.000Z'))?.toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(quietAtFirstSend(hours, 'Asia/Shanghai', now, null)?.toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });

  it('holds a range claimed before the window starts whose first send falls due inside it', () => {
    expect(quietAtFirstSend(hours, 'Asia/Shanghai', Date.parse('2026-03-01T13:59:59.700Z'), Date.parse('2026-03-01T14:00:00.200Z'))?.toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });
});
