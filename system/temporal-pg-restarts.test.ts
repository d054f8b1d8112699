import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, countMismatches, insertSegment, spawnWorkerProcess, userIdChannel, waitForCampaign } from '../test/campaign-kit.js';
import { expectExactlyOnce, twoWorkersOneKilled } from '../test/crash-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { skipWithoutTemporalPg, useTemporalPg } from '../test/temporal-pg.js';

const skipped = skipWithoutTemporalPg('Temporal on PostgreSQL: server restart and worker kill mid-run');

describe.skipIf(skipped)('mid-run failures on the PostgreSQL-backed Temporal server', () => {
  const database = useTestDatabase();
  const pg = useTemporalPg({ start: true });
  let receiver: Receiver;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    // Every request takes 40 ms, so a few thousand users take long enough to restart the server in the middle.
    receiver = await startReceiver(() => ({ status: 200, delayMs: 40 }));
  });
  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await receiver?.close();
  });

  it('Temporal server stopped (SIGTERM) and started again mid-run: every user succeeds once, resends carry the same webhook-id', async () => {
    const USERS = 3_000;
    // Several continue-as-new generations of the parent, so the restart falls between its batches too.
    const api = campaignApi(database, pg, { batchSize: 100, window: 4, childrenPerExecution: 10 });
    await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `restart-${i}`, attributes: { cohort: 'restart' } })));
    const segment = await insertSegment(database, 'restart', { attribute: 'cohort', op: 'equals', value: 'restart' });
    const channelId = await userIdChannel(api, 'restart channel', `${receiver.url}/restart`);
    const requests = () => receiver.requests.filter((r) => r.url === '/restart');

    const worker = spawnWorkerProcess(database, pg, { DELIVERY_CONCURRENCY: '4' });
    workers.push(worker);
    let workerExit: string | undefined;
    worker.once('exit', (code, signal) => (workerExit = signal ?? `code ${code}`));

    const draft = await api.call('POST', '/api/campaigns', { name: 'restart', segmentId: segment.id, channelId });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
    while (requests().length < USERS / 4) {
      if (workerExit) throw new Error(`worker exited (${workerExit}) before the restart`);
      await new Promise((r) => setTimeout(r, 20));
    }

    await pg.stop();
    expect(requests().length).toBeLessThan(USERS);
    // Down long enough that the worker's polls, heartbeats and completions fail.
    await new Promise((r) => setTimeout(r, 3_000));
    await pg.start();
    const atRestart = requests().length;

    const done = await waitForCampaign(api, draft.body.id, (c) => Boolean(workerExit) || ['completed', 'cancelled', 'failed'].includes(c.status), 240_000);
    expect(workerExit).toBeUndefined();
    expect(done.status).toBe('completed');
    expect(done.deliveries).toMatchObject({ total: USERS, succeeded: USERS, pending: 0 });
    // The run was still sending when the server came back: the rest went out through the restarted server.
    expect(requests().length).toBeGreaterThan(atRestart);
    await expectExactlyOnce(database, done.run.id, requests(), USERS);
    expect(await countMismatches(database)).toHaveLength(0);
  }, 300_000);

  it('two workers, one SIGKILLed mid-run: the other finishes alone, every user once, resends under the same webhook-id', async () => {
    // The restart test's worker polls the same task queue: left running, it would be a third worker taking batches.
    await Promise.all(workers.splice(0).map((w) => (w.exitCode !== null || w.signalCode !== null ? undefined : new Promise((r) => w.once('exit', r).kill('SIGKILL')))));
    const api = campaignApi(database, pg, { batchSize: 20, window: 3, childrenPerExecution: 4 });
    await twoWorkersOneKilled({ database, temporal: pg, api, receiver, users: 120, cohort: 'pair' });
  }, 150_000);
});
