import type { Database } from '../db/client.js';

/** A transaction handle as Drizzle passes it to `db.transaction(async (tx) => …)`. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** Anything that runs queries: the pool or an open transaction. */
export type Executor = Database | Transaction;

const RETRYABLE = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '23505', // unique_violation: a concurrent writer created the same user first
]);

function sqlState(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } }).cause ?? error;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Runs `work` in a transaction, retrying (up to `attempts` times) when it lost
 * a race with a concurrent writer: a deadlock, or a unique key another
 * transaction took first. Each retry starts from a fresh snapshot.
 *
 * @example
 * const user = await inTransactionWithRetry(db, (tx) => identifyWithin(tx, { visitorId, loginId }));
 */
export async function inTransactionWithRetry<T>(db: Database, work: (tx: Transaction) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await db.transaction(work);
    } catch (error) {
      const state = sqlState(error);
      if (attempt >= attempts || state === undefined || !RETRYABLE.has(state)) throw error;
    }
  }
}
