import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignService } from '../campaigns/store.js';
import { createDatabase } from '../db/client.js';
import { campaigns } from '../db/schema.js';
import { createLogger } from '../lib/logger.js';
import { createRun } from '../runs/store.js';
import { createTemporalClient } from '../temporal/client.js';
import { resolveTemporalCli } from '../temporal/cli.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';
import { useTestDatabase } from '../test/database.js';
import { jsonCaller } from '../test/http.js';
import { freePort } from '../test/ports.js';
import { unavailableAnswer } from './availability.js';
import { createApp } from './app.js';

const database = useTestDatabase();
/** A dev server of this file's own, so killing it disturbs no other test file. */
let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ cli: await resolveTemporalCli(), port: await freePort() });
});
afterAll(() => server?.stop());

function apiOn(address: string, db = database.db) {
  const temporal = createTemporalClient({ address, namespace: 'default' });
  const service = createCampaignService({ db, temporal, taskQueue: 'availability-test' });
  const app = createApp({
    db,
    logger: createLogger('test', 'silent'),
    campaigns: { service, temporalUiUrl: 'http://localhost:8233', namespace: 'default' },
    temporal: { connection: temporal.connection },
  });
  const call = jsonCaller(app);
  return {
    temporal,
    async timed(method: string, path: string, body?: unknown) {
      const started = performance.now();
      const answer = await call(method, path, body);
      return { ...answer, ms: performance.now() - started };
    },
  };
}

/** A campaign that looks launched: running, with a workflow id. */
async function runningCampaign() {
  const [row] = await database.db
    .insert(campaigns)
    .values({ name: 'while Temporal is away', status: 'running', trigger: { type: 'once', sendAt: 'now' } as never })
    .returning();
  await createRun(database.db, {
    campaignId: row!.id,
    workflowId: `campaign-${row!.id}-once`,
    trigger: 'once',
    status: 'running',
    sendAt: new Date(),
    expiresAt: null,
    // A definition as a launch freezes it: campaign reads answer it, checked against the document.
    definition: {
      campaignName: 'while Temporal is away',
      identity: 'login',
      channel: { id: randomUUID(), name: 'c', url: 'https://example.test/hook', method: 'POST', headers: {}, format: 'standard', batchSize: 100, timeoutMs: 10_000, retry: { initialIntervalMs: 5_000, maxIntervalMs: 3_600_000, maxDurationMs: 86_400_000 }, userAttributeParams: [], templateParams: [] },
      templateValues: {},
      segment: { id: randomUUID(), name: 's', rule: { identity: 'hasLoginId' }, timeZone: 'Asia/Shanghai' },
    },
  });
  return row!.id;
}

