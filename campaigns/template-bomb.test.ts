import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, insertSegment, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';
import { closeTemplatePool } from '../webhook/template-pool.js';

/*
 * Issue 17: a template that does quadratic work used to block the worker's
 * event loop for seconds per user, miss its heartbeat, be retried, and slow
 * every other campaign on the worker. Armed after the launch check (a time
 * guard), a bomb now fails each of its users once, as template_error, off the
 * event loop, while a small campaign on the same worker runs as fast as alone.
 */

const database = useTestDatabase();
const temporal = useTemporal(database, { deliveryConcurrency: 32 });
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let channelId: string;
let bombSegment: string;
let calmSegment: string;
const BOMB_USERS = 120;

beforeAll(async () => {
  api = campaignApi(database, temporal, { batchSize: 500, window: 4, childrenPerExecution: 400 });
  receiver = await startReceiver();
  await insertUsers(database.db, Array.from({ length: BOMB_USERS }, (_, i) => ({ loginId: `bomb-${i}`, attributes: { cohort: 'bomb' } })));
  await insertUsers(database.db, Array.from({ length: 3 }, (_, i) => ({ loginId: `calm-${i}`, attributes: { cohort: 'calm', name: `calm ${i}` } })));
  bombSegment = (await insertSegment(database, 'bomb', { attribute: 'cohort', op: 'equals', value: 'bomb' })).id;
  calmSegment = (await insertSegment(database, 'calm', { attribute: 'cohort', op: 'equals', value: 'calm' })).id;
  const channel = await api.call('POST', '/api/channels', {
    name: 'sms',
    url: `${receiver.url}/sms`,
    auth: { type: 'secret' },
    userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
    templateParams: [{ name: 'message', displayName: '短信内容', type: 'text' }],
  });
  channelId = channel.body.id;
});
afterAll(async () => {
  await receiver.close();
  await closeTemplatePool();
});

async function launch(segmentId: string, message: string, sendAt = 'now') {
  const created = await api.call('POST', '/api/campaigns', { name: `sms ${randomUUID()}`, segmentId, channelId, templateValues: { message }, trigger: { type: 'once', sendAt } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const launched = await api.call('POST', `/api/campaigns/${created.body.id}/launch`);
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
  return created.body.id as string;
}

async function timedCalmRun(): Promise<number> {
  const started = performance.now();
  const id = await launch(calmSegment, 'Hi {{ user.name }}');
  const done = await waitForCampaign(api, id, undefined, 120_000);
  expect(done.deliveries).toMatchObject({ total: 3, succeeded: 3 });
  return performance.now() - started;
}

describe('a campaign whose template is a bomb', () => {
  it('fails its users once as template_error, off the event loop, while another campaign keeps its speed', async () => {
    const alone = await timedCalmRun();

    // Harmless at the launch check, quadratic from armAt on.
    const armAt = Math.ceil(Date.now() / 1000) + 2;
    const bomb = `{% assign now = 'now' | date: '%s' | plus: 0 %}{% if now >= ${armAt} %}{% for a in (1..3000) %}{% for b in (1..3000) %}{{ b }}{% endfor %}{% endfor %}{% endif %}Hi`;
    const bombId = await launch(bombSegment, bomb, new Date((armAt + 1) * 1000).toISOString());
    await waitForCampaign(api, bombId, (c) => c.deliveries?.failed > 0, 60_000);

    // The event loop stays free meanwhile: timers fire on time while the bomb's users fail.
    let worstLag = 0;
    const lagProbe = setInterval(() => {}, 1000);
    const probe = (async () => {
      for (let i = 0; i < 20; i++) {
        const before = performance.now();
        await new Promise((r) => setTimeout(r, 50));
        worstLag = Math.max(worstLag, performance.now() - before - 50);
      }
    })();
    const during = await timedCalmRun();
    await probe;
    clearInterval(lagProbe);

    const done = await waitForCampaign(api, bombId, undefined, 120_000);
    expect(done.status).toBe('completed');
    expect(done.deliveries).toMatchObject({ total: BOMB_USERS, failed: BOMB_USERS, succeeded: 0, pending: 0 });
    const [run] = await database.db.execute<{ id: string }>(sql`SELECT id FROM campaign_runs WHERE campaign_id = ${bombId}`);
    const attempts = await database.db.execute<{ error_class: string; n: number; most: number }>(sql`
      SELECT r.last_error_class AS error_class, count(*)::int AS n, max(r.attempts)::int AS most
      FROM run_recipients r WHERE r.run_id = ${run!.id} GROUP BY 1`);
    // Each user once, as template_error (no template_limit retry), and nothing sent.
    expect(attempts).toEqual([{ error_class: 'template_error', n: BOMB_USERS, most: 1 }]);
    expect(receiver.requests.filter((r) => r.body.includes('bomb-'))).toHaveLength(0);

    // No activity of any workflow timed out (heartbeat) or was retried.
    for await (const execution of temporal.client.workflow.list({ query: `TaskQueue = '${temporal.taskQueue}'` })) {
      const history = await temporal.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      for (const event of history.events ?? []) {
        expect(event.activityTaskTimedOutEventAttributes, execution.workflowId).toBeFalsy();
        expect(event.activityTaskFailedEventAttributes, execution.workflowId).toBeFalsy();
        if (event.activityTaskStartedEventAttributes) expect(event.activityTaskStartedEventAttributes.attempt).toBe(1);
      }
    }

    // The small campaign ran about as fast as alone (a generous margin for a loaded machine), and timers stayed on time.
    expect(during).toBeLessThan(alone * 2 + 3_000);
    expect(worstLag).toBeLessThan(250);
  }, 240_000);
});
