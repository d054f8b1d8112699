import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, insertSegment, userIdChannel } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { expectedFigures, insertGenerated, recipientsOf, type GeneratedEvent } from '../test/effect-kit.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';
import { isHeldOut } from './holdout.js';

/*
 * A recurring campaign: every firing's run holds out the same users until the
 * operator asks for a new draw, and the effect adds up every run (or answers
 * one with ?run=).
 */
const database = useTestDatabase();
const temporal = useTemporal(database);
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
const USERS = 200;
const MINUTE = 60_000;

beforeAll(async () => {
  api = campaignApi(database, temporal, { batchSize: 50, window: 2, childrenPerExecution: 20 });
  receiver = await startReceiver();
  await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `r-${i}`, attributes: { cohort: 'recurring-effect' } })));
});
afterAll(() => receiver.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Run = any;

async function fireAndFinish(id: string, runsBefore: number): Promise<Run> {
  // A schedule's firing is named by its workflow id plus the second it fired in: a second firing within the
  // same second as the last one is taken for that one (runs/store.ts createRun is idempotent on the id).
  await new Promise((r) => setTimeout(r, 1_100));
  expect((await api.call('POST', `/api/campaigns/${id}/trigger`)).status).toBe(202);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const runs = (await api.call('GET', `/api/campaigns/${id}/runs`)).body.items as Run[];
    if (runs.length > runsBefore && runs[0].status === 'completed') return runs[0];
    if (Date.now() > deadline) throw new Error(`run not finished: ${JSON.stringify(runs.map((r) => r.status))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the effect of a recurring campaign', () => {
  it('holds out the same users in every run until a new draw, and adds the runs up', async () => {
    const segment = await insertSegment(database, 'recurring effect', { attribute: 'cohort', op: 'equals', value: 'recurring-effect' });
    const channelId = await userIdChannel(api, 'recurring effect channel', `${receiver.url}/recurring`);
    const goal = { event: 'order', within: 'PT1H' };
    const draft = await api.call('POST', '/api/campaigns', {
      name: 'daily coupon',
      segmentId: segment.id,
      channelId,
      goal,
      holdout: { percent: 20 },
      trigger: { type: 'recurring', schedule: { every: 'day', at: '04:00' }, timeZone: 'Asia/Shanghai' },
    });
    const id = draft.body.id as string;
    expect((await api.call('POST', `/api/campaigns/${id}/launch`)).status).toBe(200);

    const first = await fireAndFinish(id, 0);
    const second = await fireAndFinish(id, 1);
    const heldOutIn = async (runId: string) => new Set((await recipientsOf(database, runId)).filter((r) => r.status === 'held_out').map((r) => r.userId));
    const drawOne = await heldOutIn(first.id);
    expect(drawOne.size).toBeGreaterThan(20);
    expect(await heldOutIn(second.id)).toEqual(drawOne);
    const everyone = (await recipientsOf(database, first.id)).map((r) => r.userId);
    expect(drawOne).toEqual(new Set(everyone.filter((u) => isHeldOut({ campaignId: id, draw: 1, percent: 20 }, u))));

    // A new draw: the next run holds out other users; the frozen runs keep theirs.
    const redrawn = await api.call('POST', `/api/campaigns/${id}/holdout/redraw`);
    expect(redrawn.status).toBe(200);
    expect(redrawn.body.holdout).toEqual({ percent: 20, draw: 2 });
    const third = await fireAndFinish(id, 2);
    const drawTwo = await heldOutIn(third.id);
    expect(drawTwo).toEqual(new Set(everyone.filter((u) => isHeldOut({ campaignId: id, draw: 2, percent: 20 }, u))));
    expect(drawTwo).not.toEqual(drawOne);
    expect((await api.call('GET', `/api/campaigns/${id}/runs/${third.id}`)).body.definition.holdout).toEqual({ percent: 20, draw: 2 });
    expect((await api.call('GET', `/api/campaigns/${id}/runs/${first.id}`)).body.definition.holdout).toEqual({ percent: 20, draw: 1 });

    // Each run's recipients order (or not) a few minutes after their start.
    const runs = [first, second, third];
    const recipients = await Promise.all(runs.map((r) => recipientsOf(database, r.id)));
    const generated: GeneratedEvent[] = [];
    recipients.forEach((list, run) => {
      list.forEach((r, i) => {
        if (r.start && (i + run) % 4 === 0) generated.push({ userId: r.userId, name: 'order', at: new Date(r.start.getTime() + (run + 1) * MINUTE), properties: {} });
      });
    });
    await insertGenerated(database, generated);
    // A user's order counts for every run whose window holds it: the three runs' windows overlap here.
    const expected = recipients.map((list) => expectedFigures(list, generated, 3_600_000, (e) => e.name === 'order'));

    for (const [i, run] of runs.entries()) {
      const one = (await api.call('GET', `/api/campaigns/${id}/effect?run=${run.id}`)).body;
      expect(one).toMatchObject({ runId: run.id, runs: 1, sent: { users: expected[i]!.sent.users, conversions: expected[i]!.sent.conversions }, control: { users: expected[i]!.control.users, conversions: expected[i]!.control.conversions } });
    }
    const all = (await api.call('GET', `/api/campaigns/${id}/effect`)).body;
    const sum = (pick: (e: (typeof expected)[number]) => number) => expected.reduce((n, e) => n + pick(e), 0);
    expect(all).toMatchObject({
      runId: null,
      runs: 3,
      status: 'provisional',
      windowOpen: true,
      holdout: { percent: 20, draw: 2 },
      sent: { users: sum((e) => e.sent.users), conversions: sum((e) => e.sent.conversions) },
      control: { users: sum((e) => e.control.users), conversions: sum((e) => e.control.conversions) },
    });
    expect(all.sent.users + all.control.users).toBe(3 * USERS);
  }, 180_000);
});
