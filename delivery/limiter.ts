import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { channels } from '../db/schema.js';

/** A channel's limits; null means unlimited. */
export interface ChannelLimits {
  perSecond: number | null;
  concurrency: number | null;
}

/** Gives back what acquire took; call it once the request finished. Calling it twice is harmless. */
export type Release = () => void;

export interface ChannelLimiter {
  /**
   * Waits until one request to this channel may start, and resolves with its
   * release function. Rejects promptly (with the signal's reason) when the
   * signal aborts while waiting.
   */
  acquire(channelId: string, limits: ChannelLimits, signal?: AbortSignal): Promise<Release>;
  /** The release at once when `acquire` would grant without waiting (no limits on the channel), else null: call `acquire`. */
  acquireNow(channelId: string, limits: ChannelLimits): Release | null;
  /** Gives every permit back and rejects whoever still waits. */
  close(): Promise<void>;
  /** Counters since start, for benchmarks and diagnostics. */
  stats(): LimiterStats;
}

export interface LimiterStats {
  /** Round trips that leased rate slots, and the slots they leased. */
  rateLeases: number;
  slotsLeased: number;
  /** Slots passed over because they were due while this process could not use them in time. */
  slotsSkipped: number;
  /** Round trips of the concurrency limiter (lease, renew, give back). */
  concurrencySyncs: number;
}

export interface LimiterOptions {
  /**
   * Rate slots are spaced (1 + headroom) / perSecond seconds apart. Then
   * perSecond + 1 slots span (1 + headroom) seconds, so a request may start up
   * to headroom seconds (100 ms at 10 %) off its slot, through late timers,
   * clock-offset error or network jitter, without perSecond + 1 requests ever
   * reaching the receiver in one second. The price: at most
   * perSecond / (1 + headroom) requests per second.
   */
  headroom?: number;
  /** A rate slot missed by more than this (event-loop stall) is skipped rather than spent late next to the following one. */
  lateToleranceMs?: number;
  /** How far ahead of need one worker may hold rate slots: bounds how long another worker waits behind it. */
  horizonMs?: number;
  /** A busy worker keeps this much of its recent pace leased ahead, so its requests do not wait on round trips. */
  aheadMs?: number;
  /** Lifetime of a concurrency permit lease; a crashed worker's permits return after it. Renewed while held. */
  leaseMs?: number;
  /** How often a worker short of concurrency permits asks PostgreSQL again. */
  pollMs?: number;
  /** Unused concurrency permits are given back after this long without demand. */
  idleMs?: number;
  /** Identifies this process in the lease rows. */
  holder?: string;
}

const DEFAULTS = {
  headroom: 0.1,
  lateToleranceMs: 40,
  horizonMs: 300,
  aheadMs: 200,
  leaseMs: 5_000,
  pollMs: 50,
  idleMs: 100,
};

const NOOP: Release = () => {};
const GRANTED: Promise<Release> = Promise.resolve(NOOP);

/** Milliseconds since the epoch from the monotonic clock: immune to wall-clock steps, comparable with PostgreSQL's epoch times. */
function localNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Time between two of a channel's rate slots, in milliseconds. */
export function slotSpacingMs(perSecond: number, headroom: number): number {
  return (1000 * (1 + headroom)) / perSecond;
}

/**
 * How many rate slots one round trip leases: one per request waiting without
 * a slot (a slot nobody waits for would be wasted for every worker), at most
 * horizonMs worth, so a worker cannot run far ahead of the others.
 *
 * @example
 * leaseChunk(3, 21, 200);   // 3
 * leaseChunk(500, 21, 200); // 9
 */
export function leaseChunk(unserved: number, spacingMs: number, horizonMs: number): number {
  return Math.max(0, Math.min(unserved, Math.max(1, Math.floor(horizonMs / spacingMs))));
}

/**
 * How far after PostgreSQL's clock a lease's first slot starts when the
 * channel was idle: long enough for the answer to travel back before the slot
 * is due (a slot used late would bunch with the next), yet short, as it delays
 * the first request of a burst.
 */
