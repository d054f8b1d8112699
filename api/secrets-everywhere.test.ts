import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { createCampaignService } from '../campaigns/store.js';
import { insertSegment, waitForCampaign, type CampaignApi } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { jsonCaller } from '../test/http.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal, workflowBundle } from '../test/temporal.js';
import { createApp } from './app.js';

/*
 * Secrets, passwords and user attributes never reach Temporal (inputs,
 * results, failures, memo, search attributes) nor the logs of the worker and
 * the API: a real run on a signed and a Basic channel, then every history of
 * its workflows and every log line is searched for them.
 */

const database = useTestDatabase();
const temporal = useTemporal(database, { runWorker: false });
const SECRET = `whsec_${Buffer.from('planted-signing-secret-0123456789').toString('base64')}`;
const PASSWORD = 'planted-basic-password-7c1e';
const ATTRIBUTE = 'planted-attribute-value-5d2b';
const workerEntry = fileURLToPath(new URL('../worker/main.ts', import.meta.url));

let receiver: Receiver;
let api: CampaignApi;
let worker: ChildProcess;
let workerLog = '';
let apiLog = '';

beforeAll(async () => {
  receiver = await startReceiver();
  // Half the first attempts fail, so retries, failures and their messages are part of the run.
  receiver.behave((_request, log) => (log.length % 2 === 0 ? { status: 503, body: `echo ${PASSWORD}` } : { status: 200 }));
  worker = spawn(process.execPath, ['--import', 'tsx', workerEntry], {
    env: { ...process.env, WORKFLOW_BUNDLE: workflowBundle().codePath, DATABASE_URL: database.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: temporal.taskQueue, LOG_LEVEL: 'trace' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  worker.stderr!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  const logger = pino({ level: 'trace' }, new Writable({ write: (chunk, _enc, done) => ((apiLog += String(chunk)), done()) }));
  const service = createCampaignService({ db: database.db, temporal: temporal.client, taskQueue: temporal.taskQueue, fanOut: { batchSize: 2, window: 2, childrenPerExecution: 2 } });
  const app = createApp({ db: database.db, logger, campaigns: { service, temporalUiUrl: 'http://localhost:8233', namespace: 'default' } });
  api = { app, service, call: jsonCaller(app) };
  await insertUsers(database.db, [1, 2, 3, 4, 5].map((i) => ({ loginId: `leak-${i}`, attributes: { tier: 'leak-test', phone: ATTRIBUTE } })));
});
afterAll(async () => {
  worker?.kill('SIGTERM');
  await receiver?.close();
});

/** Every string in a history, with payload bytes decoded as UTF-8 (and as base64 text, as some are stored). */
function textOf(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) {
    const text = Buffer.from(value).toString('utf8');
    out.push(text, Buffer.from(text, 'base64').toString('utf8'));
  } else if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => textOf(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => textOf(v, out));
  return out;
}

describe('secrets and attributes stay out of Temporal and the logs', () => {
  it('after runs on a signed and a Basic channel', async () => {
    const segment = await insertSegment(database, 'leak test', { all: [{ attribute: 'tier', op: 'equals', value: 'leak-test' }] });
    const channelIds: string[] = [];
    for (const auth of [{ type: 'secret', secret: SECRET }, { type: 'basic', username: 'shop', password: PASSWORD }]) {
      const channel = await api.call('POST', '/api/channels', {
        name: `leak ${auth.type}`,
        url: `${receiver.url}/${auth.type}`,
        auth,
        userAttributeParams: [{ name: 'phone', attribute: 'phone', identity: 'login' }],
        templateParams: [{ name: 'greeting', displayName: 'greeting', type: 'text' }],
        retry: { initialIntervalMs: 100, maxIntervalMs: 200, maxDurationMs: 60_000 },
      });
      expect(channel.status).toBe(201);
      channelIds.push(channel.body.id);
    }
    const campaignIds: string[] = [];
    for (const channelId of channelIds) {
      const draft = await api.call('POST', '/api/campaigns', {
        name: `leak ${channelId}`,
        segmentId: segment.id,
        channelId,
        identity: 'login',
        templateValues: { greeting: 'hello {{ user.phone }}' },
        trigger: { type: 'once', sendAt: 'now' },
      });
      expect(draft.status).toBe(201);
      expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
      campaignIds.push(draft.body.id);
    }
    for (const id of campaignIds) {
      const done = await waitForCampaign(api, id);
      expect(done.status).toBe('completed');
      expect(done.deliveries).toMatchObject({ total: 5, succeeded: 5 });
    }
    // The receiver did get them all: the test would be empty otherwise.
    expect(receiver.requests.some((r) => r.body.includes(ATTRIBUTE))).toBe(true);
    expect(receiver.requests.some((r) => String(r.headers.authorization).startsWith('Basic '))).toBe(true);

    const forbidden = [SECRET, SECRET.slice(6), PASSWORD, Buffer.from(`shop:${PASSWORD}`).toString('base64'), ATTRIBUTE];
    let histories = 0;
    let payloads = '';
    for await (const execution of temporal.client.workflow.list({ query: `TaskQueue = '${temporal.taskQueue}'` })) {
      const history = await temporal.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      const text = [...textOf(history), ...textOf(execution.memo ?? {}), ...textOf(execution.searchAttributes ?? {})].join('\n');
      for (const value of forbidden) expect(text, `${execution.workflowId} holds ${value}`).not.toContain(value);
      histories += 1;
      payloads += text;
    }
    // The payloads were decoded (JSON of activity inputs and results), so the search above saw them.
    expect(payloads).toMatch(/\{"[A-Za-z]+":/);
    expect(payloads).toContain(campaignIds[0]);
    // The parent runs and their batch children.
    expect(histories).toBeGreaterThanOrEqual(4);
    expect(workerLog.length).toBeGreaterThan(0);
    expect(apiLog).toContain('"request"');
    for (const value of forbidden) {
      expect(workerLog, `worker log holds ${value}`).not.toContain(value);
      expect(apiLog, `API log holds ${value}`).not.toContain(value);
    }
  });
});
