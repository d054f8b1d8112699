import type postgres from 'postgres';

/** Bump when the generator changes, so a seeded database is rebuilt. */
export const GENERATOR_VERSION = 1;

export interface SeedSize {
  users: number;
  events: number;
}

type Sql = postgres.Sql;

/*
 * A deterministic generator, all in SQL (generate_series): every value derives
 * from a hash of the row number, so two runs produce the same data.
 *
 * Users: 45% login id only, 20% both ids, 35% visitor only. vip_level: 2% gold,
 * 8% silver, 20% bronze, 70% none. 85% have a birthday spread over 1960-2004
 * (29 Februarys included), plus a city and points.
 * Events: over the 90 days before the reference time; only the first 30% of
 * users are ever active, and activity is skewed towards a few heavy users
 * (user = 1 + active * r^1.5). Names are skewed: page_view 45%, view_item 20%,
 * add_to_cart 12%, search 8%, login 5%, pay_order 3%, share 2%, and 20 rare
 * custom events sharing 5%.
 */

const RANDOM_FUNCTION = `
  CREATE OR REPLACE FUNCTION bench_rand(i bigint, salt bigint) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT (hashint8extended(i, salt) & 1048575)::float8 / 1048576 $$`;

const CITIES = `ARRAY['Shanghai','Beijing','Shenzhen','Guangzhou','Hangzhou','Chengdu','Wuhan','Nanjing','Xi''an','Suzhou']`;

async function insertUsers(sql: Sql, size: SeedSize): Promise<void> {
  await sql.unsafe(`
    INSERT INTO users (id, login_id, visitor_id, attributes)
    SELECT md5('user-' || i)::uuid,
           CASE WHEN bench_rand(i, 1) < 0.65 THEN 'L' || i END,
           CASE WHEN bench_rand(i, 1) >= 0.45 THEN 'V' || i END,
           jsonb_strip_nulls(jsonb_build_object(
             'vip_level', CASE WHEN bench_rand(i, 2) < 0.02 THEN 'gold' WHEN bench_rand(i, 2) < 0.10 THEN 'silver'
                               WHEN bench_rand(i, 2) < 0.30 THEN 'bronze' END,
             'birthday', CASE WHEN bench_rand(i, 3) < 0.85
                              THEN to_char(date '1960-01-01' + floor(bench_rand(i, 4) * 16436)::int, 'YYYY-MM-DD') END,
             'city', (${CITIES})[1 + floor(bench_rand(i, 5) * 10)::int],
             'points', floor(bench_rand(i, 6) * 10000)::int))
    FROM generate_series(1, ${size.users}) AS i`);
  await sql.unsafe(`
    INSERT INTO attribute_types (key, type)
    VALUES ('vip_level', 'string'), ('birthday', 'date'), ('city', 'string'), ('points', 'number')`);
}

async function insertEventRange(sql: Sql, size: SeedSize, reference: Date, from: number, to: number): Promise<void> {
  const active = Math.max(1, Math.floor(size.users * 0.3));
  await sql.begin(async (tx) => {
    // The generator's users all exist; skipping the per-row FK trigger is what makes 10M rows take minutes.
    await tx.unsafe(`SET LOCAL session_replication_role = replica`);
    await tx.unsafe(`SET LOCAL synchronous_commit = off`);
    await tx.unsafe(`
      INSERT INTO events (user_id, name, properties, occurred_at, received_at)
      SELECT md5('user-' || g.k)::uuid, n.name,
             CASE WHEN n.name IN ('view_item', 'add_to_cart', 'pay_order')
                  THEN jsonb_build_object('sku', 'S' || (g.j % 5000), 'price', floor(bench_rand(g.j, 14) * 500)::int)
                  ELSE '{}'::jsonb END,
             g.t, g.t
      FROM (
        SELECT j,
               1 + floor(${active} * power(bench_rand(j, 11), 1.5))::bigint AS k,
               bench_rand(j, 12) AS r,
               '${reference.toISOString()}'::timestamptz - bench_rand(j, 13) * interval '90 days' AS t
        FROM generate_series(${from}, ${to}) AS j
      ) g
      CROSS JOIN LATERAL (SELECT CASE
        WHEN g.r < 0.45 THEN 'page_view' WHEN g.r < 0.65 THEN 'view_item' WHEN g.r < 0.77 THEN 'add_to_cart'
        WHEN g.r < 0.85 THEN 'search' WHEN g.r < 0.90 THEN 'login' WHEN g.r < 0.93 THEN 'pay_order'
        WHEN g.r < 0.95 THEN 'share' ELSE 'custom_' || (floor(g.r * 10000)::int % 20) END AS name) n`);
  });
}

/** Index definitions of a table except its primary key, to drop before a bulk load and rebuild after. */
async function secondaryIndexes(sql: Sql, table: string): Promise<{ name: string; definition: string }[]> {
  return sql<{ name: string; definition: string }[]>`
    SELECT i.indexname AS name, i.indexdef AS definition
    FROM pg_indexes i
    WHERE i.schemaname = 'public' AND i.tablename = ${table}
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`;
}

/**
 * Fills an empty, migrated database. Secondary indexes are dropped during the
 * load and rebuilt afterwards from their migrated definitions (building an
 * index once is far cheaper than maintaining it row by row); events are
 * inserted in 1M-row chunks on two connections, one per core.
 *
 * @example
 * await seed(sql, { users: 1_000_000, events: 10_000_000 }, reference, console.log);
 */
export async function seed(sql: Sql, size: SeedSize, reference: Date, log: (line: string) => void): Promise<void> {
  await sql.unsafe(RANDOM_FUNCTION);
  const indexes = [...(await secondaryIndexes(sql, 'users')), ...(await secondaryIndexes(sql, 'events'))];
  for (const index of indexes) await sql.unsafe(`DROP INDEX ${index.name}`);

  let started = performance.now();
  await insertUsers(sql, size);
  log(`users: ${size.users.toLocaleString('en')} in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  started = performance.now();
  const chunk = 1_000_000;
  const ranges: [number, number][] = [];
  for (let from = 1; from <= size.events; from += chunk) ranges.push([from, Math.min(size.events, from + chunk - 1)]);
  async function worker() {
    for (let range = ranges.shift(); range; range = ranges.shift()) await insertEventRange(sql, size, reference, range[0], range[1]);
  }
  await Promise.all([worker(), worker()]);
  log(`events: ${size.events.toLocaleString('en')} in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  started = performance.now();
  await Promise.all(
    [0, 1].map(async (lane) => {
      for (const index of indexes.filter((_, i) => i % 2 === lane)) {
        await sql.begin(async (tx) => {
          await tx.unsafe(`SET LOCAL maintenance_work_mem = '1GB'`);
          await tx.unsafe(index.definition);
        });
      }
    }),
  );
  log(`indexes rebuilt (${indexes.map((i) => i.name).join(', ')}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  started = performance.now();
  // VACUUM also sets the visibility map, as autovacuum would on a live system, so index-only scans work.
  await sql.unsafe(`VACUUM (ANALYZE) users`);
  await sql.unsafe(`VACUUM (ANALYZE) events`);
  await sql.unsafe(`VACUUM (ANALYZE) attribute_types`);
  log(`vacuum analyze in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