export function leadFor(roundTripMs: number): number {
  return Math.min(100, Math.ceil(roundTripMs));
}

/**
 * Max-min fair share of a concurrency limit between workers that want
 * `wants` permits each: workers wanting less than the level get what they
 * want, the rest split what remains (rounded up, so nobody is held to 0).
 * Answers the limit itself when everyone's demand fits.
 *
 * @example
 * fairShare(10, [50, 50]); // 5
 * fairShare(10, [2, 50]);  // 8
 * fairShare(10, [3, 4]);   // 10
 */
export function fairShare(limit: number, wants: readonly number[]): number {
  const sorted = wants.filter((w) => w > 0).sort((a, b) => a - b);
  let remaining = limit;
  let n = sorted.length;
  for (const w of sorted) {
    if (w * n > remaining) break;
    remaining -= w;
    n -= 1;
  }
  return n === 0 ? limit : Math.max(1, Math.ceil(remaining / n));
}

/**
 * Estimates PostgreSQL's clock minus this process's, from round trips: the
 * server read its clock somewhere between send and receipt, so the error is
 * at most half the round trip. The shortest recent round trip wins.
 */
export function createClockOffset(maxAgeMs = 60_000) {
  let best: { offset: number; rtt: number; at: number } | null = null;
  return {
    sample(sentAt: number, receivedAt: number, serverNow: number) {
      const rtt = receivedAt - sentAt;
      const offset = serverNow - (sentAt + receivedAt) / 2;
      if (!best || rtt <= best.rtt || receivedAt - best.at > maxAgeMs) best = { offset, rtt, at: receivedAt };
    },
    get offset() {
      return best?.offset ?? 0;
    },
    get errorBoundMs() {
      return best ? best.rtt / 2 : Infinity;
    },
  };
}

interface Waiter<T> {
  grant(value: T): void;
  fail(error: unknown): void;
}

