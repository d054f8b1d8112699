import type { RetrySettings } from '../contracts/channel.js';

export const DEFAULT_RETRY: RetrySettings = {
  initialIntervalMs: 5_000,
  maxIntervalMs: 3_600_000,
  maxDurationMs: 86_400_000,
};

/**
 * Delay before the next attempt, after `failedAttempts` failures: exponential
 * with ±20% jitter (so a burst of failures does not come back as a burst), and
 * never earlier than a Retry-After the receiver asked for.
 *
 * @example
 * retryDelayMs({ failedAttempts: 1, settings: DEFAULT_RETRY, random: () => 0.5 }); // 5000
 * retryDelayMs({ failedAttempts: 2, settings: DEFAULT_RETRY, random: () => 0.5 }); // 10000
 */
export function retryDelayMs(input: {
  failedAttempts: number;
  settings: RetrySettings;
  retryAfterMs?: number | null;
  random?: () => number;
}): number {
  const { failedAttempts, settings } = input;
  const exponent = Math.max(0, failedAttempts - 1);
  const base = Math.min(settings.maxIntervalMs, settings.initialIntervalMs * 2 ** Math.min(exponent, 40));
  const jitter = 0.8 + 0.4 * (input.random ?? Math.random)();
  const backoff = Math.min(settings.maxIntervalMs, Math.round(base * jitter));
  return Math.max(backoff, input.retryAfterMs ?? 0);
}
