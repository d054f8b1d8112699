import { randomUUID } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CampaignIdKey, TriggerTypeKey } from '../temporal/search-attributes.js';
import { cronProblem, recurringTriggerSchema } from '../contracts/trigger.js';
import {
  campaignScheduleId,
  createCampaignSchedule,
  deleteCampaignSchedule,
  describeCampaignSchedule,
  isScheduledFiring,
  pauseCampaignSchedule,
  resumeCampaignSchedule,
  triggerCampaignSchedule,
} from './schedule.js';

// No worker polls this queue: a started firing stays open for inspection and is terminated at the end.
const taskQueue = `schedule-test-${randomUUID().slice(0, 8)}`;
let client: Client;
const created: string[] = [];

beforeAll(async () => {
  client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }), namespace: 'default' });
});
afterAll(async () => {
  for (const campaignId of created) await deleteCampaignSchedule(client, campaignId);
  await client.connection.close();
});

async function schedule(trigger: unknown, options: { paused?: boolean } = {}) {
  const campaignId = randomUUID();
  created.push(campaignId);
  await createCampaignSchedule(client, {
    campaignId,
    channelId: randomUUID(),
    trigger: recurringTriggerSchema.parse(trigger),
    taskQueue,
    workflowType: 'campaignWorkflow',
    args: [{ campaignId, batchSize: 100 }],
    ...options,
  });
  return campaignId;
}

/** Local wall-clock parts of an instant in a zone. */
function local(at: Date, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  );
  return { weekday: parts.weekday!, year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), time: `${parts.hour}:${parts.minute}` };
}