/** A FIFO of waiters that leave the queue when their signal aborts. */
function enqueue<T>(queue: Waiter<T>[], signal: AbortSignal | undefined, onLeave: () => void = () => {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      const index = queue.indexOf(waiter);
      if (index >= 0) queue.splice(index, 1);
      onLeave();
      reject(signal!.reason);
    };
    const waiter: Waiter<T> = {
      grant(value) {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      },
      fail(error) {
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      },
    };
    queue.push(waiter);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type Settings = typeof DEFAULTS & { holder: string };

/**
 * Requests per second of one channel in this process. The shared state is one
 * row per channel holding its next free slot (GCRA); a lease of k slots
 * advances it by k spacings in one statement on PostgreSQL's clock, and the
 * process then starts its k requests on those slots by local timers. Slots are
 * leased for the requests that wait plus aheadMs of this worker's pace over
 * the last second, so a busy worker does not wait a round trip per request
 * and an idle one holds none; at most horizonMs ahead, so workers that both
 * have work alternate in small chunks.
 */
class RateGate {
  spacingMs: number;
  /** Leased slot times (local clock, ascending) from index `head` on; a queue without shift()'s copying at high rates. */
  private slots: number[] = [];
  private head = 0;
  private waiters: Waiter<void>[] = [];
  private leasing = false;
  /** Smoothed round trip of the leases, for the lead of the next one. */
  private roundTripMs = 5;
  /** Grants in the current and the previous half second: this worker's recent pace. */
  private pace = { since: 0, current: 0, previous: 0 };
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  constructor(
    private readonly db: Database,
    private readonly channelId: string,
    perSecond: number,
    private readonly settings: Settings,
    private readonly clock: ReturnType<typeof createClockOffset>,
    private readonly stats: LimiterStats,
  ) {
    this.spacingMs = slotSpacingMs(perSecond, settings.headroom);
  }

  setRate(perSecond: number) {
    this.spacingMs = slotSpacingMs(perSecond, this.settings.headroom);
  }

  acquire(signal?: AbortSignal): Promise<void> {
    const waiting = enqueue(this.waiters, signal);
    this.pump();
    return waiting;
  }

  /** Lets every waiter through: the limit was lifted or the limiter closes. */
  drain(error?: unknown) {
    for (const waiter of this.waiters.splice(0)) {
      if (error) waiter.fail(error);
      else waiter.grant();
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
    this.slots = [];
    this.head = 0;
  }

  private get held() {
    return this.slots.length - this.head;
  }

  private pump = () => {
    this.timer = null;
    this.timerAt = Infinity;
    const now = localNow();
    const { slots } = this;
    while (this.head < slots.length && slots[this.head]! < now - this.settings.lateToleranceMs) {
      this.head += 1;
      this.stats.slotsSkipped += 1;
    }
    const pace = this.pace;
    if (now - pace.since >= 500) {
      pace.previous = now - pace.since >= 1000 ? 0 : pace.current;
      pace.current = 0;
      pace.since = now;
    }
    while (this.head < slots.length && this.waiters.length > 0 && slots[this.head]! <= now) {
      this.head += 1;
      pace.current += 1;
      this.waiters.shift()!.grant();
    }
    if (this.head > 1024 && this.head * 2 > slots.length) {
      this.slots = slots.slice(this.head);
      this.head = 0;
    }
    const { horizonMs, aheadMs } = this.settings;
    // One lease at a time; a new one when a waiter has no slot or what is held runs out within aheadMs / 2 (so a
    // busy worker refills in large chunks), never while it holds a horizon of slots: the others' leases come between.
    const coverage = (this.held > 0 ? this.slots.at(-1)! : now) - now;
    if (!this.leasing && coverage < horizonMs && (this.held < this.waiters.length || coverage < aheadMs / 2)) {
      const perSecond = pace.previous + pace.current; // grants over the last 0.5 to 1 s
      const recentPace = Math.ceil((perSecond * aheadMs) / 1000);
      const count = leaseChunk(this.waiters.length + recentPace - this.held, this.spacingMs, horizonMs);
      if (count > 0) void this.lease(count);
    }
    if (this.waiters.length > 0 && this.held > 0) this.arm(this.slots[this.head]!);
  };

  private arm(at: number) {
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.pump, Math.max(0, at - localNow()));
  }

  private async lease(count: number) {
    this.leasing = true;
    const spacingUs = Math.round(this.spacingMs * 1000);
    const leadUs = Math.round(leadFor(this.roundTripMs) * 1000);
    try {
      const sentAt = localNow();
      const [row] = await this.db.execute<{ first_ms: number; now_ms: number }>(sql`
        INSERT INTO channel_rate_slots AS s (channel_id, next_slot)
        VALUES (${this.channelId}, clock_timestamp() + ${leadUs + count * spacingUs}::bigint * interval '1 microsecond')
        ON CONFLICT (channel_id) DO UPDATE
          SET next_slot = greatest(s.next_slot, clock_timestamp() + ${leadUs}::bigint * interval '1 microsecond')
            + ${count * spacingUs}::bigint * interval '1 microsecond'
        RETURNING (extract(epoch FROM s.next_slot) * 1000)::float8 - ${(count * spacingUs) / 1000}::float8 AS first_ms,
                  (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms`);
      const receivedAt = localNow();
      this.roundTripMs = 0.8 * this.roundTripMs + 0.2 * (receivedAt - sentAt);
      this.clock.sample(sentAt, receivedAt, Number(row!.now_ms));
      const first = Number(row!.first_ms) - this.clock.offset;
      for (let i = 0; i < count; i++) this.slots.push(first + i * (spacingUs / 1000));
      this.stats.rateLeases += 1;
      this.stats.slotsLeased += count;
    } catch (error) {
      // Without PostgreSQL there is no safe rate: the waiting requests fail and their activity retries.
      for (const waiter of this.waiters.splice(0)) waiter.fail(error);
    } finally {
      this.leasing = false;
    }
    this.pump();
  }
}

/**
 * Concurrent requests of one channel in this process. Each permit is a row
 * (channel, slot) leased with an expiry on PostgreSQL's clock; the process
 * keeps the permits it leased while it has work, reusing them request after
 * request without a round trip, renews them every few hundred milliseconds,
 * and gives them back once idle. A crashed process's permits expire after
 * leaseMs. Each round trip also publishes how many permits this process wants,
 * and a process holding more than its fair share gives the excess back as
 * requests finish, so two busy workers converge on an even split.
 */
class ConcurrencyGate {
  limit: number;
  private held = new Set<number>();
  private idle: number[] = [];
  private inUse = new Set<number>();
  private waiters: Waiter<number>[] = [];
  private toRelease: number[] = [];
  private share = Infinity;
  private running = false;
  private closed = false;
  private lastBusyAt = 0;
  private wake: (() => void) | null = null;
  private sleepTimer: NodeJS.Timeout | null = null;
  private sleepUntil = 0;

  constructor(
    private readonly db: Database,
    private readonly channelId: string,
    limit: number,
    private readonly settings: Settings,
    private readonly stats: LimiterStats,
  ) {
    this.limit = limit;
  }

  /** The limit was lifted: whoever waits goes ahead without a permit, and held permits go back. */
  lift() {
    for (const waiter of this.waiters.splice(0)) waiter.grant(-1);
    this.setLimit(0);
  }

  setLimit(limit: number) {
    if (limit === this.limit) return;
    this.limit = limit;
    // Permits above a lowered limit are given back as soon as they are free.
    this.idle = this.idle.filter((slot) => {
      if (slot < limit) return true;
      this.held.delete(slot);
      this.toRelease.push(slot);
      return false;
    });
    this.ensureRunning(0);
  }

  acquire(signal?: AbortSignal): Promise<Release> {
    this.lastBusyAt = localNow();
    if (this.waiters.length === 0 && this.idle.length > 0 && this.inUse.size < this.limit) return Promise.resolve(this.use(this.idle.pop()!));
    const waiting = enqueue(this.waiters, signal).then((slot) => this.use(slot));
    // Ask at once unless a round trip is already due soon.
    this.ensureRunning(this.wake && this.sleepUntil - localNow() > this.settings.pollMs ? 0 : undefined);
    return waiting;
  }

  private use(slot: number): Release {
    this.inUse.add(slot);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse.delete(slot);
      this.lastBusyAt = localNow();
      this.giveBack(slot);
    };
  }

  private giveBack(slot: number) {
    if (!this.held.has(slot)) return; // its lease was lost; nothing to return
    if (slot >= this.limit || this.held.size > this.share || this.closed) {
      this.held.delete(slot);
      this.toRelease.push(slot);
      this.ensureRunning(2);
    } else {
      this.idle.push(slot);
      this.ensureRunning();
    }
    this.dispatch();
  }

  /**
   * Hands idle permits to waiters. Counting what is in use (not only which
   * permits are held) keeps a lowered limit at once: requests still running on
   * permits above it count until they finish.
   */
  private dispatch() {
    while (this.waiters.length > 0 && this.idle.length > 0 && this.inUse.size < this.limit) {
      const slot = this.idle.pop()!;
      this.inUse.add(slot); // now, not when the waiter's continuation runs: the loop's next turn must see it
      this.waiters.shift()!.grant(slot);
    }
  }

  /** Starts the sync loop, or brings its next round trip forward to within `soonMs`. */
  private ensureRunning(soonMs?: number) {
    if (!this.running) {
      this.running = true;
      void this.loop();
      return;
    }
    if (soonMs !== undefined && this.wake && this.sleepUntil > localNow() + soonMs) {
      if (this.sleepTimer) clearTimeout(this.sleepTimer);
      this.sleepUntil = localNow() + soonMs;
      const wake = this.wake;
      this.sleepTimer = setTimeout(wake, soonMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleepUntil = localNow() + ms;
      this.wake = () => {
        if (this.sleepTimer) clearTimeout(this.sleepTimer);
        this.sleepTimer = null;
        this.wake = null;
        resolve();
      };
      this.sleepTimer = setTimeout(this.wake, ms);
    });
  }

  private async loop() {
    const renewMs = Math.min(250, this.settings.leaseMs / 4);
    try {
      while (!this.closed) {
        const now = localNow();
        if (this.waiters.length === 0 && now - this.lastBusyAt >= this.settings.idleMs) {
          this.releaseIdle(this.idle.length);
        }
        if (this.held.size > this.share) this.releaseIdle(this.held.size - this.share);
        const wants = this.inUse.size + this.waiters.length;
        if (wants === 0 && this.held.size === 0 && this.toRelease.length === 0) break;
        const room = Math.min(this.limit, this.share) - this.held.size;
        const take = Math.max(0, Math.min(this.waiters.length - this.idle.length, room));
        await this.sync(wants, take);
        if (this.waiters.length > 0) await this.sleep(this.settings.pollMs);
        else if (this.toRelease.length > 0) continue;
        else if (this.idle.length > 0) await this.sleep(Math.min(renewMs, Math.max(1, this.settings.idleMs - (localNow() - this.lastBusyAt))));
        else if (this.held.size > 0) await this.sleep(renewMs);
      }
    } catch (error) {
      for (const waiter of this.waiters.splice(0)) waiter.fail(error);
    } finally {
      this.running = false;
    }
    // Demand that arrived during the last round trip.
    if (!this.closed && (this.waiters.length > 0 || this.toRelease.length > 0)) this.ensureRunning();
  }

  private releaseIdle(count: number) {
    for (let i = 0; i < count && this.idle.length > 0; i++) {
      const slot = this.idle.pop()!;
      this.held.delete(slot);
      this.toRelease.push(slot);
    }
  }

  private async sync(wants: number, take: number) {
    const keep = [...this.held];
    const release = this.toRelease.splice(0);
    this.stats.concurrencySyncs += 1;
    const [row] = await this.db.execute<{ kept: number[]; granted: number[]; others: number[] }>(sql`
      SELECT kept, granted, others FROM hookcast_sync_concurrency(
        ${this.channelId}::uuid, ${this.settings.holder}, ${this.limit}::int, ${this.settings.leaseMs}::int,
        ${pgIntArray(keep)}::int[], ${pgIntArray(release)}::int[], ${wants}::int, ${take}::int)`);
    const kept = new Set(row!.kept);
    for (const slot of keep) {
      if (kept.has(slot) || !this.held.has(slot)) continue;
      // Another worker took this permit after our lease lapsed: stop using it.
      this.held.delete(slot);
      this.idle = this.idle.filter((s) => s !== slot);
    }
    this.share = fairShare(this.limit, [wants, ...row!.others]);
    for (const slot of row!.granted) {
      this.held.add(slot);
      this.idle.push(slot);
    }
    this.dispatch();
  }

  /** Gives back every permit, including those of requests still in flight: the process is going away. */
  async close() {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.fail(new Error('limiter closed'));
    while (this.running) {
      this.wake?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (this.toRelease.length > 0 || this.held.size > 0) {
      this.toRelease.push(...this.held);
      this.held.clear();
      this.idle = [];
      await this.sync(0, 0).catch(() => {}); // best effort: the leases expire anyway
    }
  }
}

function pgIntArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}

