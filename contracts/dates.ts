const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Years 0001–9999: four digits, and PostgreSQL has no year 0 (`0000-01-01`
 * is "out of range" for date and timestamptz, so it would fail a segment
 * query or an insert later instead of the request now).
 */
function isCalendarDay(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one; UTC avoids DST gaps.
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * True for a real calendar day written `YYYY-MM-DD`. `Date` alone would roll
 * 2023-02-30 over to 2 March, so the components are checked.
 *
 * @example
 * isIsoDay('2024-02-29'); // true
 * isIsoDay('2023-02-29'); // false
 * isIsoDay('0000-01-01'); // false
 */
export function isIsoDay(value: string): boolean {
  const match = DATE_ONLY.exec(value);
  return match !== null && isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3]));
}

/**
 * Normalises an ISO 8601 date or date-time. A day stays `YYYY-MM-DD` (a calendar
 * date, no time zone); a date-time must carry `Z` or an offset, since a bare
 * local time is ambiguous, and becomes UTC with milliseconds. Anything else,
 * including impossible dates, gives undefined.
 *
 * @example
 * normalizeIsoDate('1990-02-28');                // '1990-02-28'
 * normalizeIsoDate('2026-03-01T08:00:00+08:00'); // '2026-03-01T00:00:00.000Z'
 * normalizeIsoDate('2026-03-01T08:00:00');       // undefined
 */
export function normalizeIsoDate(value: string): string | undefined {
  if (isIsoDay(value)) return value;
  const match = DATE_TIME.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, , offsetHour, offsetMinute] = match;
  if (!isCalendarDay(Number(year), Number(month), Number(day))) return undefined;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 59) return undefined;
  if (offsetHour !== undefined && (Number(offsetHour) > 23 || Number(offsetMinute) > 59)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/**
 * Parses an ISO 8601 date-time with `Z` or an offset into a Date; undefined otherwise.
 *
 * @example
 * parseIsoInstant('2026-03-01T00:30:00+08:00')?.toISOString(); // '2026-02-28T16:30:00.000Z'
 */
export function parseIsoInstant(value: string): Date | undefined {
  if (!DATE_TIME.test(value)) return undefined;
  const normalized = normalizeIsoDate(value);
  return normalized === undefined ? undefined : new Date(normalized);
}
