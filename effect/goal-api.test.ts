import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, insertSegment, userIdChannel, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { issuePaths } from '../test/http.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

/* The goal and control-group fields of the campaign API: validated like the others, edited while a draft. */
const database = useTestDatabase();
const temporal = useTemporal(database);
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let segmentId: string;
let channelId: string;

beforeAll(async () => {
  api = campaignApi(database, temporal);
  receiver = await startReceiver();
  await insertUsers(database.db, Array.from({ length: 6 }, (_, i) => ({ loginId: `g-${i}`, attributes: { cohort: 'goal-api' } })));
  segmentId = (await insertSegment(database, 'goal api', { attribute: 'cohort', op: 'equals', value: 'goal-api' })).id;
  channelId = await userIdChannel(api, 'goal api channel', `${receiver.url}/goal`);
});
afterAll(() => receiver.close());

const goal = { event: 'order', where: [{ property: 'amount', op: 'gte', value: 100 }], within: 'P3D', value: 'amount' };

async function campaignCount() {
  const [row] = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM campaigns`);
  return row!.n;
}

describe('goal and control group fields', () => {
  it.each([
    [{ goal: { event: 'order' } }, 'goal.within'],
    [{ goal: { ...goal, within: 'P1M' } }, 'goal.within'],
    [{ goal: { ...goal, within: 'PT0S' } }, 'goal.within'],
    [{ goal: { ...goal, within: 'P91D' } }, 'goal.within'],
    [{ goal: { ...goal, event: '1order' } }, 'goal.event'],
    [{ goal: { ...goal, where: [{ property: 'amount', op: 'bigger', value: 1 }] } }, 'goal.where.0.op'],
    [{ goal: { ...goal, value: '' } }, 'goal.value'],
    [{ goal: { ...goal, window: 'P3D' } }, 'goal.window'],
    [{ goal: 'order' }, 'goal'],
    [{ holdout: { percent: 0 } }, 'holdout.percent'],
    [{ holdout: { percent: 51 } }, 'holdout.percent'],
    [{ holdout: { percent: 10.5 } }, 'holdout.percent'],
    [{ holdout: { percent: 10, draw: 3 } }, 'holdout.draw'],
    [{ holdout: 10 }, 'holdout'],
  ])('refuses bad field %# with a 400 naming it, writing nothing', async (fields, path) => {
    const before = await campaignCount();
    const res = await api.call('POST', '/api/campaigns', { name: 'bad goal', ...fields });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
    expect(issuePaths(res.body)).toContain(path);
    expect(await campaignCount()).toBe(before);
  });

  it('takes a goal and a control group on a draft, edits and removes them, and refuses edits once launched', async () => {
    const draft = await api.call('POST', '/api/campaigns', { name: 'coupon', segmentId, channelId, goal, holdout: { percent: 10 } });
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ goal, holdout: { percent: 10, draw: 1 } });
    const id = draft.body.id as string;
    const edited = await api.call('PATCH', `/api/campaigns/${id}`, { goal: { event: 'pay_order', within: 'PT12H' }, holdout: { percent: 20 } });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ goal: { event: 'pay_order', within: 'PT12H' }, holdout: { percent: 20, draw: 1 } });
    expect((await api.call('PATCH', `/api/campaigns/${id}`, { holdout: { percent: 60 } })).status).toBe(400);
    expect((await api.call('GET', `/api/campaigns/${id}`)).body.holdout).toEqual({ percent: 20, draw: 1 });
    expect((await api.call('PATCH', `/api/campaigns/${id}`, { holdout: null })).body.holdout).toBeNull();

    // A draft's effect: the goal, no run yet.
    const before = (await api.call('GET', `/api/campaigns/${id}/effect`)).body;
    expect(before).toMatchObject({ runs: 0, goal: { event: 'pay_order' }, holdout: null, status: 'provisional', sent: { users: 0, conversions: 0 }, control: null, difference: null });

    expect((await api.call('PATCH', `/api/campaigns/${id}`, { holdout: { percent: 20 } })).status).toBe(200);
    expect((await api.call('POST', `/api/campaigns/${id}/launch`)).status).toBe(200);
    const locked = await api.call('PATCH', `/api/campaigns/${id}`, { goal });
    expect(locked.status).toBe(409);
    const done = await waitForCampaign(api, id);
    // The run froze the goal and the control group with its draw.
    expect(done.run.definition).toMatchObject({ goal: { event: 'pay_order', within: 'PT12H' }, holdout: { percent: 20, draw: 1 } });
    expect(done.deliveries.total).toBe(6);
    expect(done.deliveries.succeeded + done.deliveries.held_out).toBe(6);
    // Only recurring campaigns take a new draw.
    const redraw = await api.call('POST', `/api/campaigns/${id}/holdout/redraw`);
    expect(redraw.status).toBe(409);
    expect(issuePaths(redraw.body)).toEqual(['trigger.type']);
  });

  it('answers an effect without a goal plainly, and 404 for a run of another campaign', async () => {
    const plain = await api.call('POST', '/api/campaigns', { name: 'no goal' });
    const effect = await api.call('GET', `/api/campaigns/${plain.body.id}/effect`);
    expect(effect.status).toBe(200);
    expect(effect.body).toMatchObject({ goal: null, runs: 0, sent: { users: 0 }, difference: null, curve: [] });
    expect((await api.call('GET', `/api/campaigns/${plain.body.id}/effect?run=00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await api.call('GET', `/api/campaigns/${plain.body.id}/effect?run=abc`)).status).toBe(404);
    expect((await api.call('GET', '/api/campaigns/00000000-0000-4000-8000-000000000000/effect')).status).toBe(404);
  });
});
