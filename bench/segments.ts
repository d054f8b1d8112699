/**
 * `npm run bench:segments [-- --users N --events M --runs R --reseed]`
 *
 * Seeds a separate database (hookcast_bench_segments, on the server of
 * BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) with
 * 1,000,000 users and 10,000,000 events, or reuses it when it already holds
 * that data, then reports for each seed story: members, median query time,
 * the median of a plain `SELECT count(*) FROM events`, and their ratio. It also
 * EXPLAINs every story and fails (exit 1) if one scans events sequentially.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { sql, type SQL } from 'drizzle-orm';
import postgres from 'postgres';
import { createDatabase, type Database } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { compileSegment } from '../segments/compile.js';
import { isSegmentMember } from '../segments/membership.js';
import type { SegmentRule } from '../contracts/segment-rule.js';
import { STORIES } from '../segments/stories.js';
import { GENERATOR_VERSION, seed, type SeedSize } from './seed.js';

const DATABASE = 'hookcast_bench_segments';
/** Sunday 15 March 2026, noon in Shanghai: "yesterday" is 14 March, birthdays on 03-15. */
const REFERENCE = new Date('2026-03-15T12:00:00+08:00');
const TIME_ZONE = 'Asia/Shanghai';
const TARGET_MS = 1000;
const TARGET_RATIO = 0.5;

const log = (line = '') => console.log(line);

function options() {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '1000000' },
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
  return {
    size: { users: number('users', values.users), events: number('events', values.events) } satisfies SeedSize,
    runs: number('runs', values.runs),
    reseed: values.reseed,
  };
}

function databaseUrl(admin: string, name: string): string {
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The seeded size recorded in the bench database, if it was seeded by this generator. */
async function seededSize(url: string): Promise<SeedSize | undefined> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await client<{ users: string; events: string; version: number; reference: string }[]>`
      SELECT users, events, version, reference FROM bench_meta`;
    if (!row || row.version !== GENERATOR_VERSION || new Date(row.reference).getTime() !== REFERENCE.getTime()) return undefined;
    return { users: Number(row.users), events: Number(row.events) };
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}

