/**
 * `npm run bench:effect [-- --recipients N --events M --runs R --reseed]`
 *
 * Seeds a separate database (hookcast_bench_effect, on the server of
 * BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres)
 * with N users (default 1,000,000), a one-time campaign whose run sent them
 * all (10 % held out, 1 % failed, sends spread over 70 s), two smaller runs
 * of the same campaign (10 % and 30 % of the users) for the scaling table,
 * and M events (default 10,000,000) over the 14 days around the send, stored
 * in the order they happened (as ingestion appends them, give or take a
 * minute), of uniformly random users: page_view 50 %, view_item 15 %,
 * add_to_cart 15 %, order 10 % (amount 0–499), others 10 %. It reuses the
 * database when it already holds that data.
 *
 * Then, for the goal "order with amount ≥ 100 within P3D, value amount", it
 * times the effect of each run measured live (what GET /api/campaigns/:id/effect
 * computes before the window closes), prints the plan of the biggest one with
 * the indexes it uses, stores the final figures as the run's workflow does,
 * and times the answer read back. Targets: ≤ 2 s live, ≤ 100 ms final.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { createDatabase } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { campaigns } from '../db/schema.js';
import { ATTRIBUTION_SETTINGS, conversionsStatement, groupsStatement } from '../effect/attribution.js';
import type { Goal } from '../contracts/goal.js';
import { campaignEffect, finalizeRunEffect } from '../effect/store.js';

const DATABASE = 'hookcast_bench_effect';
const GENERATOR_VERSION = 2;
/** The run's send time; events span a week before and after it. */
const SEND_AT = new Date('2026-03-15T02:00:00Z');
const SEND_SECONDS = 70;
const CAMPAIGN_ID = '00000000-0000-4000-8000-00000000e000';
const RUN_IDS = { full: '00000000-0000-4000-8000-00000000e001', tenth: '00000000-0000-4000-8000-00000000e002', third: '00000000-0000-4000-8000-00000000e003' };
const GOAL: Goal = { event: 'order', where: [{ property: 'amount', op: 'gte', value: 100 }], within: 'P3D', value: 'amount' };
const LIVE_TARGET_MS = 2000;
const FINAL_TARGET_MS = 100;

const log = (line = '') => console.log(line);

