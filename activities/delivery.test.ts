import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import type { FrozenDefinition, QuietHours } from '../contracts/campaign.js';
import type { UserCap } from '../contracts/channel.js';
import { campaigns, channels } from '../db/schema.js';
import type { ChannelLimiter } from '../delivery/limiter.js';
import { reserveUserCap } from '../delivery/user-cap.js';
import { webhookIdFor } from '../delivery/ids.js';
import { insertAudience } from '../runs/recipients.js';
import { createRun, getRun } from '../runs/store.js';
import { insertSegment } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { createActivities } from './index.js';

/*
 * The sending activities against real PostgreSQL and a loopback receiver, run
 * outside a workflow (MockActivityEnvironment): what a batch answers and
 * records when its campaign is in quiet hours, its users are over the cap,
 * or one of its sending lanes fails.
 */
const database = useTestDatabase();
let receiver: Receiver;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  receiver = await startReceiver();
  activities = createActivities({ db: database.db, concurrency: 4 });
});
afterAll(() => receiver.close());

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
/** Quiet hours in UTC that started a minute ago and end at the minute boundary 2–3 minutes ahead. */
function quietNow(mode: 'wait' | 'skip'): { hours: QuietHours; endsAt: Date } {
  const now = Date.now();
  return { hours: { from: hhmm(now - 60_000), to: hhmm(now + 120_000), mode }, endsAt: new Date(Math.floor((now + 120_000) / 60_000) * 60_000) };
}

/** A launched run of `users` fresh users on its own channel and path; answers its id and its users' login ids. */
async function run(options: { users: number; quietHours?: QuietHours; userCap?: UserCap; expiresAt?: Date; perSecond?: number; path: string; holdout?: number; message?: string }) {
  const tag = randomUUID().slice(0, 8);
  const loginIds = Array.from({ length: options.users }, (_, i) => `${tag}-${i}`);
  await insertUsers(database.db, loginIds.map((loginId) => ({ loginId, attributes: { tag } })));
  const segment = await insertSegment(database, `segment ${tag}`, { attribute: 'tag', op: 'equals', value: tag });
  const [channel] = await database.db
    .insert(channels)
    .values({
      name: `channel ${tag}`,
      url: `${receiver.url}${options.path}`,
      auth: { type: 'none' },
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
      retry: { initialIntervalMs: 60_000, maxIntervalMs: 60_000, maxDurationMs: 600_000 },
      userCap: options.userCap ?? null,
      rateLimit: { perSecond: options.perSecond ?? null, concurrency: null },
      templateParams: options.message === undefined ? [] : [{ name: 'message', displayName: '文案', type: 'text', required: false }],
    })
    .returning();
  const definition: FrozenDefinition = {
    campaignName: `campaign ${tag}`,
    identity: 'login',
    templateValues: options.message === undefined ? {} : { message: options.message },
    channel: { ...channel!, userCap: channel!.userCap },
    segment: { id: segment.id, name: segment.name, rule: segment.rule, timeZone: 'UTC' },
    quietHours: options.quietHours ?? null,
    timeZone: 'UTC',
    holdout: options.holdout === undefined ? null : { percent: options.holdout, draw: 1 },
  };
  const [campaign] = await database.db
    .insert(campaigns)
    .values({ name: definition.campaignName, status: 'running', trigger: { type: 'once', sendAt: 'now' }, definition, channelId: channel!.id, segmentId: segment.id })
    .returning();
  const row = await createRun(database.db, {
    campaignId: campaign!.id,
    workflowId: `campaign-${campaign!.id}`,
    trigger: 'once',
    sendAt: new Date(),
    expiresAt: options.expiresAt ?? null,
    definition,
  });
  const holdout = definition.holdout ? { ...definition.holdout, campaignId: campaign!.id } : null;
  await insertAudience(database.db, { runId: row.id, rule: segment.rule, timeZone: 'UTC', identity: 'login', at: new Date(), holdout });
  return { runId: row.id, channelId: channel!.id, loginIds, users: options.users };
}

