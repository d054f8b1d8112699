import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { insertUsers } from '../audience/fixtures.js';
import { createCampaignService } from '../campaigns/store.js';
import { createLogger } from '../lib/logger.js';
import { resolveTemporalCli } from '../temporal/cli.js';
import { createTemporalClient } from '../temporal/client.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';
import { insertSegment } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { jsonCaller } from '../test/http.js';
import { freePort } from '../test/ports.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { workflowBundle } from '../test/temporal.js';
import { createListenerIndex } from '../triggers/listeners.js';
import { outboxHooks } from '../triggers/outbox.js';
import { createRelay } from '../triggers/relay.js';

/*
 * Survive restarts: a dev server of its own persisting to a file, a worker
 * process, the API in-process. While a user's send waits inside its delay,
 * the dev server and the worker stop, and the delay runs out during the
 * outage; an event accepted during the outage is counted in PostgreSQL
 * (Temporal is not needed for that) and its wake signal is lost. Both start
 * again: each send happens once.
 */

const database = useTestDatabase();
const workerEntry = fileURLToPath(new URL('../worker/main.ts', import.meta.url));
const taskQueue = `restart-${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'hookcast-restart-'));
const dbFilename = join(dir, 'temporal.sqlite');
let port: number;
let server: DevServer | undefined;
let worker: ChildProcess | undefined;
let client: Client;
let receiver: Receiver;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startServer() {
  server = await startDevServer({ cli: await resolveTemporalCli({ log: () => {} }), port, dbFilename });
}

function startWorker() {
  worker = spawn(process.execPath, ['--import', 'tsx', workerEntry], {
    env: { ...process.env, WORKFLOW_BUNDLE: workflowBundle().codePath, DATABASE_URL: database.url, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn', WORKER_SHUTDOWN_GRACE_MS: '1000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function stopWorker() {
  if (!worker || worker.exitCode !== null) return;
  const exited = once(worker, 'exit');
  worker.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  port = await freePort();
  await startServer();
  startWorker();
  client = createTemporalClient({ address: `127.0.0.1:${port}`, namespace: 'default' });
  receiver = await startReceiver();
});

afterAll(async () => {
  await stopWorker();
  await client?.connection.close();
  await server?.stop();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('event-triggered sends across a restart of the dev server and the worker', () => {
  it('a send inside its delay, and an event accepted during the outage, each happen once', async () => {
    const listeners = createListenerIndex(database.db);
    const relay = createRelay({ db: database.db, temporal: client, intervalMs: 500 });
    const service = createCampaignService({ db: database.db, temporal: client, taskQueue, eventListeners: listeners });
    const call = jsonCaller(
      createApp({
        db: database.db,
        logger: createLogger('test', 'silent'),
        campaigns: { service, temporalUiUrl: 'http://localhost:8233', namespace: 'default' },
        eventHooks: () => outboxHooks(listeners, () => relay.kick()),
      }),
    );
    await listeners.start();
    relay.start();
    try {
      const [first, second] = await insertUsers(database.db, [{ loginId: 'restart-1' }, { loginId: 'restart-2' }]);
      const segment = await insertSegment(database, 'all', { attribute: 'vip_level', op: 'notExists' });
      const channel = await call('POST', '/api/channels', {
        name: 'restart',
        url: `${receiver.url}/restart`,
        auth: { type: 'secret' },
        userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
      });
      const draft = await call('POST', '/api/campaigns', {
        name: 'delayed',
        segmentId: segment.id,
        channelId: channel.body.id,
        trigger: { type: 'event', event: 'checkout', delay: 'PT3S' },
      });
      expect((await call('POST', `/api/campaigns/${draft.body.id}/launch`)).body.status).toBe('running');

      expect((await call('POST', '/api/events', { events: [{ name: 'checkout', loginId: 'restart-1' }] })).body.accepted).toBe(1);
      const firings = async () => (await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM trigger_firings`))[0]!.n;
      for (let i = 0; i < 100 && (await firings()) < 1; i += 1) await sleep(100);
      expect(await firings()).toBe(1);

      // Outage: the worker, then the dev server; the first send falls due meanwhile.
      await stopWorker();
      await server!.stop();
      const accepted = await call('POST', '/api/events', { events: [{ name: 'checkout', loginId: 'restart-2' }] });
      expect(accepted.body.accepted).toBe(1);
      await sleep(4000);
      // Counted without Temporal: both sends wait in PostgreSQL, nothing in the outbox.
      const [waiting] = await database.db.execute<{ outbox: number; due: number }>(sql`
        SELECT (SELECT count(*)::int FROM trigger_outbox) AS outbox, (SELECT count(*)::int FROM trigger_firings WHERE due_at <= now()) AS due`);
      expect(waiting).toEqual({ outbox: 0, due: 2 });
      expect(receiver.requests).toHaveLength(0);

      await startServer();
      startWorker();
      const deadline = Date.now() + 45_000;
      while (receiver.requests.length < 2) {
        if (Date.now() > deadline) throw new Error(`only ${receiver.requests.length} of 2 sends arrived`);
        await sleep(200);
      }
      await sleep(3000);
      const users = receiver.requests.map((r) => JSON.parse(r.body).userid).sort();
      expect(users).toEqual(['restart-1', 'restart-2']);
      expect(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(2);
      const rows = await database.db.execute<{ user_id: string; status: string }>(sql`SELECT user_id, status FROM run_recipients ORDER BY seq`);
      expect(rows.map((r) => [r.user_id, r.status]).sort()).toEqual([[first, 'succeeded'], [second, 'succeeded']].sort());
    } finally {
      await relay.stop();
      await listeners.stop();
    }
  });
});
