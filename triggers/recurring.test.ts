import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validationError } from '../lib/errors.js';
import { cronProblem, recurringTriggerSchema, type RecurringTrigger } from '../contracts/trigger.js';
import { recurringLaunchProblems, recurringScheduleSpec } from './recurring.js';

const body = z.strictObject({ trigger: recurringTriggerSchema });

/** The API's answer to a body holding this trigger: the failing paths and messages. */
function issuesOf(trigger: unknown) {
  const parsed = body.safeParse({ trigger });
  if (parsed.success) return [];
  return validationError(parsed.error).issues;
}

function parse(trigger: unknown): RecurringTrigger {
  return recurringTriggerSchema.parse(trigger);
}

describe('recurring trigger shape', () => {
  it('accepts the four schedule forms and defaults the zone to Asia/Shanghai', () => {
    expect(parse({ type: 'recurring', schedule: { every: 'day', at: '09:00' } })).toEqual({
      type: 'recurring',
      schedule: { every: 'day', at: '09:00' },
      timeZone: 'Asia/Shanghai',
    });
    expect(parse({ type: 'recurring', schedule: { every: 'week', on: ['mon', 'thu'], at: '23:59' }, timeZone: 'Europe/Paris' }).schedule).toEqual({
      every: 'week',
      on: ['mon', 'thu'],
      at: '23:59',
    });
    expect(parse({ type: 'recurring', schedule: { every: 'month', on: [1, 15, 31], at: '00:00' } }).schedule).toEqual({ every: 'month', on: [1, 15, 31], at: '00:00' });
    expect(parse({ type: 'recurring', schedule: { cron: '*/15 9-17 * * mon-fri' } }).schedule).toEqual({ cron: '*/15 9-17 * * mon-fri' });
  });

  it.each([
    [{ every: 'day', at: '24:00' }, 'trigger.schedule.at'],
    [{ every: 'day', at: '9:00' }, 'trigger.schedule.at'],
    [{ every: 'day', at: '09:60' }, 'trigger.schedule.at'],
    [{ every: 'day' }, 'trigger.schedule.at'],
    [{ every: 'week', on: [], at: '09:00' }, 'trigger.schedule.on'],
    [{ every: 'week', on: ['monday'], at: '09:00' }, 'trigger.schedule.on.0'],
    [{ every: 'month', on: [], at: '09:00' }, 'trigger.schedule.on'],
    [{ every: 'month', on: [1, 0], at: '09:00' }, 'trigger.schedule.on.1'],
    [{ every: 'month', on: [32], at: '09:00' }, 'trigger.schedule.on.0'],
    [{ every: 'month', on: [1.5], at: '09:00' }, 'trigger.schedule.on.0'],
    [{ every: 'hour', at: '09:00' }, 'trigger.schedule.every'],
    [{ every: 'constructor', at: '09:00' }, 'trigger.schedule.every'],
    [{ every: 'day', at: '09:00', on: ['mon'] }, 'trigger.schedule.on'],
    [{ cron: '0 24 * * *' }, 'trigger.schedule.cron'],
    [{ cron: '0 9 * * 1#2' }, 'trigger.schedule.cron'],
    [{ cron: '@every 1h' }, 'trigger.schedule.cron'],
    [{ cron: '0 9 * * *', at: '09:00' }, 'trigger.schedule.at'],
    ['daily', 'trigger.schedule'],
  ])('refuses schedule %j naming %s', (schedule, path) => {
    const issues = issuesOf({ type: 'recurring', schedule });
    expect(issues.map((i) => i.path)).toEqual([path]);
    expect(issues[0]!.message).not.toMatch(/^Invalid input/);
  });

  it('refuses an unknown zone, a POSIX offset, and times outside the horizon, naming each field', () => {
    expect(issuesOf({ type: 'recurring', schedule: { every: 'day', at: '09:00' }, timeZone: 'Mars/Olympus' }).map((i) => i.path)).toEqual(['trigger.timeZone']);
    expect(issuesOf({ type: 'recurring', schedule: { every: 'day', at: '09:00' }, timeZone: 'UTC+8' }).map((i) => i.path)).toEqual(['trigger.timeZone']);
    const farAhead = new Date(Date.now() + 400 * 86_400_000).toISOString();
    expect(issuesOf({ type: 'recurring', schedule: { every: 'day', at: '09:00' }, endAt: farAhead }).map((i) => i.path)).toEqual(['trigger.endAt']);
    expect(issuesOf({ type: 'recurring', schedule: { every: 'day', at: '09:00' }, startAt: '1999-12-31T00:00:00Z' }).map((i) => i.path)).toEqual(['trigger.startAt']);
    expect(issuesOf({ type: 'recurring', schedule: { every: 'day', at: '09:00' }, startAt: 'tomorrow' }).map((i) => i.path)).toEqual(['trigger.startAt']);
  });

  it('refuses an end that is not after the start', () => {
    const start = new Date(Date.now() + 86_400_000).toISOString();
    const issues = issuesOf({ type: 'recurring', schedule: { every: 'day', at: '09:00' }, startAt: start, endAt: start });
    expect(issues).toEqual([{ path: 'trigger.endAt', message: 'must be after startAt', code: 'must_be_after', params: { other: 'startAt' } }]);
  });

  it('refuses at launch an end already past', () => {
    const trigger = parse({ type: 'recurring', schedule: { every: 'day', at: '09:00' }, endAt: '2026-01-01T00:00:00Z' });
    expect(recurringLaunchProblems(trigger, new Date('2026-02-01T00:00:00Z'))).toEqual([{ path: 'trigger.endAt', message: 'is already past' }]);
    expect(recurringLaunchProblems(trigger, new Date('2025-12-01T00:00:00Z'))).toEqual([]);
  });
});

