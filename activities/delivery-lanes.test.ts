import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import type { FrozenDefinition } from '../campaigns/definition.js';
import { campaigns, channels } from '../db/schema.js';
import { insertAudience } from '../runs/recipients.js';
import { createRun } from '../runs/store.js';
import { insertSegment } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { createActivities } from './index.js';

/*
 * How many requests a run's batches keep in flight in one worker, measured at a
 * real loopback endpoint that answers each request after a fixed delay: a
 * batch alone keeps `concurrency`; once a batch of the same run has ended, the
 * batch still sending takes up its lanes, and the run never has more in flight
 * than concurrency × the batches that sent at once.
 */
const CONCURRENCY = 4;
const REPLY_MS = 40;
const database = useTestDatabase();
let activities: ReturnType<typeof createActivities>;
let server: Server;
let url = '';
let inFlight = 0;
let peak = 0;
let afterFirstEnded: { peak: number } | null = null;

beforeAll(async () => {
  activities = createActivities({ db: database.db, concurrency: CONCURRENCY });
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      if (afterFirstEnded) afterFirstEnded.peak = Math.max(afterFirstEnded.peak, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }, REPLY_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lanes`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A launched run of `users` fresh users on its own channel. */
async function launchRun(users: number) {
  const tag = randomUUID().slice(0, 8);
  await insertUsers(
    database.db,
    Array.from({ length: users }, (_, i) => ({ loginId: `${tag}-${String(i).padStart(4, '0')}`, attributes: { tag } })),
  );
  const segment = await insertSegment(database, `segment ${tag}`, { attribute: 'tag', op: 'equals', value: tag });
  const [channel] = await database.db
    .insert(channels)
    .values({ name: `channel ${tag}`, url, auth: { type: 'none' }, userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }] })
    .returning();
  const definition: FrozenDefinition = {
    campaignName: `campaign ${tag}`,
    identity: 'login',
    templateValues: {},
    channel: { ...channel!, userCap: channel!.userCap },
    segment: { id: segment.id, name: segment.name, rule: segment.rule, timeZone: 'UTC' },
    quietHours: null,
    timeZone: 'UTC',
  };
  const [campaign] = await database.db
    .insert(campaigns)
    .values({ name: definition.campaignName, status: 'running', trigger: { type: 'once', sendAt: 'now' }, definition, channelId: channel!.id, segmentId: segment.id })
    .returning();
  const row = await createRun(database.db, { campaignId: campaign!.id, workflowId: `campaign-${campaign!.id}`, trigger: 'once', sendAt: new Date(), expiresAt: null, definition });
  await insertAudience(database.db, { runId: row.id, rule: segment.rule, timeZone: 'UTC', identity: 'login', at: new Date() });
  return row.id;
}

const deliverBatch = (runId: string, fromSeq: number, toSeq: number) => new MockActivityEnvironment().run(activities.deliverBatch, { runId, fromSeq, toSeq });

async function statuses(runId: string) {
  const rows = await database.sql<{ status: string; n: number }[]>`SELECT status, count(*)::int AS n FROM run_recipients WHERE run_id = ${runId} GROUP BY status`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

describe('lanes of a run in one worker', () => {
  it('a batch alone keeps its concurrency in flight, no more', async () => {
    const runId = await launchRun(60);
    peak = 0;
    expect(await deliverBatch(runId, 1, 60)).toEqual({ retries: [], interrupted: null });
    expect(peak).toBe(CONCURRENCY);
    expect(await statuses(runId)).toEqual({ succeeded: 60 });
  });

  it("takes up the lanes of the run's batch that ended, within the run's total", async () => {
    const runId = await launchRun(400);
    peak = 0;
    afterFirstEnded = null;
    // A short batch and a long one of the same run, sending at once: 2 × CONCURRENCY lanes between them.
    const long = deliverBatch(runId, 41, 400);
    const short = deliverBatch(runId, 1, 40).then((answer) => {
      afterFirstEnded = { peak: 0 };
      return answer;
    });
    expect(await short).toEqual({ retries: [], interrupted: null });
    expect(await long).toEqual({ retries: [], interrupted: null });
    // Never more than the two batches' lanes together…
    expect(peak).toBeLessThanOrEqual(2 * CONCURRENCY);
    // …and once the short one ended, the long one alone went beyond its own.
    expect(afterFirstEnded!.peak).toBeGreaterThan(CONCURRENCY);
    expect(await statuses(runId)).toEqual({ succeeded: 400 });
    afterFirstEnded = null;
  });
});
