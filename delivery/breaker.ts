import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';

export interface BreakerOptions {
  /** How many of the channel's latest attempts are judged. */
  window: number;
  /** Trips when at least this share of the judged attempts failed. */
  threshold: number;
  /** No verdict before this many attempts, so a few early failures do not pause a campaign. */
  minSamples: number;
  /**
   * After a trip, outcomes are ignored this long: requests already in flight
   * when the channel tripped report their failures too, and they must not
   * count against the run once an operator resumes it.
   */
  quietMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = { window: 200, threshold: 0.5, minSamples: 20, quietMs: 10_000 };

export interface Trip {
  /** For operators, e.g. "endpoint failed 104 of the last 200 attempts (http_503 ×80, timeout ×24)". */
  reason: string;
  failures: number;
  attempts: number;
}

interface Window {
  /** Ring of the latest outcomes: the failure class, or null for a success. */
  ring: (string | null)[];
  next: number;
  size: number;
  failures: number;
  classes: Map<string, number>;
  quietUntil: number;
}

/**
 * A circuit breaker per channel over a sliding window of its latest attempts.
 *
 * It lives in each worker process and judges the attempts that process made,
 * not all of the channel's attempts: activities spread a channel's requests
 * over every worker, so each one sees a sample of the same endpoint, and an
 * endpoint that fails persistently fails in every sample. This keeps a shared
 * write off the path of every request; the price is that each of W workers
 * needs its own evidence, so at most W × window × threshold failed attempts
 * (plus those in flight) happen before the campaigns pause. The action a trip
 * triggers (tripChannel, then a pause of each campaign) is idempotent, so
 * several workers tripping the same channel is harmless.
 *
 * @example
 * const breaker = createBreaker();
 * const trip = breaker.record(channelId, verdict.kind === 'succeeded' ? null : verdict.errorClass);
 * if (trip) await tripChannel(db, channelId, trip.reason);
 */
export function createBreaker(options: Partial<BreakerOptions> = {}) {
  const settings = { ...DEFAULT_BREAKER_OPTIONS, ...options };
  if (settings.minSamples > settings.window) throw new RangeError('minSamples must not exceed window');
  const windows = new Map<string, Window>();

  function fresh(quietUntil = 0): Window {
    return { ring: new Array<string | null>(settings.window).fill(null), next: 0, size: 0, failures: 0, classes: new Map(), quietUntil };
  }

  function describe(w: Window): string {
    const top = [...w.classes.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 3)
      .map(([name, n]) => `${name} ×${n}`)
      .join(', ');
    return `endpoint failed ${w.failures} of the last ${w.size} attempts (${top})`;
  }

  /**
   * Records one attempt (failure class, or null when the endpoint answered 2xx)
   * and answers a Trip the moment the channel crosses the threshold; once per
   * trip: the window starts afresh after the quiet period.
   */
  function record(channelId: string, failure: string | null, now: number = Date.now()): Trip | null {
    let w = windows.get(channelId);
    if (!w) {
      w = fresh();
      windows.set(channelId, w);
    }
    if (now < w.quietUntil) return null;
    if (w.size === settings.window) {
      const evicted = w.ring[w.next]!;
      if (evicted !== null) {
        w.failures -= 1;
        const left = w.classes.get(evicted)! - 1;
        if (left === 0) w.classes.delete(evicted);
        else w.classes.set(evicted, left);
      }
    } else {
      w.size += 1;
    }
    w.ring[w.next] = failure;
    w.next = (w.next + 1) % settings.window;
    if (failure !== null) {
      w.failures += 1;
      w.classes.set(failure, (w.classes.get(failure) ?? 0) + 1);
    }
    if (w.size < settings.minSamples || w.failures < settings.threshold * w.size) return null;
    const trip = { reason: describe(w), failures: w.failures, attempts: w.size };
    windows.set(channelId, fresh(now + settings.quietMs));
    return trip;
  }

  return {
    record,
    /** Forgets a channel's history (e.g. after an operator edited its endpoint). */
    reset: (channelId: string) => windows.delete(channelId),
    /** Current judgement of a channel, for tests and diagnostics. */
    peek(channelId: string) {
      const w = windows.get(channelId);
      return w ? { attempts: w.size, failures: w.failures } : { attempts: 0, failures: 0 };
    },
  };
}

export type Breaker = ReturnType<typeof createBreaker>;

export interface TrippedCampaign {
  campaignId: string;
  runId: string;
  workflowId: string;
  /** The run's control epoch before the breaker's pause (names the pause's Update). */
  controlEpoch: number;
}

/**
 * The database side of a trip: records the reason on every running campaign
 * of the channel whose run is still sending, and answers them so the caller
 * can pause each workflow (Temporal's pause Update sets the status and the
 * run's control flag). A campaign that already carries a reason (another
 * worker tripped first) is not answered again. The reason never contains
 * request data: it is built from status codes and error classes only.
 */
export async function tripChannel(db: Database, channelId: string, reason: string): Promise<TrippedCampaign[]> {
  const rows = await db.execute<{ campaign_id: string; run_id: string; workflow_id: string; control_epoch: number }>(sql`
    UPDATE campaigns c SET pause_reason = ${`circuit breaker: ${reason}`}, updated_at = now()
    FROM campaign_runs r
    WHERE c.channel_id = ${channelId} AND c.status = 'running' AND c.pause_reason IS NULL
      AND r.id = c.current_run_id AND r.control = 'run'
    RETURNING c.id AS campaign_id, r.id AS run_id, r.workflow_id, r.control_epoch`);
  return rows.map((row) => ({ campaignId: row.campaign_id, runId: row.run_id, workflowId: row.workflow_id, controlEpoch: row.control_epoch }));
}