/** Creates, migrates and seeds the bench database unless it already holds the requested data. */
async function prepare(adminUrl: string, size: SeedSize, reseed: boolean): Promise<string> {
  const url = databaseUrl(adminUrl, DATABASE);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${DATABASE}`;
    const current = exists && !reseed ? await seededSize(url) : undefined;
    if (current && current.users === size.users && current.events === size.events) {
      log(`reusing ${DATABASE} (${size.users.toLocaleString('en')} users, ${size.events.toLocaleString('en')} events)`);
      return url;
    }
    log(`creating ${DATABASE} from scratch`);
    await admin.unsafe(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  const database = createDatabase(url, { max: 1 });
  await migrateDatabase(database.db);
  await database.close();
  const client = postgres(url, { max: 2, onnotice: () => {} });
  try {
    await seed(client, size, REFERENCE, (line) => log(`  ${line}`));
    await client`CREATE TABLE bench_meta (users bigint, events bigint, version int, reference timestamptz)`;
    await client`INSERT INTO bench_meta VALUES (${size.users}, ${size.events}, ${GENERATOR_VERSION}, ${REFERENCE.toISOString()})`;
  } finally {
    await client.end();
  }
  return url;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

/** One warm-up run (its result and time are returned too), then the median of `runs` timed runs. */
async function medianOf<T>(runs: number, work: () => Promise<T>): Promise<{ median: number; first: number; result: T; all: number[] }> {
  const { result, ms: first } = await timed(work);
  const all: number[] = [];
  for (let run = 0; run < runs; run += 1) all.push((await timed(work)).ms);
  const sorted = [...all].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, first, result, all };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/** The plan's scans, e.g. "Bitmap Index Scan users_attributes_idx", and whether events is scanned sequentially. */
async function explain(db: Database, query: SQL): Promise<{ scans: string[]; seqScanOnEvents: boolean }> {
  const [row] = await db.execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(sql`EXPLAIN (FORMAT JSON) ${query}`);
  const nodes = planNodes(row!['QUERY PLAN'][0].Plan);
  const scans = nodes
    .filter((node) => node['Node Type'].includes('Scan'))
    .map((node) => `${node['Node Type']} ${node['Index Name'] ?? node['Relation Name'] ?? ''}`.trim());
  const seqScanOnEvents = nodes.some((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'events');
  return { scans: [...new Set(scans)], seqScanOnEvents };
}

const pad = (value: string | number, width: number) => String(value).padStart(width);

async function describeEnvironment(db: Database, size: SeedSize) {
  const [version] = await db.execute<{ server_version: string }>(sql`SHOW server_version`);
  const [sizes] = await db.execute<{ events: string; users: string }>(sql`
    SELECT pg_size_pretty(pg_total_relation_size('events')) AS events, pg_size_pretty(pg_total_relation_size('users')) AS users`);
  log(`date ${new Date().toISOString()}, PostgreSQL ${version!.server_version}, ${cpus().length} cores, node ${process.version}`);
  log(`data: ${size.users.toLocaleString('en')} users (${sizes!.users}), ${size.events.toLocaleString('en')} events (${sizes!.events} with indexes)`);
  log(`reference time ${REFERENCE.toISOString()} (${TIME_ZONE} noon), time zone ${TIME_ZONE}`);
}

async function main() {
  const { size, runs, reseed } = options();
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = await prepare(adminUrl, size, reseed);
  const database = createDatabase(url, { max: 1 });
  const { db } = database;
  let failed = false;
  try {
    log();
    await describeEnvironment(db, size);
    const scan = await medianOf(runs, () => db.execute<{ n: string }>(sql`SELECT count(*) AS n FROM events`));
    log(`SELECT count(*) FROM events: ${scan.result[0]!.n} rows, median ${scan.median.toFixed(1)} ms of [${scan.all.map((ms) => ms.toFixed(0)).join(', ')}] (first run ${scan.first.toFixed(0)} ms)`);
    log();
    log(`${'segment'.padEnd(64)} ${pad('members', 8)} ${pad('first ms', 9)} ${pad('median ms', 10)} ${pad('ratio', 7)}  targets (< ${TARGET_MS} ms, < ${TARGET_RATIO})`);

    const behaviourOnly: SegmentRule = {
      all: [
        { event: 'add_to_cart', window: { type: 'yesterday' } },
        { noEvent: 'pay_order', window: { type: 'since', daysAgo: 1 } },
      ],
    };
    const rules = [...STORIES, { name: '(extra) story 1 without the gold filter: behaviour only', rule: behaviourOnly }];
    const plans: string[] = [];
    for (const { name, rule } of rules) {
      const query = compileSegment(rule, { at: REFERENCE, timeZone: TIME_ZONE });
      const run = await medianOf(runs, () => db.execute<{ user_id: string }>(query));
      const ratio = run.median / scan.median;
      const plan = await explain(db, query);
      const verdict = run.median < TARGET_MS && ratio < TARGET_RATIO ? 'ok' : 'MISSED';
      log(`${name.padEnd(64)} ${pad(run.result.length, 8)} ${pad(run.first.toFixed(0), 9)} ${pad(run.median.toFixed(1), 10)} ${pad(ratio.toFixed(3), 7)}  ${verdict}`);
      plans.push(`${name}: ${plan.scans.join(', ')}${plan.seqScanOnEvents ? '  <-- SEQ SCAN ON EVENTS' : ''}`);
      if (plan.seqScanOnEvents) failed = true;
    }
    log();
    log('plans (scans used):');
    for (const line of plans) log(`  ${line}`);

    const story1 = STORIES[0].rule;
    const [sample] = await db.execute<{ ids: string[] }>(
      sql`SELECT array_agg(id) AS ids FROM (SELECT id FROM users ORDER BY md5(id::text) LIMIT 200) s`,
    );
    const member = await medianOf(runs, async () => {
      for (const userId of sample!.ids) await isSegmentMember(db, { rule: story1, timeZone: TIME_ZONE, userId, at: REFERENCE });
    });
    log();
    log(`isSegmentMember (story 1), one user: median ${((member.median / sample!.ids.length) * 1000).toFixed(0)} µs per call over ${sample!.ids.length} users`);
    if (failed) {
      log('FAILED: a story query scans events sequentially');
      process.exitCode = 1;
    }
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
