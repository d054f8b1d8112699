import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { useTestDatabase } from '../test/database.js';
import { retentionStep, type RetentionStage, type RetentionStepResult } from './batches.js';

/*
 * Retention's bounded steps on real PostgreSQL: each step changes at most its
 * limit, the cursor walks on until done, only records past the cutoff go, a
 * finished run's counts stay when its rows go, and an open run keeps its rows.
 */

const database = useTestDatabase();
const DAY = 24 * 60 * 60 * 1000;
const cutoff = (days: number) => new Date(Date.now() - days * DAY).toISOString();
let finishedRun: string;
let openRun: string;

/** Steps a stage to the end, as the workflow does; answers each step's result. */
async function pass(stage: RetentionStage, days: number, limit: number): Promise<RetentionStepResult[]> {
  const steps: RetentionStepResult[] = [];
  let cursor = {};
  for (let i = 0; i < 100; i += 1) {
    const step = await retentionStep(database.db, { stage, cutoff: cutoff(days), cursor, limit });
    steps.push(step);
    if (step.done) return steps;
    cursor = step.cursor;
  }
  throw new Error('retention never finished');
}

const one = async <T>(query: ReturnType<typeof sql>) => (await database.db.execute<T & Record<string, unknown>>(query))[0]!;

beforeAll(async () => {
  const [user] = await insertUsers(database.db, [{ loginId: 'r-1' }]);
  await database.db.execute(sql`
    INSERT INTO events (user_id, name, occurred_at, received_at)
    SELECT ${user}::uuid, 'old', now() - interval '40 days', now() - interval '40 days' FROM generate_series(1, 20)`);
  await database.db.execute(sql`
    INSERT INTO events (user_id, name, occurred_at, received_at) SELECT ${user}::uuid, 'new', now(), now() FROM generate_series(1, 10)`);
  const { id: campaign } = await one<{ id: string }>(sql`
    INSERT INTO campaigns (name, status, trigger) VALUES ('retention', 'running', '{"type":"once","sendAt":"now"}') RETURNING id`);
  ({ id: finishedRun } = await one<{ id: string }>(sql`
    INSERT INTO campaign_runs (campaign_id, workflow_id, status, definition, send_at, created_at, finished_at)
    VALUES (${campaign}, 'wf-old', 'completed', '{}', now(), now() - interval '401 days', now() - interval '400 days') RETURNING id`));
  ({ id: openRun } = await one<{ id: string }>(sql`
    INSERT INTO campaign_runs (campaign_id, workflow_id, status, definition, send_at, created_at)
    VALUES (${campaign}, 'wf-open', 'running', '{}', now(), now() - interval '50 days') RETURNING id`));
  await database.db.execute(sql`
    INSERT INTO run_recipients (run_id, seq, user_id, status, attempts, response_body, last_attempt_at)
    SELECT ${finishedRun}, i, gen_random_uuid(), CASE WHEN i <= 10 THEN 'succeeded' ELSE 'failed' END, 1, 'ok', now() - interval '400 days'
    FROM generate_series(1, 12) i`);
  await database.db.execute(sql`
    INSERT INTO delivery_attempts (run_id, seq, attempt, started_at, outcome) SELECT ${finishedRun}, i, 1, now() - interval '400 days', 'succeeded' FROM generate_series(1, 12) i`);
  await database.db.execute(sql`
    INSERT INTO run_recipients (run_id, seq, user_id, status, attempts, response_body, last_attempt_at)
    VALUES (${openRun}, 1, gen_random_uuid(), 'succeeded', 1, 'old answer', now() - interval '40 days'),
           (${openRun}, 2, gen_random_uuid(), 'succeeded', 1, 'old answer', now() - interval '40 days'),
           (${openRun}, 3, gen_random_uuid(), 'succeeded', 1, 'new answer', now())`);
});

describe('retention steps', () => {
  it('deletes events received before the cutoff in steps of at most the limit, and stops at newer ones', async () => {
    const steps = await pass('events', 30, 7);
    expect(steps.every((s) => s.changed <= 7)).toBe(true);
    expect(steps.reduce((n, s) => n + s.changed, 0)).toBe(20);
    expect(await one<{ names: string[] }>(sql`SELECT array_agg(DISTINCT name) AS names FROM events`)).toEqual({ names: ['new'] });
    // A second pass finds nothing more to do, in one step.
    expect(await pass('events', 30, 7)).toEqual([{ changed: 0, cursor: expect.any(Object), done: true }]);
  });

  it('clears endpoint answers of attempts before the cutoff, in runs created before it', async () => {
    const steps = await pass('responseBodies', 30, 5);
    expect(steps.reduce((n, s) => n + s.changed, 0)).toBe(14);
    const bodies = await database.db.execute<{ response_body: string | null }>(sql`SELECT response_body FROM run_recipients ORDER BY run_id = ${openRun}, seq`);
    expect(bodies.filter((b) => b.response_body !== null).map((b) => b.response_body)).toEqual(['new answer']);
  });

  it("deletes a finished run's delivery rows and attempts, keeps its counts, and leaves an open run alone", async () => {
    const counts = sql`SELECT status, n::int AS n FROM run_status_counts WHERE run_id = ${finishedRun} ORDER BY status`;
    const before = await database.db.execute(counts);
    expect(before).toEqual([{ status: 'failed', n: 2 }, { status: 'succeeded', n: 10 }]);
    const steps = await pass('deliveries', 395, 5);
    expect(steps.map((s) => s.changed)).toEqual([5, 5, 2]);
    expect(await one(sql`SELECT count(*)::int AS n FROM run_recipients WHERE run_id = ${finishedRun}`)).toEqual({ n: 0 });
    expect(await one(sql`SELECT count(*)::int AS n FROM delivery_attempts WHERE run_id = ${finishedRun}`)).toEqual({ n: 0 });
    expect(await database.db.execute(counts)).toEqual(before);
    expect(await one(sql`SELECT count(*)::int AS n FROM run_recipients WHERE run_id = ${openRun}`)).toEqual({ n: 3 });
    // An ordinary delete still keeps the counts true: only retention's transaction leaves them.
    await database.db.execute(sql`DELETE FROM run_recipients WHERE run_id = ${openRun} AND seq = 3`);
    expect(await one(sql`SELECT n::int AS n FROM run_status_counts WHERE run_id = ${openRun} AND status = 'succeeded'`)).toEqual({ n: 2 });
  });
});
