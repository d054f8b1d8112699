import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, countMismatches, insertSegment, spawnWorkerProcess, userIdChannel } from '../test/campaign-kit.js';
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
  await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `rcrash-${i}`, attributes: { cohort: 'rcrash' } })));
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await receiver.close();
});

describe('worker killed while a recurring run sends', () => {
  it('finishes the run: every user exactly once per success, resends under the same webhook-id, no second run', async () => {
    const segment = await insertSegment(database, 'rcrash', { attribute: 'cohort', op: 'equals', value: 'rcrash' });
    const channelId = await userIdChannel(api, 'rcrash channel', `${receiver.url}/rcrash`);
    worker = startWorkerProcess();
    const draft = await api.call('POST', '/api/campaigns', {
      name: 'daily crash',
      segmentId: segment.id,
      channelId,
      trigger: { type: 'recurring', schedule: { every: 'day', at: '09:00' } },
    });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/trigger`)).status).toBe(202);

    while (receiver.requests.length < USERS / 4) await new Promise((r) => setTimeout(r, 20));
    worker.kill('SIGKILL');
    await new Promise((r) => worker!.once('exit', r));
    expect(receiver.requests.length).toBeLessThan(USERS);

    worker = startWorkerProcess();
    const deadline = Date.now() + 120_000;
    let runs: { status: string; deliveries: Record<string, number> }[] = [];
    while (Date.now() < deadline) {
      runs = (await api.call('GET', `/api/campaigns/${draft.body.id}/runs`)).body.items;
      if (runs.length === 1 && runs[0]!.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'completed', deliveries: { total: USERS, succeeded: USERS, pending: 0 } });
    expect((await api.call('GET', `/api/campaigns/${draft.body.id}`)).body.status).toBe('scheduled');

    const succeededTwice = await database.db.execute(sql`
      SELECT seq FROM delivery_attempts WHERE outcome = 'succeeded' GROUP BY run_id, seq HAVING count(*) > 1`);
    expect(succeededTwice).toHaveLength(0);
    expect(await countMismatches(database)).toHaveLength(0);

    const byUser = new Map<string, Set<string>>();
    for (const r of receiver.requests) {
      const user = (JSON.parse(r.body) as { userid: string }).userid;
      byUser.set(user, (byUser.get(user) ?? new Set()).add(String(r.headers['webhook-id'])));
    }
    expect(byUser.size).toBe(USERS);
    for (const ids of byUser.values()) expect(ids.size).toBe(1);
    for (const held of receiver.requests.slice(0, 3)) {
      const user = (JSON.parse(held.body) as { userid: string }).userid;
      expect(receiver.requests.filter((r) => (JSON.parse(r.body) as { userid: string }).userid === user).length).toBeGreaterThanOrEqual(2);
    }
    await api.call('POST', `/api/campaigns/${draft.body.id}/cancel`);
  }, 150_000);
});
