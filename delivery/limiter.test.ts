import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../db/schema.js';
import { useTestDatabase } from '../test/database.js';
import { createChannelLimiter, createClockOffset, fairShare, leadFor, leaseChunk, slotSpacingMs } from './limiter.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Most arrivals in any window of `windowMs` (sliding, half-open). */
function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('slot arithmetic', () => {
  it('spaces slots so that no one-second window holds more than the limit, even with requests off their slots by up to the headroom', () => {
    for (const headroom of [0.05, 0.1]) {
      for (const perSecond of [1, 2, 3, 7, 10, 20, 50, 99, 1000, 10_000]) {
        const spacing = slotSpacingMs(perSecond, headroom);
        const slots = Array.from({ length: perSecond * 3 }, (_, i) => i * spacing);
        expect(maxInWindow(slots, 1000)).toBeLessThanOrEqual(perSecond);
        // A window stretched by the headroom (less a hair) is a window of requests shifted by that much jitter.
        expect(maxInWindow(slots, 1000 * (1 + headroom) - 0.5)).toBeLessThanOrEqual(perSecond);
        expect(maxInWindow(slots, 1000 * (1 + headroom) + spacing)).toBeGreaterThan(perSecond);
        // And the headroom costs no more than its share of the rate.
        expect(maxInWindow(slots, 1000)).toBeGreaterThanOrEqual(Math.floor(perSecond / (1 + headroom)));
      }
    }
  });

  it('leases one slot per waiting request, never more than a horizon', () => {
    const spacingMs = slotSpacingMs(50, 0.1); // 22 ms
    expect(leaseChunk(3, spacingMs, 200)).toBe(3);
    expect(leaseChunk(500, spacingMs, 200)).toBe(9);
    expect(leaseChunk(0, spacingMs, 200)).toBe(0);
    // A slow channel still leases one slot at a time.
    expect(leaseChunk(4, slotSpacingMs(1, 0.1), 200)).toBe(1);
    expect(leadFor(1.2)).toBe(2);
    expect(leadFor(900)).toBe(100);
  });

  it('splits a concurrency limit max-min fairly', () => {
    expect(fairShare(10, [50, 50])).toBe(5);
    expect(fairShare(10, [2, 50])).toBe(8);
    expect(fairShare(10, [3, 4])).toBe(10);
    expect(fairShare(10, [50, 50, 50])).toBe(4);
    expect(fairShare(2, [9, 9, 9])).toBe(1);
    expect(fairShare(10, [7])).toBe(10);
    expect(fairShare(10, [0, 12])).toBe(10);
  });

  it('estimates the server clock offset from the shortest round trip', () => {
    const clock = createClockOffset();
    clock.sample(1_000, 1_040, 6_030); // rtt 40: offset 5010 ± 20
    expect(clock.offset).toBe(5_010);
    clock.sample(2_000, 2_002, 7_000); // rtt 2: offset 4999 ± 1, preferred
    expect(clock.offset).toBe(4_999);
    expect(clock.errorBoundMs).toBe(1);
    clock.sample(3_000, 3_100, 8_100); // a slow round trip does not displace it
    expect(clock.offset).toBe(4_999);
  });
});

