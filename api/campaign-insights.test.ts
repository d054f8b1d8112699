import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { createApp } from './app.js';
import { createLogger } from '../lib/logger.js';
import { MAX_BUCKETS, runTimeline } from '../runs/insights.js';
import { campaignApi, insertSegment, waitForCampaign } from '../test/campaign-kit.js';
import { issuePaths, jsonCaller } from '../test/http.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

/*
 * The detail page's chart and failure groups, and the create form's render
 * preview, against PostgreSQL, Temporal with a worker and a loopback receiver
 * that refuses some users.
 */
const database = useTestDatabase();
const temporal = useTemporal(database);
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let segmentId: string;
let channelId: string;

beforeAll(async () => {
  api = campaignApi(database, temporal);
  // ins-0..4 are refused with 400, ins-5..6 with 404 (both final, no retry); the rest succeed.
  receiver = await startReceiver((r) => {
    const user = Number((JSON.parse(r.body || '{}') as { userid?: string }).userid?.slice(4));
    return { status: user < 5 ? 400 : user < 7 ? 404 : 200 };
  });
  await insertUsers(database.db, [
    ...Array.from({ length: 20 }, (_, i) => ({ loginId: `ins-${i}`, attributes: { cohort: 'insights', name: `会员${i}` } })),
    // Visitors only: a campaign addressing login ids skips them.
    ...Array.from({ length: 3 }, (_, i) => ({ visitorId: `v-ins-${i}`, attributes: { cohort: 'insights', name: `访客${i}` } })),
  ]);
  segmentId = (await insertSegment(database, 'insights', { attribute: 'cohort', op: 'equals', value: 'insights' })).id;
  const channel = await api.call('POST', '/api/channels', {
    name: 'insights channel',
    url: `${receiver.url}/insights`,
    auth: { type: 'secret' },
    userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
    templateParams: [
      { name: 'message', displayName: '文案', type: 'text' },
      { name: 'amount', displayName: '金额', type: 'integer', default: 50 },
    ],
  });
  expect(channel.status).toBe(201);
  channelId = channel.body.id;
});
afterAll(() => receiver.close());