/**
 * The per-channel limiter every sending activity goes through (first
 * attempts and retries alike), shared by all campaigns of a worker process and
 * coordinated with the other workers through PostgreSQL. With both limits
 * null it answers at once, with no round trip and no timer.
 *
 * @example
 * const limiter = createChannelLimiter(db);
 * const release = await limiter.acquire(channel.id, { perSecond: 50, concurrency: 10 }, signal);
 * try { await sendWebhook(request); } finally { release(); }
 */
export function createChannelLimiter(db: Database, options: LimiterOptions = {}): ChannelLimiter {
  const settings: Settings = {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    holder: options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
  };
  const clock = createClockOffset();
  const stats: LimiterStats = { rateLeases: 0, slotsLeased: 0, slotsSkipped: 0, concurrencySyncs: 0 };
  const rates = new Map<string, RateGate>();
  const concurrencies = new Map<string, ConcurrencyGate>();
  let closed = false;

  function rateGate(channelId: string, perSecond: number | null): RateGate | null {
    let gate = rates.get(channelId);
    if (perSecond === null) {
      if (gate) {
        rates.delete(channelId);
        gate.drain();
      }
      return null;
    }
    if (!gate) {
      gate = new RateGate(db, channelId, perSecond, settings, clock, stats);
      rates.set(channelId, gate);
    } else gate.setRate(perSecond);
    return gate;
  }

  function concurrencyGate(channelId: string, concurrency: number | null): ConcurrencyGate | null {
    let gate = concurrencies.get(channelId);
    if (concurrency === null) {
      // Requests holding its permits finish and give them back; new ones pass freely.
      if (gate) {
        concurrencies.delete(channelId);
        gate.lift();
      }
      return null;
    }
    if (!gate) {
      gate = new ConcurrencyGate(db, channelId, concurrency, settings, stats);
      concurrencies.set(channelId, gate);
    } else gate.setLimit(concurrency);
    return gate;
  }

  async function acquireLimited(channelId: string, limits: ChannelLimits, signal?: AbortSignal): Promise<Release> {
    for (const [name, value] of Object.entries(limits)) {
      if (value !== null && !(Number.isFinite(value) && value >= 1)) throw new RangeError(`rateLimit.${name} must be null or at least 1 (got ${value})`);
    }
    const concurrency = concurrencyGate(channelId, limits.concurrency);
    const rate = rateGate(channelId, limits.perSecond);
    // The permit first, then the slot: a slot spent while waiting for a permit would be lost.
    const release = concurrency ? await concurrency.acquire(signal) : NOOP;
    if (!rate) return release;
    try {
      await rate.acquire(signal);
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  return {
    acquire(channelId, limits, signal) {
      if (closed) return Promise.reject(new Error('limiter closed'));
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (limits.perSecond === null && limits.concurrency === null && !rates.has(channelId) && !concurrencies.has(channelId)) return GRANTED;
      return acquireLimited(channelId, limits, signal);
    },
    acquireNow(channelId, limits) {
      if (closed) return null;
      return limits.perSecond === null && limits.concurrency === null && !rates.has(channelId) && !concurrencies.has(channelId) ? NOOP : null;
    },
    stats: () => ({ ...stats }),
    async close() {
      closed = true;
      for (const gate of rates.values()) gate.drain(new Error('limiter closed'));
      rates.clear();
      await Promise.all([...concurrencies.values()].map((gate) => gate.close()));
      concurrencies.clear();
    },
  };
}

/**
 * Reads channels' limits live (not frozen at launch), so an operator can slow
 * a running campaign; cached ttlMs per channel so the limiter costs no read per
 * request.
 */
export function createChannelLimitsCache(db: Database, ttlMs = 2_000) {
  const cache = new Map<string, { value: Promise<ChannelLimits>; at: number; settled?: ChannelLimits }>();
  return {
    get(channelId: string): Promise<ChannelLimits> {
      const hit = cache.get(channelId);
      const now = Date.now();
      if (hit && now - hit.at < ttlMs) return hit.value;
      const value = db
        .select({ rateLimit: channels.rateLimit })
        .from(channels)
        .where(eq(channels.id, channelId))
        .then(([row]) => ({ perSecond: row?.rateLimit.perSecond ?? null, concurrency: row?.rateLimit.concurrency ?? null }));
      const entry: { value: Promise<ChannelLimits>; at: number; settled?: ChannelLimits } = { value, at: now };
      cache.set(channelId, entry);
      value.then(
        (limits) => {
          entry.settled = limits;
        },
        () => cache.delete(channelId),
      );
      return value;
    },
    /** The limits without a promise when the cached ones are fresh and have arrived, else undefined: call `get`. */
    getNow(channelId: string): ChannelLimits | undefined {
      const hit = cache.get(channelId);
      return hit?.settled && Date.now() - hit.at < ttlMs ? hit.settled : undefined;
    },
  };
}

export type ChannelLimitsCache = ReturnType<typeof createChannelLimitsCache>;
