import { sql } from 'drizzle-orm';
import type { Executor } from './executor.js';

/*
 * An erasure and the transactions that copy users into a run's audience (an
 * audience freeze, a claim of due firings, the relay writing firings) must
 * not overlap: a copy whose snapshot still saw the user, committed after the
 * erasure's statements ran, would leave a pending row with the user's real id
 * and address that the erasure never reached. So each copy holds this
 * advisory lock shared for its transaction (copies never wait on each other),
 * and an erasure takes it exclusively first: it waits for the copies in
 * flight to commit, then its statements see their rows; copies that start
 * meanwhile wait for it and no longer find the user. Erasures are rare and
 * short, so a copy waits at most one erasure's transaction.
 */
const ERASURE_LOCK = sql`hashtextextended('hookcast-erasure', 0)`;

/** Taken by a transaction that copies users into a run's audience, before it reads them. */
export async function holdOffErasures(tx: Executor): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${ERASURE_LOCK})`);
}

/** Taken by an erasure before anything else: waits for the copies in flight. */
export async function waitForAudienceCopies(tx: Executor): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${ERASURE_LOCK})`);
}
