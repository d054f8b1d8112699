import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
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
 * Temporal calls, counted by a client interceptor, against the real servers;
 * and two relays draining one outbox at once.
 */

const database = useTestDatabase();
const temporal = useTemporal(database);
let receiver: Receiver;
let statements = 0;
let temporalCalls = 0;
let counted: ReturnType<typeof postgres>;
let client: Client;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  receiver = await startReceiver();
  counted = postgres(database.url, { max: 4, onnotice: () => {}, debug: () => void (statements += 1) });
  const count: WorkflowClientInterceptor = {
    async signal(input, next) {
      temporalCalls += 1;
      return next(input);
    },
    async signalWithStart(input, next) {
      temporalCalls += 1;
      return next(input);
    },
    async start(input, next) {
      temporalCalls += 1;
      return next(input);
    },
  };
  client = new Client({ connection: await Connection.connect({ address: temporal.address }), namespace: 'default', interceptors: { workflow: [count] } });
});

afterAll(async () => {
  await counted?.end();
  await client?.connection.close();
  await receiver?.close();
});

describe('relay', () => {
  it('counts a 1,000-event batch in a few statements and wakes each run at most once: no Temporal work per event or user', async () => {
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
    // Each run has looked at its (empty) queue and sleeps: a new firing wakes it.
    const asleep = async () => (await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM campaign_runs WHERE wake_at = 'infinity'`))[0]!.n;
    for (let waited = 0; (await asleep()) < 3 && waited < 600; waited += 1) await sleep(100);
    expect(await asleep()).toBe(3);
    const listeners = createListenerIndex(db);
    await listeners.start();
    const relay = createRelay({ db, temporal: client });
    const users = 250;
    const batch = { events: Array.from({ length: 1000 }, (_, i) => ({ name: 'view_item', loginId: `viewer-${i % users}`, properties: { i } })) };

    statements = 0;
    let started = performance.now();
    const result = await ingestEvents(db, batch, new Date(), [], outboxHooks(listeners));
    const ingestMs = performance.now() - started;
    const ingestStatements = statements;
    expect(result.accepted).toBe(1000);

    statements = 0;
    temporalCalls = 0;
    started = performance.now();
    const batches = await relay.drain();
    const drainMs = performance.now() - started;
    const drainStatements = statements;
    await relay.stop();
    const sum = (key: 'rows' | 'pairs' | 'firings' | 'woken') => batches.reduce((n, b) => n + b[key], 0);
    console.log(
      `[relay cost] 1,000 events, ${users} users, 2 listening campaigns: ingest ${ingestStatements} statements in ${ingestMs.toFixed(0)} ms; ` +
        `relay ${drainStatements} statements for ${sum('rows')} outbox rows, ${sum('firings')} firings, ${temporalCalls} Temporal calls in ${drainMs.toFixed(0)} ms`,
    );
    // BEGIN, user lookup, user insert, lookup of the new ones, event insert, the catalog's names (audience/catalog.ts), outbox insert, COMMIT.
    expect(ingestStatements).toBeLessThanOrEqual(8);
    expect(sum('rows')).toBe(2000);
    expect(sum('pairs')).toBe(2 * users);
    // Four events per user and campaign: the first fires (after the hour's delay), the rest find that send waiting.
    expect(sum('firings')).toBe(2 * users);
    // One drained batch: BEGIN, the erasure lock (shared), outbox rows, campaign locks, campaigns, pairs, every write, COMMIT.
    expect(batches).toHaveLength(1);
    expect(drainStatements).toBeLessThanOrEqual(8);
    // One wake per run, at most: the runs slept with nothing due.
    expect(sum('woken')).toBe(2);
    expect(temporalCalls).toBe(2);

    const [queued] = await database.db.execute<{ a: number; b: number; c: number; soonest: string }>(sql`
      SELECT count(*) FILTER (WHERE c.id = ${launched[0]})::int AS a, count(*) FILTER (WHERE c.id = ${launched[1]})::int AS b,
             count(*) FILTER (WHERE c.id = ${launched[2]})::int AS c, min(f.due_at) AS soonest
      FROM trigger_firings f JOIN campaign_runs r ON r.id = f.run_id JOIN campaigns c ON c.id = r.campaign_id`);
    expect(queued).toMatchObject({ a: users, b: users, c: 0 });
    expect(new Date(queued!.soonest).getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    // No Temporal execution per user: each campaign is its one run.
    const running = (id: string) => client.workflow.count(`CampaignId = "${id}" AND ExecutionStatus = "Running"`).then((c) => c.count);
    expect(await running(launched[0]!)).toBe(1);

    // Cancel drops that campaign's waiting sends, not the other's.
    expect((await api.call('POST', `/api/campaigns/${launched[0]}/cancel`)).status).toBe(202);
    for (let waited = 0; (await running(launched[0]!)) > 0 && waited < 200; waited += 1) await sleep(200);
    const [left] = await database.db.execute<{ a: number; b: number }>(sql`
      SELECT count(*) FILTER (WHERE r.campaign_id = ${launched[0]})::int AS a, count(*) FILTER (WHERE r.campaign_id = ${launched[1]})::int AS b
      FROM trigger_firings f JOIN campaign_runs r ON r.id = f.run_id`);
    expect(left).toEqual({ a: 0, b: users });
    await listeners.stop();
    expect(receiver.requests).toHaveLength(0);
  });

  it('two relays draining one outbox at once count every event once and make one firing per pair', async () => {
    const api = campaignApi(database, temporal);
    const segment = await insertSegment(database, 'all pairs', { attribute: 'vip_level', op: 'notExists' });
    const channelId = await userIdChannel(api, 'pairs', `${receiver.url}/pairs`);
    const draft = await api.call('POST', '/api/campaigns', {
      name: 'two views',
      segmentId: segment.id,
      channelId,
      trigger: { type: 'event', event: 'pair_view', times: 2, within: 'PT1H', delay: 'PT1H' },
    });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
    const listeners = createListenerIndex(database.db);
    await listeners.start();
    // Four events per user, ingested in order in four batches and left in the outbox.
    const users = 1000;
    for (let round = 0; round < 4; round += 1) {
      const events = Array.from({ length: users }, (_, i) => ({ name: 'pair_view', loginId: `pair-${i}` }));
      expect((await ingestEvents(database.db, { events }, new Date(), [], outboxHooks(listeners))).accepted).toBe(users);
    }
    // Two relays, each on its own connections, in small batches so they interleave.
    const second = postgres(database.url, { max: 4, onnotice: () => {} });
    const relays = [createRelay({ db: database.db, temporal: temporal.client, batchSize: 300 }), createRelay({ db: drizzle(second, { schema }), temporal: temporal.client, batchSize: 300 })];
    const drained = await Promise.all(relays.map((relay) => relay.drain()));
    await Promise.all(relays.map((relay) => relay.stop()));
    await second.end();
    await listeners.stop();
    expect(drained.every((batches) => batches.reduce((n, b) => n + b.rows, 0) > 0)).toBe(true);
    const [result] = await database.db.execute<{ outbox: number; firings: number; state: number; counted: string }>(sql`
      SELECT (SELECT count(*)::int FROM trigger_outbox) AS outbox,
             (SELECT count(*)::int FROM trigger_firings f JOIN campaign_runs r ON r.id = f.run_id WHERE r.campaign_id = ${draft.body.id}) AS firings,
             (SELECT count(*)::int FROM trigger_state WHERE campaign_id = ${draft.body.id}) AS state,
             (SELECT events_counted::text FROM campaign_runs WHERE campaign_id = ${draft.body.id}) AS counted`);
    // Events 1 and 2 fire; 3 and 4 make a second pair whose firing finds the first waiting: nothing is left counted.
    expect(result).toEqual({ outbox: 0, firings: users, state: 0, counted: String(4 * users) });
  });
});
