import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { call, launchStoryCampaign, seedStoryAudience, startStack, tallyReceiver, waitForFinish, type Stack } from '../scripts/stack-kit.js';

const MEMBERS = 500;
const READERS = 10;
let stack: Stack | undefined;
let receiver: Receiver | undefined;

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

describe('npm start on the embedded PostgreSQL', () => {
  it(`runs story 1 for ${MEMBERS} users while ${READERS} readers poll: no errors, right counts, one request per user`, async () => {
    // A slow-ish receiver and few requests in flight, so the campaign sends for several seconds under the readers.
    receiver = await startReceiver(() => ({ status: 200, delayMs: 60 }));
    stack = await startStack({ DELIVERY_CONCURRENCY: '8' });
    expect(stack.output()).toContain('starting embedded PostgreSQL');
    const { api } = stack;

    const { segmentId, memberIds } = await seedStoryAudience(api, MEMBERS);
    const { campaignId, secret } = await launchStoryCampaign(api, receiver, '/story1', segmentId);

    // Readers start once the audience is frozen (before that a user has no delivery to read).
    const frozenBy = Date.now() + 60_000;
    for (;;) {
      const { body } = await call(api, 'GET', `/api/campaigns/${campaignId}`);
      if (body.run?.audience) break;
      if (Date.now() > frozenBy) throw new Error(`audience never frozen: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    let sending = true;
    const errors: string[] = [];
    const seen = { deliveryReads: 0, campaignReads: 0, whileSending: 0, lastSucceeded: 0 };
    const reader = async (n: number) => {
      for (let i = 0; sending; i += 1) {
        const user = memberIds[(n * 37 + i * 11) % memberIds.length]!;
        const one = await call(api, 'GET', `/api/campaigns/${campaignId}/deliveries/${user}`);
        seen.deliveryReads += 1;
        if (one.status !== 200 || !['pending', 'succeeded'].includes(one.body.status)) errors.push(`delivery ${user}: ${one.status} ${JSON.stringify(one.body)}`);
        const whole = await call(api, 'GET', `/api/campaigns/${campaignId}`);
        seen.campaignReads += 1;
        if (whole.status !== 200) {
          errors.push(`campaign: ${whole.status} ${JSON.stringify(whole.body)}`);
          continue;
        }
        const d = whole.body.deliveries;
        if (d.total !== MEMBERS || d.pending + d.succeeded !== MEMBERS) errors.push(`counts: ${JSON.stringify(d)}`);
        if (d.pending > 0) seen.whileSending += 1;
      }
    };
    const readers = Array.from({ length: READERS }, (_, n) => reader(n));
    const done = await waitForFinish(api, campaignId, 180_000);
    sending = false;
    await Promise.all(readers);

    expect(errors).toEqual([]);
    // The reads overlapped the sending, not only its end.
    expect(seen.whileSending).toBeGreaterThan(READERS);
    expect(done.status).toBe('completed');
    expect(done.deliveries).toEqual({ total: MEMBERS, pending: 0, succeeded: MEMBERS, failed: 0, skipped: 0, cancelled: 0, held_out: 0 });
    expect(done.run.audience).toMatchObject({ total: MEMBERS, skipped: 0 });

    const tally = tallyReceiver(receiver, '/story1', secret);
    expect([...tally.keys()].sort()).toEqual(memberIds);
    const notOnce = [...tally].filter(([, t]) => t.requests !== 1 || t.webhookIds.size !== 1);
    expect(notOnce).toEqual([]);
    console.log(`[embedded story] ${seen.deliveryReads} delivery reads and ${seen.campaignReads} campaign reads (${seen.whileSending} while sending), 0 errors`);

    expect(await stack.stop()).toEqual({ code: 0, leftovers: 0 });
    stack = undefined;
  }, 400_000);
});
