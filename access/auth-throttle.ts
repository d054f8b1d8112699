/*
 * Failed authentication, counted per client address: after FAILURE_LIMIT
 * wrong keys within WINDOW_MS, the address gets 429 (with Retry-After) for
 * every /api request until the window ends, right key or not (otherwise the
 * answer would still tell a guess that hit). Per API process, in memory: a
 * restart forgets, and each process counts on its own.
 */

export const FAILURE_LIMIT = 20;
export const WINDOW_MS = 60_000;
/** Addresses remembered at most; the oldest are forgotten first (a flood of addresses cannot grow memory). */
const MAX_ADDRESSES = 10_000;

export function createAuthThrottle(options: { limit?: number; windowMs?: number; now?: () => number } = {}) {
  const limit = options.limit ?? FAILURE_LIMIT;
  const windowMs = options.windowMs ?? WINDOW_MS;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { startedAt: number; failures: number }>();

  function current(address: string) {
    const entry = windows.get(address);
    if (entry && now() - entry.startedAt >= windowMs) {
      windows.delete(address);
      return undefined;
    }
    return entry;
  }

  return {
    /** Seconds until the address may try again, or 0 when it may now. */
    retryAfterSeconds(address: string): number {
      const entry = current(address);
      if (!entry || entry.failures < limit) return 0;
      return Math.max(1, Math.ceil((entry.startedAt + windowMs - now()) / 1000));
    },
    /** Counts a wrong key from the address. */
    failed(address: string) {
      const entry = current(address);
      if (entry) {
        entry.failures += 1;
        return;
      }
      if (windows.size >= MAX_ADDRESSES) windows.delete(windows.keys().next().value!);
      windows.set(address, { startedAt: now(), failures: 1 });
    },
  };
}

export type AuthThrottle = ReturnType<typeof createAuthThrottle>;
