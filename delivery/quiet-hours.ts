import { CLOCK_TIME, type ClockTime, type QuietHours } from '../contracts/campaign.js';

/**
 * Quiet hours: a daily window of local wall-clock time in which a campaign
 * sends nothing (e.g. 22:00 to 08:00). Pure and deterministic: it reads no
 * clock itself, only the instant it is given, and uses Intl for the zone's
 * rules, so it also runs inside workflow code.
 *
 * Local times that a daylight-saving change skips or repeats resolve as
 * JavaScript's `Date` and the `Temporal` API's "compatible" rule do: a time in
 * a spring-forward gap moves later by the gap's length (02:30 on a day that
 * jumps from 02:00 to 03:00 is 03:30), and a time that occurs twice in the
 * autumn means its first occurrence.
 */

/** Where an instant stands against a campaign's quiet hours. */
export type QuietState =
  /** Inside a window that ends at `endsAt`. */
  | { inside: true; endsAt: Date }
  /** Outside; the next window starts at `startsAt`. */
  | { inside: false; startsAt: Date };

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** The wall-clock reading of an instant in a zone, as if that reading were UTC (milliseconds dropped). */
function wallClock(timeZone: string, instantMs: number): { date: LocalDate; asUtcMs: number } {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const date = { year: parts.year!, month: parts.month!, day: parts.day! };
  return { date, asUtcMs: Date.UTC(date.year, date.month - 1, date.day, parts.hour!, parts.minute!, parts.second!) };
}

/** The zone's offset from UTC at an instant, in milliseconds (whole seconds). */
function offsetAt(timeZone: string, instantMs: number): number {
  const flooredMs = Math.floor(instantMs / 1000) * 1000;
  return wallClock(timeZone, flooredMs).asUtcMs - flooredMs;
}

/**
 * The instant at which a zone's clocks read the given local date and time,
 * resolving gaps and repeats by the "compatible" rule (see the module comment).
 */
function instantOf(timeZone: string, date: LocalDate, minutes: number): number {
  const local = Date.UTC(date.year, date.month - 1, date.day, 0, minutes);
  // Offsets one day apart bracket any transition near this local time.
  const before = offsetAt(timeZone, local - 86_400_000);
  const after = offsetAt(timeZone, local + 86_400_000);
  const withBefore = local - before;
  const withAfter = local - after;
  const beforeFits = offsetAt(timeZone, withBefore) === before;
  const afterFits = offsetAt(timeZone, withAfter) === after;
  if (beforeFits && afterFits) return Math.min(withBefore, withAfter); // a repeated time: the first occurrence
  if (beforeFits) return withBefore;
  if (afterFits) return withAfter;
  // A skipped time: read it with the offset in force before the jump, which lands after the gap.
  return withBefore;
}

