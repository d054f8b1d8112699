import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { call, launchStoryCampaign, seedStoryAudience, startStack, tallyReceiver, waitForFinish, type Stack } from '../scripts/stack-kit.js';

const MEMBERS = 300;
const VICTIMS = ['Temporal dev server', 'worker', 'API', 'embedded PostgreSQL'] as const;
let stack: Stack | undefined;
let receiver: Receiver | undefined;

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

/** Calls the API in a loop and keeps each call's time and answer (or network error). */
function poll(api: string, campaignId: string, userId: string) {
  const calls: { path: string; ms: number; outcome: string; at: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const path of [`/api/campaigns/${campaignId}`, `/api/campaigns/${campaignId}/deliveries/${userId}`]) {
        const started = performance.now();
        const outcome = await call(api, 'GET', path).then(
          (res) => String(res.status),
          (error: unknown) => String((error as { cause?: { code?: string } }).cause?.code ?? error),
        );
        calls.push({ path, ms: performance.now() - started, outcome, at: Date.now() });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    calls,
    async stop() {
      running = false;
      await loop;
    },
  };
}

describe('npm start supervises its children', () => {
  it('restarts each child killed with SIGKILL mid-campaign; no user lost, none sent twice, no API call hangs', async () => {
    receiver = await startReceiver(() => ({ status: 200, delayMs: 150 }));
    stack = await startStack({ DELIVERY_CONCURRENCY: '8' });
    const { api } = stack;
    const { segmentId, memberIds } = await seedStoryAudience(api, MEMBERS);
    const report: string[] = [];

    for (const victim of VICTIMS) {
      const path = `/${victim.replace(/\W+/g, '-').toLowerCase()}`;
      const { campaignId, secret } = await launchStoryCampaign(api, receiver, path, segmentId);
      const sentBy = Date.now() + 120_000;
      while (receiver.requests.filter((r) => r.url === path).length < 40) {
        if (Date.now() > sentBy) {
          // What the campaign and the stack said, so a failure on CI can be read without a rerun.
          const seen = await call(api, 'GET', `/api/campaigns/${campaignId}`).then((res) => JSON.stringify({ status: res.body.status, deliveries: res.body.deliveries, run: res.body.run }), String);
          throw new Error(`${victim}: sending never started (${receiver.requests.filter((r) => r.url === path).length} requests); campaign ${seen}; the stack's last output:\n${stack.output().slice(-6000)}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }

      const poller = poll(api, campaignId, memberIds[0]!);
      const pid = stack.pidOf(victim);
      const from = stack.output().length;
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      const escaped = victim;
      await stack.waitFor(new RegExp(`\\[hookcast\\] ${escaped} exited \\(SIGKILL\\); restarting in 0\\.5 s \\(restart 1 of 5\\)`), 30_000, from);
      await stack.waitFor(new RegExp(`${escaped} is back \\(pid \\d+\\)`), 120_000, from);
      const backAfter = Date.now() - killedAt;
      expect(stack.pidOf(victim)).not.toBe(pid);

      const done = await waitForFinish(api, campaignId, 240_000);
      await poller.stop();
      expect(done.status).toBe('completed');
      expect(done.deliveries).toEqual({ total: MEMBERS, pending: 0, succeeded: MEMBERS, failed: 0, skipped: 0, cancelled: 0, held_out: 0 });

      const tally = tallyReceiver(receiver, path, secret);
      expect([...tally.keys()].sort()).toEqual(memberIds);
      // A resend (the request got through but its outcome was not recorded) must carry the same webhook-id.
      expect([...tally].filter(([, t]) => t.webhookIds.size !== 1)).toEqual([]);
      const resends = [...tally.values()].reduce((n, t) => n + t.requests - 1, 0);

      const slowest = Math.max(...poller.calls.map((c) => c.ms));
      const byOutcome = new Map<string, number>();
      for (const c of poller.calls) byOutcome.set(c.outcome, (byOutcome.get(c.outcome) ?? 0) + 1);
      const outcomes = [...byOutcome].map(([k, n]) => `${k}×${n}`);
      report.push(`${victim}: back after ${(backAfter / 1000).toFixed(1)} s; ${poller.calls.length} API calls (${outcomes.join(', ')}), slowest ${Math.round(slowest)} ms; ${resends} resends with the same webhook-id`);
      const slow = poller.calls.filter((c) => c.ms > 2500).map((c) => `${c.path.split('/').length > 4 ? 'delivery' : 'campaign'} ${c.outcome} ${Math.round(c.ms)} ms at +${c.at - killedAt} ms`);
      expect(slowest, `${victim}: slow calls ${slow.join('; ')}`).toBeLessThan(5000);
    }
    console.log(report.map((l) => `[supervisor kills] ${l}`).join('\n'));

    expect((await call(api, 'GET', '/readyz')).status).toBe(200);
    expect(stack.output()).not.toMatch(/giving up/);
    expect(await stack.stop()).toEqual({ code: 0, leftovers: 0 });
    stack = undefined;
  }, 900_000);

  it('gives up after a child crashes 6 times within a minute: says why, stops everything, exits 1', async () => {
    const crashing = await startStack();
    stack = crashing;
    for (let n = 1; n <= 6; n += 1) {
      const from = crashing.output().length;
      process.kill(crashing.pidOf('worker'), 'SIGKILL');
      if (n <= 5) {
        await crashing.waitFor(new RegExp(`worker exited \\(SIGKILL\\); restarting in [\\d.]+ s \\(restart ${n} of 5\\)`), 30_000, from);
        await crashing.waitFor(/worker is back \(pid \d+\)/, 60_000, from);
      }
    }
    const { code, leftovers } = await crashing.exited();
    stack = undefined;
    expect(crashing.output()).toContain('[hookcast] worker exited (SIGKILL); it crashed 6 times within 60 s, giving up');
    expect(crashing.output()).toContain('[hookcast] stopped');
    expect(code).toBe(1);
    expect(leftovers).toBe(0);
  }, 300_000);
});
