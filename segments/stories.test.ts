import { sql, type SQL } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertEvents, insertUsers, recordAttributeTypes } from '../audience/fixtures.js';
import { useTestDatabase } from '../test/database.js';
import { compileSegment } from './compile.js';
import { isSegmentMember } from './membership.js';
import type { SegmentRule } from '../contracts/segment-rule.js';
import { goldBirthdays, goldCartAbandoners, loggedInGoldCartAbandoners } from './stories.js';

const testDb = useTestDatabase();
const SHANGHAI = 'Asia/Shanghai';
/** Saturday 28 February 2026, 12:00 in Shanghai (2026 is not a leap year). */
const AT = new Date('2026-02-28T12:00:00+08:00');

const ids = new Map<string, string>();

async function user(label: string, spec: { login?: boolean; vip?: string; birthday?: string }, events: [string, string][] = []) {
  const attributes: Record<string, string> = {};
  if (spec.vip) attributes.vip_level = spec.vip;
  if (spec.birthday) attributes.birthday = spec.birthday;
  const [id] = await insertUsers(testDb.db, [
    { loginId: spec.login === false ? undefined : `login-${label}`, visitorId: `visitor-${label}`, attributes },
  ]);
  await insertEvents(testDb.db, id!, events);
  ids.set(label, id!);
}

beforeAll(async () => {
  await recordAttributeTypes(testDb.db, { vip_level: 'string', birthday: 'date' });
  // Story 1 / 2 cases. "yesterday" is 27 February in Shanghai.
  await user('late-yesterday', { vip: 'gold' }, [['add_to_cart', '2026-02-27T23:59:00+08:00']]);
  await user('just-after-midnight', { vip: 'gold' }, [['add_to_cart', '2026-02-28T00:30:00+08:00']]); // 2026-02-27 16:30 UTC
  await user('paid-today', { vip: 'gold' }, [['add_to_cart', '2026-02-27T10:00:00+08:00'], ['pay_order', '2026-02-28T09:00:00+08:00']]);
  await user('paid-before-window', { vip: 'gold' }, [['add_to_cart', '2026-02-27T10:00:00+08:00'], ['pay_order', '2026-02-26T20:00:00+08:00']]);
  await user('silver', { vip: 'silver' }, [['add_to_cart', '2026-02-27T10:00:00+08:00']]);
  await user('visitor-only', { vip: 'gold', login: false }, [['add_to_cart', '2026-02-27T08:00:00+08:00']]);
  await user('yesterday-midnight', { vip: 'gold' }, [['add_to_cart', '2026-02-27T00:00:00+08:00']]);
  await user('paid-yesterday', { vip: 'gold' }, [['add_to_cart', '2026-02-27T11:00:00+08:00'], ['pay_order', '2026-02-27T12:00:00+08:00']]);
  await user('no-vip', {}, [['add_to_cart', '2026-02-27T11:00:00+08:00']]);
  await user('day-before', { vip: 'gold' }, [['add_to_cart', '2026-02-26T23:59:59+08:00']]);
  await user('pays-after-reference', { vip: 'gold' }, [['add_to_cart', '2026-02-27T20:00:00+08:00'], ['pay_order', '2026-02-28T13:00:00+08:00']]);
  // Story 3 cases: birthdays.
  await user('born-feb-28', { vip: 'gold', birthday: '1990-02-28' });
  await user('born-feb-29', { vip: 'gold', birthday: '1992-02-29' });
  await user('born-mar-1', { vip: 'gold', birthday: '1990-03-01' });
  await user('silver-birthday', { vip: 'silver', birthday: '1985-02-28' });
  // Stored as UTC: 27 February 20:00 UTC is 28 February 04:00 in Shanghai.
  await user('born-late-utc', { vip: 'gold', birthday: '1991-02-27T20:00:00.000Z' });
  await user('born-feb-27', { vip: 'gold', birthday: '1990-02-27' });
});

async function members(rule: SegmentRule, at = AT): Promise<string[]> {
  const rows = await testDb.db.execute<{ user_id: string }>(compileSegment(rule, { at, timeZone: SHANGHAI }));
  const labels = new Map([...ids].map(([label, id]) => [id, label]));
  return rows.map((row) => labels.get(row.user_id)!).sort();
}

