import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { campaigns } from '../db/schema.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers, recordAttributeTypes } from '../audience/fixtures.js';
import { campaignScheduleId } from '../runs/schedule.js';
import { goldBirthdays } from '../segments/stories.js';
import { campaignApi, insertSegment, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

const database = useTestDatabase();
const temporal = useTemporal(database);
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let birthdaySegment: string;
/** Login id → MM-DD of the birthday. */
const birthdays = new Map<string, string>();

const MESSAGE = '亲爱的{{ user.name }}先生/女士，在这个属于您的精彩的日子，白鸽祝您生日快乐！';
const DAY = 86_400_000;

/** MM-DD of an instant in Shanghai. */
function shanghaiMonthDay(at: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit' }).format(at);
}

const people = [
  // Birthdays today and tomorrow (Shanghai): which of them is "today" is read from the run's freeze time, so a test near midnight holds.
  { loginId: 'gold-today-1', name: '王伟', vip: 'gold', offset: 0 },
  { loginId: 'gold-today-2', name: '李娜', vip: 'gold', offset: 0 },
  { loginId: 'gold-tomorrow', name: '张敏', vip: 'gold', offset: DAY },
  { loginId: 'gold-yesterday', name: '刘洋', vip: 'gold', offset: -DAY },
  { loginId: 'silver-today', name: '陈静', vip: 'silver', offset: 0 },
];

beforeAll(async () => {
  api = campaignApi(database, temporal);
  receiver = await startReceiver();
  await recordAttributeTypes(database.db, { vip_level: 'string', birthday: 'date', name: 'string' });
  const now = Date.now();
  for (const p of people) birthdays.set(p.loginId, shanghaiMonthDay(now + p.offset));
  await insertUsers(
    database.db,
    people.map((p) => ({ loginId: p.loginId, attributes: { vip_level: p.vip, name: p.name, birthday: `1990-${birthdays.get(p.loginId)}` } })),
  );
  birthdaySegment = (await insertSegment(database, 'gold birthdays today', goldBirthdays)).id;
});
afterAll(() => receiver.close());

async function smsChannel(path: string) {
  const res = await api.call('POST', '/api/channels', {
    name: `白鸽短信 ${path}`,
    url: `${receiver.url}${path}`,
    auth: { type: 'secret' },
    userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
    templateParams: [{ name: 'message', displayName: '短信内容', type: 'text', required: true }],
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; auth: { secret: string } };
}

async function launchRecurring(name: string, channelId: string, trigger: Record<string, unknown> = {}) {
  const draft = await api.call('POST', '/api/campaigns', {
    name,
    segmentId: birthdaySegment,
    channelId,
    identity: 'login',
    templateValues: { message: MESSAGE },
    trigger: { type: 'recurring', schedule: { every: 'day', at: '09:00' }, timeZone: 'Asia/Shanghai', ...trigger },
  });
  expect(draft.status).toBe(201);
  const launched = await api.call('POST', `/api/campaigns/${draft.body.id}/launch`);
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
  return launched.body;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Run = any;

/** Polls the campaign's runs until `done` holds for the list. */
async function waitForRuns(id: string, done: (runs: Run[]) => boolean, timeoutMs = 60_000): Promise<Run[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.call('GET', `/api/campaigns/${id}/runs`);
    expect(res.status).toBe(200);
    if (done(res.body.items)) return res.body.items;
    if (Date.now() > deadline) throw new Error(`runs of ${id}: ${JSON.stringify(res.body.items)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const finished = (run: Run) => ['completed', 'failed', 'cancelled', 'skipped', 'missed'].includes(run.status);

function verifiedBodies(secret: string, path: string) {
  const wh = new Webhook(secret);
  return receiver.requests
    .filter((r) => r.url === path)
    .map((r) => ({
      webhookId: String(r.headers['webhook-id']),
      body: wh.verify(r.body, {
        'webhook-id': String(r.headers['webhook-id']),
        'webhook-timestamp': String(r.headers['webhook-timestamp']),
        'webhook-signature': String(r.headers['webhook-signature']),
      }) as { userid: string; message: string },
    }));
}

describe('story 3: a daily birthday SMS to gold VIPs', () => {
  it('launches a schedule (no run), fires on trigger, and greets each birthday user by name, nobody else', async () => {
    const channel = await smsChannel('/story3');
    const launched = await launchRecurring('金卡会员生日祝福', channel.id);
    expect(launched.status).toBe('scheduled');
    expect(launched.run).toBeNull();
    expect(launched.nextFirings).toHaveLength(5);
    for (const [i, at] of (launched.nextFirings as string[]).entries()) {
      expect(new Date(at).toLocaleTimeString('en-GB', { timeZone: 'Asia/Shanghai' })).toBe('09:00:00');
      if (i > 0) expect(Date.parse(at) - Date.parse(launched.nextFirings[i - 1])).toBe(DAY);
    }
    const schedule = await temporal.client.schedule.getHandle(campaignScheduleId(launched.id)).describe();
    expect(schedule.policies.overlap).toBe('ALLOW_ALL');

    const fired = await api.call('POST', `/api/campaigns/${launched.id}/trigger`);
    expect(fired.status).toBe(202);
    const [first] = await waitForRuns(launched.id, (runs) => runs.length === 1 && finished(runs[0]));
    expect(first).toMatchObject({ status: 'completed', trigger: 'manual', deliveries: { succeeded: expect.any(Number), pending: 0, failed: 0 } });
    expect(first.workflowId).toMatch(new RegExp(`^campaign-${launched.id}-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    expect(first.temporalUrl).toContain(encodeURIComponent(first.workflowId));

    const detail = await api.call('GET', `/api/campaigns/${launched.id}/runs/${first.id}`);
    expect(detail.status).toBe(200);
    const today = shanghaiMonthDay(Date.parse(detail.body.audience.frozenAt));
    const expected = people.filter((p) => p.vip === 'gold' && birthdays.get(p.loginId) === today);
    expect(expected.length).toBeGreaterThanOrEqual(1);
    const sent = verifiedBodies(channel.auth.secret, '/story3');
    expect(sent.map((s) => s.body).sort((a, b) => a.userid.localeCompare(b.userid))).toEqual(
      expected
        .map((p) => ({ userid: p.loginId, message: `亲爱的${p.name}先生/女士，在这个属于您的精彩的日子，白鸽祝您生日快乐！` }))
        .sort((a, b) => a.userid.localeCompare(b.userid)),
    );
    expect(first.deliveries).toMatchObject({ total: expected.length, succeeded: expected.length });

    // Between firings the campaign waits for the next one.
    const between = await waitForCampaign(api, launched.id, (c) => c.status === 'scheduled');
    expect(between.run.id).toBe(first.id);

    // A second trigger: a second run with its own records and webhook ids.
    await new Promise((r) => setTimeout(r, 1100)); // a new second, so Temporal names a new workflow
    expect((await api.call('POST', `/api/campaigns/${launched.id}/trigger`)).status).toBe(202);
    const runs = await waitForRuns(launched.id, (list) => list.length === 2 && list.every(finished));
    const second = runs[0];
    expect(second.id).not.toBe(first.id);
    expect(second.workflowId).not.toBe(first.workflowId);
    expect(second).toMatchObject({ status: 'completed', deliveries: { total: expected.length, succeeded: expected.length } });
    const all = verifiedBodies(channel.auth.secret, '/story3');
    expect(all).toHaveLength(2 * expected.length);
    expect(new Set(all.map((s) => s.webhookId)).size).toBe(2 * expected.length);

    // Each run keeps its own delivery records; the default is the latest run.
    const ofFirst = await api.call('GET', `/api/campaigns/${launched.id}/deliveries?run=${first.id}`);
    const ofLatest = await api.call('GET', `/api/campaigns/${launched.id}/deliveries`);
    expect(ofFirst.body.items).toHaveLength(expected.length);
    expect(ofLatest.body.items).toHaveLength(expected.length);
    expect(ofFirst.body.items[0].webhookId).not.toBe(ofLatest.body.items[0].webhookId);
    const mine = await api.call('GET', `/api/campaigns/${launched.id}/deliveries/${expected[0]!.loginId}?run=${first.id}`);
    expect(mine.body).toMatchObject({ status: 'succeeded', webhookId: ofFirst.body.items.find((d: Run) => d.user.loginId === expected[0]!.loginId).webhookId });
    const nobody = await api.call('GET', `/api/campaigns/${launched.id}/deliveries/silver-today`);
    expect(nobody.status).toBe(404);
  });
});

describe('recurring campaign controls', () => {
  it('records a firing as skipped while the previous run still sends, naming the reason', async () => {
    // The endpoint holds each request 3 s: the first run is still sending when the second firing comes.
    const channel = await smsChannel('/slow');
    receiver.behave((request) => (request.url === '/slow' ? { status: 200, delayMs: 3000 } : { status: 200 }));
    try {
      const launched = await launchRecurring('overlap', channel.id);
      await api.call('POST', `/api/campaigns/${launched.id}/trigger`);
      await waitForRuns(launched.id, (runs) => runs.length === 1 && runs[0].status === 'running');
      await new Promise((r) => setTimeout(r, 1100));
      await api.call('POST', `/api/campaigns/${launched.id}/trigger`);
      const runs = await waitForRuns(launched.id, (list) => list.length === 2 && list.every(finished), 90_000);
      const [skipped, sent] = runs;
      expect(skipped).toMatchObject({ status: 'skipped', reason: `run ${sent.id} was still sending`, audience: null, deliveries: { total: 0 } });
      expect(sent.status).toBe('completed');
      expect(receiver.requests.filter((r) => r.url === '/slow')).toHaveLength(sent.deliveries.total);
    } finally {
      receiver.behave(() => ({ status: 200 }));
    }
  });

  it('pause stops the schedule and the run in progress; resume restarts both; cancel ends the campaign', async () => {
    const channel = await smsChannel('/controls');
    // Slow enough that the run is still sending when the pause arrives (1.5 s let it finish first under load).
    receiver.behave((request) => (request.url === '/controls' ? { status: 200, delayMs: 6000 } : { status: 200 }));
    try {
      const launched = await launchRecurring('controls', channel.id);
      await api.call('POST', `/api/campaigns/${launched.id}/trigger`);
      const [running] = await waitForRuns(launched.id, (runs) => runs.length === 1 && runs[0].status === 'running');

      const paused = await api.call('POST', `/api/campaigns/${launched.id}/pause`);
      expect(paused.status).toBe(200);
      expect(paused.body.status).toBe('paused');
      expect(paused.body.nextFirings).toEqual([]);
      const schedule = temporal.client.schedule.getHandle(campaignScheduleId(launched.id));
      expect((await schedule.describe()).state.paused).toBe(true);
      const runPaused = await api.call('GET', `/api/campaigns/${launched.id}/runs/${running.id}`);
      expect(runPaused.body.status).toBe('paused');
      // A paused campaign cannot be triggered.
      expect((await api.call('POST', `/api/campaigns/${launched.id}/trigger`)).status).toBe(409);

      const resumed = await api.call('POST', `/api/campaigns/${launched.id}/resume`);
      expect(resumed.status).toBe(200);
      expect(['running', 'scheduled']).toContain(resumed.body.status);
      expect((await schedule.describe()).state.paused).toBe(false);
      expect(resumed.body.nextFirings).toHaveLength(5);

      const cancelled = await api.call('POST', `/api/campaigns/${launched.id}/cancel`);
      expect(cancelled.status).toBe(202);
      const done = await waitForRuns(launched.id, (runs) => finished(runs[0]));
      expect(done[0].status).toMatch(/cancelled|completed/);
      const campaign = await waitForCampaign(api, launched.id, (c) => c.status === 'cancelled');
      expect(campaign.nextFirings).toBeNull();
      await expect(schedule.describe()).rejects.toThrow();
      expect((await api.call('POST', `/api/campaigns/${launched.id}/trigger`)).status).toBe(409);
    } finally {
      receiver.behave(() => ({ status: 200 }));
    }
  });

  it('catch-up: a firing handed over within the hour still sends; one older is recorded missed, not sent late', async () => {
    // Temporal's backfill hands over past firings as if they were due now: exactly what it does after an outage.
    const channel = await smsChannel('/catch-up');
    const minuteAgo = (ms: number) => {
      const at = new Date(Math.floor((Date.now() - ms) / 60_000) * 60_000);
      return { at, cron: `${at.getUTCMinutes()} ${at.getUTCHours()} * * *` };
    };
    const late = minuteAgo(2 * 3_600_000);
    const recent = minuteAgo(10 * 60_000);
    const lateCampaign = await launchRecurring('late firing', channel.id, { schedule: { cron: late.cron }, timeZone: 'UTC' });
    const recentCampaign = await launchRecurring('recent firing', channel.id, { schedule: { cron: recent.cron }, timeZone: 'UTC' });
    for (const [campaign, firing] of [[lateCampaign, late], [recentCampaign, recent]] as const) {
      await temporal.client.schedule
        .getHandle(campaignScheduleId(campaign.id))
        .backfill({ start: new Date(firing.at.getTime() - 30_000), end: new Date(firing.at.getTime() + 30_000) });
    }
    const [missed] = await waitForRuns(lateCampaign.id, (runs) => runs.length === 1 && finished(runs[0]));
    expect(missed).toMatchObject({ status: 'missed', trigger: 'schedule', scheduledAt: late.at.toISOString(), audience: null, deliveries: { total: 0 } });
    expect(missed.reason).toMatch(/beyond the 60 min catch-up window/);
    const [caughtUp] = await waitForRuns(recentCampaign.id, (runs) => runs.length === 1 && finished(runs[0]));
    expect(caughtUp).toMatchObject({ status: 'completed', trigger: 'schedule', scheduledAt: recent.at.toISOString() });
    expect(caughtUp.deliveries.succeeded).toBeGreaterThan(0);
    expect(receiver.requests.filter((r) => r.url === '/catch-up')).toHaveLength(caughtUp.deliveries.succeeded);
    // A missed firing is only a record: it never becomes the campaign's current run.
    expect((await api.call('GET', `/api/campaigns/${lateCampaign.id}`)).body.run).toBeNull();
  });

  it('a firing of a campaign already cancelled records nothing and deletes the schedule left behind', async () => {
    const channel = await smsChannel('/left-behind');
    const launched = await launchRecurring('left behind', channel.id);
    // As if the cancel's schedule delete had not reached Temporal.
    await database.db.update(campaigns).set({ status: 'cancelled' }).where(eq(campaigns.id, launched.id));
    const schedule = temporal.client.schedule.getHandle(campaignScheduleId(launched.id));
    await schedule.trigger();
    await expect.poll(() => schedule.describe().then(() => 'still there', () => 'deleted'), { timeout: 20_000 }).toBe('deleted');
    expect((await api.call('GET', `/api/campaigns/${launched.id}/runs`)).body.items).toEqual([]);
    expect(receiver.requests.filter((r) => r.url === '/left-behind')).toHaveLength(0);
  });

  it('ends completed at endAt once its last run has finished', async () => {
    const channel = await smsChannel('/ending');
    const endAt = new Date(Date.now() + 6000).toISOString();
    const launched = await launchRecurring('ending', channel.id, { endAt });
    await api.call('POST', `/api/campaigns/${launched.id}/trigger`);
    await waitForRuns(launched.id, (runs) => runs.length === 1 && finished(runs[0]));
    const done = await waitForCampaign(api, launched.id, (c) => c.status === 'completed', 30_000);
    expect(Date.parse(done.finishedAt)).toBeGreaterThanOrEqual(Date.parse(endAt));
    await expect(temporal.client.schedule.getHandle(campaignScheduleId(launched.id)).describe()).rejects.toThrow();
  });

  it('refuses a trigger for a one-time campaign, a bad schedule with 400 naming the field, and a past end at launch', async () => {
    const channel = await smsChannel('/refusals');
    const once = await api.call('POST', '/api/campaigns', { name: 'once', segmentId: birthdaySegment, channelId: channel.id, templateValues: { message: 'hi' } });
    expect((await api.call('POST', `/api/campaigns/${once.body.id}/trigger`)).status).toBe(409);

    const bad = await api.call('POST', '/api/campaigns', { name: 'bad', trigger: { type: 'recurring', schedule: { every: 'week', on: [], at: '25:00' }, timeZone: 'Mars/Base' } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['trigger.schedule.at', 'trigger.schedule.on', 'trigger.timeZone']);
    const cron = await api.call('POST', '/api/campaigns', { name: 'bad cron', trigger: { type: 'recurring', schedule: { cron: '0 9 * * 1#2' } } });
    expect(cron.status).toBe(400);
    expect(cron.body.issues.map((i: { path: string }) => i.path)).toEqual(['trigger.schedule.cron']);

    const ended = await api.call('POST', '/api/campaigns', {
      name: 'ended',
      segmentId: birthdaySegment,
      channelId: channel.id,
      templateValues: { message: 'hi' },
      expiresAt: new Date(Date.now() + DAY).toISOString(),
      trigger: { type: 'recurring', schedule: { every: 'day', at: '09:00' }, endAt: new Date(Date.now() + 1000).toISOString() },
    });
    expect(ended.status).toBe(201);
    await new Promise((r) => setTimeout(r, 1100));
    const refused = await api.call('POST', `/api/campaigns/${ended.body.id}/launch`);
    expect(refused.status).toBe(409);
    expect(refused.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['expiresAt', 'trigger.endAt']);
    await expect(temporal.client.schedule.getHandle(campaignScheduleId(ended.body.id)).describe()).rejects.toThrow();
    expect((await api.call('GET', `/api/campaigns/${ended.body.id}`)).body.status).toBe('draft');
  });

  it('answers 404 for a run of another campaign and 400-free defaults for runs pages', async () => {
    const channel = await smsChannel('/pages');
    const launched = await launchRecurring('pages', channel.id);
    expect((await api.call('GET', `/api/campaigns/${launched.id}/runs`)).body).toEqual({ items: [], nextCursor: null });
    expect((await api.call('GET', `/api/campaigns/${launched.id}/runs/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await api.call('GET', `/api/campaigns/${launched.id}/deliveries?run=nope`)).status).toBe(404);
    expect((await api.call('GET', `/api/campaigns/${launched.id}/runs?limit=0`)).status).toBe(400);
    await api.call('POST', `/api/campaigns/${launched.id}/cancel`);
  });
});