describe('campaign schedule on the real dev server', () => {
  it('fires daily at 09:00 in the campaign zone and lists the next five firings', async () => {
    const campaignId = await schedule({ type: 'recurring', schedule: { every: 'day', at: '09:00' } });
    const state = await describeCampaignSchedule(client, campaignId, 5);
    expect(state?.paused).toBe(false);
    expect(state!.nextFirings).toHaveLength(5);
    const first = state!.nextFirings[0]!;
    expect(first.getTime()).toBeGreaterThan(Date.now());
    expect(first.getTime()).toBeLessThanOrEqual(Date.now() + 86_400_000);
    for (const [index, at] of state!.nextFirings.entries()) {
      expect(local(at, 'Asia/Shanghai').time).toBe('09:00');
      expect(at.getTime() - first.getTime()).toBe(index * 86_400_000);
    }
  });

  it('is created once however often launch retries', async () => {
    const trigger = recurringTriggerSchema.parse({ type: 'recurring', schedule: { every: 'day', at: '10:00' }, timeZone: 'UTC' });
    const campaignId = await schedule(trigger);
    // A retry with another spec must not replace the schedule the first attempt wrote.
    await createCampaignSchedule(client, {
      campaignId,
      channelId: randomUUID(),
      trigger: { ...trigger, schedule: { every: 'day', at: '11:00' } },
      taskQueue,
      workflowType: 'campaignWorkflow',
      args: [],
    });
    const state = await describeCampaignSchedule(client, campaignId);
    expect(local(state!.nextFirings[0]!, 'UTC').time).toBe('10:00');
    const description = await client.schedule.getHandle(campaignScheduleId(campaignId)).describe();
    expect(description.policies.overlap).toBe('ALLOW_ALL');
    expect(description.policies.catchupWindow).toBe(7 * 86_400_000);
    expect(description.typedSearchAttributes.get(CampaignIdKey)).toBe(campaignId);
    expect(description.typedSearchAttributes.get(TriggerTypeKey)).toBe('recurring');
  });

  it('fires on the named week days only', async () => {
    const campaignId = await schedule({ type: 'recurring', schedule: { every: 'week', on: ['mon', 'thu'], at: '18:30' }, timeZone: 'Europe/Paris' });
    const state = await describeCampaignSchedule(client, campaignId, 6);
    expect(state!.nextFirings).toHaveLength(6);
    for (const at of state!.nextFirings) {
      expect(['Mon', 'Thu']).toContain(local(at, 'Europe/Paris').weekday);
      expect(local(at, 'Europe/Paris').time).toBe('18:30');
    }
  });

  it('skips a month day the month lacks (31 fires only in 31-day months, 29 February only in leap years)', async () => {
    // From 1 January 2027: the first ten firings of "on the 29th and 31st".
    const startAt = new Date(Date.UTC(2027, 0, 1)).toISOString();
    const campaignId = await schedule({ type: 'recurring', schedule: { every: 'month', on: [31, 29], at: '09:00' }, timeZone: 'UTC', startAt });
    const description = await client.schedule.getHandle(campaignScheduleId(campaignId)).describe();
    const days = description.info.nextActionTimes.map((at) => `${at.getUTCMonth() + 1}/${at.getUTCDate()}`);
    // 2027 is not a leap year: no February firing at all, and no 31 April or 31 June.
    expect(days).toEqual(['1/29', '1/31', '3/29', '3/31', '4/29', '5/29', '5/31', '6/29', '7/29', '7/31']);
  });

  it('stops firing at endAt', async () => {
    const endAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const campaignId = await schedule({ type: 'recurring', schedule: { every: 'day', at: '09:00' }, endAt });
    const state = await describeCampaignSchedule(client, campaignId, 5);
    expect(state!.nextFirings.length).toBeGreaterThanOrEqual(2);
    expect(state!.nextFirings.length).toBeLessThanOrEqual(3);
    for (const at of state!.nextFirings) expect(at.getTime()).toBeLessThanOrEqual(Date.parse(endAt));
  });

  it('pauses with a note, lists no firing while paused, and resumes', async () => {
    const campaignId = await schedule({ type: 'recurring', schedule: { cron: '*/5 * * * *' } });
    await pauseCampaignSchedule(client, campaignId, 'paused by an operator (test)');
    const handle = client.schedule.getHandle(campaignScheduleId(campaignId));
    const paused = await handle.describe();
    expect(paused.state.paused).toBe(true);
    expect(paused.state.note).toBe('paused by an operator (test)');
    expect((await describeCampaignSchedule(client, campaignId))!.nextFirings).toEqual([]);
    await resumeCampaignSchedule(client, campaignId);
    const resumed = await describeCampaignSchedule(client, campaignId);
    expect(resumed!.paused).toBe(false);
    expect(resumed!.nextFirings).toHaveLength(5);
    for (const at of resumed!.nextFirings) expect(at.getUTCMinutes() % 5).toBe(0);
  });

  it('creates a paused schedule when asked', async () => {
    const campaignId = await schedule({ type: 'recurring', schedule: { every: 'day', at: '09:00' } }, { paused: true });
    expect((await describeCampaignSchedule(client, campaignId))!.paused).toBe(true);
  });

  it('triggers a firing now: a workflow named after the campaign and the firing time, with ids only in its input', async () => {
    const campaignId = await schedule({ type: 'recurring', schedule: { every: 'day', at: '09:00' } });
    const before = Date.now();
    await triggerCampaignSchedule(client, campaignId);
    let workflowId: string | undefined;
    for (let i = 0; i < 50 && !workflowId; i++) {
      const description = await client.schedule.getHandle(campaignScheduleId(campaignId)).describe();
      workflowId = description.info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(workflowId).toMatch(new RegExp(`^campaign-${campaignId}-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    const stamp = Date.parse(workflowId!.slice(`campaign-${campaignId}-`.length));
    expect(stamp).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(stamp).toBeLessThanOrEqual(Date.now());
    const workflow = client.workflow.getHandle(workflowId!);
    const info = await workflow.describe();
    expect(info.type).toBe('campaignWorkflow');
    expect(info.taskQueue).toBe(taskQueue);
    expect(info.typedSearchAttributes.get(CampaignIdKey)).toBe(campaignId);
    const history = await workflow.fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!;
    expect(JSON.parse(Buffer.from(input).toString())).toEqual({ campaignId, batchSize: 100 });
    // The run learns its nominal time from Temporal's own search attribute; a manual trigger's is no time the spec names.
    const scheduledAt = info.searchAttributes.TemporalScheduledStartTime?.[0] as Date;
    expect(Math.floor(scheduledAt.getTime() / 1000) * 1000).toBe(stamp);
    expect(await isScheduledFiring(client, campaignId, scheduledAt)).toBe(false);
    const next = (await describeCampaignSchedule(client, campaignId))!.nextFirings[0]!;
    expect(await isScheduledFiring(client, campaignId, next)).toBe(true);
    expect(await isScheduledFiring(client, campaignId, new Date(next.getTime() + 1000))).toBe(false);
    expect(await isScheduledFiring(client, campaignId, new Date(next.getTime() - 1))).toBe(false);
    await workflow.terminate('test over');
  });

  it('deletes the schedule, and a second delete is fine', async () => {
    const campaignId = await schedule({ type: 'recurring', schedule: { every: 'day', at: '09:00' } });
    await deleteCampaignSchedule(client, campaignId);
    expect(await describeCampaignSchedule(client, campaignId)).toBeUndefined();
    await deleteCampaignSchedule(client, campaignId);
    await expect(pauseCampaignSchedule(client, campaignId)).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('refuses an unknown zone on the server too (so launch can name the field if Node and the server disagree)', async () => {
    const campaignId = randomUUID();
    const trigger = recurringTriggerSchema.parse({ type: 'recurring', schedule: { every: 'day', at: '09:00' } });
    await expect(
      createCampaignSchedule(client, { campaignId, channelId: randomUUID(), trigger: { ...trigger, timeZone: 'Mars/Olympus' }, taskQueue, workflowType: 'campaignWorkflow', args: [] }),
    ).rejects.toThrow(/time zone/);
  });

  it('every cron expression hookcast accepts, the server accepts', async () => {
    const small = fc.integer({ min: 0, max: 13 });
    const token = fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom('*/0', 'L', '?', '1#2', '', 'x', '60', '32', 'jan', 'mon', 'sun-sat', 'fri-mon') },
      { weight: 4, arbitrary: fc.constantFrom('*', '*/5', '1-5', '2-3/2') },
      { weight: 4, arbitrary: small.map(String) },
      { weight: 2, arbitrary: fc.tuple(small, small).map(([a, b]) => `${a}-${b}`) },
      { weight: 2, arbitrary: fc.tuple(small, fc.integer({ min: 0, max: 7 })).map(([a, step]) => `${a}/${step}`) },
    );
    const field = fc.array(token, { minLength: 1, maxLength: 2 }).map((items) => items.join(','));
    const expression = fc.oneof(
      { weight: 6, arbitrary: fc.array(field, { minLength: 5, maxLength: 5 }) },
      { weight: 1, arbitrary: fc.array(field, { minLength: 4, maxLength: 6 }) },
    ).map((fields) => fields.join(' '));
    const samples = fc.sample(expression, { numRuns: 400, seed: 8 });
    const accepted = samples.filter((cron) => cronProblem(cron) === undefined);
    // Also some that certainly pass, so the check is not vacuous.
    accepted.push('0 9 * * *', '*/15 9-17 * * mon-fri', '5/10 1,2,3 1-31/2 jan-dec/3 0-7', '0 0 * * 7');
    expect(accepted.length).toBeGreaterThan(30);
    for (const cron of accepted) {
      const campaignId = randomUUID();
      try {
        await createCampaignSchedule(client, {
          campaignId,
          channelId: randomUUID(),
          trigger: { type: 'recurring', schedule: { cron }, timeZone: 'UTC' },
          taskQueue,
          workflowType: 'campaignWorkflow',
          args: [],
          paused: true,
        });
      } catch (error) {
        throw new Error(`server refused ${JSON.stringify(cron)}: ${(error as Error).message}`);
      }
      await deleteCampaignSchedule(client, campaignId);
    }
  });
});
