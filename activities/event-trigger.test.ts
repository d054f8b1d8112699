import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import type { FrozenDefinition } from '../contracts/campaign.js';
import { channels } from '../db/schema.js';
import { webhookIdFor } from '../delivery/ids.js';
import { insertSegment } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { createActivities } from './index.js';

/*
 * The PostgreSQL side of "no second send": whatever Temporal does (an activity
 * retried, a workflow id reused after retention, executions racing), one
 * delivery key records one send.
 */

const database = useTestDatabase();
const campaignId = randomUUID();
const runId = randomUUID();
const users: Record<string, string> = {};
let receiver: Receiver;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  receiver = await startReceiver();
  activities = createActivities({ db: database.db, concurrency: 4 });
  const [member, outsider, visitorOnly, racer] = await insertUsers(database.db, [
    { loginId: 'k-member', attributes: { tier: 'a' } },
    { loginId: 'k-outsider', attributes: { tier: 'b' } },
    { visitorId: 'k-visitor', attributes: { tier: 'a' } },
    { loginId: 'k-racer', attributes: { tier: 'a' } },
  ]);
  Object.assign(users, { member, outsider, visitorOnly, racer });
  const segment = await insertSegment(database, 'tier a', { attribute: 'tier', op: 'equals', value: 'a' });
  const [channel] = await database.db
    .insert(channels)
    .values({ name: 'keys', url: `${receiver.url}/keys`, auth: { type: 'none' }, userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }] })
    .returning();
  const definition: FrozenDefinition = {
    campaignName: 'keys',
    identity: 'login',
    templateValues: {},
    channel: { ...channel!, userCap: null },
    segment: { id: segment.id, name: segment.name, rule: segment.rule, timeZone: 'Asia/Shanghai' },
    quietHours: null,
    timeZone: 'Asia/Shanghai',
  };
  await database.db.execute(sql`INSERT INTO campaigns (id, name, status, trigger) VALUES (${campaignId}, 'keys', 'running', '{"type":"event","event":"e","times":1,"frequency":"once"}'::jsonb)`);
  await database.db.execute(sql`
    INSERT INTO campaign_runs (id, campaign_id, workflow_id, trigger, status, send_at, definition)
    VALUES (${runId}, ${campaignId}, ${`campaign-${campaignId}-events`}, 'event', 'running', now(), ${JSON.stringify(definition)}::jsonb)`);
});
afterAll(() => receiver.close());

const record = (user: string, eventId: number, deliveryKey: string) =>
  activities.recordTriggeredDelivery({ campaignId, runId, userId: users[user]!, eventId, deliveryKey });

async function rowsOf(user: string) {
  return database.db.execute<{ seq: number; status: string; delivery_key: string; trigger_event_id: string; last_error_class: string | null }>(sql`
    SELECT seq, status, delivery_key, trigger_event_id::text, last_error_class FROM run_recipients WHERE run_id = ${runId} AND user_id = ${users[user]!} ORDER BY seq`);
}

describe('recordTriggeredDelivery', () => {
  it('records one send per delivery key: a retry gets its own row back, another event under `once` gets the existing one', async () => {
    const first = await record('member', 1, 'once');
    expect(first).toEqual({ status: 'pending', seq: expect.any(Number) });
    expect(await record('member', 1, 'once')).toEqual(first);
    // A new execution after Temporal's retention, caused by another event: the send stands, nothing new.
    expect(await record('member', 2, 'once')).toEqual({ status: 'exists', seq: (first as { seq: number }).seq });
    // atMostEvery keys by the causing event: one row each.
    const a = await record('member', 3, 'event:3');
    const b = await record('member', 4, 'event:4');
    expect([a.status, b.status]).toEqual(['pending', 'pending']);
    expect((await rowsOf('member')).map((r) => [r.delivery_key, r.trigger_event_id])).toEqual([['once', '1'], ['event:3', '3'], ['event:4', '4']]);
  });

  it('checks the segment and the identity at send time; a skip does not take the send key', async () => {
    expect(await record('outsider', 10, 'once')).toMatchObject({ status: 'skipped' });
    expect(await record('visitorOnly', 11, 'once')).toMatchObject({ status: 'skipped' });
    expect((await rowsOf('outsider')).map((r) => [r.status, r.delivery_key, r.last_error_class])).toEqual([['skipped', 'skip:10', 'not_in_segment']]);
    expect((await rowsOf('visitorOnly')).map((r) => r.last_error_class)).toEqual(['no_login_id']);
    // Joined the segment since: the next trigger sends.
    await database.db.execute(sql`UPDATE users SET attributes = '{"tier":"a"}' WHERE id = ${users.outsider!}`);
    expect(await record('outsider', 12, 'once')).toMatchObject({ status: 'pending' });
  });

  it('racing executions record one send', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => record('racer', 100 + i, 'once')));
    expect(results.filter((r) => r.status === 'pending')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'exists')).toHaveLength(7);
    expect(await rowsOf('racer')).toHaveLength(1);
  });

  it('records nothing for a cancelled run', async () => {
    await database.db.execute(sql`UPDATE campaign_runs SET control = 'cancel' WHERE id = ${runId}`);
    expect(await record('member', 50, 'event:50')).toEqual({ status: 'closed' });
    await database.db.execute(sql`UPDATE campaign_runs SET control = 'run' WHERE id = ${runId}`);
  });
});

describe('deliverTriggered', () => {
  it('records and sends in one activity; run again after its send finished, it answers `exists` and sends nothing', async () => {
    const [user] = await insertUsers(database.db, [{ loginId: 'k-sent', attributes: { tier: 'a' } }]);
    const send = () => new MockActivityEnvironment().run(activities.deliverTriggered, { campaignId, runId, userId: user!, eventId: 500, deliveryKey: 'once' });
    const before = receiver.requests.length;
    const first = await send();
    expect(first).toEqual({ status: 'pending', seq: expect.any(Number), outcome: 'succeeded' });
    expect(receiver.requests.length - before).toBe(1);
    // Temporal retried it after the send (its answer lost): the record stands, nothing goes out again.
    expect(await send()).toEqual({ status: 'exists', seq: (first as { seq: number }).seq });
    expect(receiver.requests.length - before).toBe(1);
    const [row] = await database.db.execute<{ status: string; attempts: number }>(sql`SELECT status, attempts FROM run_recipients WHERE run_id = ${runId} AND user_id = ${user!}`);
    expect(row).toEqual({ status: 'succeeded', attempts: 1 });
  });

  it('sends nothing for a user outside the segment', async () => {
    const [user] = await insertUsers(database.db, [{ loginId: 'k-out', attributes: { tier: 'z' } }]);
    const before = receiver.requests.length;
    expect(await new MockActivityEnvironment().run(activities.deliverTriggered, { campaignId, runId, userId: user!, eventId: 501, deliveryKey: 'once' })).toMatchObject({
      status: 'skipped',
    });
    expect(receiver.requests.length).toBe(before);
  });
});

describe('webhookIdFor', () => {
  it('keeps a frozen audience ids as they were, and gives each delivery of an event run its own', () => {
    expect(webhookIdFor('r', 'u')).toBe(webhookIdFor('r', 'u', ''));
    expect(new Set([webhookIdFor('r', 'u'), webhookIdFor('r', 'u', 'once'), webhookIdFor('r', 'u', 'event:1'), webhookIdFor('r', 'u', 'event:2')]).size).toBe(4);
  });
});
