/**
 * `npm run bench:limiter`: what the per-channel limiter costs. Times
 * acquire/release pairs at an unlimited setting against the same await without
 * a limiter, then runs 64 lanes for a few seconds against a rate limit and a
 * concurrency limit (no HTTP: a request is a 2 ms timer) and reports the rate
 * achieved and the PostgreSQL round trips per request. Prints figures; asserts
 * nothing. About 20 s.
 */
import postgres from 'postgres';
import { createDatabase } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { channels } from '../db/schema.js';
import { createChannelLimiter, type ChannelLimits, type Release } from '../delivery/limiter.js';

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'hookcast_bench_limiter';
const say = (line: string) => console.log(`[bench:limiter] ${line}`);

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
await admin.unsafe(`CREATE DATABASE ${DB_NAME}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${DB_NAME}`;
const database = createDatabase(url.toString());
await migrateDatabase(database.db);
const [channel] = await database.db.insert(channels).values({ name: 'bench', url: 'http://127.0.0.1:1/', auth: { type: 'none' } }).returning();
const channelId = channel!.id;

// 1. Unlimited: the happy path of every send. Alternating rounds, best of each, so machine noise hits both alike.
const PAIRS = 1_000_000;
const ROUNDS = 5;
const noop: Release = () => {};
const unlimited: ChannelLimits = { perSecond: null, concurrency: null };
const limiter = createChannelLimiter(database.db);
async function timePairs(acquire: () => Promise<Release>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < PAIRS; i++) (await acquire())();
  return Number(process.hrtime.bigint() - started) / PAIRS;
}
// The same await on an already resolved promise, which is what the limiter answers when both limits are null.
const resolved = Promise.resolve(noop);
const bareAcquire = () => resolved;
const limiterAcquire = () => limiter.acquire(channelId, unlimited);
await timePairs(bareAcquire); // warm up the JIT
await timePairs(limiterAcquire);
const bareRounds: number[] = [];
const limiterRounds: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  bareRounds.push(await timePairs(bareAcquire));
  limiterRounds.push(await timePairs(limiterAcquire));
}
const bare = Math.min(...bareRounds);
const withLimiter = Math.min(...limiterRounds);
say(`bare await, no limiter:    ${bare.toFixed(1)} ns per acquire/release (best of ${ROUNDS} rounds of ${PAIRS})`);
say(`limiter, both limits null: ${withLimiter.toFixed(1)} ns per acquire/release`);
const overhead = withLimiter - bare;
say(
  `unlimited overhead: ${overhead.toFixed(1)} ns per request${overhead <= 0 ? ' (none measurable: below the noise of this loop)' : ''} = ${((Math.max(0, overhead) / 80_000) * 100).toFixed(3)} % of the 80 µs a request costs in the raw undici loop of bench:campaign (~12,500/s)`,
);

// 2 and 3. Limited: 64 lanes as fast as the limiter allows, each "request" a 2 ms timer.
async function run(label: string, limits: ChannelLimits, seconds: number, lanes = 64) {
  const before = limiter.stats();
  const until = performance.now() + seconds * 1000;
  let done = 0;
  async function lane() {
    while (performance.now() < until) {
      const release = await limiter.acquire(channelId, limits);
      await new Promise((resolve) => setTimeout(resolve, 2));
      release();
      done += 1;
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: lanes }, lane));
  const rate = done / ((performance.now() - started) / 1000);
  const after = limiter.stats();
  const trips = after.rateLeases - before.rateLeases + after.concurrencySyncs - before.concurrencySyncs;
  say(
    `${label}: ${rate.toFixed(0)} requests/s; ${(trips / done).toFixed(4)} PostgreSQL round trips per request; ${after.slotsSkipped - before.slotsSkipped} slots skipped`,
  );
  return rate;
}
const perSecond = 2_000;
const rated = await run(`rate limit ${perSecond}/s            `, { perSecond, concurrency: null }, 4);
say(`  = ${((rated / perSecond) * 100).toFixed(1)} % of the limit (the 10 % headroom caps it at ${(perSecond / 1.1).toFixed(0)}/s = 90.9 %)`);
const sixteen = await run('16 lanes, no limit          ', unlimited, 2, 16);
const concurrent = await run('64 lanes, concurrency 16    ', { perSecond: null, concurrency: 16 }, 3);
say(`  = ${((concurrent / sixteen) * 100).toFixed(1)} % of the rate of 16 lanes without a limiter`);

await limiter.close();
await database.close();
await admin.unsafe(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
await admin.end();
