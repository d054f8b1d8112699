import type { ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { createLogger } from '../lib/logger.js';
import { campaignApi, insertSegment, spawnWorkerProcess, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

const database = useTestDatabase();
const temporal = useTemporal(database, { runWorker: false });
const USERS = 24;
// 32 random-looking bytes: a signing secret, and a profile value that every request carries.
const PLANTED_SECRET = `whsec_${Buffer.from('planted-secret-5f2c9a71e3b84d06aa17').toString('base64')}`;
const PLANTED_VALUE = 'planted-attribute-8d41c7';

let apiLog = '';
let workerLog = '';
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  const sink = new Writable({ write(chunk, _encoding, done) { apiLog += String(chunk); done(); } });
  api = campaignApi(database, temporal, { batchSize: 10, window: 2, childrenPerExecution: 10 }, createLogger('api', 'debug', sink));
  // The first request to every third user fails, so retries are logged too.
  receiver = await startReceiver((request, log) => {
    const user = (JSON.parse(request.body) as { userid: string }).userid;
    const first = log.filter((r) => r.body === request.body).length === 1;
    return first && Number(user.split('-')[1]) % 3 === 0 ? { status: 503 } : { status: 200 };
  });
  await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `log-${i}`, attributes: { cohort: 'logs', phone: PLANTED_VALUE } })));
  worker = spawnWorkerProcess(database, temporal, { LOG_LEVEL: 'debug' }, 'pipe');
  worker.stdout!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  worker.stderr!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await receiver.close();
});

const lines = (text: string) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('structured logs of a whole campaign', () => {
  it('carry campaign, run and workflow ids and every webhook-id, and never the secret or an attribute value', async () => {
    const segment = await insertSegment(database, 'logs', { attribute: 'cohort', op: 'equals', value: 'logs' });
    const channel = await api.call('POST', '/api/channels', {
      name: 'logs channel',
      url: `${receiver.url}/logs`,
      auth: { type: 'secret', secret: PLANTED_SECRET },
      userAttributeParams: [
        { name: 'userid', attribute: '$id', identity: 'login' },
        { name: 'phone', attribute: 'phone', identity: 'login' },
      ],
      retry: { initialIntervalMs: 100, maxIntervalMs: 200, maxDurationMs: 60_000 },
    });
    expect(channel.status).toBe(201);
    const draft = await api.call('POST', '/api/campaigns', { name: 'logs', segmentId: segment.id, channelId: channel.body.id });
    const launched = await api.call('POST', `/api/campaigns/${draft.body.id}/launch`);
    expect(launched.status).toBe(200);
    const done = await waitForCampaign(api, draft.body.id, undefined, 90_000);
    expect(done.deliveries).toMatchObject({ total: USERS, succeeded: USERS });
    // The requests really carried both planted strings.
    expect(receiver.requests.some((r) => r.body.includes(PLANTED_VALUE))).toBe(true);
    expect(receiver.requests.every((r) => String(r.headers['webhook-signature']).startsWith('v1,'))).toBe(true);

    worker!.kill('SIGTERM');
    await new Promise((resolve) => worker!.once('exit', resolve));
    const everything = apiLog + workerLog;
    expect(everything).not.toContain(PLANTED_SECRET);
    expect(everything).not.toContain(PLANTED_SECRET.slice('whsec_'.length));
    expect(everything).not.toContain(PLANTED_VALUE);

    // Every line is JSON (stdout and stderr alike).
    const worked = lines(workerLog);
    const served = lines(apiLog);
    const campaignId = draft.body.id as string;
    const runId = done.run.id as string;
    const workflowId = done.run.workflowId as string;

    // The API names the run and workflow it launched.
    expect(served).toContainEqual(expect.objectContaining({ msg: 'request', route: '/api/campaigns/:id/launch', campaignId, runId, workflowId }));

    // Every request's webhook-id is in a delivery line bound to the campaign, run and batch workflow.
    const deliveries = worked.filter((l) => l.msg === 'delivery');
    for (const line of deliveries) {
      expect(line).toMatchObject({ campaignId, runId });
      expect(String(line.workflowId)).toMatch(new RegExp(`^${workflowId}`));
    }
    const logged = new Set(deliveries.map((l) => l.webhookId));
    const sent = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
    expect(sent.size).toBe(USERS);
    expect([...sent].every((id) => logged.has(id))).toBe(true);
    // Retries were logged as such, at info level.
    expect(deliveries.filter((l) => l.outcome === 'retry' && l.errorClass === 'http_503' && l.level === 30).length).toBe(USERS / 3);
    expect(deliveries.some((l) => l.activity === 'deliverOne' && l.outcome === 'succeeded')).toBe(true);
    expect(worked).toContainEqual(expect.objectContaining({ msg: 'batch sent', campaignId, runId }));
    // The workflow's own log line carries the ids too, with Temporal's run under its own name.
    expect(worked).toContainEqual(expect.objectContaining({ msg: 'audience frozen', campaignId, runId, workflowId, workflowRunId: expect.any(String) }));
  }, 120_000);
});
