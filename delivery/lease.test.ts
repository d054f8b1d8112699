import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../test/database.js';
import { createSendLease, dropSendLeases } from './lease.js';

const database = useTestDatabase();
const never = new AbortController().signal;

describe('send lease', () => {
  it('lets one attempt send at a time; a second attempt waits until the first releases', async () => {
    const runId = randomUUID();
    const first = createSendLease(database.db, { runId, slice: 1, holder: 'batch#1', requestTimeoutMs: 1_000 });
    const second = createSendLease(database.db, { runId, slice: 1, holder: 'batch#2', requestTimeoutMs: 1_000, pollMs: 50 });
    await first.take(never);
    expect(first.mayStart(1_000)).toBe(true);

    let secondHolds = false;
    let waits = 0;
    const taking = second.take(never, () => (waits += 1)).then(() => (secondHolds = true));
    await new Promise((r) => setTimeout(r, 300));
    // The first attempt is still sending (or writing outcomes): the retry must not read pending users yet.
    expect(secondHolds).toBe(false);
    expect(waits).toBeGreaterThan(0);
    expect(second.mayStart(1_000)).toBe(false);

    await first.release();
    await taking;
    expect(second.mayStart(1_000)).toBe(true);
    // The first attempt lost the lease for good: renewing tells it so, and it may not start requests.
    expect(await first.renew()).toBe(false);
    expect(first.mayStart(1_000)).toBe(false);
    expect(await second.renew()).toBe(true);
    // Another slice of the same run is independent.
    await createSendLease(database.db, { runId, slice: 501, holder: 'other#1', requestTimeoutMs: 1_000 }).take(never);
  });

  it('passes to a new attempt once a dead holder lets it lapse, and not before', async () => {
    const runId = randomUUID();
    const dead = createSendLease(database.db, { runId, slice: 7, holder: 'dead#1', requestTimeoutMs: 100 });
    await dead.take(never);
    // Shorten what is left of the dead holder's lease, as if its last renewal were long ago.
    await database.db.execute(sql`UPDATE send_leases SET expires_at = now() + interval '400 milliseconds' WHERE run_id = ${runId}`);
    const next = createSendLease(database.db, { runId, slice: 7, holder: 'next#2', requestTimeoutMs: 100, pollMs: 50 });
    const started = Date.now();
    await next.take(never);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(next.mayStart(100)).toBe(true);
  });

  it('stops waiting when the attempt is cancelled', async () => {
    const runId = randomUUID();
    await createSendLease(database.db, { runId, slice: 1, holder: 'a#1', requestTimeoutMs: 1_000 }).take(never);
    const controller = new AbortController();
    const waiting = createSendLease(database.db, { runId, slice: 1, holder: 'a#2', requestTimeoutMs: 1_000, pollMs: 5_000 }).take(controller.signal);
    setTimeout(() => controller.abort(new Error('cancelled')), 100);
    const started = Date.now();
    await expect(waiting).rejects.toThrow('cancelled');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('only starts a request that ends well before the lease could pass on', async () => {
    const runId = randomUUID();
    const lease = createSendLease(database.db, { runId, slice: 1, holder: 'x#1', requestTimeoutMs: 5_000 });
    await lease.take(never);
    expect(lease.mayStart(5_000)).toBe(true);
    // A request with a far longer timeout than the lease was sized for may not start.
    expect(lease.mayStart(60_000)).toBe(false);
    await dropSendLeases(database.db, runId);
    expect(await lease.renew()).toBe(false);
  });
});
