import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FrozenDefinition } from '../contracts/campaign.js';
import { campaignRuns, campaigns, channels } from '../db/schema.js';
import { useTestDatabase } from '../test/database.js';
import { createBreaker, tripChannel } from './breaker.js';

describe('breaker window', () => {
  it('does not trip on a few early failures', () => {
    const breaker = createBreaker();
    for (let i = 0; i < 3; i++) expect(breaker.record('c', 'http_503')).toBeNull();
    for (let i = 0; i < 100; i++) expect(breaker.record('c', null)).toBeNull();
    expect(breaker.peek('c')).toEqual({ attempts: 103, failures: 3 });
  });

  it('trips a dead endpoint after the minimum sample, once, naming the failure classes', () => {
    const breaker = createBreaker({ quietMs: 1_000 });
    const trips = [];
    for (let i = 0; i < 19; i++) trips.push(breaker.record('c', i % 4 === 0 ? 'timeout' : 'http_503', 0));
    expect(trips.every((t) => t === null)).toBe(true);
    const trip = breaker.record('c', 'http_503', 0);
    expect(trip).toEqual({ reason: 'endpoint failed 20 of the last 20 attempts (http_503 ×15, timeout ×5)', failures: 20, attempts: 20 });
    // Failures reported by requests that were in flight do not trip it again.
    for (let i = 0; i < 300; i++) expect(breaker.record('c', 'http_503', 500)).toBeNull();
    // After the quiet period it judges afresh, from zero.
    for (let i = 0; i < 19; i++) expect(breaker.record('c', 'http_503', 1_000)).toBeNull();
    expect(breaker.record('c', 'http_503', 1_000)).not.toBeNull();
  });

  it('trips an endpoint that starts failing mid-run within window × threshold failures', () => {
    const breaker = createBreaker();
    for (let i = 0; i < 1_000; i++) expect(breaker.record('c', null)).toBeNull();
    let failures = 0;
    let trip = null;
    while (!trip) {
      failures += 1;
      trip = breaker.record('c', 'refused');
    }
    expect(failures).toBe(100);
    expect(trip.reason).toBe('endpoint failed 100 of the last 200 attempts (refused ×100)');
  });

  it('keeps channels apart', () => {
    const breaker = createBreaker();
    for (let i = 0; i < 50; i++) {
      expect(breaker.record('a', null)).toBeNull();
      const trip = breaker.record('b', 'http_500');
      expect(trip !== null).toBe(i === 19);
    }
    expect(breaker.peek('a')).toEqual({ attempts: 50, failures: 0 });
  });

  it('trips exactly when the latest window crosses the threshold (property)', () => {
    const settings = { window: 30, threshold: 0.5, minSamples: 10, quietMs: 1e12 };
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 200 }), (outcomes) => {
        const breaker = createBreaker(settings);
        const tripAt = outcomes.findIndex((_, i) => {
          const last = outcomes.slice(Math.max(0, i + 1 - settings.window), i + 1);
          return last.length >= settings.minSamples && last.filter((ok) => !ok).length >= settings.threshold * last.length;
        });
        const seen = outcomes.map((ok) => breaker.record('c', ok ? null : 'x', 0));
        const firstTrip = seen.findIndex((t) => t !== null);
        expect(firstTrip).toBe(tripAt);
        expect(seen.filter((t) => t !== null).length).toBe(tripAt === -1 ? 0 : 1);
      }),
    );
  });
});

describe('tripChannel', () => {
  const testDb = useTestDatabase();

  it('records the reason on the running campaigns of the channel and answers their runs, once', async () => {
    const { db } = testDb;
    const [channel, other] = await db
      .insert(channels)
      .values([
        { name: 'dead', url: 'http://127.0.0.1:1/', auth: { type: 'none' } },
        { name: 'fine', url: 'http://127.0.0.1:2/', auth: { type: 'none' } },
      ])
      .returning();
    const definition = {} as FrozenDefinition;
    async function campaign(name: string, channelId: string, status: 'running' | 'paused' | 'completed', control: 'run' | 'pause' = 'run') {
      const [c] = await db.insert(campaigns).values({ name, channelId, status, trigger: { type: 'once', sendAt: 'now' } }).returning();
      const [run] = await db
        .insert(campaignRuns)
        .values({ campaignId: c!.id, workflowId: `campaign-${c!.id}`, definition, sendAt: new Date(), control })
        .returning();
      await db.update(campaigns).set({ currentRunId: run!.id, workflowId: run!.workflowId }).where(eq(campaigns.id, c!.id));
      return { campaignId: c!.id, runId: run!.id, workflowId: run!.workflowId, controlEpoch: run!.controlEpoch };
    }
    const a = await campaign('a', channel!.id, 'running');
    const b = await campaign('b', channel!.id, 'running');
    await campaign('operator paused', channel!.id, 'paused', 'pause');
    await campaign('done', channel!.id, 'completed');
    await campaign('elsewhere', other!.id, 'running');

    const tripped = await tripChannel(db, channel!.id, 'endpoint failed 100 of the last 200 attempts (http_503 ×100)');
    expect(tripped.sort((x, y) => x.campaignId.localeCompare(y.campaignId))).toEqual([a, b].sort((x, y) => x.campaignId.localeCompare(y.campaignId)));
    const reasons = await db.select({ name: campaigns.name, reason: campaigns.pauseReason }).from(campaigns);
    expect(Object.fromEntries(reasons.map((r) => [r.name, r.reason]))).toEqual({
      a: 'circuit breaker: endpoint failed 100 of the last 200 attempts (http_503 ×100)',
      b: 'circuit breaker: endpoint failed 100 of the last 200 attempts (http_503 ×100)',
      'operator paused': null,
      done: null,
      elsewhere: null,
    });
    // A second worker tripping the same channel finds nothing left to pause.
    expect(await tripChannel(db, channel!.id, 'again')).toEqual([]);
  });
});
