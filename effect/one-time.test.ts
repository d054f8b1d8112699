import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, insertSegment, userIdChannel, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { converters, cumulativeRates, expectedFigures, insertGenerated, recipientsOf, type GeneratedEvent } from '../test/effect-kit.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';
import { isHeldOut } from './holdout.js';

/*
 * A one-time campaign end to end: 20,000 users, 10 % held out, a goal
 * `order` with amount ≥ 100 within PT1H. The test generates the events
 * itself (the sent group converts at 7 %, the control group at 5 %) around
 * each recipient's window, with decoys that must not count, and checks the
 * API's counts against its own, exactly.
 */
const database = useTestDatabase();
const temporal = useTemporal(database, { deliveryConcurrency: 32 });
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
const USERS = 20_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

beforeAll(async () => {
  api = campaignApi(database, temporal, { batchSize: 1000, window: 4, childrenPerExecution: 40 });
  // Every 500th user's endpoint refuses (a final 400): failed users are in neither group.
  receiver = await startReceiver((r) => {
    const user = (JSON.parse(r.body || '{}') as { userid?: string }).userid ?? '';
    return { status: Number(user.split('-')[1]) % 500 === 7 ? 400 : 200 };
  });
});
afterAll(() => receiver.close());

/** mulberry32, seeded: the decoys' and conversions' times are the same on every run. */
function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the effect of a one-time campaign', () => {
  it('holds out 10 % by the hash, sends none of them, and counts conversions and values exactly as the test does', async () => {
    for (let i = 0; i < USERS; i += 5000) {
      await insertUsers(database.db, Array.from({ length: Math.min(5000, USERS - i) }, (_, k) => ({ loginId: `e-${i + k}`, attributes: { cohort: 'effect' } })));
    }
    // Visitors only: the campaign addresses login ids, so they are skipped, never held out.
    await insertUsers(database.db, Array.from({ length: 30 }, (_, k) => ({ visitorId: `v-effect-${k}`, attributes: { cohort: 'effect' } })));
    const segment = await insertSegment(database, 'effect', { attribute: 'cohort', op: 'equals', value: 'effect' });
    const channelId = await userIdChannel(api, 'effect channel', `${receiver.url}/effect`);
    const goal = { event: 'order', where: [{ property: 'amount', op: 'gte', value: 100 }], within: 'PT1H', value: 'amount' };
    const draft = await api.call('POST', '/api/campaigns', { name: '100 元券', segmentId: segment.id, channelId, goal, holdout: { percent: 10 } });
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    expect(draft.body).toMatchObject({ goal, holdout: { percent: 10, draw: 1 } });
    const id = draft.body.id as string;

    // An order before the send must not count: timed before every window.
    const [early] = await database.db.execute<{ id: string }>(sql`SELECT id FROM users WHERE login_id = 'e-1'`);
    const beforeSend: GeneratedEvent = { userId: early!.id, name: 'order', at: new Date(Date.now() - 5 * MINUTE), properties: { amount: 500 } };
    await insertGenerated(database, [beforeSend]);

    expect((await api.call('POST', `/api/campaigns/${id}/launch`)).status).toBe(200);
    const done = await waitForCampaign(api, id, undefined, 240_000);
    expect(done.status).toBe('completed');
    const runId = done.run.id as string;

    const recipients = await recipientsOf(database, runId);
    const addressable = recipients.filter((r) => r.loginId !== null);
    const heldOut = recipients.filter((r) => r.status === 'held_out');
    // Exactly the users the hash predicts are held out; skipped users never are.
    expect(new Set(heldOut.map((r) => r.userId))).toEqual(new Set(addressable.filter((r) => isHeldOut({ campaignId: id, draw: 1, percent: 10 }, r.userId)).map((r) => r.userId)));
    expect(heldOut.length).toBeGreaterThan(1800);
    expect(heldOut.length).toBeLessThan(2200);
    expect(heldOut.every((r) => r.start !== null)).toBe(true);
    expect(done.deliveries).toMatchObject({ total: USERS + 30, skipped: 30, held_out: heldOut.length, pending: 0 });
    // Nobody held out got a request.
    const requested = new Set(receiver.requests.map((r) => (JSON.parse(r.body) as { userid: string }).userid));
    expect(heldOut.filter((r) => requested.has(r.loginId!))).toEqual([]);
    expect(requested.size).toBe(addressable.length - heldOut.length);

    // The events: converters by the known probabilities, with decoys around them.
    const random = seeded(20);
    const sent = addressable.filter((r) => r.status === 'succeeded').sort((a, b) => a.userId.localeCompare(b.userId));
    const control = heldOut.sort((a, b) => a.userId.localeCompare(b.userId));
    const converting = new Set([...converters(sent, 0.07), ...converters(control, 0.05)]);
    const generated: GeneratedEvent[] = [beforeSend];
    const at = (start: Date, ms: number) => new Date(start.getTime() + ms);
    for (const r of recipients) {
      const start = r.start ?? new Date();
      if (converting.has(r)) {
        const first = Math.floor(random() * 59 * MINUTE);
        generated.push({ userId: r.userId, name: 'order', at: at(start, first), properties: { amount: 100 + Math.floor(random() * 400) } });
        // A second order in the window adds to the value, not to the conversions.
        if (random() < 0.3) generated.push({ userId: r.userId, name: 'order', at: at(start, first + MINUTE / 2), properties: { amount: 120 } });
      }
      const decoy = random();
      // Decoys: too small, just before the window, just after it (the end is excluded), another event, a non-number.
      if (decoy < 0.05) generated.push({ userId: r.userId, name: 'order', at: at(start, 10 * MINUTE), properties: { amount: 99 } });
      else if (decoy < 0.1) generated.push({ userId: r.userId, name: 'order', at: at(start, -1), properties: { amount: 300 } });
      else if (decoy < 0.15) generated.push({ userId: r.userId, name: 'order', at: at(start, HOUR), properties: { amount: 300 } });
      else if (decoy < 0.2) generated.push({ userId: r.userId, name: 'add_to_cart', at: at(start, MINUTE), properties: { amount: 300 } });
      else if (decoy < 0.22) generated.push({ userId: r.userId, name: 'order', at: at(start, 2 * MINUTE), properties: { amount: '300' } });
    }
    // Failed users (refused by their endpoint) order too, and must count nowhere.
    expect(recipients.filter((r) => r.status === 'failed').length).toBeGreaterThan(30);
    // Inserted after the sends, timed inside the windows: late events count.
    await insertGenerated(database, generated);
    const expected = expectedFigures(recipients, generated, HOUR);

    const effect = await api.call('GET', `/api/campaigns/${id}/effect`);
    expect(effect.status).toBe(200);
    const answer = effect.body;
    expect(answer).toMatchObject({ runId: null, runs: 1, goal, holdout: { percent: 10, draw: 1 }, status: 'provisional', windowOpen: true });
    expect(answer.sent).toMatchObject({ users: expected.sent.users, conversions: expected.sent.conversions, value: expected.sent.value });
    expect(answer.control).toMatchObject({ users: expected.control.users, conversions: expected.control.conversions, value: expected.control.value });
    expect(answer.sent.users).toBe(sent.length);
    expect(answer.control.users).toBe(control.length);
    // The 95 % interval of the difference contains the true difference, 7 % − 5 %.
    expect(answer.difference.interval.low).toBeLessThan(0.02);
    expect(answer.difference.interval.high).toBeGreaterThan(0.02);
    expect(answer.difference.rate).toBeCloseTo(answer.sent.rate - answer.control.rate, 12);
    expect(answer.sent.interval.low).toBeLessThan(answer.sent.rate);
    expect(answer.difference.pValue).toBeGreaterThan(0);
    expect(answer.difference.pValue).toBeLessThan(0.05);
    // The curves: 60 points a minute apart, ending at each group's rate.
    expect(answer.curve).toHaveLength(60);
    expect(answer.curve.map((p: { sent: number }) => p.sent)).toEqual(cumulativeRates(expected.sent));
    expect(answer.curve.map((p: { control: number }) => p.control)).toEqual(cumulativeRates(expected.control));
    expect(answer.curve[59].afterMs).toBe(HOUR);
    // Every window has closed an hour after the run finished (all started by then).
    expect(Math.max(...recipients.filter((r) => r.start).map((r) => r.start!.getTime()))).toBeLessThanOrEqual(Date.parse(done.run.finishedAt));
    expect(Date.parse(answer.windowClosesAt)).toBe(Date.parse(done.run.finishedAt) + HOUR);

    // The one run asked for by id answers the same.
    const one = await api.call('GET', `/api/campaigns/${id}/effect?run=${runId}`);
    expect(one.body).toMatchObject({ runId, sent: answer.sent, control: answer.control, difference: answer.difference });

    // A held-out user's delivery state says so, with the moment they would have been sent.
    const user = await api.call('GET', `/api/campaigns/${id}/deliveries/${control[0]!.loginId}`);
    expect(user.body).toMatchObject({ status: 'held_out', attempts: 0, attemptLog: [], heldOutAt: control[0]!.start!.toISOString() });
    const page = await api.call('GET', `/api/campaigns/${id}/deliveries?status=held_out&limit=1000`);
    expect(page.body.items.length).toBe(Math.min(1000, control.length));
  }, 300_000);

  it('stores the final figures when the last window and the late-event grace have passed, and answers them after the events are gone', async () => {
    await insertUsers(database.db, Array.from({ length: 40 }, (_, k) => ({ loginId: `f-${k}`, attributes: { cohort: 'final' } })));
    const segment = await insertSegment(database, 'final', { attribute: 'cohort', op: 'equals', value: 'final' });
    const channelId = await userIdChannel(api, 'final channel', `${receiver.url}/final`);
    const goal = { event: 'order', where: [{ property: 'amount', op: 'gte', value: 100 }], within: 'PT5S', value: 'amount' };
    const draft = await api.call('POST', '/api/campaigns', { name: 'short window', segmentId: segment.id, channelId, goal, holdout: { percent: 50 } });
    const id = draft.body.id as string;
    expect((await api.call('POST', `/api/campaigns/${id}/launch`)).status).toBe(200);
    const done = await waitForCampaign(api, id);
    const recipients = (await recipientsOf(database, done.run.id)).filter((r) => r.start);
    expect(new Set(recipients.map((r) => r.status))).toEqual(new Set(['succeeded', 'held_out']));
    // Every third recipient orders 1 s after its start; every fifth also orders after its window.
    const generated: GeneratedEvent[] = recipients.flatMap((r, i) => [
      ...(i % 3 === 0 ? [{ userId: r.userId, name: 'order', at: new Date(r.start!.getTime() + 1000), properties: { amount: 100 + i } }] : []),
      ...(i % 5 === 0 ? [{ userId: r.userId, name: 'order', at: new Date(r.start!.getTime() + 6000), properties: { amount: 1000 } }] : []),
    ]);
    await insertGenerated(database, generated);
    const finishedAt = Date.parse(done.run.finishedAt);
    // Once every window has closed, an order timed inside one arrives late: it still counts.
    while (Date.now() < finishedAt + 5500) await new Promise((r) => setTimeout(r, 100));
    const late: GeneratedEvent = { userId: recipients[1]!.userId, name: 'order', at: new Date(recipients[1]!.start!.getTime() + 4000), properties: { amount: 777 } };
    await insertGenerated(database, [late]);
    const expected = expectedFigures(recipients, [...generated, late], 5000);

    const provisional = (await api.call('GET', `/api/campaigns/${id}/effect`)).body;
    expect(provisional).toMatchObject({ status: 'provisional', windowOpen: false, finalizedAt: null });
    // The run's workflow stores the figures 5 s (the window) + 5 s (the grace) after the run finished.
    let answer = provisional;
    const deadline = Date.now() + 60_000;
    while (answer.status !== 'final' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      answer = (await api.call('GET', `/api/campaigns/${id}/effect?run=${done.run.id}`)).body;
    }
    expect(answer.status).toBe('final');
    expect(Date.parse(answer.finalizedAt)).toBeGreaterThanOrEqual(finishedAt + 10_000);
    expect(answer.sent).toMatchObject({ users: expected.sent.users, conversions: expected.sent.conversions, value: expected.sent.value });
    expect(answer.control).toMatchObject({ users: expected.control.users, conversions: expected.control.conversions, value: expected.control.value });
    expect(answer.windowClosesAt).toBe(new Date(finishedAt + 5000).toISOString());
    // The workflow ended once the figures were stored.
    const workflow = temporal.client.workflow.getHandle(done.run.workflowId);
    await expect(workflow.result()).resolves.toMatchObject({ status: 'completed' });

    // Event retention deletes the events: the stored answer stays.
    await database.db.execute(sql`DELETE FROM events WHERE user_id IN (SELECT user_id FROM run_recipients WHERE run_id = ${done.run.id})`);
    const kept = (await api.call('GET', `/api/campaigns/${id}/effect`)).body;
    expect(kept).toMatchObject({ status: 'final', windowOpen: false, sent: answer.sent, control: answer.control, difference: answer.difference });
  }, 120_000);
});
