import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';

/** How much lease must remain, beyond the request's own timeout, before a request may start. */
const START_MARGIN_MS = 2_000;

/**
 * Exclusive right of one activity attempt to send for a slice of a run.
 *
 * Temporal schedules a new attempt when it stops hearing from the old one
 * (heartbeat or start-to-close timeout), but the old attempt may still be
 * alive: sending, or writing the outcomes of what it sent. Were the new attempt
 * to read "pending" users at once, it would resend those. So an attempt takes
 * the lease before it reads anything; the lease is held in PostgreSQL with an
 * expiry (PostgreSQL's clock), renewed while the holder works, and released
 * when its outcomes are written.
 *
 * The holder starts a request only while its lease, as measured on its own
 * monotonic clock from before the renewal that granted it, outlasts that
 * request's timeout plus a margin. So by the time a lease can expire and pass
 * to another attempt, every request the old holder started has ended; if the
 * old holder is still alive it has written their outcomes, and if it died they
 * are resent with the same webhook-id, which is the at-least-once contract.
 */
export interface SendLease {
  /** Takes the lease, waiting while another live attempt holds it. Rejects when `signal` aborts. */
  take(signal: AbortSignal, onWait?: () => void): Promise<void>;
  /** Extends the lease; false when it was lost (expired and taken by another attempt). */
  renew(): Promise<boolean>;
  /** Whether a request with this timeout may start now. */
  mayStart(requestTimeoutMs: number): boolean;
  release(): Promise<void>;
}

export interface SendLeaseOptions {
  runId: string;
  /** A batch's first audience position, or minus the position for one user's retries. */
  slice: number;
  /** Unique per activity attempt. */
  holder: string;
  /** Longest request timeout this holder will use; the lease lasts comfortably longer. */
  requestTimeoutMs: number;
  /** How often take() asks again while another attempt holds the lease. */
  pollMs?: number;
}

/**
 * @example
 * const lease = createSendLease(db, { runId, slice: fromSeq, holder: `${activityId}#${attempt}`, requestTimeoutMs: 10_000 });
 * await lease.take(signal);
 * if (lease.mayStart(10_000)) await send();
 * await lease.release();
 */
export function createSendLease(db: Database, options: SendLeaseOptions): SendLease {
  const { runId, slice, holder } = options;
  // Renewed every 2 s by its holder, so about three renewals may fail or lag before the holder stops
  // starting requests; a crashed holder's lease passes on within this long after its last renewal.
  const ttlMs = options.requestTimeoutMs + 4 * START_MARGIN_MS;
  const ttl = `${ttlMs} milliseconds`;
  let validUntil = 0;

  async function attempt(statement: ReturnType<typeof sql>): Promise<boolean> {
    // Measured from before the round trip: the lease the database grants ends no earlier than this.
    const asked = performance.now();
    const rows = await db.execute(statement);
    if (rows.length === 0) return false;
    validUntil = asked + ttlMs;
    return true;
  }

  const tryTake = () =>
    attempt(sql`
      INSERT INTO send_leases (run_id, slice, holder, expires_at) VALUES (${runId}, ${slice}, ${holder}, now() + ${ttl}::interval)
      ON CONFLICT (run_id, slice) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
      WHERE send_leases.expires_at < now() OR send_leases.holder = EXCLUDED.holder
      RETURNING 1`);

  return {
    async take(signal, onWait) {
      const pollMs = options.pollMs ?? 500;
      while (!(await tryTake())) {
        signal.throwIfAborted();
        onWait?.();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          }, { once: true });
        });
        signal.throwIfAborted();
      }
    },
    async renew() {
      const kept = await attempt(sql`
        UPDATE send_leases SET expires_at = now() + ${ttl}::interval
        WHERE run_id = ${runId} AND slice = ${slice} AND holder = ${holder}
        RETURNING 1`);
      if (!kept) validUntil = 0;
      return kept;
    },
    mayStart(requestTimeoutMs) {
      return validUntil - performance.now() > requestTimeoutMs + START_MARGIN_MS;
    },
    async release() {
      validUntil = 0;
      await db.execute(sql`DELETE FROM send_leases WHERE run_id = ${runId} AND slice = ${slice} AND holder = ${holder}`);
    },
  };
}

/** Drops what is left of a finished run's leases (those of attempts that died holding them). */
export async function dropSendLeases(db: Database, runId: string): Promise<void> {
  await db.execute(sql`DELETE FROM send_leases WHERE run_id = ${runId}`);
}