describe('a run\'s timeline and failure reasons', () => {
  it('after a run where the receiver refuses some users: attempts per interval add up, the rate is live, failures are grouped with counts', async () => {
    const draft = await api.call('POST', '/api/campaigns', { name: 'insights run', segmentId, channelId, templateValues: { message: 'hi' } });
    const id = draft.body.id as string;
    // Before any run: empty answers, not errors.
    expect((await api.call('GET', `/api/campaigns/${id}/timeline`)).body).toMatchObject({ runId: null, buckets: [], totals: { succeeded: 0, retry: 0, failed: 0 } });
    expect((await api.call('GET', `/api/campaigns/${id}/failures`)).body).toEqual({ runId: null, items: [] });

    expect((await api.call('POST', `/api/campaigns/${id}/launch`)).status).toBe(200);
    const done = await waitForCampaign(api, id);
    expect(done.deliveries).toMatchObject({ total: 23, succeeded: 13, failed: 7, skipped: 3 });

    const timeline = await api.call('GET', `/api/campaigns/${id}/timeline`);
    expect(timeline.status).toBe(200);
    const t = timeline.body;
    expect(t.runId).toBe(done.run.id);
    expect(t.totals).toEqual({ succeeded: 13, retry: 0, failed: 7 });
    expect(t.buckets.length).toBeGreaterThan(0);
    expect(t.buckets.length).toBeLessThanOrEqual(MAX_BUCKETS);
    const sum = (k: 'succeeded' | 'failed' | 'retry') => t.buckets.reduce((n: number, b: Record<string, number>) => n + b[k]!, 0);
    expect([sum('succeeded'), sum('failed'), sum('retry')]).toEqual([13, 7, 0]);
    // Intervals are consecutive, aligned to their width, and span the first to the last attempt.
    const starts = t.buckets.map((b: { at: string }) => Date.parse(b.at));
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBe(t.bucketSeconds * 1000);
    expect(starts[0] % (t.bucketSeconds * 1000)).toBe(0);
    expect(starts[0]).toBeLessThanOrEqual(Date.parse(t.firstAttemptAt));
    expect(starts.at(-1) + t.bucketSeconds * 1000).toBeGreaterThan(Date.parse(t.lastAttemptAt));
    // The run has just finished: its 20 attempts fall in the last 10 s.
    expect(t.rate.windowSeconds).toBe(10);
    expect(t.rate.perSecond).toBeGreaterThan(0);
    expect(t.rate.perSecond).toBeLessThanOrEqual(2);

    const failures = await api.call('GET', `/api/campaigns/${id}/failures`);
    expect(failures.status).toBe(200);
    expect(failures.body.runId).toBe(done.run.id);
    expect(failures.body.items).toEqual([
      { status: 'failed', errorClass: 'http_400', httpStatus: 400, count: 5, message: 'endpoint answered 400' },
      { status: 'skipped', errorClass: 'no_login_id', httpStatus: null, count: 3, message: expect.stringContaining('no login id') },
      { status: 'failed', errorClass: 'http_404', httpStatus: 404, count: 2, message: 'endpoint answered 404' },
    ]);

    // `?run=` must name a run of this campaign.
    expect((await api.call('GET', `/api/campaigns/${id}/timeline?run=${randomUUID()}`)).status).toBe(404);
    expect((await api.call('GET', `/api/campaigns/${id}/failures?run=${done.run.id}`)).body.items).toHaveLength(3);
    expect((await api.call('GET', `/api/campaigns/${randomUUID()}/failures`)).status).toBe(404);
  }, 90_000);

  it('a read when the run finishes sees the finished run, even within the window a scan is shared for', async () => {
    // Scans shared for a minute: without the status in the share key, the read after the end would get the answer from mid-run.
    const shared = jsonCaller(createApp({
      db: database.db,
      logger: createLogger('test', 'silent'),
      campaigns: { service: api.service, temporalUiUrl: 'http://localhost:8233', namespace: 'default', readShareMs: 60_000 },
    }));
    const before = receiver.behave(() => ({ status: 200, delayMs: 800 }));
    try {
      const draft = await api.call('POST', '/api/campaigns', { name: 'insights shared read', segmentId, channelId, templateValues: { message: 'hi' } });
      const id = draft.body.id as string;
      expect((await api.call('POST', `/api/campaigns/${id}/launch`)).status).toBe(200);
      const running = await waitForCampaign(api, id, (c) => c.status === 'running' && c.deliveries.succeeded > 0 && c.deliveries.succeeded < 20);
      const mid = await shared('GET', `/api/campaigns/${id}/timeline`);
      await shared('GET', `/api/campaigns/${id}/failures`);
      expect(mid.body.runId).toBe(running.run.id);
      expect(mid.body.totals.succeeded).toBeLessThan(20);

      await waitForCampaign(api, id);
      const end = await shared('GET', `/api/campaigns/${id}/timeline`);
      expect(end.body.totals).toEqual({ succeeded: 20, retry: 0, failed: 0 });
      expect(end.body.buckets.reduce((n: number, b: { succeeded: number }) => n + b.succeeded, 0)).toBe(20);
      expect((await shared('GET', `/api/campaigns/${id}/failures`)).body.items).toEqual([expect.objectContaining({ errorClass: 'no_login_id', count: 3 })]);
    } finally {
      receiver.behave(before);
    }
  }, 90_000);

  it('picks a round bucket width that keeps a long run within the bucket limit, and counts only recent attempts in the rate', async () => {
    // A run's attempt log written by hand: one attempt every 10 s over 20 minutes, the last two just now.
    const runId = randomUUID();
    await database.db.execute(sql`
      INSERT INTO delivery_attempts (run_id, seq, attempt, started_at, outcome, error_class)
      SELECT ${runId}::uuid, g, 1, now() - make_interval(secs => (120 - g) * 10 + 1),
             CASE WHEN g % 3 = 0 THEN 'failed' WHEN g % 3 = 1 THEN 'retry' ELSE 'succeeded' END,
             CASE WHEN g % 3 = 2 THEN NULL ELSE 'http_500' END
      FROM generate_series(0, 120) g`);
    const t = await runTimeline(database.db, runId);
    // 1,201 s of attempts: 10 s buckets would need 121, so 15 s it is.
    expect(t.bucketSeconds).toBe(15);
    expect(t.buckets.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(t.totals).toEqual({ succeeded: 40, retry: 40, failed: 41 });
    expect(t.buckets.reduce((n, b) => n + b.succeeded + b.retry + b.failed, 0)).toBe(121);
    // Only the attempt 1 s ago is within the last 10 s (the one before was 11 s ago).
    expect(t.rate.perSecond).toBe(0.1);
  });
});

describe('POST /api/campaigns/preview (render only)', () => {
  it('renders the channel\'s request for a sample member of the segment without sending it', async () => {
    const before = receiver.requests.length;
    const answer = await api.call('POST', '/api/campaigns/preview', {
      channelId,
      segmentId,
      templateValues: { message: '亲爱的{{ user.name | default: "会员" }}，{{ login_id }}' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.source).toBe('segment');
    const login = answer.body.user.loginId as string;
    expect(login).toMatch(/^ins-\d+$/);
    const name = `会员${login.slice(4)}`;
    expect(answer.body.values).toEqual({ message: `亲爱的${name}，${login}`, amount: 50 });
    expect(JSON.parse(answer.body.request.body)).toEqual({ userid: login, message: `亲爱的${name}，${login}`, amount: 50 });
    expect(answer.body.request.url).toBe(`${receiver.url}/insights`);
    // The signature is masked; no request reached the endpoint and nothing was saved.
    expect(answer.body.request.headers['webhook-signature']).toBe('v1,********');
    expect(receiver.requests.length).toBe(before);
    expect((await api.call('GET', '/api/campaigns')).body.items.filter((c: { name: string }) => c.name === 'preview')).toEqual([]);
  });

  it('renders for a named user, or an invented sample when no segment is given', async () => {
    const named = await api.call('POST', '/api/campaigns/preview', { channelId, user: 'ins-7', templateValues: { message: '{{ user.name }}', amount: 100 } });
    expect(named.status).toBe(200);
    expect(named.body).toMatchObject({ source: 'user', user: { loginId: 'ins-7' }, values: { message: '会员7', amount: 100 } });
    const sample = await api.call('POST', '/api/campaigns/preview', { channelId, templateValues: { message: 'hello' } });
    expect(sample.status).toBe(200);
    expect(sample.body.source).toBe('sample');
    // A segment none of whose members has a login id falls back to the invented user.
    const visitors = await insertSegment(database, 'visitors only', { all: [{ attribute: 'cohort', op: 'equals', value: 'insights' }, { identity: 'visitorOnly' }] });
    const fallback = await api.call('POST', '/api/campaigns/preview', { channelId, segmentId: visitors.id, templateValues: {} });
    expect(fallback.body.source).toBe('sample');
    const asVisitor = await api.call('POST', '/api/campaigns/preview', { channelId, segmentId: visitors.id, identity: 'visitor', templateValues: {} });
    expect(asVisitor.body).toMatchObject({ source: 'segment', user: { visitorId: expect.stringMatching(/^v-ins-/) } });
  });

  it('names the field of bad input: a template that does not parse, a value of the wrong type, an unknown parameter, unknown ids', async () => {
    const bad = async (body: unknown) => {
      const answer = await api.call('POST', '/api/campaigns/preview', body);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('validation_failed');
      return issuePaths(answer.body);
    };
    expect(await bad({ channelId, templateValues: { message: '{{ user.name | nosuchfilter }}' } })).toEqual(['templateValues.message']);
    expect(await bad({ channelId, templateValues: { amount: 'lots' } })).toEqual(['templateValues.amount']);
    expect(await bad({ channelId, templateValues: { coupon: 1 } })).toEqual(['templateValues.coupon']);
    expect(await bad({ channelId: randomUUID() })).toEqual(['channelId']);
    expect(await bad({ channelId, segmentId: randomUUID() })).toEqual(['segmentId']);
    expect(await bad({ channelId, user: 'nobody-at-all' })).toEqual(['user']);
    expect(await bad({ templateValues: {} })).toEqual(['channelId']);
    expect(await bad({ channelId, sendNow: true })).toEqual(['sendNow']);
    // The body goes through the same reader as every body: NUL characters are refused, naming the field.
    expect(await bad(`{"channelId":"${channelId}","templateValues":{"message":"a\\u0000b"}}`)).toEqual(['templateValues.message']);
    expect((await api.call('POST', '/api/campaigns/preview', '{"channelId":')).body.error).toBe('invalid_json');
  });
});
