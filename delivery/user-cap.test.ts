import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../db/client.js';
import { channels } from '../db/schema.js';
import { useTestDatabase } from '../test/database.js';
import { pruneUserCaps, releaseUserCap, reserveUserCap, type UserCapLimit } from './user-cap.js';

const testDb = useTestDatabase();
const DAY = 86_400_000;

async function newChannel(): Promise<string> {
  const [row] = await testDb.db
    .insert(channels)
    .values({ name: `cap ${randomUUID()}`, url: 'http://127.0.0.1:1/hook', auth: { type: 'none' } })
    .returning({ id: channels.id });
  return row!.id;
}

let channelId: string;
let otherChannelId: string;
beforeAll(async () => {
  channelId = await newChannel();
  otherChannelId = await newChannel();
});

describe('reserveUserCap', () => {
  it('grants up to max deliveries per user in the window, per channel', async () => {
    const limit: UserCapLimit = { channelId, max: 2, windowMs: DAY };
    const [alice, bob] = [randomUUID(), randomUUID()];
    expect(await reserveUserCap(testDb.db, limit, [{ userId: alice, key: 'run1-a' }, { userId: bob, key: 'run1-b' }])).toEqual(new Set([alice, bob]));
    expect(await reserveUserCap(testDb.db, limit, [{ userId: alice, key: 'run2-a' }])).toEqual(new Set([alice]));
    // Alice is full; Bob has room for one more.
    expect(await reserveUserCap(testDb.db, limit, [{ userId: alice, key: 'run3-a' }, { userId: bob, key: 'run3-b' }])).toEqual(new Set([bob]));
    expect(await reserveUserCap(testDb.db, limit, [{ userId: bob, key: 'run4-b' }])).toEqual(new Set());
    // Another channel has its own count.
    expect(await reserveUserCap(testDb.db, { ...limit, channelId: otherChannelId }, [{ userId: alice, key: 'run3-a' }])).toEqual(new Set([alice]));
  });

  it('counts a delivery once however often it is attempted, and a release gives its room back', async () => {
    const limit: UserCapLimit = { channelId, max: 2, windowMs: DAY };
    const user = randomUUID();
    for (let i = 0; i < 3; i++) expect(await reserveUserCap(testDb.db, limit, [{ userId: user, key: 'same-delivery' }])).toEqual(new Set([user]));
    expect(await reserveUserCap(testDb.db, limit, [{ userId: user, key: 'second' }])).toEqual(new Set([user]));
    expect(await reserveUserCap(testDb.db, limit, [{ userId: user, key: 'third' }])).toEqual(new Set());
    // A delivery already holding room keeps it even at the cap (an attempt repeated after a crash).
    expect(await reserveUserCap(testDb.db, limit, [{ userId: user, key: 'same-delivery' }])).toEqual(new Set([user]));

    await releaseUserCap(testDb.db, channelId, [{ userId: user, key: 'second' }, { userId: user, key: 'never-reserved' }]);
    expect(await reserveUserCap(testDb.db, limit, [{ userId: user, key: 'third' }])).toEqual(new Set([user]));
    expect(await reserveUserCap(testDb.db, limit, [{ userId: user, key: 'fourth' }])).toEqual(new Set());
  });

  it('forgets sends older than the window, and prunes rows with nothing left in it', async () => {
    const limit: UserCapLimit = { channelId: otherChannelId, max: 1, windowMs: 300 };
    const user = randomUUID();
    expect(await reserveUserCap(testDb.db, limit, [{ userId: user, key: 'k1' }])).toEqual(new Set([user]));
    expect(await reserveUserCap(testDb.db, limit, [{ userId: user, key: 'k2' }])).toEqual(new Set());
    await sleep(400);
    expect(await reserveUserCap(testDb.db, limit, [{ userId: user, key: 'k2' }])).toEqual(new Set([user]));
    const [row] = await testDb.sql<{ sends: Record<string, number> }[]>`SELECT sends FROM user_cap_sends WHERE channel_id = ${otherChannelId} AND user_id = ${user}`;
    expect(Object.keys(row!.sends)).toEqual(['k2']);
    await sleep(400);
    expect(await pruneUserCaps(testDb.db)).toBeGreaterThanOrEqual(1);
    const left = await testDb.sql`SELECT 1 FROM user_cap_sends WHERE channel_id = ${otherChannelId} AND user_id = ${user}`;
    expect(left).toHaveLength(0);
  });

  it('holds under concurrency: 8 runs on separate connections reserving the same 300 users at once grant exactly max each', async () => {
    const max = 3;
    const users = Array.from({ length: 300 }, () => randomUUID());
    const limit: UserCapLimit = { channelId, max, windowMs: DAY };
    // Separate clients, so the statements really run side by side in different backends.
    const clients = Array.from({ length: 8 }, () => createDatabase(testDb.url, { max: 1 }));
    try {
      await Promise.all(clients.map((c) => c.db.execute('SELECT 1')));
      const granted = await Promise.all(
        clients.map((c, run) => {
          // Each run lists its users in its own order; the statement locks them in one order regardless.
          const order = run % 2 === 0 ? users : [...users].reverse();
          return reserveUserCap(c.db, limit, order.map((userId) => ({ userId, key: `run-${run}-${userId}` })));
        }),
      );
      for (const user of users) expect(granted.filter((set) => set.has(user)).length).toBe(max);
      const counts = await testDb.sql<{ n: number }[]>`
        SELECT (SELECT count(*) FROM jsonb_object_keys(sends))::int AS n FROM user_cap_sends WHERE channel_id = ${channelId} AND user_id = ANY(${users}::uuid[])`;
      expect(counts).toHaveLength(users.length);
      expect(counts.every((c) => c.n === max)).toBe(true);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
