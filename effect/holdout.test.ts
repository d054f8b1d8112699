import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../test/database.js';
import { heldOutSql, holdoutBucket, isHeldOut, type HoldoutDraw } from './holdout.js';

const database = useTestDatabase();

/** The users PostgreSQL holds out among `ids`, by the SQL fragment the freeze and the event runs use. */
async function heldOutInSql(draw: HoldoutDraw, ids: string[]): Promise<Set<string>> {
  const rows = await database.db.execute<{ id: string }>(sql`
    SELECT u.id::text AS id FROM unnest(${`{${ids.join(',')}}`}::uuid[]) AS u(id) WHERE ${heldOutSql(draw, sql`u.id`)}`);
  return new Set(rows.map((r) => r.id));
}

describe('the hold-out decision', () => {
  const ids = Array.from({ length: 20_000 }, () => randomUUID());

  it('decides the same in PostgreSQL and in TypeScript, for every user', async () => {
    const draw: HoldoutDraw = { campaignId: randomUUID(), draw: 1, percent: 10 };
    const inSql = await heldOutInSql(draw, ids);
    const inTs = new Set(ids.filter((id) => isHeldOut(draw, id)));
    expect(inSql).toEqual(inTs);
    // About a tenth: 2,000 expected, ±3.5 standard deviations (σ ≈ 42).
    expect(inTs.size).toBeGreaterThan(1850);
    expect(inTs.size).toBeLessThan(2150);
  });

  it('agrees with upper-case ids, and at the edges of the range', async () => {
    const draw: HoldoutDraw = { campaignId: randomUUID().toUpperCase(), draw: 7, percent: 50 };
    const sample = ids.slice(0, 2000);
    expect(await heldOutInSql(draw, sample)).toEqual(new Set(sample.filter((id) => isHeldOut(draw, id.toUpperCase()))));
    const one: HoldoutDraw = { ...draw, percent: 1 };
    expect(await heldOutInSql(one, ids)).toEqual(new Set(ids.filter((id) => isHeldOut(one, id))));
  });

  it('holds out the same users for the same campaign and draw, and others for a new draw or another campaign', () => {
    const campaignId = randomUUID();
    const first = ids.filter((id) => isHeldOut({ campaignId, draw: 1, percent: 10 }, id));
    expect(ids.filter((id) => isHeldOut({ campaignId, draw: 1, percent: 10 }, id))).toEqual(first);
    const redrawn = new Set(ids.filter((id) => isHeldOut({ campaignId, draw: 2, percent: 10 }, id)));
    const overlap = first.filter((id) => redrawn.has(id)).length;
    // Independent draws share about a tenth of a tenth (200 of 20,000).
    expect(overlap).toBeLessThan(400);
    const other = new Set(ids.filter((id) => isHeldOut({ campaignId: randomUUID(), draw: 1, percent: 10 }, id)));
    expect(first.filter((id) => other.has(id)).length).toBeLessThan(400);
  });

  it('puts users in buckets 0–9,999 evenly (each tenth within 10 % of its share)', () => {
    const tenths = new Array<number>(10).fill(0);
    for (const id of ids) tenths[Math.floor(holdoutBucket({ campaignId: 'c', draw: 1 }, id) / 1000)]! += 1;
    for (const n of tenths) expect(Math.abs(n - 2000)).toBeLessThan(200);
  });
});
