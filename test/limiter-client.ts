/**
 * A stand-in worker process for the limiter tests: its own limiter and
 * database pool, sending to a receiver as fast as the limiter allows.
 * Run with `node --import tsx test/limiter-client.ts` and these variables:
 * DATABASE_URL, CHANNEL_ID, PER_SECOND, CONCURRENCY ('' = unlimited),
 * LEASE_MS, and MODE:
 * - `send` (RECEIVER_URL, LABEL, CAMPAIGNS, LANES, DURATION_MS): prints
 *   "ready", starts on a "go" line on stdin, prints {"sent":n} at the end;
 * - `hold` (HOLD): takes HOLD permits, prints "held", never gives them back.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { createDatabase } from '../db/client.js';
import { createChannelLimiter, type ChannelLimits } from '../delivery/limiter.js';

const env = process.env;
const limit = (value: string | undefined) => (value ? Number(value) : null);
const limits: ChannelLimits = { perSecond: limit(env.PER_SECOND), concurrency: limit(env.CONCURRENCY) };
const channelId = env.CHANNEL_ID!;
const database = createDatabase(env.DATABASE_URL!, { max: 4 });
const limiter = createChannelLimiter(database.db, { leaseMs: Number(env.LEASE_MS ?? 5_000) });
await database.client`SELECT 1`;

if (env.MODE === 'hold') {
  for (let i = 0; i < Number(env.HOLD); i++) await limiter.acquire(channelId, limits);
  console.log('held');
  setInterval(() => {}, 60_000);
} else {
  console.log('ready');
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const until = Date.now() + Number(env.DURATION_MS);
  let sent = 0;
  // Each "campaign" runs several lanes, as a batch activity does.
  async function lane(campaign: number) {
    while (Date.now() < until) {
      const release = await limiter.acquire(channelId, limits);
      try {
        // Its start time on the wall clock both processes share: what the limiter controls, free of the receiver's own stalls.
        const res = await request(`${env.RECEIVER_URL}/?from=${env.LABEL}&campaign=${campaign}&startedAt=${Date.now()}`, { method: 'POST', body: '{}' });
        await res.body.dump();
        sent += 1;
      } finally {
        release();
      }
    }
  }
  const lanes = [];
  for (let c = 0; c < Number(env.CAMPAIGNS); c++) for (let l = 0; l < Number(env.LANES); l++) lanes.push(lane(c));
  await Promise.all(lanes);
  const stats = limiter.stats();
  await limiter.close();
  await database.close();
  console.log(JSON.stringify({ sent, ...stats, lagP99Ms: Math.round(lag.percentile(99) / 1e6), lagMaxMs: Math.round(lag.max / 1e6) }));
  process.exit(0);
}
