import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignApi, countMismatches, insertSegment, spawnWorkerProcess, userIdChannel, waitForCampaign } from '../test/campaign-kit.js';
import { twoWorkersOneKilled, webhookIdsByUser } from '../test/crash-kit.js';
import { insertUsers } from '../audience/fixtures.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

const database = useTestDatabase();
// No in-process worker: the worker here is a real process that gets SIGKILLed.
const temporal = useTemporal(database, { runWorker: false });
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
const USERS = 120;

const startWorkerProcess = () => spawnWorkerProcess(database, temporal, { DELIVERY_CONCURRENCY: '3' });

let worker: ChildProcess | undefined;

beforeAll(async () => {
  api = campaignApi(database, temporal, { batchSize: 20, window: 3, childrenPerExecution: 4 });
  // The first three requests are held for 5 s, so they are certainly in flight, unrecorded, when the worker dies.
  receiver = await startReceiver((_request, log) => ({ status: 200, delayMs: log.length <= 3 ? 5_000 : 60 }));
  await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `crash-${i}`, attributes: { cohort: 'crash' } })));
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await receiver.close();
});

describe('worker killed mid-campaign', () => {
  it('finishes every user exactly once per success, resending only with the same webhook-id', async () => {
    const segment = await insertSegment(database, 'crash', { attribute: 'cohort', op: 'equals', value: 'crash' });
    const channelId = await userIdChannel(api, 'crash channel', `${receiver.url}/crash`);
    worker = startWorkerProcess();
    const draft = await api.call('POST', '/api/campaigns', { name: 'crash', segmentId: segment.id, channelId });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);

    while (receiver.requests.length < USERS / 4) await new Promise((r) => setTimeout(r, 20));
    worker.kill('SIGKILL');
    await new Promise((r) => worker!.once('exit', r));
    const seenAtKill = receiver.requests.length;
    expect(seenAtKill).toBeLessThan(USERS);

    worker = startWorkerProcess();
    const done = await waitForCampaign(api, draft.body.id, undefined, 120_000);
    expect(done.status).toBe('completed');
    expect(done.deliveries).toMatchObject({ total: USERS, succeeded: USERS, pending: 0 });

    const succeededTwice = await database.db.execute(sql`
      SELECT seq FROM delivery_attempts WHERE outcome = 'succeeded' GROUP BY run_id, seq HAVING count(*) > 1`);
    expect(succeededTwice).toHaveLength(0);
    expect(await countMismatches(database)).toHaveLength(0);

    const byUser = webhookIdsByUser(receiver.requests.filter((r) => r.url === '/crash'));
    expect(byUser.size).toBe(USERS);
    for (const ids of byUser.values()) expect(ids.size).toBe(1);
    // The held requests were sent again after the restart, under the same webhook-id.
    for (const held of receiver.requests.slice(0, 3)) {
      const user = (JSON.parse(held.body) as { userid: string }).userid;
      expect(receiver.requests.filter((r) => (JSON.parse(r.body) as { userid: string }).userid === user).length).toBeGreaterThanOrEqual(2);
    }
    // Recovery waits for the heartbeat timeout and then for the dead attempt's send lease to lapse.
  }, 150_000);

  it('with two workers, one SIGKILLed mid-run, the other finishes alone: every user once, resends under the same webhook-id', async () => {
    worker?.kill('SIGKILL');
    await twoWorkersOneKilled({ database, temporal, api, receiver, users: USERS, cohort: 'pair' });
  }, 150_000);
});
