import type { Context, MiddlewareHandler } from 'hono';

/*
 * Ingestion (POST /api/events, /api/users, /api/users/identify) parses,
 * validates and writes whole batches: 200 clients sending 1,000 events each
 * kept the API's event loop and its database connections so busy that
 * /healthz took seconds. At most `concurrency` ingests run at once and `queue`
 * more wait their turn; beyond that the API answers 503 `ingest_busy` with
 * Retry-After at once, before reading the body, and everything else (health,
 * campaign reads, the console) stays responsive.
 */

/** Ingests running at once by default: a few of the database pool's 10 connections, and short turns on the event loop. */
export const DEFAULT_INGEST_CONCURRENCY = 4;
/** Ingests waiting for a turn, per running one. */
const QUEUE_PER_SLOT = 4;
/** What a refused client is told to wait, in seconds. */
const RETRY_AFTER_S = 1;

/**
 * Two middlewares over one count: `admit` goes before the API key check and
 * refuses at once when ingestion is full (a refused request then costs no key
 * lookup: hundreds per second of those starved the database pool); `turn`
 * goes after it, so only a caller with a key takes or waits for a slot.
 */
export function boundIngestion(concurrency: number): { admit: MiddlewareHandler; turn: MiddlewareHandler } {
  let running = 0;
  const waiting: (() => void)[] = [];
  const queueLimit = concurrency * QUEUE_PER_SLOT;
  const full = () => running >= concurrency && waiting.length >= queueLimit;
  const busy = (c: Context) =>
    c.json(
      { error: 'ingest_busy', message: `ingestion is at capacity (${concurrency} running, ${queueLimit} waiting); retry after ${RETRY_AFTER_S} s` },
      503,
      { 'retry-after': String(RETRY_AFTER_S) },
    );
  const admit: MiddlewareHandler = async function admitIngest(c, next) {
    if (c.req.method === 'POST' && full()) return busy(c);
    await next();
  };
  const turn: MiddlewareHandler = async function ingestTurn(c, next) {
    if (c.req.method !== 'POST') return next();
    if (running >= concurrency) {
      if (waiting.length >= queueLimit) return busy(c);
      // The finishing ingest hands its slot over: `running` stays counted for the one that takes it.
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running += 1;
    }
    try {
      await next();
    } finally {
      const nextInLine = waiting.shift();
      if (nextInLine) nextInLine();
      else running -= 1;
    }
  };
  return { admit, turn };
}
