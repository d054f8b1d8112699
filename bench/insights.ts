/**
 * `npm run bench:insights [users]`: what the campaign detail page's chart and
 * failure groups cost on a big run. Creates a throwaway database (on
 * BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) with
 * one run of `users` recipients (default 1,000,000), one attempt each spread
 * over 30 minutes, 5% failed in three classes and 1% skipped, then times
 * GET /timeline's and GET /failures' queries (five reads each) and drops it.
 */
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { createDatabase } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { failureReasons, runTimeline } from '../runs/insights.js';
import { ADMIN_URL } from './harness.js';

const users = Number(process.argv[2] ?? 1_000_000);
const say = (line: string) => console.log(`[bench:insights] ${line}`);
const name = `hookcast_bench_insights_${process.pid}`;
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`CREATE DATABASE ${name}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
const { db, close } = createDatabase(url.toString());
try {
  await migrateDatabase(db);
  const runId = '11111111-1111-4111-8111-111111111111';
  say(`seeding one run of ${users.toLocaleString('en')} users…`);
  await db.execute(sql`
    WITH c AS (INSERT INTO campaigns (name, trigger) VALUES ('bench', '{"type":"once","sendAt":"now"}') RETURNING id)
    INSERT INTO campaign_runs (id, campaign_id, workflow_id, status, definition, send_at, started_at, finished_at)
    SELECT ${runId}::uuid, c.id, 'bench-insights', 'completed', '{}', now() - interval '30 minutes', now() - interval '30 minutes', now() FROM c`);
  await db.execute(sql`INSERT INTO users (id, login_id) SELECT gen_random_uuid(), 'b-' || g FROM generate_series(1, ${users}::int) g`);
  await db.execute(sql`
    INSERT INTO run_recipients (run_id, seq, user_id, address, status, attempts, last_http_status, last_attempt_at)
    SELECT ${runId}::uuid, row_number() OVER (), id, login_id,
      CASE WHEN random() < 0.05 THEN 'failed' WHEN random() < 0.01 THEN 'skipped' ELSE 'succeeded' END, 1, 200, now()
    FROM users`);
  await db.execute(sql`
    UPDATE run_recipients SET last_error_class = (ARRAY['http_400', 'http_404', 'timeout'])[1 + (seq % 3)], last_error_message = 'example'
    WHERE run_id = ${runId}::uuid AND status <> 'succeeded'`);
  await db.execute(sql`
    INSERT INTO delivery_attempts (run_id, seq, attempt, started_at, latency_ms, http_status, outcome, error_class)
    SELECT run_id, seq, 1, now() - make_interval(secs => random() * 1800), 20, 200,
           CASE WHEN status = 'failed' THEN 'failed' ELSE 'succeeded' END, last_error_class
    FROM run_recipients WHERE run_id = ${runId}::uuid AND status <> 'skipped'`);
  await db.execute(sql`ANALYZE`);
  for (const [label, read] of [['timeline', () => runTimeline(db, runId)], ['failures', () => failureReasons(db, runId)]] as const) {
    const ms: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await read();
      ms.push(performance.now() - started);
    }
    ms.sort((a, b) => a - b);
    say(`${label}: median ${ms[2]!.toFixed(0)} ms, slowest ${ms[4]!.toFixed(0)} ms (5 reads)`);
  }
} finally {
  await close();
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