describe('the API while Temporal is unreachable', () => {
  it('answers /readyz 503 naming Temporal, refuses /pause with 503 within seconds, and still serves campaign reads', async () => {
    const api = apiOn(server.address);
    const id = await runningCampaign();

    const ready = await api.timed('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ready: true, checks: { postgres: 'ok', migrations: 'ok', temporal: 'ok' } });
    // Temporal up: the run is unknown to it, so pausing is a plain 409.
    expect((await api.timed('POST', `/api/campaigns/${id}/pause`)).status).toBe(409);

    process.kill(server.pid!, 'SIGKILL');
    expect(await server.exited).toBe('SIGKILL');

    const notReady = await api.timed('GET', '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({ ready: false, error: 'not_ready', checks: { postgres: 'ok', migrations: 'ok' } });
    expect(notReady.body.checks.temporal).not.toBe('ok');
    expect(notReady.body.message).toMatch(/^not ready: temporal \(/);
    expect(notReady.ms).toBeLessThan(5000);

    const pause = await api.timed('POST', `/api/campaigns/${id}/pause`);
    expect(pause.status).toBe(503);
    expect(pause.body).toEqual({ error: 'temporal_unavailable', message: expect.stringMatching(/^Temporal /) });
    // The 5 s deadline, plus at worst one reconnect attempt of the lazy connection (its backoff is capped at 5 s):
    // 9.5 s seen once under load. Unbounded, it took about 20 s.
    expect(pause.ms).toBeLessThan(12_000);

    const cancel = await api.timed('POST', `/api/campaigns/${id}/cancel`);
    expect(cancel.status).toBe(503);
    expect(cancel.ms).toBeLessThan(12_000);

    const read = await api.timed('GET', `/api/campaigns/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, status: 'running', progress: null });
    expect(read.ms).toBeLessThan(3500);

    // Nothing else on the API depends on Temporal.
    const channels = await api.timed('GET', '/api/channels');
    expect(channels.status).toBe(200);
    expect(channels.ms).toBeLessThan(1000);
    expect((await api.timed('GET', '/healthz')).status).toBe(200);
    console.log(`[availability] Temporal killed: /readyz ${Math.round(notReady.ms)} ms, /pause ${Math.round(pause.ms)} ms, /cancel ${Math.round(cancel.ms)} ms, campaign GET ${Math.round(read.ms)} ms`);
  });

  it('starts without Temporal (the connection is lazy) and says it is not ready', async () => {
    const api = apiOn(`127.0.0.1:${await freePort()}`);
    const ready = await api.timed('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(Object.keys(ready.body.checks).filter((k) => ready.body.checks[k] !== 'ok')).toEqual(['temporal']);
    const launch = await api.timed('POST', `/api/campaigns/${await runningCampaign()}/resume`);
    expect(launch.status).toBe(503);
    expect(launch.body.error).toBe('temporal_unavailable');
  });
});

describe('/readyz and PostgreSQL', () => {
  it('names missing migrations', async () => {
    const api = apiOn(`127.0.0.1:${await freePort()}`);
    const [latest] = await database.db.execute<{ id: number; hash: string; created_at: string }>(sql`
      DELETE FROM drizzle.__drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM drizzle.__drizzle_migrations) RETURNING *`);
    try {
      const ready = await api.timed('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.migrations).toMatch(/^1 migration\(s\) not applied \(first: \d{4}_\w+\)/);
    } finally {
      await database.db.execute(sql`INSERT INTO drizzle.__drizzle_migrations (id, hash, created_at) VALUES (${latest!.id}, ${latest!.hash}, ${latest!.created_at})`);
    }
  });

  it('answers 503 database_unavailable, not 500, when PostgreSQL is unreachable', async () => {
    const unreachable = createDatabase(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`);
    try {
      const api = apiOn(`127.0.0.1:${await freePort()}`, unreachable.db);
      const ready = await api.timed('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks).toMatchObject({ postgres: 'PostgreSQL is unreachable; try again shortly', migrations: 'unknown: PostgreSQL is not ready' });
      const list = await api.timed('GET', '/api/channels');
      expect(list.status).toBe(503);
      expect(list.body).toEqual({ error: 'database_unavailable', message: 'PostgreSQL is unreachable; try again shortly' });
    } finally {
      await unreachable.close();
    }
  });

  it('answers campaign reads and /readyz within seconds when PostgreSQL accepts connections but never answers (as in crash recovery)', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const stuck = createDatabase(`postgres://postgres@127.0.0.1:${(silent.address() as { port: number }).port}/postgres`);
    try {
      const api = apiOn(`127.0.0.1:${await freePort()}`, stuck.db);
      const read = await api.timed('GET', '/api/campaigns/00000000-0000-4000-8000-000000000000');
      expect(read.status).toBe(503);
      expect(read.body).toEqual({ error: 'unavailable', message: expect.stringMatching(/^no answer within 4 s/) });
      expect(read.ms).toBeLessThan(5000);
      const ready = await api.timed('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.postgres).toBe('PostgreSQL did not answer within 2 s');
      // The probe gives up after 2 s; the bound leaves room for a loaded machine, far below the 10 s and more it took unbounded.
      expect(ready.ms).toBeLessThan(5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
      await stuck.close().catch(() => {});
    }
  });
});

describe('unavailableAnswer', () => {
  it('leaves other errors alone', () => {
    expect(unavailableAnswer(new Error('boom'))).toBeUndefined();
    expect(unavailableAnswer(Object.assign(new Error('dup'), { code: '23505' }))).toBeUndefined();
    const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(unavailableAnswer(Object.assign(new Error('Failed query'), { query: 'select 1', cause: refused() }))?.error).toBe('database_unavailable');
    // A refused webhook (say, a channel's test send) is not PostgreSQL being down.
    expect(unavailableAnswer(new Error('fetch failed', { cause: refused() }))).toBeUndefined();
    expect(unavailableAnswer(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))?.error).toBe('database_unavailable');
  });
});
