/*
 * Test support for scripts/*.test.ts: runs `npm start`'s launcher (no
 * DATABASE_URL, so on the embedded PostgreSQL) and drives the seed's story 1
 * through its HTTP API, as an operator would. Nothing in the app imports it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ensureBuilt } from './build.js';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { freePort } from '../test/ports.js';
import type { Receiver } from '../test/receiver.js';
import { authHeader } from '../test/credentials.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface Stack {
  api: string;
  dataDir: string;
  output(): string;
  /** Resolves when the launcher prints a line matching `pattern` after `from` characters of output. */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  /** The pid the launcher last printed for a child. */
  pidOf(child: 'Temporal dev server' | 'embedded PostgreSQL' | 'worker' | 'API'): number;
  /** Ctrl-C; resolves with the launcher's exit code and how many processes of this stack outlived it. */
  stop(): Promise<{ code: number | null; leftovers: number }>;
  /** Waits for the launcher to exit by itself. */
  exited(): Promise<{ code: number | null; leftovers: number }>;
  kill(): void;
}

/** Processes started for the stack on `dataDir`: every child inherits DATA_DIR. */
function processesOf(dataDir: string): number {
  let count = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`DATA_DIR=${dataDir}`)) count += 1;
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return count;
}

/** Starts the launcher in a fresh data folder and waits until it says ready. */
export async function startStack(extraEnv: Record<string, string> = {}): Promise<Stack> {
  // Built here, not by the launcher, so the launcher's start-up time is not a 40 s build.
  await ensureBuilt((line) => console.log(`[stack] ${line}`));
  const dataDir = mkdtempSync(join(tmpdir(), 'hookcast-stack-'));
  // mkdtemp makes a 0700 folder; as root the embedded server runs as "postgres" and must reach it.
  chmodSync(dataDir, 0o755);
  const ports = { API_PORT: await freePort(), TEMPORAL_PORT: await freePort(), TEMPORAL_UI_PORT: await freePort(), EMBEDDED_PG_PORT: await freePort() };
  const { DATABASE_URL: _ignored, ...rest } = process.env;
  const env = { ...rest, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), ...extraEnv };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitFor = async (pattern: RegExp, timeoutMs = 90_000, from = 0) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = output.slice(from).match(pattern);
      if (match) return match;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`launcher never printed ${pattern}:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stack: Stack = {
    api: `http://127.0.0.1:${ports.API_PORT}`,
    dataDir,
    output: () => output,
    waitFor,
    pidOf(name) {
      const patterns: Record<string, RegExp> = {
        'Temporal dev server': /Temporal is up \(pid (\d+)\)|Temporal dev server is back \(pid (\d+)\)/g,
        'embedded PostgreSQL': /embedded PostgreSQL is up \(pid (\d+)\)|embedded PostgreSQL is back \(pid (\d+)\)/g,
        worker: /worker pid (\d+)|worker is back \(pid (\d+)\)/g,
        API: /API pid (\d+)|API is back \(pid (\d+)\)/g,
      };
      const matches = [...output.matchAll(patterns[name]!)];
      const last = matches.at(-1);
      if (!last) throw new Error(`no pid printed for ${name}:\n${output}`);
      return Number(last[1] ?? last[2]);
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return stack.exited();
    },
    async exited() {
      const code = await exited;
      const leftovers = processesOf(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
      return { code, leftovers };
    },
    kill() {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(/\[hookcast\] ready:/, 180_000);
  } catch (error) {
    stack.kill();
    throw error;
  }
  return stack;
}

/** One call to the launched API, timed. */
export async function call(api: string, method: string, path: string, body?: unknown) {
  const started = performance.now();
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...authHeader },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: kept as text for the failure message
  }
  return { status: res.status, body: parsed, ms: performance.now() - started };
}

const HOUR = 3_600_000;

/**
 * Story 1's audience through the API: `members` gold VIPs who added to cart
 * yesterday and have not paid, plus non-members (silver, or paid) that the
 * segment must leave out.
 */