function options() {
  const { values } = parseArgs({
    options: {
      recipients: { type: 'string', default: '1000000' },
      events: { type: 'string', default: '10000000' },
      runs: { type: 'string', default: '5' },
      reseed: { type: 'boolean', default: false },
    },
  });
  const number = (name: string, value: string) => {
    const parsed = Number(value.replaceAll('_', ''));
    if (!Number.isSafeInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer`);
    return parsed;
  };
  return { users: number('recipients', values.recipients), events: number('events', values.events), runs: number('runs', values.runs), reseed: values.reseed };
}

type Size = { users: number; events: number };

async function seededSize(url: string): Promise<Size | undefined> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await client<{ users: string; events: string; version: number }[]>`SELECT users, events, version FROM bench_meta`;
    return row && row.version === GENERATOR_VERSION ? { users: Number(row.users), events: Number(row.events) } : undefined;
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}

const definition = JSON.stringify({ campaignName: 'bench effect', identity: 'login', goal: GOAL, holdout: { percent: 10, draw: 1 } });

/** The whole data set in SQL (generate_series), deterministic: every value derives from a hash of the row number. */
async function seed(client: postgres.Sql, size: Size) {
  await client.unsafe(`
    CREATE OR REPLACE FUNCTION bench_rand(i bigint, salt bigint) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (hashint8extended(i, salt) & 1048575)::float8 / 1048576 $$`);
  const indexes = await client<{ name: string; definition: string }[]>`
    SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
    WHERE i.schemaname = 'public' AND i.tablename IN ('users', 'events', 'run_recipients')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`;
  for (const index of indexes) await client.unsafe(`DROP INDEX ${index.name}`);
  let started = performance.now();
  const took = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  await client.unsafe(`INSERT INTO users (id, login_id) SELECT md5('user-' || i)::uuid, 'L' || i FROM generate_series(1, ${size.users}) AS i`);
  log(`  users: ${size.users.toLocaleString('en')} in ${took()}`);

  started = performance.now();
  await client.unsafe(`
    INSERT INTO campaigns (id, name, status, trigger, definition, goal, holdout)
    VALUES ('${CAMPAIGN_ID}', 'bench effect', 'completed', '{"type":"once","sendAt":"now"}', '${definition}', '${JSON.stringify(GOAL)}', '{"percent":10}')`);
  const runs: [string, number][] = [
    [RUN_IDS.full, size.users],
    [RUN_IDS.tenth, Math.max(1, Math.floor(size.users / 10))],
    [RUN_IDS.third, Math.max(1, Math.floor((size.users * 3) / 10))],
  ];
  for (const [id, n] of runs) {
    const finished = new Date(SEND_AT.getTime() + SEND_SECONDS * 1000).toISOString();
    await client.unsafe(`
      INSERT INTO campaign_runs (id, campaign_id, workflow_id, status, trigger, definition, send_at, started_at, finished_at, total, skipped, frozen_at)
      VALUES ('${id}', '${CAMPAIGN_ID}', 'bench-${id}', 'completed', 'once', '${definition}', '${SEND_AT.toISOString()}', '${SEND_AT.toISOString()}', '${finished}', ${n}, 0, '${SEND_AT.toISOString()}')`);
    // 10 % held out (as the hash would), 1 % failed, the rest sent; sends spread evenly over 70 s.
    await client.unsafe(`
      INSERT INTO run_recipients (run_id, seq, user_id, address, status, attempts, last_attempt_at, first_attempt_at, held_out_at)
      SELECT '${id}', i, md5('user-' || i)::uuid, 'L' || i, s.status, CASE WHEN s.status = 'held_out' THEN 0 ELSE 1 END,
             CASE WHEN s.status <> 'held_out' THEN s.at END, CASE WHEN s.status <> 'held_out' THEN s.at END,
             CASE WHEN s.status = 'held_out' THEN s.at END
      FROM generate_series(1, ${n}) AS i
      CROSS JOIN LATERAL (SELECT CASE WHEN bench_rand(i, 1) < 0.10 THEN 'held_out' WHEN bench_rand(i, 1) < 0.11 THEN 'failed' ELSE 'succeeded' END AS status,
                                 '${SEND_AT.toISOString()}'::timestamptz + (i::float8 / ${n} * ${SEND_SECONDS}) * interval '1 second' AS at) s`);
  }
  await client.unsafe(`ANALYZE campaign_runs`);
  log(`  runs of ${runs.map(([, n]) => n.toLocaleString('en')).join(', ')} recipients in ${took()}`);

  started = performance.now();
  const chunk = 1_000_000;
  const ranges: [number, number][] = [];
  for (let from = 1; from <= size.events; from += chunk) ranges.push([from, Math.min(size.events, from + chunk - 1)]);
  const worker = async () => {
    for (let range = ranges.shift(); range; range = ranges.shift()) {
      const [from, to] = range;
      await client.begin(async (tx) => {
        // The generator's users all exist; skipping the per-row FK trigger is what makes 10M rows take minutes.
        await tx.unsafe(`SET LOCAL session_replication_role = replica`);
        await tx.unsafe(`SET LOCAL synchronous_commit = off`);
        await tx.unsafe(`
          INSERT INTO events (user_id, name, properties, occurred_at, received_at)
          SELECT md5('user-' || (1 + floor(${size.users} * bench_rand(j, 11))::bigint))::uuid, n.name,
                 CASE WHEN n.name = 'order' THEN jsonb_build_object('amount', floor(bench_rand(j, 14) * 500)::int) ELSE '{}'::jsonb END,
                 t.at, t.at
          FROM generate_series(${from}, ${to}) AS j
          CROSS JOIN LATERAL (SELECT '${SEND_AT.toISOString()}'::timestamptz - interval '7 days'
                                     + ((j - 1)::float8 / ${size.events} * 14) * interval '1 day' + bench_rand(j, 13) * interval '1 minute' AS at) t
          CROSS JOIN LATERAL (SELECT CASE
            WHEN bench_rand(j, 12) < 0.50 THEN 'page_view' WHEN bench_rand(j, 12) < 0.65 THEN 'view_item'
            WHEN bench_rand(j, 12) < 0.80 THEN 'add_to_cart' WHEN bench_rand(j, 12) < 0.90 THEN 'order'
            ELSE 'custom_' || (floor(bench_rand(j, 12) * 1000)::int % 10) END AS name) n`);
      });
    }
  };
  await Promise.all([worker(), worker()]);
  log(`  events: ${size.events.toLocaleString('en')} in ${took()}`);

  started = performance.now();
  await Promise.all(
    [0, 1].map(async (lane) => {
      for (const index of indexes.filter((_, i) => i % 2 === lane)) {
        await client.begin(async (tx) => {
          await tx.unsafe(`SET LOCAL maintenance_work_mem = '1GB'`);
          await tx.unsafe(index.definition);
        });
      }
    }),
  );
  log(`  indexes rebuilt (${indexes.map((i) => i.name).join(', ')}) in ${took()}`);
  started = performance.now();
  for (const table of ['users', 'events', 'run_recipients']) await client.unsafe(`VACUUM (ANALYZE) ${table}`);
  log(`  vacuum analyze in ${took()}`);
}

async function prepare(adminUrl: string, size: Size, reseed: boolean): Promise<string> {
  const url = new URL(adminUrl);
  url.pathname = `/${DATABASE}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${DATABASE}`;
    const current = exists && !reseed ? await seededSize(url.toString()) : undefined;
    if (current && current.users === size.users && current.events === size.events) {
      log(`reusing ${DATABASE} (${size.users.toLocaleString('en')} recipients, ${size.events.toLocaleString('en')} events)`);
      return url.toString();
    }
    log(`creating ${DATABASE} from scratch`);
    await admin.unsafe(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  const database = createDatabase(url.toString(), { max: 1 });
  await migrateDatabase(database.db);
  await database.close();
  const client = postgres(url.toString(), { max: 2, onnotice: () => {} });
  try {
    await seed(client, size);
    await client`CREATE TABLE bench_meta (users bigint, events bigint, version int)`;
    await client`INSERT INTO bench_meta VALUES (${size.users}, ${size.events}, ${GENERATOR_VERSION})`;
  } finally {
    await client.end();
  }
  return url.toString();
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

/** One warm-up run, then the median of `runs` timed runs. */
async function medianOf<T>(runs: number, work: () => Promise<T>): Promise<{ median: number; first: number; result: T; all: number[] }> {
  const { result, ms: first } = await timed(work);
  const all: number[] = [];
  for (let run = 0; run < runs; run += 1) all.push((await timed(work)).ms);
  const sorted = [...all].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return { median: sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2, first, result, all };
}

const ms = (n: number) => n.toFixed(n < 10 ? 1 : 0);

async function main() {
  const { users, events, runs, reseed } = options();
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = await prepare(adminUrl, { users, events }, reseed);
  const database = createDatabase(url, { max: 2 });
  const { db } = database;
  let missed = false;
  try {
    // Stored figures from an earlier bench run are dropped: each run measures the live answer first.
    await db.execute(sql`DELETE FROM run_effects`);
    const [version] = await db.execute<{ server_version: string }>(sql`SHOW server_version`);
    const [sizes] = await db.execute<{ events: string; recipients: string }>(sql`
      SELECT pg_size_pretty(pg_total_relation_size('events')) AS events, pg_size_pretty(pg_total_relation_size('run_recipients')) AS recipients`);
    log();
    log(`date ${new Date().toISOString()}, PostgreSQL ${version!.server_version}, ${cpus().length} cores, node ${process.version}`);
    log(`data: ${events.toLocaleString('en')} events (${sizes!.events} with indexes), run_recipients ${sizes!.recipients}`);
    log(`goal: ${JSON.stringify(GOAL)}`);
    // The machine is shared: the load and a plain scan say how busy it was while these figures were taken.
    const scan = await timed(() => db.execute(sql`SELECT count(*) FROM events`));
    log(`load average ${loadavg().map((n) => n.toFixed(1)).join(' ')}; SELECT count(*) FROM events: ${ms(scan.ms)} ms`);
    const [campaign] = await db.select().from(campaigns).where(eq(campaigns.id, CAMPAIGN_ID));
    const now = new Date(SEND_AT.getTime() + 60_000);

    log();
    log(`live (provisional) effect of one run, ${runs} timed runs after a warm-up:`);
    log(`${'recipients'.padStart(12)} ${'goal events in span'.padStart(20)} ${'sent'.padStart(9)} ${'control'.padStart(9)} ${'first ms'.padStart(9)} ${'median ms'.padStart(10)}`);
    for (const runId of [RUN_IDS.tenth, RUN_IDS.third, RUN_IDS.full]) {
      const [facts] = await db.execute<{ n: number; span: number }>(sql`
        SELECT (SELECT total FROM campaign_runs WHERE id = ${runId}) AS n,
               (SELECT count(*)::int FROM events WHERE name = 'order' AND occurred_at >= ${SEND_AT.toISOString()}::timestamptz
                  AND occurred_at < ${SEND_AT.toISOString()}::timestamptz + interval '3 days 70 seconds') AS span`);
      const live = await medianOf(runs, () => campaignEffect(db, campaign!, runId, now));
      log(
        `${facts!.n.toLocaleString('en').padStart(12)} ${facts!.span.toLocaleString('en').padStart(20)} ${live.result.sent.users.toLocaleString('en').padStart(9)} ${(live.result.control?.users ?? 0).toLocaleString('en').padStart(9)} ${ms(live.first).padStart(9)} ${ms(live.median).padStart(10)}  [${live.all.map(ms).join(', ')}]`,
      );
      if (runId === RUN_IDS.full) {
        const verdict = live.median <= LIVE_TARGET_MS ? 'ok' : 'MISSED';
        if (verdict === 'MISSED') missed = true;
        log(`  full run: median ${ms(live.median)} ms, target ≤ ${LIVE_TARGET_MS} ms: ${verdict}`);
        const r = live.result;
        log(`  answer: sent ${r.sent.conversions}/${r.sent.users} (${((r.sent.rate ?? 0) * 100).toFixed(2)} %), control ${r.control?.conversions}/${r.control?.users}, difference ${((r.difference?.rate ?? 0) * 100).toFixed(2)} pp [${((r.difference?.interval.low ?? 0) * 100).toFixed(2)}, ${((r.difference?.interval.high ?? 0) * 100).toFixed(2)}]`);
      }
    }

    const [run] = await db.execute<{ id: string; send_at: string; finished_at: string }>(sql`SELECT id, send_at, finished_at FROM campaign_runs WHERE id = ${RUN_IDS.full}`);
    const measured = { id: run!.id, sendAt: new Date(run!.send_at), finishedAt: new Date(run!.finished_at), holdout: true };
    for (const [what, statement] of [
      ['group sizes', groupsStatement(measured)],
      ['conversions', conversionsStatement(measured, GOAL, now)],
    ] as const) {
      const plan = await db.transaction(async (tx) => {
        for (const setting of ATTRIBUTION_SETTINGS) await tx.execute(setting);
        return tx.execute<{ 'QUERY PLAN': string }>(sql`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${statement}`);
      });
      const lines = plan.map((row) => row['QUERY PLAN']);
      log();
      log(`plan of the full run's ${what} (EXPLAIN ANALYZE, BUFFERS):`);
      for (const line of lines) log(`  ${line}`);
      const usedIndexes = [...new Set(lines.flatMap((line) => [...line.matchAll(/Index (?:Only )?Scan (?:using|on) (\w+)/g)].map((m) => m[1]!)))];
      log(`indexes used: ${usedIndexes.join(', ') || 'none'}`);
    }

    log();
    const done = new Date(SEND_AT.getTime() + SEND_SECONDS * 1000 + 3 * 86_400_000 + 3_600_000 + 1000);
    const stored = await timed(async () => {
      for (const id of Object.values(RUN_IDS)) await finalizeRunEffect(db, id, done);
    });
    log(`finalizeEffect of the three runs (measure and store, as each run's workflow does once its window closed): ${ms(stored.ms)} ms`);
    const final = await medianOf(Math.max(runs, 20), () => campaignEffect(db, campaign!, RUN_IDS.full, done));
    const all = await medianOf(Math.max(runs, 20), () => campaignEffect(db, campaign!, null, done));
    const verdict = final.median <= FINAL_TARGET_MS ? 'ok' : 'MISSED';
    if (verdict === 'MISSED') missed = true;
    log(`final (stored) effect of the full run: status ${final.result.status}, median ${ms(final.median)} ms (first ${ms(final.first)} ms), target ≤ ${FINAL_TARGET_MS} ms: ${verdict}`);
    log(`final effect over all three runs: median ${ms(all.median)} ms`);
    if (missed) process.exitCode = 1;
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
