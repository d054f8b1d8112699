import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertEvents, insertUsers } from '../audience/fixtures.js';
import { segments } from '../db/schema.js';
import { useTestDatabase } from '../test/database.js';
import { getSegment, isSegmentMember, segmentMembersQuery } from './membership.js';
import type { SegmentRule } from '../contracts/segment-rule.js';

const testDb = useTestDatabase();
const AT = new Date('2026-02-28T12:00:00+08:00');
const TZ = 'Asia/Shanghai';
const rule: SegmentRule = {
  all: [
    { attribute: 'vip_level', op: 'equals', value: 'gold' },
    { event: 'add_to_cart', window: { type: 'lastDays', days: 7 } },
  ],
};
let gold: string[] = [];
let silver: string;

beforeAll(async () => {
  gold = await insertUsers(testDb.db, [
    { loginId: 'g1', attributes: { vip_level: 'gold' } },
    { visitorId: 'g2', attributes: { vip_level: 'gold' } },
    { loginId: 'g3', visitorId: 'v3', attributes: { vip_level: 'gold' } },
    { loginId: 'g4', attributes: { vip_level: 'gold' } },
  ]);
  [silver] = (await insertUsers(testDb.db, [{ loginId: 's1', attributes: { vip_level: 'silver' } }])) as [string];
  for (const id of [...gold.slice(0, 3), silver]) await insertEvents(testDb.db, id, [['add_to_cart', '2026-02-27T10:00:00+08:00']]);
});

describe('isSegmentMember', () => {
  it('answers for one user at an instant', async () => {
    const check = (userId: string, at = AT) => isSegmentMember(testDb.db, { rule, timeZone: TZ, userId, at });
    expect(await check(gold[0]!)).toBe(true);
    expect(await check(gold[3]!)).toBe(false); // no event
    expect(await check(silver)).toBe(false); // not gold
    expect(await check(gold[0]!, new Date('2026-03-10T12:00:00+08:00'))).toBe(false); // event out of the window by then
  });

  it('says no for unknown and malformed ids instead of failing', async () => {
    expect(await isSegmentMember(testDb.db, { rule, timeZone: TZ, userId: '00000000-0000-0000-0000-000000000000', at: AT })).toBe(false);
    expect(await isSegmentMember(testDb.db, { rule, timeZone: TZ, userId: "x' OR '1'='1", at: AT })).toBe(false);
  });

  it('probes the one user through an index on events', async () => {
    const plan = await testDb.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL enable_seqscan = off`);
      return tx.execute<{ 'QUERY PLAN': string }>(
        sql`EXPLAIN SELECT 1 FROM (${segmentMembersQuery(rule, { timeZone: TZ, at: AT })}) m WHERE m.user_id = ${gold[0]!}::uuid`,
      );
    });
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');
    expect(text).not.toMatch(/Seq Scan on events/);
    expect(text).toMatch(/Index (Only )?Scan using events_\w+ on events e[^\n]*\n\s+Index Cond: [^\n]*user_id = '/);
  });
});

describe('segmentMembersQuery', () => {
  it('freezes an audience in one INSERT … SELECT that joins users, numbered by id', async () => {
    await testDb.db.execute(sql`CREATE TEMP TABLE audience (seq int, user_id uuid, login_id text)`);
    const members = segmentMembersQuery(rule, { timeZone: TZ, at: AT });
    const inserted = await testDb.db.execute(sql`
      INSERT INTO audience (seq, user_id, login_id)
      SELECT row_number() OVER (ORDER BY u.id), u.id, u.login_id
      FROM (${members}) m JOIN users u ON u.id = m.user_id`);
    expect(inserted.count).toBe(3);
    const rows = await testDb.db.execute<{ seq: number; user_id: string; login_id: string | null }>(
      sql`SELECT seq, user_id, login_id FROM audience ORDER BY seq`,
    );
    expect(rows.map((row) => row.user_id)).toEqual([...gold.slice(0, 3)].sort());
    expect(rows.map((row) => row.seq)).toEqual([1, 2, 3]);
    expect(rows.map((row) => row.login_id).sort()).toEqual(['g1', 'g3', null]);
  });
});

describe('getSegment', () => {
  it('returns what campaigns need, or undefined', async () => {
    const [row] = await testDb.db.insert(segments).values({ name: 'gold carts', rule, timeZone: 'Europe/Paris' }).returning();
    expect(await getSegment(testDb.db, row!.id)).toEqual({ id: row!.id, name: 'gold carts', rule, timeZone: 'Europe/Paris' });
    expect(await getSegment(testDb.db, '00000000-0000-0000-0000-000000000000')).toBeUndefined();
    expect(await getSegment(testDb.db, 'not-a-uuid')).toBeUndefined();
  });
});