async function recipients(runId: string) {
  return database.sql<{ seq: number; user_id: string; login_id: string; status: string; attempts: number; last_error_class: string | null; held_out_at: string | null }[]>`
    SELECT r.seq, r.user_id, u.login_id, r.status, r.attempts, r.last_error_class, r.held_out_at
    FROM run_recipients r JOIN users u ON u.id = r.user_id WHERE r.run_id = ${runId} ORDER BY r.seq`;
}

const deliverBatch = (runId: string, toSeq: number) => new MockActivityEnvironment().run(activities.deliverBatch, { runId, fromSeq: 1, toSeq });
const deliverOne = (runId: string, seq: number) => new MockActivityEnvironment().run(activities.deliverOne, { runId, seq });
const received = (path: string) => receiver.requests.filter((r) => r.url === path);

describe('a batch inside quiet hours', () => {
  it('in wait mode sends nothing, records the wait on the run and answers when it ends', async () => {
    const quiet = quietNow('wait');
    const r = await run({ users: 4, quietHours: quiet.hours, path: '/wait' });
    const answer = (await deliverBatch(r.runId, r.users)) as { retries: { seq: number }[] };
    expect(answer).toEqual({ retries: [], interrupted: 'quiet', quietUntil: quiet.endsAt.toISOString() });
    expect(received('/wait')).toHaveLength(0);
    expect((await recipients(r.runId)).map((u) => u.status)).toEqual(['pending', 'pending', 'pending', 'pending']);
    expect((await getRun(database.db, r.runId))?.quietUntil).toEqual(quiet.endsAt);
    // A retry due now waits the same way.
    expect(await deliverOne(r.runId, 2)).toEqual({ quietUntil: quiet.endsAt.toISOString() });
  });

  it('waits only until the campaign expires when that is sooner, and past the expiry records the users expired instead of waiting again', async () => {
    const quiet = quietNow('wait');
    const expiresAt = new Date(Date.now() + 1_500);
    const r = await run({ users: 3, quietHours: quiet.hours, expiresAt, path: '/expiring' });
    expect(await deliverBatch(r.runId, r.users)).toMatchObject({ interrupted: 'quiet', quietUntil: expiresAt.toISOString() });
    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now() + 50));
    expect(await deliverBatch(r.runId, r.users)).toEqual({ retries: [], interrupted: null });
    expect((await recipients(r.runId)).map((u) => [u.status, u.last_error_class])).toEqual([
      ['failed', 'expired'],
      ['failed', 'expired'],
      ['failed', 'expired'],
    ]);
    expect(received('/expiring')).toHaveLength(0);
  });

  it('in skip mode records every user skipped (quiet_hours, no attempt) and sends nothing', async () => {
    const r = await run({ users: 3, quietHours: quietNow('skip').hours, path: '/skip' });
    expect(await deliverBatch(r.runId, r.users)).toEqual({ retries: [], interrupted: null });
    expect((await recipients(r.runId)).map((u) => [u.status, u.attempts, u.last_error_class])).toEqual([
      ['skipped', 0, 'quiet_hours'],
      ['skipped', 0, 'quiet_hours'],
      ['skipped', 0, 'quiet_hours'],
    ]);
    const attempts = await database.sql`SELECT 1 FROM delivery_attempts WHERE run_id = ${r.runId}`;
    expect(attempts).toHaveLength(0);
    expect(received('/skip')).toHaveLength(0);
  });

  it('outside the quiet hours the batch sends as usual', async () => {
    const now = Date.now();
    const r = await run({ users: 3, quietHours: { from: hhmm(now + 3 * 3_600_000), to: hhmm(now + 4 * 3_600_000), mode: 'wait' }, path: '/awake' });
    expect(await deliverBatch(r.runId, r.users)).toEqual({ retries: [], interrupted: null });
    expect(received('/awake')).toHaveLength(3);
    expect((await getRun(database.db, r.runId))?.quietUntil).toBeNull();
  });
});

