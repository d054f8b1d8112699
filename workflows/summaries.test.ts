import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal as proto } from '@temporalio/proto';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, insertSegment, userIdChannel, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { jsonCaller } from '../test/http.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';
import { batchDetails, count, runDetails, summaries } from './summaries.js';

describe('summary texts', () => {
  it('name the batch and its users with thousands separators', () => {
    expect(summaries.batch(5_501, 6_000, 500)).toBe('deliver batch 12: users 5,501–6,000');
    expect(summaries.batch(1, 500, 500)).toBe('deliver batch 1: users 1–500');
    expect(count(1_234_567)).toBe('1,234,567');
    expect(summaries.retryWait(5_732, 5_000)).toBe('retry user 5,732 in 5 s');
    expect(runDetails({ status: 'running', total: 300_000, skipped: 12, nextSeq: 4_001, batchesDone: 6, batchesInFlight: 2, batchSize: 500 })).toBe(
      'running · audience 300,000 users (12 skipped) · batches: 6 done, 2 running, of 600 · next user 4,001',
    );
    expect(batchDetails({ fromSeq: 1, toSeq: 500, phase: 'retrying', retries: 1 })).toBe('users 1–500: retrying · 1 retry due');
  });
});

const database = useTestDatabase();
const temporal = useTemporal(database);
let receiver: Receiver;
const USERS = 12;

beforeAll(async () => {
  // User 7's first attempt fails: its batch retries it.
  receiver = await startReceiver((request, log) => {
    const user = (JSON.parse(request.body) as { userid: string }).userid;
    return user === 'story-7' && log.filter((r) => r.body === request.body).length === 1 ? { status: 503 } : { status: 200 };
  });
  await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `story-${i}`, attributes: { cohort: 'story' } })));
});
afterAll(() => receiver.close());

const summaryOf = (event: proto.api.history.v1.IHistoryEvent) =>
  event.userMetadata?.summary ? defaultPayloadConverter.fromPayload<string>(event.userMetadata.summary) : undefined;

describe('a run in the Temporal UI', () => {
  it('reads as a story: each activity, timer and child says what it did, and the run its result', async () => {
    const api = campaignApi(database, temporal, { batchSize: 5, window: 2, childrenPerExecution: 10 });
    const segment = await insertSegment(database, 'story', { attribute: 'cohort', op: 'equals', value: 'story' });
    const channelId = await userIdChannel(api, 'story channel', `${receiver.url}/story`, { retry: { initialIntervalMs: 100, maxIntervalMs: 200, maxDurationMs: 60_000 } });
    const draft = await api.call('POST', '/api/campaigns', { name: 'story', segmentId: segment.id, channelId });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
    const done = await waitForCampaign(api, draft.body.id);
    expect(done.deliveries).toMatchObject({ total: USERS, succeeded: USERS });

    const parent = temporal.client.workflow.getHandle(done.run.workflowId as string);
    const parentSummaries = (await parent.fetchHistory()).events!.map(summaryOf).filter(Boolean);
    expect(parentSummaries).toEqual(
      expect.arrayContaining(['status: running', 'freeze audience', 'deliver batch 1: users 1–5', 'deliver batch 2: users 6–10', 'deliver batch 3: users 11–12', 'finish run: completed']),
    );
    const metadata = await parent.query(workflowMetadataQuery);
    expect(metadata.currentDetails).toBe('completed · audience 12 users · batches: 3 done, 0 running, of 3 · next user 13');

    // The login ids are story-0..11 in user id order, not seq order: find the batch that retried.
    const children = await Promise.all([1, 6, 11].map(async (from) => {
      const to = Math.min(from + 4, USERS);
      const child = temporal.client.workflow.getHandle(`${done.run.workflowId}-batch-${from}-${to}`);
      return { from, to, summaries: (await child.fetchHistory()).events!.map(summaryOf).filter(Boolean), details: (await child.query(workflowMetadataQuery)).currentDetails };
    }));
    for (const child of children) expect(child.summaries).toContain(`send users ${child.from}–${child.to}`);
    const retrying = children.filter((c) => c.summaries.some((s) => s!.startsWith('retry user ')));
    expect(retrying).toHaveLength(1);
    expect(retrying[0]!.summaries).toEqual(expect.arrayContaining([expect.stringMatching(/^retry user \d+ in \d+ ms$/), expect.stringMatching(/^retry user \d+$/)]));
    expect(retrying[0]!.details).toBe(`users ${retrying[0]!.from}–${retrying[0]!.to}: done · 1 retry due, 1 done`);
  }, 120_000);
});

describe('an operator control in the Temporal UI', () => {
  it('reads as what it was: "pause requested by key ops-1", under an Update id naming the action, the key and the epoch', async () => {
    const api = campaignApi(database, temporal);
    const segment = await insertSegment(database, 'controls', { attribute: 'cohort', op: 'equals', value: 'story' });
    const channelId = await userIdChannel(api, 'controls channel', `${receiver.url}/controls`);
    const key = await api.call('POST', '/api/keys', { name: 'ops-1', scope: 'write' });
    expect(key.status).toBe(201);
    const ops = jsonCaller(api.app, { authorization: `Bearer ${key.body.key}` });
    // Scheduled a day ahead: paused and resumed before anything is sent.
    const draft = await api.call('POST', '/api/campaigns', { name: 'controls', segmentId: segment.id, channelId, trigger: { type: 'once', sendAt: new Date(Date.now() + 86_400_000).toISOString() } });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
    expect((await ops('POST', `/api/campaigns/${draft.body.id}/pause`)).status).toBe(200);
    expect((await ops('POST', `/api/campaigns/${draft.body.id}/resume`)).status).toBe(200);
    const campaign = await api.call('GET', `/api/campaigns/${draft.body.id}`);
    const handle = temporal.client.workflow.getHandle(campaign.body.run.workflowId as string);
    const events = (await handle.fetchHistory()).events!;

    const updates = events.flatMap((e) => (e.workflowExecutionUpdateAcceptedEventAttributes ? [e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest!] : []));
    expect(updates.map((u) => [u.input?.name, u.meta?.updateId])).toEqual([
      ['pause', 'pause-by-key-ops-1-epoch-1'],
      ['resume', 'resume-by-key-ops-1-epoch-2'],
    ]);
    expect(events.map(summaryOf).filter(Boolean)).toEqual(
      expect.arrayContaining(['pause requested by key ops-1: pause sends, status: paused', 'resume requested by key ops-1: resume sends, status: scheduled']),
    );
    // Who asked travels as the key's name, never the key.
    expect(updates.map((u) => defaultPayloadConverter.fromPayload(u.input!.args!.payloads![0]!))).toEqual([{ requestedBy: 'key ops-1' }, { requestedBy: 'key ops-1' }]);
    await api.call('POST', `/api/campaigns/${draft.body.id}/cancel`);
  }, 120_000);
});
