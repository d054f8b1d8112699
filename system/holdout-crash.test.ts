import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, countMismatches, insertSegment, spawnWorkerProcess, userIdChannel, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { recipientsOf } from '../test/effect-kit.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';
import { isHeldOut } from '../effect/holdout.js';

/*
 * The hold-out decision through a worker SIGKILLed mid-run: nobody held out
 * is ever sent, nobody sent is later counted as control, and the control
 * group is exactly the one the hash decides.
 */
const database = useTestDatabase();
// No in-process worker: the worker is a real process that gets SIGKILLed.
const temporal = useTemporal(database, { runWorker: false });
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let worker: ChildProcess | undefined;
const USERS = 300;

beforeAll(async () => {
  api = campaignApi(database, temporal, { batchSize: 20, window: 3, childrenPerExecution: 6 });
  // The first three requests are held 5 s: in flight, unrecorded, when the worker dies.
  receiver = await startReceiver((_request, log) => ({ status: 200, delayMs: log.length <= 3 ? 5_000 : 40 }));
  await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `k-${i}`, attributes: { cohort: 'killed' } })));
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await receiver.close();
});

describe('hold-out decisions through a worker crash', () => {
  it('never sends a held-out user and never counts a sent one as control', async () => {
    const segment = await insertSegment(database, 'killed', { attribute: 'cohort', op: 'equals', value: 'killed' });
    const channelId = await userIdChannel(api, 'killed channel', `${receiver.url}/killed`);
    worker = spawnWorkerProcess(database, temporal, { DELIVERY_CONCURRENCY: '3' });
    const draft = await api.call('POST', '/api/campaigns', { name: 'killed', segmentId: segment.id, channelId, goal: { event: 'order', within: 'PT1H' }, holdout: { percent: 20 } });
    const id = draft.body.id as string;
    expect((await api.call('POST', `/api/campaigns/${id}/launch`)).status).toBe(200);

    while (receiver.requests.length < USERS / 4) await new Promise((r) => setTimeout(r, 20));
    worker.kill('SIGKILL');
    await new Promise((r) => worker!.once('exit', r));
    expect(receiver.requests.length).toBeLessThan(USERS * 0.8);
    worker = spawnWorkerProcess(database, temporal, { DELIVERY_CONCURRENCY: '3' });
    const done = await waitForCampaign(api, id, undefined, 150_000);
    expect(done.status).toBe('completed');

    const recipients = await recipientsOf(database, done.run.id);
    const predicted = new Set(recipients.filter((r) => isHeldOut({ campaignId: id, draw: 1, percent: 20 }, r.userId)).map((r) => r.userId));
    const heldOut = recipients.filter((r) => r.status === 'held_out');
    expect(new Set(heldOut.map((r) => r.userId))).toEqual(predicted);
    expect(heldOut.every((r) => r.start !== null)).toBe(true);
    expect(recipients.filter((r) => r.status === 'succeeded').map((r) => r.userId).filter((u) => predicted.has(u))).toEqual([]);
    expect(done.deliveries).toMatchObject({ total: USERS, succeeded: USERS - predicted.size, held_out: predicted.size, pending: 0 });

    // The receiver never saw a held-out user, and the attempt log holds none.
    const requested = new Set(receiver.requests.map((r) => (JSON.parse(r.body) as { userid: string }).userid));
    expect(heldOut.filter((r) => requested.has(r.loginId!))).toEqual([]);
    const attempted = await database.db.execute(sql`
      SELECT a.seq FROM delivery_attempts a JOIN run_recipients r ON r.run_id = a.run_id AND r.seq = a.seq
      WHERE a.run_id = ${done.run.id} AND r.status = 'held_out'`);
    expect(attempted).toHaveLength(0);
    expect(await countMismatches(database)).toHaveLength(0);

    // The effect counts exactly the hash's control group and the sent users.
    const effect = (await api.call('GET', `/api/campaigns/${id}/effect`)).body;
    expect(effect.control.users).toBe(predicted.size);
    expect(effect.sent.users).toBe(USERS - predicted.size);
  }, 200_000);
});