function minutesOf(time: ClockTime): number {
  const match = CLOCK_TIME.exec(time);
  if (!match) throw new RangeError(`not a clock time HH:MM: ${time}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The window that starts on a local date: [start, end) as instants; end is on the next day when the window wraps midnight. */
function windowStartingOn(hours: Pick<QuietHours, 'from' | 'to'>, timeZone: string, date: LocalDate): { start: number; end: number } {
  const from = minutesOf(hours.from);
  const to = minutesOf(hours.to);
  const start = instantOf(timeZone, date, from);
  const end = instantOf(timeZone, to > from ? date : addDays(date, 1), to);
  return { start, end };
}

/**
 * Whether an instant lies inside the quiet hours (evaluated in `timeZone`),
 * and when the window ends, or when the next one starts.
 * A window whose `from` equals `to` is empty (the schema refuses it).
 *
 * @example
 * quietState({ from: '22:00', to: '08:00' }, 'Asia/Shanghai', new Date('2026-03-01T15:00:00Z'));
 * // 23:00 in Shanghai: { inside: true, endsAt: 2026-03-02T00:00:00.000Z } (08:00 local)
 */
export function quietState(hours: Pick<QuietHours, 'from' | 'to'>, timeZone: string, at: Date): QuietState {
  const atMs = at.getTime();
  if (minutesOf(hours.from) === minutesOf(hours.to)) return { inside: false, startsAt: new Date(8.64e15) };
  const today = wallClock(timeZone, atMs).date;
  // The window containing `at` started yesterday (wrapping) or today; the next one starts today or tomorrow.
  for (const days of [-1, 0]) {
    const { start, end } = windowStartingOn(hours, timeZone, addDays(today, days));
    if (start <= atMs && atMs < end) return { inside: true, endsAt: new Date(end) };
  }
  for (const days of [0, 1]) {
    const { start, end } = windowStartingOn(hours, timeZone, addDays(today, days));
    if (start > atMs && end > start) return { inside: false, startsAt: new Date(start) };
  }
  // Only reached when a transition swallows a whole window; the day after has a normal one.
  return { inside: false, startsAt: new Date(windowStartingOn(hours, timeZone, addDays(today, 2)).start) };
}

/**
 * When a delivery due at `at` may go out: `at` itself outside quiet hours,
 * else the end of the window. For callers that only need to wait (the
 * event-triggered path): `sleep(quietUntil(...) - now)`.
 *
 * @example
 * quietUntil({ from: '22:00', to: '08:00' }, 'Asia/Shanghai', new Date('2026-03-01T15:00:00Z')); // 2026-03-02T00:00:00.000Z
 */
export function quietUntil(hours: Pick<QuietHours, 'from' | 'to'> | null | undefined, timeZone: string, at: Date): Date {
  if (!hours) return at;
  const state = quietState(hours, timeZone, at);
  return state.inside ? state.endsAt : at;
}

/**
 * The end of the quiet window that holds a range of sends, or null: decided
 * at its first send, the later of now and that send's due time, since an
 * event run claims sends up to half a second before they fall due (a range
 * claimed just before quiet hours end is not held or skipped for them).
 *
 * @example
 * quietAtFirstSend({ from: '22:00', to: '08:00' }, 'Asia/Shanghai', Date.parse('2026-03-01T23:59:59.700Z'), Date.parse('2026-03-02T00:00:00.100Z')); // null
 */
export function quietAtFirstSend(hours: Pick<QuietHours, 'from' | 'to'>, timeZone: string, nowMs: number, firstDueMs: number | null): Date | null {
  const state = quietState(hours, timeZone, new Date(Math.max(nowMs, firstDueMs ?? nowMs)));
  return state.inside ? state.endsAt : null;
}

/**
 * A cheap repeated check for a sending loop: answers the end of the quiet
 * window when `nowMs` is inside one, else null. Between windows it costs one
 * comparison; the zone's rules are consulted only when a window starts or ends.
 *
 * @example
 * const quietAt = quietWatch({ from: '22:00', to: '08:00' }, 'Asia/Shanghai', Date.now());
 * if (quietAt(Date.now())) stopSending();
 */
export function quietWatch(hours: Pick<QuietHours, 'from' | 'to'>, timeZone: string, startMs: number): (nowMs: number) => Date | null {
  let window = windowAround(hours, timeZone, startMs);
  return function quietAt(nowMs) {
    if (nowMs < window.start) return null;
    if (nowMs >= window.end) {
      window = windowAround(hours, timeZone, nowMs);
      if (nowMs < window.start) return null;
    }
    return new Date(window.end);
  };
}

/** The window containing `atMs`, or the next one. */
function windowAround(hours: Pick<QuietHours, 'from' | 'to'>, timeZone: string, atMs: number): { start: number; end: number } {
  const state = quietState(hours, timeZone, new Date(atMs));
  if (state.inside) return { start: atMs, end: state.endsAt.getTime() };
  const start = state.startsAt.getTime();
  const next = quietState(hours, timeZone, state.startsAt);
  return { start, end: next.inside ? next.endsAt.getTime() : start };
}