describe('a batch on a channel with a per-user cap', () => {
  it('skips users over the cap, keeps the reservations of successes and gives back those of failures and retries', async () => {
    const r = await run({ users: 4, userCap: { max: 1, per: 'P1D' }, path: '/cap' });
    const users = await recipients(r.runId);
    // User 1 already got this channel's one request today from another campaign.
    await reserveUserCap(database.db, { channelId: r.channelId, max: 1, windowMs: 86_400_000 }, [{ userId: users[0]!.user_id, key: 'another-run' }]);
    receiver.behave((request) => {
      const who = (JSON.parse(request.body) as { userid: string }).userid;
      if (who === users[2]!.login_id) return { status: 400 };
      if (who === users[3]!.login_id) return { status: 503 };
      return { status: 200 };
    });
    const answer = (await deliverBatch(r.runId, r.users)) as { retries: { seq: number }[] };
    receiver.behave(() => ({ status: 200 }));
    expect(answer.retries.map((x) => x.seq)).toEqual([4]);
    expect((await recipients(r.runId)).map((u) => [u.status, u.last_error_class])).toEqual([
      ['skipped', 'user_cap'],
      ['succeeded', null],
      ['failed', 'http_400'],
      ['pending', 'http_503'],
    ]);
    expect(received('/cap').map((x) => (JSON.parse(x.body) as { userid: string }).userid).sort()).toEqual(users.slice(1).map((u) => u.login_id).sort());
    const held = await database.sql<{ user_id: string; keys: string[] }[]>`
      SELECT user_id, array(SELECT jsonb_object_keys(sends)) AS keys FROM user_cap_sends WHERE channel_id = ${r.channelId} ORDER BY user_id`;
    const keysOf = (i: number) => held.find((h) => h.user_id === users[i]!.user_id)?.keys ?? [];
    expect(keysOf(0)).toEqual(['another-run']);
    expect(keysOf(1)).toEqual([webhookIdFor(r.runId, users[1]!.user_id)]);
    expect(keysOf(2)).toEqual([]);
    expect(keysOf(3)).toEqual([]);

    // The retry reserves again, succeeds and keeps its reservation: one request counted once.
    await expect(deliverOne(r.runId, 4)).resolves.toBe('succeeded');
    const after = await database.sql<{ keys: string[] }[]>`
      SELECT array(SELECT jsonb_object_keys(sends)) AS keys FROM user_cap_sends WHERE channel_id = ${r.channelId} AND user_id = ${users[3]!.user_id}`;
    expect(after[0]?.keys).toEqual([webhookIdFor(r.runId, users[3]!.user_id)]);
  });
});

