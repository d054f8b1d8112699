import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignDraftSchema } from '../contracts/campaign.js';
import { createCampaignService } from '../campaigns/store.js';
import { createChannelStore } from '../channels/store.js';
import { channelInputSchema } from '../contracts/channel.js';
import { resolveTemporalCli } from '../temporal/cli.js';
import { createTemporalClient } from '../temporal/client.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';
import { insertSegment, spawnWorkerProcess } from '../test/campaign-kit.js';
import { authHeader } from '../test/credentials.js';
import { webhookIdsByUser } from '../test/crash-kit.js';
import { useTestDatabase } from '../test/database.js';
import { freePort } from '../test/ports.js';
import { startReceiver, type Receiver } from '../test/receiver.js';

/*
 * The due-firing queue through crashes, on a dev server of its own that keeps
 * its state in a file (as `npm start` runs it): 10,000 users' events, posted
 * to two API processes at once (each relays), become firings due together
 * after a delay; while they are sent, the worker is SIGKILLed and another one
 * takes over, then the dev server is stopped and started again. Every user
 * gets exactly one request, under one webhook-id.
 */

const USERS = 10_000;
const database = useTestDatabase();
const apiEntry = fileURLToPath(new URL('../api/server.ts', import.meta.url));
const taskQueue = `due-crash-${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'hookcast-due-crash-'));
let port: number;
let server: DevServer | undefined;
let receiver: Receiver;
const children: ChildProcess[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startServer() {
  server = await startDevServer({ cli: await resolveTemporalCli({ log: () => {} }), port, dbFilename: join(dir, 'temporal.sqlite') });
}

function startWorker() {
  const worker = spawnWorkerProcess(database, { address: `127.0.0.1:${port}`, taskQueue }, { DELIVERY_CONCURRENCY: '16' });
  children.push(worker);
  return worker;
}

async function startApi() {
  const apiPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', apiEntry], {
    env: { ...process.env, DATABASE_URL: database.url, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_TASK_QUEUE: taskQueue, API_PORT: String(apiPort), LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${apiPort}`;
  for (const deadline = Date.now() + 60_000; ; ) {
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return url;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('API process did not start');
    await sleep(200);
  }
}

async function postEvents(url: string, users: string[]) {
  const res = await fetch(`${url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeader },
    body: JSON.stringify({ events: users.map((loginId) => ({ name: 'flash_sale', loginId })) }),
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { accepted: number }).accepted).toBe(users.length);
}

beforeAll(async () => {
  port = await freePort();
  await startServer();
  receiver = await startReceiver();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await server?.stop();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('10,000 due firings through a worker SIGKILL and a dev-server restart', () => {
  it('counted by two API processes at once, each user is sent exactly once', async () => {
    const client = createTemporalClient({ address: `127.0.0.1:${port}`, namespace: 'default' });
    try {
      const segment = await insertSegment(database, 'everyone', { attribute: 'cohort', op: 'notExists' });
      const channel = await createChannelStore(database.db, async () => []).create(channelInputSchema.parse({
        name: 'flash',
        url: `${receiver.url}/flash`,
        auth: { type: 'secret' },
        userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
      }));
      // Each request takes a while, so the sends are still going when the worker dies.
      receiver.behave((request) => (request.url === '/flash' ? { status: 200, delayMs: 25 } : { status: 200 }));
      const service = createCampaignService({ db: database.db, temporal: client, taskQueue });
      const draft = await service.create(campaignDraftSchema.parse({ name: 'flash sale', segmentId: segment.id, channelId: channel.id, trigger: { type: 'event', event: 'flash_sale', delay: 'PT15S' } }));
      await service.launch(draft.id);
      const apis = [await startApi(), await startApi()];
      // Both API processes learn of the launch from PostgreSQL's notification.
      await sleep(1500);

      // 10,000 new users, in batches of 500 posted to both processes at once.
      const users = Array.from({ length: USERS }, (_, i) => `flash-${i}`);
      const batches = Array.from({ length: USERS / 500 }, (_, b) => users.slice(b * 500, (b + 1) * 500));
      await Promise.all(batches.map((batch, b) => postEvents(apis[b % 2]!, batch)));
      const firings = async () => (await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM trigger_firings`))[0]!.n;
      for (let i = 0; i < 100 && (await firings()) < USERS; i += 1) await sleep(200);
      expect(await firings()).toBe(USERS);

      let worker = startWorker();
      const flash = () => receiver.requests.filter((r) => r.url === '/flash');
      const reach = async (n: number, timeoutMs: number) => {
        for (const deadline = Date.now() + timeoutMs; flash().length < n; ) {
          if (Date.now() > deadline) throw new Error(`only ${flash().length} of ${n} requests arrived`);
          await sleep(50);
        }
      };
      await reach(1500, 90_000);
      worker.kill('SIGKILL');
      worker = startWorker();
      await reach(4000, 90_000);
      await server!.stop();
      await sleep(2000);
      await startServer();
      await reach(USERS, 180_000);
      // Anything cut off by the kill and resent comes within the lease's lapse; wait that out, then count.
      await sleep(12_000);

      const byUser = webhookIdsByUser(flash());
      expect(byUser.size).toBe(USERS);
      for (const ids of byUser.values()) expect(ids.size).toBe(1);
      const [run] = await database.db.execute<{ succeeded: number; twice: number; counted: string; left: number }>(sql`
        SELECT (SELECT count(*)::int FROM run_recipients WHERE status = 'succeeded') AS succeeded,
               (SELECT count(*)::int FROM (SELECT run_id, seq FROM delivery_attempts WHERE outcome = 'succeeded' GROUP BY 1, 2 HAVING count(*) > 1) t) AS twice,
               (SELECT events_counted::text FROM campaign_runs WHERE campaign_id = ${draft.id}) AS counted,
               (SELECT count(*)::int FROM trigger_firings) AS left`);
      expect(run).toEqual({ succeeded: USERS, twice: 0, counted: String(USERS), left: 0 });
      // Requests resent after the kill carry the same webhook-id: more requests than users is allowed, more ids is not.
      console.log(`[due-queue crash] ${flash().length} requests for ${USERS} users (${flash().length - USERS} resent after the kill)`);
    } finally {
      await client.connection.close();
    }
  }, 400_000);
});
