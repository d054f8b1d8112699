import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../test/database.js';
import { createListenerIndex, type ListenerIndex } from './listeners.js';

/*
 * The index other processes keep: a change written by anyone (here: plain SQL
 * on another connection, as another process would) reaches it through
 * PostgreSQL's notification, long before its periodic refresh.
 */

const database = useTestDatabase();
let index: ListenerIndex;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not reached');
    await sleep(20);
  }
}

beforeAll(async () => {
  index = createListenerIndex(database.db, { refreshMs: 3_600_000 });
  await index.start();
});
afterAll(() => index?.stop());

describe('listener index', () => {
  it('follows launches, pauses and resumes made elsewhere, and matches property filters', async () => {
    const id = randomUUID();
    const runId = randomUUID();
    const trigger = { type: 'event', event: 'add_to_cart', times: 1, frequency: 'once', where: [{ property: 'price', op: 'gte', value: 100 }] };
    expect(index.wants('add_to_cart')).toBe(false);
    await database.db.execute(sql`INSERT INTO campaigns (id, name, status, trigger, current_run_id) VALUES (${id}, 'listener', 'draft', ${JSON.stringify(trigger)}::jsonb, ${runId})`);
    await sleep(300);
    expect(index.wants('add_to_cart')).toBe(false);

    const started = Date.now();
    await database.db.execute(sql`UPDATE campaigns SET status = 'running' WHERE id = ${id}`);
    await until(() => index.wants('add_to_cart'));
    console.log(`[listener index] a launch elsewhere reached the index in ${Date.now() - started} ms`);
    expect(index.matching('add_to_cart', { price: 120 })).toEqual([{ campaignId: id, runId, trigger }]);
    expect(index.matching('add_to_cart', { price: 80 })).toEqual([]);
    expect(index.matching('view_item', { price: 120 })).toEqual([]);

    await database.db.execute(sql`UPDATE campaigns SET status = 'paused' WHERE id = ${id}`);
    await until(() => !index.wants('add_to_cart'));
    await database.db.execute(sql`UPDATE campaigns SET status = 'running' WHERE id = ${id}`);
    await until(() => index.wants('add_to_cart'));
    await database.db.execute(sql`UPDATE campaigns SET status = 'cancelled' WHERE id = ${id}`);
    await until(() => !index.wants('add_to_cart'));
  });
});
