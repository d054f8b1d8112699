import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, countMismatches, insertSegment, spawnWorkerProcess, userIdChannel } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { freePort } from '../test/ports.js';
import { useTemporal, type TestTemporal } from '../test/temporal.js';
import { createTemporalClient } from '../temporal/client.js';
import { resolveTemporalCli } from '../temporal/cli.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';

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

describe('Temporal dev server and worker stopped while a firing is pending', () => {
  it('hands the firing over when both are back: it runs once, as a scheduled firing, to every user', async () => {
    const USERS_HERE = 10;
    await insertUsers(database.db, Array.from({ length: USERS_HERE }, (_, i) => ({ loginId: `rpending-${i}`, attributes: { cohort: 'rpending' } })));
    const segment = await insertSegment(database, 'rpending', { attribute: 'cohort', op: 'equals', value: 'rpending' });
    // A server of its own, keeping its state in a file as `npm start` does; the suite's server stays up.
    const folder = mkdtempSync(join(tmpdir(), 'hookcast-restart-'));
    const cli = await resolveTemporalCli({ log: () => {} });
    const port = await freePort();
    const start = () => startDevServer({ cli, port, dbFilename: join(folder, 'temporal.sqlite') });
    let server: DevServer = await start();
    const client = createTemporalClient({ address: server.address, namespace: 'default' });
    const own = { client, address: server.address, taskQueue: `restart-${port}` } as TestTemporal;
    const ownApi = campaignApi(database, own);
    let ownWorker: ChildProcess | undefined = spawnWorkerProcess(database, own);
    try {
      const channelId = await userIdChannel(ownApi, 'rpending channel', `${receiver.url}/rpending`);
      // Due 60–120 s from now, at a whole minute (UTC), once a day.
      const due = new Date(Math.ceil((Date.now() + 60_000) / 60_000) * 60_000);
      const draft = await ownApi.call('POST', '/api/campaigns', {
        name: 'pending firing',
        segmentId: segment.id,
        channelId,
        trigger: { type: 'recurring', schedule: { cron: `${due.getUTCMinutes()} ${due.getUTCHours()} * * *` }, timeZone: 'UTC' },
      });
      const launched = await ownApi.call('POST', `/api/campaigns/${draft.body.id}/launch`);
      expect(launched.status).toBe(200);
      // The schedule answered with its next firing: its state is written, not only requested.
      expect(launched.body.nextFirings[0]).toBe(due.toISOString());

      ownWorker.kill('SIGKILL');
      await new Promise((r) => ownWorker!.once('exit', r));
      ownWorker = undefined;
      await server.stop();
      while (Date.now() < due.getTime() + 10_000) await new Promise((r) => setTimeout(r, 500));
      expect(receiver.requests.filter((r) => r.url === '/rpending')).toHaveLength(0);

      server = await start();
      ownWorker = spawnWorkerProcess(database, own);
      const deadline = Date.now() + 90_000;
      let runs: { status: string; trigger: string; scheduledAt: string; deliveries: Record<string, number> }[] = [];
      while (Date.now() < deadline) {
        runs = (await ownApi.call('GET', `/api/campaigns/${draft.body.id}/runs`)).body.items ?? [];
        if (runs.length > 0 && runs.every((r) => r.status === 'completed')) break;
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ status: 'completed', trigger: 'schedule', scheduledAt: due.toISOString(), deliveries: { total: USERS_HERE, succeeded: USERS_HERE } });
      // Nothing more arrives: the firing ran once.
      await new Promise((r) => setTimeout(r, 2000));
      const sent = receiver.requests.filter((r) => r.url === '/rpending');
      expect(sent).toHaveLength(USERS_HERE);
      expect(new Set(sent.map((r) => (JSON.parse(r.body) as { userid: string }).userid)).size).toBe(USERS_HERE);
      expect((await ownApi.call('GET', `/api/campaigns/${draft.body.id}/runs`)).body.items).toHaveLength(1);
      await ownApi.call('POST', `/api/campaigns/${draft.body.id}/cancel`);
    } finally {
      ownWorker?.kill('SIGKILL');
      await client.connection.close().catch(() => {});
      await server.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  }, 240_000);
});
