import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { authHeader } from '../test/credentials.js';
import { campaignApi, insertSegment, userIdChannel } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { freePort } from '../test/ports.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

/*
 * Nothing lost between PostgreSQL and Temporal: a real API process is killed
 * (SIGKILL, by its test-only fault hook) right after an ingest committed and
 * answered, before anything signalled Temporal. A restarted API process's
 * relay hands the event over, and it is delivered exactly once.
 */

const database = useTestDatabase();
const temporal = useTemporal(database);
let receiver: Receiver;
const running: ChildProcess[] = [];
const serverEntry = fileURLToPath(new URL('../api/server.ts', import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startApi(env: Record<string, string> = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', serverEntry], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: temporal.taskQueue,
      API_PORT: String(port),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  running.push(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) return { child, url };
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('API process did not start');
    await sleep(100);
  }
}

async function post(url: string, body: unknown) {
  const res = await fetch(`${url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...authHeader }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function outboxRows() {
  const [row] = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM trigger_outbox`);
  return row!.n;
}

beforeAll(async () => {
  receiver = await startReceiver();
});

afterAll(async () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await receiver?.close();
});

describe('transactional outbox', () => {
  it('an accepted event is delivered once even when the API dies after the commit and before signalling', async () => {
    const api = campaignApi(database, temporal);
    await insertUsers(database.db, [{ loginId: 'crash-user', attributes: { tier: 'a' } }]);
    const segment = await insertSegment(database, 'tier a', { attribute: 'tier', op: 'equals', value: 'a' });
    const channelId = await userIdChannel(api, 'crash channel', `${receiver.url}/crash`);
    const draft = await api.call('POST', '/api/campaigns', { name: 'crash', segmentId: segment.id, channelId, trigger: { type: 'event', event: 'signup' } });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).body.status).toBe('running');

    const doomed = await startApi({ HOOKCAST_TEST_FAULT: 'exit-after-event-commit' });
    const batch = { events: [{ name: 'signup', loginId: 'crash-user', clientEventId: 'signup-1' }] };
    const exited = once(doomed.child, 'exit');
    expect(await post(doomed.url, batch)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0, rejected: [] } });
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');
    // Committed, answered, never handed over.
    expect(await outboxRows()).toBe(1);
    await sleep(1000);
    expect(receiver.requests.filter((r) => r.url === '/crash')).toHaveLength(0);

    const restarted = await startApi();
    const deadline = Date.now() + 20_000;
    while (receiver.requests.filter((r) => r.url === '/crash').length === 0) {
      if (Date.now() > deadline) throw new Error('the restarted API did not relay the event');
      await sleep(100);
    }
    expect(JSON.parse(receiver.requests.find((r) => r.url === '/crash')!.body)).toEqual({ userid: 'crash-user' });
    expect(await outboxRows()).toBe(0);

    // The client retries the batch it never trusted: a duplicate, nothing triggered again.
    expect(await post(restarted.url, batch)).toEqual({ status: 200, body: { accepted: 0, duplicates: 1, rejected: [] } });
    await sleep(2500);
    expect(receiver.requests.filter((r) => r.url === '/crash')).toHaveLength(1);
    restarted.child.kill('SIGTERM');
    await once(restarted.child, 'exit');
  });
});
