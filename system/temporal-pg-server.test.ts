import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, insertSegment, userIdChannel, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { skipWithoutTemporalPg, useTemporalPg } from '../test/temporal-pg.js';
import { workflowBundle } from '../test/temporal.js';
import { createHookcastWorker } from '../worker/create-worker.js';
import { setUpTemporalDatabases, startTemporalUi, temporalPortProblem, temporalServerPorts, type TemporalProcess } from '../temporal/postgres-server.js';
import { CampaignIdKey } from '../temporal/search-attributes.js';

const skipped = skipWithoutTemporalPg('Temporal on PostgreSQL');

describe('the server\'s ports', () => {
  it('lays them out around TEMPORAL_PORT as Temporal does at 7233, and refuses a block that leaves 1-32767', () => {
    expect(Object.values(temporalServerPorts(7233)).sort()).toEqual([6933, 6934, 6935, 6939, 7233, 7234, 7235, 7239, 7243]);
    expect(temporalPortProblem(7233)).toBeUndefined();
    expect(temporalPortProblem(301)).toBeUndefined();
    expect(temporalPortProblem(32757)).toBeUndefined();
    expect(temporalPortProblem(300)).toMatch(/301 to 32757/);
    expect(temporalPortProblem(32758)).toMatch(/301 to 32757/);
  });
});

describe.skipIf(skipped)('Temporal on PostgreSQL (npm run temporal:pg)', () => {
  const database = useTestDatabase();
  const namespace = 'hookcast-pg-test';
  const pg = useTemporalPg({ namespace });
  const { taskQueue } = pg;
  let ui: (TemporalProcess & { url: string }) | undefined;
  let receiver: Receiver;

  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // installed already by another file in this worker
    }
    receiver = await startReceiver(() => ({ status: 200 }));
  });

  afterAll(async () => {
    await ui?.stop();
    await receiver?.close();
  });

  it('creates both databases and brings their schema up to date, and a second run changes nothing', async () => {
    const { env, binaries } = pg;
    const first = await setUpTemporalDatabases(env, binaries);
    expect(first[env.TEMPORAL_PG_DATABASE]).toMatch(/^1\.\d+$/);
    expect(first[env.TEMPORAL_PG_VISIBILITY_DATABASE]).toMatch(/^1\.\d+$/);

    const history = postgres({ host: env.TEMPORAL_PG_HOST, port: env.TEMPORAL_PG_PORT, user: env.TEMPORAL_PG_USER, password: env.TEMPORAL_PG_PASSWORD, database: env.TEMPORAL_PG_DATABASE, max: 1 });
    try {
      const [before] = await history<{ n: number }[]>`SELECT count(*)::int AS n FROM schema_update_history`;
      expect(await setUpTemporalDatabases(env, binaries)).toEqual(first);
      const [after] = await history<{ n: number }[]>`SELECT count(*)::int AS n FROM schema_update_history`;
      expect(after!.n).toBe(before!.n);
      expect(before!.n).toBeGreaterThan(1);
    } finally {
      await history.end();
    }
  });

  it('runs a one-time campaign on the PostgreSQL-backed server, lists it by search attribute, and keeps it across a restart', async () => {
    await pg.start();
    const connection = await Connection.connect({ address: pg.address });
    const client = new Client({ connection, namespace });
    const nativeConnection = await NativeConnection.connect({ address: pg.address });
    let worker: Worker | undefined;
    let running: Promise<void> | undefined;
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(['CampaignId', 'ChannelId', 'CampaignStatus', 'TriggerType']));

      if (pg.binaries.ui) {
        ui = await startTemporalUi({ env: pg.env, binaries: { ui: pg.binaries.ui } });
        // The UI's own API reaches the server: it knows the namespace we registered.
        const answer = await fetch(`${ui.url}/api/v1/namespaces/${namespace}`);
        expect(answer.status).toBe(200);
        expect(((await answer.json()) as { namespaceInfo: { name: string } }).namespaceInfo.name).toBe(namespace);
      }

      worker = await createHookcastWorker({
        connection: nativeConnection,
        namespace,
        taskQueue,
        db: database.db,
        deliveryConcurrency: 4,
        workflowBundle: workflowBundle(),
      });
      running = worker.run();

      const api = campaignApi(database, { client, taskQueue });
      const USERS = 7;
      await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `pg-${i}`, attributes: { cohort: 'pg' } })));
      const segment = await insertSegment(database, 'pg', { attribute: 'cohort', op: 'equals', value: 'pg' });
      const channelId = await userIdChannel(api, 'pg channel', `${receiver.url}/pg`);
      const draft = await api.call('POST', '/api/campaigns', { name: 'on postgres', segmentId: segment.id, channelId });
      expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
      const done = await waitForCampaign(api, draft.body.id, undefined, 45_000);
      expect(done.status).toBe('completed');
      expect(done.deliveries).toMatchObject({ total: USERS, succeeded: USERS, pending: 0 });
      expect(new Set(receiver.requests.map((r) => (JSON.parse(r.body) as { userid: string }).userid)).size).toBe(USERS);

      // SQL visibility answers queries on hookcast's custom search attributes (it lags its writes a little).
      const listed: string[] = [];
      for (let i = 0; i < 40 && listed.length === 0; i++) {
        for await (const execution of client.workflow.list({ query: `CampaignId = "${draft.body.id}"` })) listed.push(execution.workflowId);
        if (listed.length === 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(listed.length).toBeGreaterThan(0);
      for (const id of listed) expect(id).toContain(draft.body.id);
      const workflowId = listed[0]!;
      // The campaign's row turns completed in the last activity, a workflow task before its execution closes:
      // stopping the worker in between would leave the execution running across the restart.
      for (const id of listed) await client.workflow.getHandle(id).result();

      worker.shutdown();
      await running;
      worker = undefined;
      await connection.close();
      await nativeConnection.close();

      // Stop and start again the way `npm run temporal:pg` does: the history was kept in PostgreSQL.
      await pg.stop();
      await pg.start();
      const again = new Client({ connection: await Connection.connect({ address: pg.address }), namespace });
      try {
        const description = await again.workflow.getHandle(workflowId).describe();
        expect(description.status.name).toBe('COMPLETED');
        expect(description.typedSearchAttributes.get(CampaignIdKey)).toBe(draft.body.id);
      } finally {
        await again.connection.close();
      }
    } finally {
      if (worker) {
        worker.shutdown();
        await running;
      }
      await connection.close().catch(() => {});
      await nativeConnection.close().catch(() => {});
    }
  }, 90_000);
});