describe('a batch whose sending lane fails', () => {
  it('lets the other lanes finish, writes every outcome it has before failing, and its retry sends only the rest', async () => {
    const USERS = 24;
    // The limiter of an unlimited channel answers at once; its 9th answer fails, as a limiter that lost PostgreSQL would.
    let grants = 0;
    const failing: ChannelLimiter = {
      acquireNow: () => {
        if (++grants === 9) throw new Error('limiter lost its database');
        return () => {};
      },
      acquire: () => Promise.reject(new Error('not used: the channel has no limits')),
      close: () => Promise.resolve(),
      stats: () => ({ rateLeases: 0, slotsLeased: 0, slotsSkipped: 0, concurrencySyncs: 0 }),
    };
    const failingActivities = createActivities({ db: database.db, concurrency: 4, limiter: failing });
    const r = await run({ users: USERS, path: '/lanes' });
    // Slow answers, so the other three lanes have requests out when the fourth fails.
    receiver.behave(() => ({ status: 200, delayMs: 150 }));
    try {
      await expect(new MockActivityEnvironment().run(failingActivities.deliverBatch, { runId: r.runId, fromSeq: 1, toSeq: USERS })).rejects.toThrow(
        'limiter lost its database',
      );
      const sentBefore = received('/lanes').length;
      // The eight requests granted before the failing ninth went out; how many more the other lanes start before they
      // see the failure depends on the machine's load.
      expect(sentBefore).toBeGreaterThanOrEqual(8);
      const afterFailure = await recipients(r.runId);
      // Every request that went out has its outcome written, in flight at the failure or not.
      expect(afterFailure.filter((u) => u.status === 'succeeded')).toHaveLength(sentBefore);
      expect(afterFailure.filter((u) => u.status === 'pending' && u.attempts === 0)).toHaveLength(USERS - sentBefore);

      // Temporal's retry of the batch sends to the rest only.
      expect(await deliverBatch(r.runId, USERS)).toEqual({ retries: [], interrupted: null });
      const logins = received('/lanes').map((x) => (JSON.parse(x.body) as { userid: string }).userid);
      expect(logins).toHaveLength(USERS);
      expect(new Set(logins).size).toBe(USERS);
      expect((await recipients(r.runId)).every((u) => u.status === 'succeeded' && u.attempts === 1)).toBe(true);
    } finally {
      receiver.behave(() => ({ status: 200 }));
    }
  });
});