describe('cronProblem', () => {
  it.each(['0 9 * * *', '*/15 9-17 * * 1-5', '0 9 1,15 * *', '0 9 * jan,JUL sun', '0 0 * * 7', '5/10 * * * *', '0-59/30 0-23/6 1-31/2 1-12/3 0-7'])('accepts %s', (cron) => {
    expect(cronProblem(cron)).toBeUndefined();
  });

  it.each([
    ['', /5 fields/],
    ['0 9 * *', /5 fields/],
    ['0 0 9 * * *', /5 fields/],
    ['60 9 * * *', /minute/],
    ['0 24 * * *', /hour/],
    ['0 9 0 * *', /day of month/],
    ['0 9 32 * *', /day of month/],
    ['0 9 * 13 *', /month/],
    ['0 9 * * 8', /day of week/],
    ['0 9 5-1 * *', /ends before it starts/],
    ['0 9 */0 * *', /step/],
    ['0,,5 9 * * *', /minute/],
    ['0 9 L * *', /day of month/],
    ['0 9 ? * *', /day of month/],
    ['0 9 * * 1#2', /day of week/],
    ['0 9 1W * *', /day of month/],
    ['@daily', /5 fields/],
    ['CRON_TZ=UTC 0 9 * * *', /5 fields/],
    ['0 9 * * monday', /day of week/],
    ['0 9 1-2-3 * *', /range/],
  ])('refuses %j', (cron, message) => {
    expect(cronProblem(cron)).toMatch(message);
  });
});

describe('recurringScheduleSpec', () => {
  it('maps a daily time to one calendar in the trigger zone', () => {
    expect(recurringScheduleSpec(parse({ type: 'recurring', schedule: { every: 'day', at: '09:05' } }))).toEqual({
      timezone: 'Asia/Shanghai',
      calendars: [{ hour: 9, minute: 5, second: 0, dayOfMonth: '*', month: '*', dayOfWeek: '*' }],
    });
  });

  it('maps week days to Temporal day names, once each', () => {
    const spec = recurringScheduleSpec(parse({ type: 'recurring', schedule: { every: 'week', on: ['thu', 'mon', 'thu', 'sun'], at: '18:30' }, timeZone: 'UTC' }));
    expect(spec.calendars).toEqual([
      { hour: 18, minute: 30, second: 0, dayOfMonth: '*', month: '*', dayOfWeek: [{ start: 'THURSDAY', end: 'THURSDAY' }, { start: 'MONDAY', end: 'MONDAY' }, { start: 'SUNDAY', end: 'SUNDAY' }] },
    ]);
    expect(spec.timezone).toBe('UTC');
  });

  it('maps month days, sorted and once each', () => {
    const spec = recurringScheduleSpec(parse({ type: 'recurring', schedule: { every: 'month', on: [15, 1, 31, 15], at: '09:00' } }));
    expect(spec.calendars![0]!.dayOfMonth).toEqual([{ start: 1, end: 1 }, { start: 15, end: 15 }, { start: 31, end: 31 }]);
    expect(spec.calendars![0]!.dayOfWeek).toBe('*');
  });

  it('passes a cron expression through and carries start and end', () => {
    const startAt = new Date(Date.now() + 86_400_000).toISOString();
    const endAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const spec = recurringScheduleSpec(parse({ type: 'recurring', schedule: { cron: ' 0 9 * * 1-5 ' }, startAt, endAt }));
    expect(spec).toEqual({ timezone: 'Asia/Shanghai', cronExpressions: ['0 9 * * 1-5'], startAt: new Date(startAt), endAt: new Date(endAt) });
  });
});
