import type { CalendarSpec, DayOfWeek, ScheduleSpec } from '@temporalio/client';
import { weekDays, type RecurringTrigger } from '../contracts/trigger.js';

/** Temporal's names for the days of `weekDays`, in the same order. */
const temporalWeekDays: readonly DayOfWeek[] = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

/**
 * Problems with a recurring trigger that depend on the launch time: an end
 * already past would create a schedule that never fires.
 */
export function recurringLaunchProblems(trigger: RecurringTrigger, now: Date): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (trigger.endAt && Date.parse(trigger.endAt) <= now.getTime()) problems.push({ path: 'trigger.endAt', message: 'is already past' });
  return problems;
}

/**
 * The Temporal `ScheduleSpec` of a recurring trigger: calendars (or the cron
 * expression) read in the trigger's time zone, so 09:00 stays 09:00 local
 * across daylight-saving changes.
 *
 * A month day that a month lacks is skipped by Temporal, not moved: `on: [31]`
 * fires in January and March, never in April, and `on: [29]` fires in February
 * only in leap years (seen with the dev server: runs/schedule.test.ts).
 *
 * @example
 * recurringScheduleSpec({ type: 'recurring', schedule: { every: 'day', at: '09:00' }, timeZone: 'Asia/Shanghai' });
 * // { calendars: [{ hour: 9, minute: 0, second: 0, dayOfMonth: '*', month: '*', dayOfWeek: '*' }], timezone: 'Asia/Shanghai' }
 */
export function recurringScheduleSpec(trigger: RecurringTrigger): ScheduleSpec {
  const spec: ScheduleSpec = { timezone: trigger.timeZone };
  const { schedule } = trigger;
  if ('cron' in schedule) {
    spec.cronExpressions = [schedule.cron.trim()];
  } else {
    const [hour, minute] = schedule.at.split(':').map(Number) as [number, number];
    const calendar: CalendarSpec = { hour, minute, second: 0, dayOfMonth: '*', month: '*', dayOfWeek: '*' };
    if (schedule.every === 'week') {
      calendar.dayOfWeek = [...new Set(schedule.on)].map((day) => {
        const name = temporalWeekDays[weekDays.indexOf(day)]!;
        // The server reads a missing end as 0, not as the start.
        return { start: name, end: name };
      });
    } else if (schedule.every === 'month') {
      calendar.dayOfMonth = [...new Set(schedule.on)].sort((a, b) => a - b).map((day) => ({ start: day, end: day }));
    }
    spec.calendars = [calendar];
  }
  if (trigger.startAt) spec.startAt = new Date(trigger.startAt);
  if (trigger.endAt) spec.endAt = new Date(trigger.endAt);
  return spec;
}