export async function seedStoryAudience(api: string, members: number) {
  const memberIds = Array.from({ length: members }, (_, i) => `gold-${String(i).padStart(4, '0')}`);
  const others = Array.from({ length: Math.ceil(members / 5) }, (_, i) => `other-${i}`);
  const users = [
    ...memberIds.map((loginId) => ({ loginId, attributes: { vip_level: 'gold' } })),
    ...others.map((loginId, i) => ({ loginId, attributes: { vip_level: i % 2 ? 'gold' : 'silver' } })),
  ];
  for (let i = 0; i < users.length; i += 1000) {
    const res = await call(api, 'POST', '/api/users', { users: users.slice(i, i + 1000) });
    if (res.status !== 200) throw new Error(`users: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const yesterday = new Date(Date.now() - 24 * HOUR).toISOString();
  const anHourAgo = new Date(Date.now() - HOUR).toISOString();
  const events = [
    ...[...memberIds, ...others].map((loginId) => ({ name: 'add_to_cart', loginId, time: yesterday })),
    ...others.filter((_, i) => i % 2).map((loginId) => ({ name: 'pay_order', loginId, time: anHourAgo })),
  ];
  for (let i = 0; i < events.length; i += 1000) {
    const res = await call(api, 'POST', '/api/events', { events: events.slice(i, i + 1000) });
    if (res.status !== 200 || res.body.rejected.length > 0) throw new Error(`events: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const segment = await call(api, 'POST', '/api/segments', {
    name: `gold carts without orders ${Math.random().toString(36).slice(2, 8)}`,
    rule: {
      all: [
        { attribute: 'vip_level', op: 'equals', value: 'gold' },
        { event: 'add_to_cart', window: { type: 'yesterday' } },
        { noEvent: 'pay_order', window: { type: 'since', daysAgo: 1 } },
      ],
    },
  });
  if (segment.status !== 201) throw new Error(`segment: ${segment.status} ${JSON.stringify(segment.body)}`);
  return { segmentId: segment.body.id as string, memberIds };
}

/** A secret-auth coupon channel posting to `receiver.url + path`, and a one-time campaign on it, launched. */
export async function launchStoryCampaign(api: string, receiver: Receiver, path: string, segmentId: string) {
  const channel = await call(api, 'POST', '/api/channels', {
    name: `白鸽卡券中心 ${path}`,
    url: `${receiver.url}${path}`,
    auth: { type: 'secret' },
    templateParams: [{ name: 'amount', displayName: '券面值', type: 'integer' }],
    userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
  });
  if (channel.status !== 201) throw new Error(`channel: ${channel.status} ${JSON.stringify(channel.body)}`);
  const draft = await call(api, 'POST', '/api/campaigns', {
    name: `昨日加购未下单黄金会员 100 元券 ${path}`,
    segmentId,
    channelId: channel.body.id,
    identity: 'login',
    templateValues: { amount: 100 },
    trigger: { type: 'once', sendAt: 'now' },
  });
  if (draft.status !== 201) throw new Error(`draft: ${draft.status} ${JSON.stringify(draft.body)}`);
  const launched = await call(api, 'POST', `/api/campaigns/${draft.body.id}/launch`);
  if (launched.status !== 200) throw new Error(`launch: ${launched.status} ${JSON.stringify(launched.body)}`);
  return { campaignId: draft.body.id as string, secret: channel.body.auth.secret as string };
}

/**
 * What the receiver saw on `path`, per user: requests (each signature
 * verified), distinct webhook-ids and successful answers.
 */
export function tallyReceiver(receiver: Receiver, path: string, secret: string) {
  const wh = new Webhook(secret);
  const perUser = new Map<string, { requests: number; webhookIds: Set<string> }>();
  for (const request of receiver.requests.filter((r) => r.url === path)) {
    const headers = {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    };
    const body = wh.verify(request.body, headers) as { userid: string; amount: number };
    if (body.amount !== 100) throw new Error(`unexpected body ${request.body}`);
    const entry = perUser.get(body.userid) ?? { requests: 0, webhookIds: new Set<string>() };
    entry.requests += 1;
    entry.webhookIds.add(headers['webhook-id']);
    perUser.set(body.userid, entry);
  }
  return perUser;
}

/** Polls GET /api/campaigns/:id until it has finished, tolerating outages (non-200s) on the way. */
export async function waitForFinish(api: string, campaignId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(api, 'GET', `/api/campaigns/${campaignId}`).catch(() => undefined);
    if (res?.status === 200 && ['completed', 'cancelled', 'failed'].includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`campaign ${campaignId} did not finish: ${JSON.stringify(res?.body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
