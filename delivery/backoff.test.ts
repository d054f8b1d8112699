import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, retryDelayMs } from './backoff.js';
import { classifyAttempt, parseRetryAfter } from './outcome.js';

describe('retryDelayMs', () => {
  const mid = () => 0.5;
  it('doubles from 5 s and caps at 1 h', () => {
    const delays = [1, 2, 3, 4, 12, 13, 50].map((failedAttempts) => retryDelayMs({ failedAttempts, settings: DEFAULT_RETRY, random: mid }));
    expect(delays).toEqual([5_000, 10_000, 20_000, 40_000, 3_600_000, 3_600_000, 3_600_000]);
  });
  it('jitters within ±20% but never above the cap', () => {
    expect(retryDelayMs({ failedAttempts: 1, settings: DEFAULT_RETRY, random: () => 0 })).toBe(4_000);
    expect(retryDelayMs({ failedAttempts: 1, settings: DEFAULT_RETRY, random: () => 0.999999 })).toBe(6_000);
    expect(retryDelayMs({ failedAttempts: 20, settings: DEFAULT_RETRY, random: () => 0.999999 })).toBe(3_600_000);
  });
  it('never comes earlier than Retry-After', () => {
    expect(retryDelayMs({ failedAttempts: 1, settings: { ...DEFAULT_RETRY, initialIntervalMs: 100 }, retryAfterMs: 2_000, random: () => 0 })).toBe(2_000);
  });
});

describe('classifyAttempt', () => {
  const res = (status: number, headers: Record<string, string> = {}) => ({ verdict: status < 300 && status >= 200 ? ('ok' as const) : ('non_2xx' as const), status, response: { headers } });
  it('maps statuses and transport failures', () => {
    expect(classifyAttempt(res(204)).kind).toBe('succeeded');
    for (const status of [408, 429, 500, 502, 503, 504]) expect(classifyAttempt(res(status)).kind).toBe('retry');
    for (const status of [400, 401, 404, 422, 301, 302]) expect(classifyAttempt(res(status))).toMatchObject({ kind: 'failed', goneForGood: false });
    expect(classifyAttempt(res(410))).toMatchObject({ kind: 'failed', goneForGood: true });
    expect(classifyAttempt({ verdict: 'refused', status: null, response: null })).toEqual({ kind: 'retry', retryAfterMs: null, errorClass: 'refused' });
    expect(classifyAttempt({ verdict: 'invalid_request', status: null, response: null })).toEqual({ kind: 'failed', errorClass: 'invalid_request', goneForGood: false });
    expect(classifyAttempt({ verdict: 'forbidden_address', status: null, response: null })).toEqual({ kind: 'failed', errorClass: 'forbidden_address', goneForGood: false });
  });
  it('honours Retry-After only on 429 and 503', () => {
    expect(classifyAttempt(res(429, { 'retry-after': '2' }))).toMatchObject({ retryAfterMs: 2_000 });
    expect(classifyAttempt(res(503, { 'retry-after': '7' }))).toMatchObject({ retryAfterMs: 7_000 });
    expect(classifyAttempt(res(500, { 'retry-after': '7' }))).toMatchObject({ retryAfterMs: null });
  });
  it('reads Retry-After dates', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
  });
});
