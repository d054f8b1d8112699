import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, insertSegment, spawnWorkerProcess, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { useTemporal } from '../test/temporal.js';

const database = useTestDatabase();
// Two real worker processes, as a deployment with more than one worker has.
const temporal = useTemporal(database, { runWorker: false });
const PER_SECOND = 25;
const CONCURRENCY = 4;
const USERS_PER_CAMPAIGN = 150;

let api: ReturnType<typeof campaignApi>;
const workers: ChildProcess[] = [];
let server: Server;
let url: string;
const arrivals: number[] = [];
const users: string[] = [];
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  api = campaignApi(database, temporal, { batchSize: 25, window: 3, childrenPerExecution: 50 });
  server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    arrivals.push(Date.now());
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      users.push((JSON.parse(Buffer.concat(chunks).toString()) as { userid: string }).userid);
      // Slow enough that concurrency, not only the rate, is exercised.
      setTimeout(() => {
        inFlight -= 1;
        res.end('ok');
      }, 120);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  for (const cohort of ['a', 'b']) {
    await insertUsers(database.db, Array.from({ length: USERS_PER_CAMPAIGN }, (_, i) => ({ loginId: `${cohort}-${i}`, attributes: { cohort } })));
  }
  for (let i = 0; i < 2; i += 1) {
    workers.push(spawnWorkerProcess(database, temporal, { DELIVERY_CONCURRENCY: '8' }));
  }
});
afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('a channel rate and concurrency limit', () => {
  it('holds across two campaigns and two worker processes', async () => {
    const channel = await api.call('POST', '/api/channels', {
      name: 'limited',
      url: `${url}/limited`,
      auth: { type: 'secret' },
      rateLimit: { perSecond: PER_SECOND, concurrency: CONCURRENCY },
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
    });
    expect(channel.status).toBe(201);
    const ids: string[] = [];
    for (const cohort of ['a', 'b']) {
      const segment = await insertSegment(database, `cohort ${cohort}`, { attribute: 'cohort', op: 'equals', value: cohort });
      const draft = await api.call('POST', '/api/campaigns', { name: `limited ${cohort}`, segmentId: segment.id, channelId: channel.body.id });
      ids.push(draft.body.id);
    }
    await Promise.all(ids.map((id) => api.call('POST', `/api/campaigns/${id}/launch`)));
    for (const id of ids) {
      const done = await waitForCampaign(api, id, undefined, 120_000);
      expect(done.deliveries).toMatchObject({ total: USERS_PER_CAMPAIGN, succeeded: USERS_PER_CAMPAIGN });
    }

    expect(users).toHaveLength(2 * USERS_PER_CAMPAIGN);
    expect(new Set(users).size).toBe(2 * USERS_PER_CAMPAIGN);
    expect(maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
    // No one-second window, wherever it starts, holds more than the limit.
    let busiest = 0;
    for (let i = 0, j = 0; i < arrivals.length; i += 1) {
      while (arrivals[j]! < arrivals[i]! - 999) j += 1;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBeLessThanOrEqual(PER_SECOND);
    // And the limit is used, not just respected: the run took about as long as the rate demands.
    const seconds = (arrivals.at(-1)! - arrivals[0]!) / 1000;
    expect(seconds).toBeGreaterThanOrEqual((2 * USERS_PER_CAMPAIGN) / PER_SECOND - 2);
    expect((2 * USERS_PER_CAMPAIGN) / seconds).toBeGreaterThan(PER_SECOND * 0.6);
  }, 180_000);
});