describe('story 1: gold VIPs who added to cart yesterday and have not ordered', () => {
  it('returns exactly the expected users', async () => {
    expect(await members(goldCartAbandoners)).toEqual(
      ['late-yesterday', 'paid-before-window', 'pays-after-reference', 'visitor-only', 'yesterday-midnight'].sort(),
    );
  });

  it('counts 23:59 yesterday and 00:00 yesterday in Shanghai, not 00:30 today (yesterday in UTC)', async () => {
    const found = await members(goldCartAbandoners);
    expect(found).toContain('late-yesterday');
    expect(found).toContain('yesterday-midnight');
    expect(found).not.toContain('just-after-midnight');
    expect(found).not.toContain('day-before');
  });

  it('moves with the time zone: in UTC, 00:30 Shanghai today is yesterday', async () => {
    const rows = await testDb.db.execute<{ user_id: string }>(compileSegment(goldCartAbandoners, { at: AT, timeZone: 'UTC' }));
    expect(rows.map((row) => row.user_id)).toContain(ids.get('just-after-midnight'));
  });

  it('agrees with the one-user membership check for every fixture user', async () => {
    const expected = new Set(await members(goldCartAbandoners));
    for (const [label, userId] of ids) {
      const member = await isSegmentMember(testDb.db, { rule: goldCartAbandoners, timeZone: SHANGHAI, userId, at: AT });
      expect({ label, member }).toEqual({ label, member: expected.has(label) });
    }
  });
});

describe('story 2: story 1 restricted to users with a login id', () => {
  it('drops the visitor-only member', async () => {
    expect(await members(loggedInGoldCartAbandoners)).toEqual(
      ['late-yesterday', 'paid-before-window', 'pays-after-reference', 'yesterday-midnight'].sort(),
    );
  });
});

describe('story 3: gold VIPs whose birthday is today', () => {
  it('on 28 February of a common year includes those born on 29 February', async () => {
    expect(await members(goldBirthdays)).toEqual(['born-feb-28', 'born-feb-29', 'born-late-utc']);
  });

  it('on 28 February of a leap year leaves 29 February for its own day', async () => {
    expect(await members(goldBirthdays, new Date('2028-02-28T12:00:00+08:00'))).toEqual(['born-feb-28', 'born-late-utc']);
    expect(await members(goldBirthdays, new Date('2028-02-29T12:00:00+08:00'))).toEqual(['born-feb-29']);
  });

  it('uses the Shanghai calendar day of the reference time, not the UTC one', async () => {
    // 1 March 07:00 in Shanghai is still 28 February in UTC.
    expect(await members(goldBirthdays, new Date('2026-03-01T07:00:00+08:00'))).toEqual(['born-mar-1']);
  });
});

/** Every node of a JSON plan whose type is a sequential scan of `events`. */
function eventSeqScans(plan: unknown): string[] {
  if (!plan || typeof plan !== 'object') return [];
  const node = plan as Record<string, unknown>;
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'events' ? ['Seq Scan on events'] : [];
  return [...own, ...Object.values(node).flatMap((value) => (Array.isArray(value) ? value.flatMap(eventSeqScans) : eventSeqScans(value)))];
}

async function explain(query: SQL): Promise<unknown> {
  return testDb.db.transaction(async (tx) => {
    // On a table this small the planner rightly prefers scanning it; forbidding
    // that shows whether an index path exists at all.
    await tx.execute(sql`SET LOCAL enable_seqscan = off`);
    const [row] = await tx.execute<{ 'QUERY PLAN': unknown }>(sql`EXPLAIN (FORMAT JSON) ${query}`);
    return row!['QUERY PLAN'];
  });
}

describe('query plans', () => {
  it.each([
    ['story 1', goldCartAbandoners],
    ['story 2', loggedInGoldCartAbandoners],
    ['story 3', goldBirthdays],
  ])('%s can run without a sequential scan of events', async (_label, rule) => {
    const plan = await explain(compileSegment(rule, { at: AT, timeZone: SHANGHAI }));
    expect(JSON.stringify(plan)).toContain('Index');
    expect(eventSeqScans(plan)).toEqual([]);
  });
});