describe('limiter against PostgreSQL', () => {
  const testDb = useTestDatabase();
  let channelId: string;

  beforeAll(async () => {
    const [row] = await testDb.db.insert(channels).values({ name: 'limited', url: 'http://127.0.0.1:1/', auth: { type: 'none' } }).returning();
    channelId = row!.id;
  });

  async function limiterRows() {
    const [row] = await testDb.db.execute<{ n: number }>(sql`
      SELECT (SELECT count(*) FROM channel_rate_slots) + (SELECT count(*) FROM channel_concurrency_slots WHERE holder IS NOT NULL)
        + (SELECT count(*) FROM channel_limiter_members) AS n`);
    return Number(row!.n);
  }

  it('lets unlimited requests through at once, touching nothing shared', async () => {
    const limiter = createChannelLimiter(testDb.db);
    const unlimited = { perSecond: null, concurrency: null };
    const first = limiter.acquire(channelId, unlimited);
    expect(limiter.acquire(channelId, unlimited)).toBe(first); // one shared, already resolved promise
    const release = await first;
    release();
    expect(await limiterRows()).toBe(0);
    await limiter.close();
  });

  it('rejects promptly on abort, whether waiting for a permit or for a slot, and loses no permit', async () => {
    const limiter = createChannelLimiter(testDb.db, { idleMs: 50 });
    const limits = { perSecond: null, concurrency: 1 };
    const held = await limiter.acquire(channelId, limits);

    const controller = new AbortController();
    const waiting = limiter.acquire(channelId, limits, controller.signal);
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort(new Error('paused'));
    }, 100);
    await expect(waiting).rejects.toThrow('paused');
    expect(performance.now() - abortedAt).toBeLessThan(50);
    held();
    const again = await limiter.acquire(channelId, limits);
    again();

    // One slot per second: the second request waits about a second for its slot.
    const slow = { perSecond: 1, concurrency: 1 };
    (await limiter.acquire(channelId, slow))();
    const controller2 = new AbortController();
    const waitingForSlot = limiter.acquire(channelId, slow, controller2.signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const aborted = performance.now();
    controller2.abort(new Error('cancelled'));
    await expect(waitingForSlot).rejects.toThrow('cancelled');
    expect(performance.now() - aborted).toBeLessThan(50);
    // Its concurrency permit came back: another request gets it (after the next rate slot).
    const last = await limiter.acquire(channelId, slow, AbortSignal.timeout(3_000));
    last();
    // An already aborted signal never waits.
    await expect(limiter.acquire(channelId, limits, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    await limiter.close();
    expect(await limiterRows()).toBeLessThanOrEqual(1); // at most the channel's rate row remains
  });

  it('follows a live change of the limits: a lowered concurrency holds at once, a lifted one lets waiters go', async () => {
    const limiter = createChannelLimiter(testDb.db, { idleMs: 50 });
    const two = await Promise.all([1, 2].map(() => limiter.acquire(channelId, { perSecond: null, concurrency: 2 })));
    // Lowered to 1: a new request waits until both running ones are done, not just one.
    let third = false;
    const waiting = limiter.acquire(channelId, { perSecond: null, concurrency: 1 }).then((release) => {
      third = true;
      return release;
    });
    two[0]!();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(third).toBe(false);
    two[1]!();
    (await waiting)();
    expect(third).toBe(true);

    // Lifted while someone waits: the waiter goes ahead without a permit.
    const held = await limiter.acquire(channelId, { perSecond: null, concurrency: 1 });
    const blocked = limiter.acquire(channelId, { perSecond: null, concurrency: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const free = await limiter.acquire(channelId, { perSecond: null, concurrency: null });
    (await blocked)();
    free();
    held();
    await limiter.close();
  });

  it('gets a SIGKILLed worker’s permits back once their lease expires', async () => {
    const leaseMs = 1_500;
    const limits = { perSecond: null, concurrency: 3 };
    const child = await startClient({ MODE: 'hold', HOLD: '3', LEASE_MS: String(leaseMs), CONCURRENCY: '3' }, 'held');
    const limiter = createChannelLimiter(testDb.db, { leaseMs, pollMs: 25 });
    try {
      // While the other worker lives, its permits stay taken (it renews them).
      await expect(limiter.acquire(channelId, limits, AbortSignal.timeout(leaseMs + 500))).rejects.toThrow();
      child.kill('SIGKILL');
      const killedAt = performance.now();
      const releases = await Promise.all([1, 2, 3].map(() => limiter.acquire(channelId, limits, AbortSignal.timeout(leaseMs + 2_000))));
      const waited = performance.now() - killedAt;
      expect(waited).toBeLessThan(leaseMs + 500);
      // The last renewal was at most a quarter lease before the kill.
      expect(waited).toBeGreaterThan(leaseMs * 0.75 - 100);
      for (const release of releases) release();
    } finally {
      child.kill('SIGKILL');
      await limiter.close();
    }
  });

  describe('two worker processes, two campaigns each, one receiver', () => {
    let receiver: LoadReceiver;
    beforeAll(async () => {
      receiver = await startLoadReceiver();
    });
    afterAll(() => receiver.close());

    it('never exceeds the rate in any one-second window nor the concurrency, and shares the rate evenly', async () => {
      const perSecond = 20;
      const concurrency = 4;
      receiver.reset(10); // 4 permits × 1/10 ms: the rate binds
      const sent = await runClients({ PER_SECOND: String(perSecond), CONCURRENCY: String(concurrency) }, 5_000);
      // Counted when the senders started their requests: a loaded receiver that stalls stamps arrivals late and bunched.
      const times = receiver.arrivals.map((a) => a.startedAt);
      expect(receiver.arrivals.length).toBe(sent.a + sent.b);
      expect(maxInWindow(times, 1_000)).toBeLessThanOrEqual(perSecond);
      expect(receiver.maxInFlight).toBeLessThanOrEqual(concurrency);
      const rate = receiver.rate();
      expect(rate).toBeGreaterThanOrEqual(0.8 * perSecond);
      for (const label of ['a', 'b']) expect(receiver.arrivals.filter((r) => r.from === label).length).toBeGreaterThanOrEqual(0.25 * receiver.arrivals.length);
      console.log(`rate limit ${perSecond}/s: ${rate.toFixed(1)}/s achieved, busiest second ${maxInWindow(times, 1_000)}, max in flight ${receiver.maxInFlight}, a=${sent.a} b=${sent.b}`);
    });

    it('never exceeds the concurrency, splits it between the workers, and costs little throughput', async () => {
      const concurrency = 4;
      // Reference: the same four lanes (two per worker) without any limit.
      receiver.reset(50);
      await runClients({ PER_SECOND: '', CONCURRENCY: '' }, 4_000, 2, 1);
      const reference = receiver.rate();
      expect(receiver.maxInFlight).toBe(concurrency);

      receiver.reset(50);
      const sent = await runClients({ PER_SECOND: '', CONCURRENCY: String(concurrency) }, 4_000);
      expect(receiver.maxInFlight).toBe(concurrency);
      const rate = receiver.rate();
      expect(rate).toBeGreaterThanOrEqual(0.8 * reference);
      for (const label of ['a', 'b']) expect(receiver.arrivals.filter((r) => r.from === label).length).toBeGreaterThanOrEqual(0.25 * receiver.arrivals.length);
      console.log(`concurrency ${concurrency} at 50 ms per request: ${rate.toFixed(1)}/s, four unlimited lanes ${reference.toFixed(1)}/s, a=${sent.a} b=${sent.b}`);
    });

    async function runClients(limits: { PER_SECOND: string; CONCURRENCY: string }, durationMs: number, campaigns = 2, lanes = 8) {
      const common = { ...limits, MODE: 'send', RECEIVER_URL: receiver.url, CAMPAIGNS: String(campaigns), LANES: String(lanes), DURATION_MS: String(durationMs) };
      const [a, b] = await Promise.all([startClient({ ...common, LABEL: 'a' }, 'ready'), startClient({ ...common, LABEL: 'b' }, 'ready')]);
      a.stdin!.write('go\n');
      b.stdin!.write('go\n');
      const [sentA, sentB] = await Promise.all([lastLine(a), lastLine(b)]);
      console.log('client a', sentA, 'client b', sentB);
      return { a: JSON.parse(sentA).sent as number, b: JSON.parse(sentB).sent as number };
    }
  });

  function startClient(env: Record<string, string>, readyLine: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/limiter-client.ts'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: testDb.url, CHANNEL_ID: channelId, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (line === readyLine) resolve(child);
      });
      child.once('exit', (code) => reject(new Error(`limiter client exited with ${code} before "${readyLine}"`)));
    });
  }

  function lastLine(child: ChildProcess): Promise<string> {
    return new Promise((resolve, reject) => {
      let last = '';
      createInterface({ input: child.stdout! }).on('line', (line) => (last = line));
      child.once('exit', (code) => (code === 0 ? resolve(last) : reject(new Error(`limiter client exited with ${code}`))));
    });
  }
});

