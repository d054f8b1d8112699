/**
 * Concurrent and recent reads of the same key share one answer: the first
 * caller reads, everyone asking while it is on its way or for `holdMs` after
 * it arrived gets the same promise. A failed read is not kept. Bounded: past
 * `maxKeys` entries the map starts over.
 *
 * @example
 * const share = createReadShare(({ tookMs }) => 250 - tookMs);
 * const body = await share.get(`detail:${id}`, () => loadDetail(id));
 * share.forget(`detail:${id}`); // after a write through this process
 */
export function createReadShare(holdMs: (read: { tookMs: number }) => number, maxKeys = 10_000) {
  const entries = new Map<string, { until: number; body: Promise<unknown> }>();
  return {
    get<T>(key: string, read: () => Promise<T>): Promise<T> {
      const started = Date.now();
      const hit = entries.get(key);
      if (hit && started < hit.until) return hit.body as Promise<T>;
      if (entries.size > maxKeys) entries.clear();
      const entry = { until: Infinity, body: read() as Promise<unknown> };
      entries.set(key, entry);
      entry.body.then(
        () => {
          const now = Date.now();
          entry.until = now + holdMs({ tookMs: now - started });
        },
        () => {
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      return entry.body as Promise<T>;
    },
    forget(key: string): void {
      entries.delete(key);
    },
  };
}
