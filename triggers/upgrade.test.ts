import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestEvents } from '../audience/events.js';
import { insertUsers } from '../audience/fixtures.js';
import { insertSegment } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { eventCampaignApi, type EventCampaignApi } from '../test/event-kit.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';
import { CampaignIdKey, TriggerTypeKey } from '../temporal/search-attributes.js';
import { eventTriggerWorkflowId, triggerStateQuery } from '../workflows/event-trigger.js';
import { triggerPlan } from './event.js';
import type { EventTrigger } from '../contracts/trigger.js';

/*
 * An event campaign running when the due-firing queue is deployed: its run
 * workflow has the old shape (no queue), and per-user workflows of the old
 * shape hold counts and a send waiting in its delay. The relay's first look
 * wakes the run, which continues as new onto the queue and takes the per-user
 * workflows over: counts move to PostgreSQL (the workflow is cancelled), a
 * waiting send is left to finish. Nobody is sent twice, nothing counted is lost.
 */

const database = useTestDatabase();
const temporal = useTemporal(database);
let api: EventCampaignApi;
let receiver: Receiver;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached: ${JSON.stringify(value)}`);
    await sleep(200);
  }
}

beforeAll(async () => {
  receiver = await startReceiver();
  api = eventCampaignApi(database, temporal);
});

afterAll(async () => {
  await api?.stop();
  await receiver?.close();
});

describe('a running event campaign of the old shape when the queue is deployed', () => {
  it('is taken over: counts carry on, a waiting send finishes once, nobody is sent twice', async () => {
    const [a, b] = await insertUsers(database.db, [{ loginId: 'old-a' }, { loginId: 'old-b' }, { loginId: 'old-c' }]);
    const segment = await insertSegment(database, 'all', { attribute: 'cohort', op: 'notExists' });
    const channel = await api.call('POST', '/api/channels', {
      name: 'browse',
      url: `${receiver.url}/browse`,
      auth: { type: 'secret' },
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
    });
    const trigger: EventTrigger = { type: 'event', event: 'browse', times: 2, within: 'PT1H', delay: 'PT6S', frequency: 'once' };
    const draft = await api.call('POST', '/api/campaigns', { name: 'browse twice', segmentId: segment.id, channelId: channel.body.id, trigger });
    const launched = await api.call('POST', `/api/campaigns/${draft.body.id}/launch`);
    const campaignId = draft.body.id as string;
    const runId = launched.body.run.id as string;
    const workflowId = launched.body.run.workflowId as string;

    // What a deploy finds: the run's workflow of the old shape, marked for waking (migration 0012) …
    await temporal.client.workflow.getHandle(workflowId).terminate('replaced by a run of the old shape');
    await temporal.client.workflow.start('eventRunWorkflow', { taskQueue: temporal.taskQueue, workflowId, args: [{ campaignId, runId, expiresAt: null }] });
    await database.db.execute(sql`UPDATE campaign_runs SET wake_at = '-infinity' WHERE id = ${runId}`);
    // … and per-user workflows the old relay started: user a counted one event, user b two (its send waits in the delay).
    const events = await ingestEvents(database.db, { events: [{ name: 'browse', loginId: 'old-a' }, { name: 'browse', loginId: 'old-b' }, { name: 'browse', loginId: 'old-b' }] });
    expect(events.accepted).toBe(3);
    const ids = await database.db.execute<{ id: string; user_id: string; at: string }>(sql`SELECT id::text, user_id, occurred_at AS at FROM events ORDER BY id`);
    const plan = triggerPlan(trigger);
    for (const user of [a!, b!]) {
      await temporal.client.workflow.signalWithStart('eventTriggerWorkflow', {
        taskQueue: temporal.taskQueue,
        workflowId: eventTriggerWorkflowId(campaignId, user),
        args: [{ campaignId, runId, userId: user, plan }],
        signal: 'events',
        signalArgs: [ids.filter((e) => e.user_id === user).map((e) => ({ id: Number(e.id), at: new Date(e.at).getTime() }))],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: CampaignIdKey, value: campaignId },
          { key: TriggerTypeKey, value: 'event' },
        ],
      });
    }
    const oldA = temporal.client.workflow.getHandle(eventTriggerWorkflowId(campaignId, a!));
    const oldB = temporal.client.workflow.getHandle(eventTriggerWorkflowId(campaignId, b!));
    await until(() => oldB.query(triggerStateQuery), (s) => s.due !== null);

    // The deploy: the relay's first look wakes the run, which takes the queue up.
    await api.start();
    await until(() => oldA.describe().then((d) => d.status.name), (s) => s === 'CANCELLED');
    const [carried] = await database.db.execute<{ counted: [number, number][] }>(sql`SELECT counted FROM trigger_state WHERE campaign_id = ${campaignId} AND user_id = ${a}`);
    expect(carried!.counted.map(([id]) => String(id))).toEqual([ids[0]!.id]);
    // User b's send was waiting: its workflow is left to make it, and makes it once.
    await until(() => oldB.describe().then((d) => d.status.name), (s) => s === 'COMPLETED');

    // A second event of user a completes its count on the queue; b's further events find its send made; c starts afresh.
    await api.call('POST', '/api/events', { events: [{ name: 'browse', loginId: 'old-a' }, { name: 'browse', loginId: 'old-b' }, { name: 'browse', loginId: 'old-b' }] });
    await api.call('POST', '/api/events', { events: [{ name: 'browse', loginId: 'old-c' }, { name: 'browse', loginId: 'old-c' }] });
    const browse = () => receiver.requests.filter((r) => r.url === '/browse');
    await until(async () => browse().length, (n) => n >= 3, 40_000);
    await sleep(8000);
    const users = browse().map((r) => (JSON.parse(r.body) as { userid: string }).userid).sort();
    expect(users).toEqual(['old-a', 'old-b', 'old-c']);
    const detail = await api.call('GET', `/api/campaigns/${campaignId}`);
    expect(detail.body.deliveries).toMatchObject({ succeeded: 3, pending: 0 });
    expect(detail.body.eventTrigger).toMatchObject({ firingsWaiting: 0 });
    // The run now runs the queue's shape: a continued execution of the same workflow.
    const current = temporal.client.workflow.getHandle(workflowId);
    expect((await current.describe()).status.name).toBe('RUNNING');
    const started = (await current.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(started?.continuedExecutionRunId).toBeTruthy();
    const input = JSON.parse(Buffer.from(started!.input!.payloads![0]!.data!).toString()) as { queue?: unknown };
    expect(input.queue).toMatchObject({ claimLimit: 2000 });
  }, 120_000);
});