describe('a batch on a rate-limited channel', () => {
  it('has every lane wait on the limiter with the batch signal without a listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const manyLanes = createActivities({ db: database.db, concurrency: 16 });
      const r = await run({ users: 16, perSecond: 20, path: '/limited' });
      // 16 lanes, and the rate lets them go one by one: all of them wait on the signal at once.
      expect(await new MockActivityEnvironment().run(manyLanes.deliverBatch, { runId: r.runId, fromSeq: 1, toSeq: r.users })).toEqual({ retries: [], interrupted: null });
      expect(received('/limited')).toHaveLength(16);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('held-out users of a batch', () => {
  /** Every recipient's status with its error class, for the held-out ones and the others. */
  async function outcomes(runId: string, heldOut: Set<string>) {
    const rows = await recipients(runId);
    return {
      held: rows.filter((u) => heldOut.has(u.user_id)).map((u) => [u.status, u.last_error_class]),
      sent: rows.filter((u) => !heldOut.has(u.user_id)).map((u) => [u.status, u.last_error_class]),
    };
  }
  const heldOutOf = async (runId: string) => new Set((await recipients(runId)).filter((u) => u.status === 'held_out').map((u) => u.user_id));

  it('are never sent, and get the moment the sends reached them; a template that breaks for one fails them as it fails a sent user', async () => {
    const r = await run({ users: 40, holdout: 50, message: 'hi {{ user.bio }}', path: '/held' });
    const heldOut = await heldOutOf(r.runId);
    expect(heldOut.size).toBeGreaterThan(5);
    expect(heldOut.size).toBeLessThan(35);
    const rows = await recipients(r.runId);
    // One user of each group has a profile the template cannot render (over 10,000 characters).
    const breaking = [rows.find((u) => heldOut.has(u.user_id))!, rows.find((u) => !heldOut.has(u.user_id))!];
    for (const u of breaking) await database.sql`UPDATE users SET attributes = jsonb_build_object('bio', repeat('x', 10001)) WHERE id = ${u.user_id}`;
    const before = Date.now();
    expect(await deliverBatch(r.runId, r.users)).toEqual({ retries: [], interrupted: null });
    const after = Date.now();
    const sentTo = new Set(received('/held').map((x) => (JSON.parse(x.body) as { userid: string }).userid));
    expect(sentTo.size).toBe(40 - heldOut.size - 1);
    for (const u of rows) expect(sentTo.has(u.login_id)).toBe(!heldOut.has(u.user_id) && u.seq !== breaking[1]!.seq);
    const { held, sent } = await outcomes(r.runId, heldOut);
    expect(held.filter(([status]) => status === 'held_out')).toHaveLength(heldOut.size - 1);
    expect(held.filter(([status]) => status !== 'held_out')).toEqual([['failed', 'template_error']]);
    expect(sent.filter(([status]) => status !== 'succeeded')).toEqual([['failed', 'template_error']]);
    for (const u of await recipients(r.runId)) {
      if (u.status !== 'held_out') continue;
      expect(Date.parse(u.held_out_at!)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(u.held_out_at!)).toBeLessThanOrEqual(after);
      expect(u.attempts).toBe(0);
    }
    const attempts = await database.sql`SELECT 1 FROM delivery_attempts a JOIN run_recipients r USING (run_id, seq) WHERE a.run_id = ${r.runId} AND r.status = 'held_out'`;
    expect(attempts).toHaveLength(0);
    // A retried batch changes nothing of what it recorded.
    const stamped = (await recipients(r.runId)).map((u) => u.held_out_at);
    expect(await deliverBatch(r.runId, r.users)).toEqual({ retries: [], interrupted: null });
    expect((await recipients(r.runId)).map((u) => u.held_out_at)).toEqual(stamped);
  });

  it('are skipped by quiet hours in skip mode like sent users, and wait unreached in wait mode', async () => {
    const skip = await run({ users: 12, holdout: 50, quietHours: quietNow('skip').hours, path: '/held-skip' });
    const skipHeld = await heldOutOf(skip.runId);
    await deliverBatch(skip.runId, skip.users);
    const skipped = await outcomes(skip.runId, skipHeld);
    expect(new Set([...skipped.held, ...skipped.sent].map(([status, why]) => `${status}/${why}`))).toEqual(new Set(['skipped/quiet_hours']));

    const wait = await run({ users: 12, holdout: 50, quietHours: quietNow('wait').hours, path: '/held-wait' });
    const waitHeld = await heldOutOf(wait.runId);
    expect(await deliverBatch(wait.runId, wait.users)).toMatchObject({ interrupted: 'quiet' });
    expect((await recipients(wait.runId)).filter((u) => waitHeld.has(u.user_id)).every((u) => u.status === 'held_out' && u.held_out_at === null)).toBe(true);
    expect(received('/held-skip').length + received('/held-wait').length).toBe(0);
  });

  it('are skipped when the per-user cap would have refused them, without using the cap', async () => {
    const r = await run({ users: 12, holdout: 50, userCap: { max: 1, per: 'P1D' }, path: '/held-cap' });
    const heldOut = await heldOutOf(r.runId);
    const rows = await recipients(r.runId);
    // Every user already had this channel's one request today.
    await reserveUserCap(database.db, { channelId: r.channelId, max: 1, windowMs: 86_400_000 }, rows.map((u) => ({ userId: u.user_id, key: 'another-run' })));
    await deliverBatch(r.runId, r.users);
    const { held, sent } = await outcomes(r.runId, heldOut);
    expect(new Set([...held, ...sent].map(([status, why]) => `${status}/${why}`))).toEqual(new Set(['skipped/user_cap']));
    const keys = await database.sql<{ keys: string[] }[]>`SELECT array(SELECT jsonb_object_keys(sends)) AS keys FROM user_cap_sends WHERE channel_id = ${r.channelId}`;
    expect(keys.every((k) => k.keys.length === 1 && k.keys[0] === 'another-run')).toBe(true);
  });

  it('fail as expired once the campaign has expired, as sent users do', async () => {
    const r = await run({ users: 12, holdout: 50, expiresAt: new Date(Date.now() - 1000), path: '/held-expired' });
    const heldOut = await heldOutOf(r.runId);
    await deliverBatch(r.runId, r.users);
    const { held, sent } = await outcomes(r.runId, heldOut);
    expect(new Set([...held, ...sent].map(([status, why]) => `${status}/${why}`))).toEqual(new Set(['failed/expired']));
  });
});
