/**
 * Keeps this process's event loop saturated, in 30 ms slices of busy work, the
 * way many concurrent sends on one loop do, until the returned stop is awaited.
 *
 * @example
 * const stop = saturateEventLoop();
 * try { … } finally { await stop(); }
 */
export function saturateEventLoop(): () => Promise<void> {
  let busy = true;
  const hog = (async () => {
    while (busy) {
      const until = performance.now() + 30;
      while (performance.now() < until);
      await new Promise((r) => setImmediate(r));
    }
  })();
  return async () => {
    busy = false;
    await hog;
  };
}
