import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, insertSegment, spawnWorkerProcess, userIdChannel, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

const database = useTestDatabase();
// The worker is a real process, stopped with SIGTERM as a deploy or `npm start`'s Ctrl-C does.
const temporal = useTemporal(database, { runWorker: false });
const USERS = 150;
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let worker: ChildProcess | undefined;

const startWorkerProcess = () =>
  // Short grace, so the shutdown cancels batches mid-send and exercises their last write.
  spawnWorkerProcess(database, temporal, { DELIVERY_CONCURRENCY: '4', WORKER_SHUTDOWN_GRACE_MS: '500' });

beforeAll(async () => {
  api = campaignApi(database, temporal, { batchSize: 50, window: 3, childrenPerExecution: 10 });
  // Slow answers: requests are certainly in flight when the signal comes.
  receiver = await startReceiver(() => ({ status: 200, delayMs: 300 }));
  await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `term-${i}`, attributes: { cohort: 'term' } })));
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await receiver.close();
});

const userOf = (body: string) => (JSON.parse(body) as { userid: string }).userid;

describe('worker shutdown on SIGTERM', () => {
  it('records every request it sent before exiting, so the next worker sends nothing twice', async () => {
    const segment = await insertSegment(database, 'term', { attribute: 'cohort', op: 'equals', value: 'term' });
    const channelId = await userIdChannel(api, 'term channel', `${receiver.url}/term`);
    worker = startWorkerProcess();
    const draft = await api.call('POST', '/api/campaigns', { name: 'term', segmentId: segment.id, channelId });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
    while (receiver.requests.length < 30) await new Promise((r) => setTimeout(r, 20));

    const exited = new Promise<number | null>((resolve) => worker!.once('exit', (code) => resolve(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    const sentBeforeExit = new Set(receiver.requests.map((r) => userOf(r.body)));
    expect(sentBeforeExit.size).toBeLessThan(USERS);
    const recorded = await database.db.execute<{ login_id: string }>(sql`
      SELECT u.login_id FROM run_recipients r JOIN users u ON u.id = r.user_id WHERE r.attempts > 0`);
    // Every request that went out has its outcome written.
    expect(new Set(recorded.map((r) => r.login_id))).toEqual(sentBeforeExit);

    worker = startWorkerProcess();
    const done = await waitForCampaign(api, draft.body.id, undefined, 120_000);
    expect(done.deliveries).toMatchObject({ total: USERS, succeeded: USERS, pending: 0 });
    const perUser = new Map<string, number>();
    for (const r of receiver.requests) perUser.set(userOf(r.body), (perUser.get(userOf(r.body)) ?? 0) + 1);
    expect(perUser.size).toBe(USERS);
    expect([...perUser.values()].every((n) => n === 1)).toBe(true);
  }, 180_000);
});