interface LoadReceiver {
  url: string;
  /** `startedAt`: when the sender started the request, by its wall clock. */
  arrivals: { at: number; startedAt: number; from: string }[];
  maxInFlight: number;
  /** Requests per second between the first and the last arrival. */
  rate(): number;
  reset(delayMs: number): void;
  close(): Promise<void>;
}

/** Records when each request arrived (as early as JavaScript sees it) and the most requests ever open at once. */
async function startLoadReceiver(): Promise<LoadReceiver> {
  let inFlight = 0;
  let delayMs = 0;
  const state = { arrivals: [] as { at: number; startedAt: number; from: string }[], maxInFlight: 0 };
  const server: Server = createServer((req, res) => {
    const at = performance.now();
    inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    state.arrivals.push({ at, startedAt: Number(query.get('startedAt')), from: query.get('from') ?? '?' });
    req.resume();
    setTimeout(() => {
      // Counted out before the answer leaves: the sender cannot release its permit any earlier.
      inFlight -= 1;
      res.end('ok');
    }, delayMs);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get arrivals() {
      return state.arrivals;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    rate() {
      const times = state.arrivals.map((a) => a.at);
      return ((times.length - 1) * 1000) / (Math.max(...times) - Math.min(...times));
    },
    reset(delay: number) {
      delayMs = delay;
      state.arrivals = [];
      state.maxInFlight = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
