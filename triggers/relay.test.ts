import { Client, Connection } from '@temporalio/client';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestEvents } from '../audience/events.js';
import * as schema from '../db/schema.js';
import { campaignApi, insertSegment, userIdChannel } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';
import { createListenerIndex } from './listeners.js';
import { outboxHooks } from './outbox.js';
import { createRelay } from './relay.js';

/*
 * What one full ingest batch costs: PostgreSQL round trips of the ingest (with
 * its outbox write) and of the relay's drain, counted at the driver, and
 * Temporal calls, counted by a client interceptor, against the real servers.
 */

const database = useTestDatabase();
const temporal = useTemporal(database);
let receiver: Receiver;
let statements = 0;
let signals = 0;
let counted: ReturnType<typeof postgres>;
let client: Client;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  receiver = await startReceiver();
  counted = postgres(database.url, { max: 4, onnotice: () => {}, debug: () => void (statements += 1) });
  client = new Client({
    connection: await Connection.connect({ address: temporal.address }),
    namespace: 'default',
    interceptors: {
      workflow: [
        {
          async signalWithStart(input, next) {
            signals += 1;
            return next(input);
          },
        },
      ],
    },
  });
});

afterAll(async () => {
  await counted?.end();
  await client?.connection.close();
  await receiver?.close();
});

describe('relay cost of a 1,000-event batch', () => {
  it('costs a bounded number of PostgreSQL round trips and one Temporal call per (campaign, user), made concurrently', async () => {
    const db = drizzle(counted, { schema });
    const api = campaignApi(database, temporal);
    const segment = await insertSegment(database, 'everyone', { attribute: 'vip_level', op: 'notExists' });
    const channelId = await userIdChannel(api, 'views', `${receiver.url}/views`);
    const launched: string[] = [];
    // Two campaigns listen for the event, a third for another one: 2 pairs per user.
    for (const [name, event] of [['a', 'view_item'], ['b', 'view_item'], ['c', 'other']] as const) {
      const draft = await api.call('POST', '/api/campaigns', { name, segmentId: segment.id, channelId, trigger: { type: 'event', event, delay: 'PT1H' } });
      expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
      launched.push(draft.body.id);
    }
    const listeners = createListenerIndex(db);
    await listeners.start();
    const relay = createRelay({ db, temporal: client, taskQueue: temporal.taskQueue });
    const users = 250;
    const batch = { events: Array.from({ length: 1000 }, (_, i) => ({ name: 'view_item', loginId: `viewer-${i % users}`, properties: { i } })) };

    statements = 0;
    let started = performance.now();
    const result = await ingestEvents(db, batch, new Date(), [], outboxHooks(listeners));
    const ingestMs = performance.now() - started;
    const ingestStatements = statements;
    expect(result.accepted).toBe(1000);

    statements = 0;
    signals = 0;
    started = performance.now();
    const batches = await relay.drain();
    const drainMs = performance.now() - started;
    const drainStatements = statements;
    const rows = batches.reduce((n, b) => n + b.rows, 0);
    const pairs = batches.reduce((n, b) => n + b.pairs, 0);
    console.log(
      `[relay cost] 1,000 events, ${users} users, 2 listening campaigns: ingest ${ingestStatements} statements in ${ingestMs.toFixed(0)} ms; ` +
        `relay ${drainStatements} statements, ${signals} signalWithStart calls for ${rows} outbox rows in ${drainMs.toFixed(0)} ms`,
    );
    // BEGIN, user lookup, user insert, lookup of the new ones, event insert, outbox insert, COMMIT.
    expect(ingestStatements).toBeLessThanOrEqual(7);
    expect(rows).toBe(2000);
    expect(pairs).toBe(2 * users);
    expect(signals).toBe(2 * users);
    // One drained batch: BEGIN, SELECT … FOR UPDATE SKIP LOCKED, DELETE, COMMIT.
    expect(batches).toHaveLength(1);
    expect(drainStatements).toBeLessThanOrEqual(4);

    const running = (id: string) => client.workflow.count(`CampaignId = "${id}" AND ExecutionStatus = "Running"`).then((c) => c.count);
    for (let waited = 0; (await running(launched[0]!)) < users + 1 && waited < 100; waited += 1) await sleep(200);
    expect(await running(launched[0]!)).toBe(users + 1);
    expect(await running(launched[2]!)).toBe(1);

    // Cancel sweeps every per-user workflow of the campaign.
    expect((await api.call('POST', `/api/campaigns/${launched[0]}/cancel`)).status).toBe(202);
    for (let waited = 0; (await running(launched[0]!)) > 0 && waited < 200; waited += 1) await sleep(200);
    expect(await running(launched[0]!)).toBe(0);
    expect(await running(launched[1]!)).toBe(users + 1);
    await listeners.stop();
    expect(receiver.requests).toHaveLength(0);
  });
});
