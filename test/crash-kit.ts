import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { request } from 'undici';
import { expect } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { insertSegment, spawnWorkerProcess, userIdChannel, waitForCampaign, type CampaignApi } from './campaign-kit.js';
import type { TestDatabase } from './database.js';
import { freePort } from './ports.js';
import type { Behaviour, ReceivedRequest, Receiver } from './receiver.js';
import type { TestTemporal } from './temporal.js';

/** The `webhook-id`s the receiver saw per user (the channel sends the login id as `userid`). */
export function webhookIdsByUser(requests: readonly ReceivedRequest[]): Map<string, Set<string>> {
  const byUser = new Map<string, Set<string>>();
  for (const r of requests) {
    const user = (JSON.parse(r.body) as { userid: string }).userid;
    byUser.set(user, (byUser.get(user) ?? new Set()).add(String(r.headers['webhook-id'])));
  }
  return byUser;
}

/** Asserts what a run must keep through any crash or restart: every user succeeded once, none twice, one webhook-id per user. */
export async function expectExactlyOnce(database: TestDatabase, runId: string, requests: readonly ReceivedRequest[], users: number): Promise<void> {
  const succeededTwice = await database.db.execute(sql`
    SELECT seq FROM delivery_attempts WHERE outcome = 'succeeded' AND run_id = ${runId} GROUP BY seq HAVING count(*) > 1`);
  expect(succeededTwice).toHaveLength(0);
  const byUser = webhookIdsByUser(requests);
  expect(byUser.size).toBe(users);
  for (const ids of byUser.values()) expect(ids.size).toBe(1);
}

/** A worker process serving its metrics, so a test can tell when it has built its worker and polls. */
async function metricsWorker(spawnOne: (env: Record<string, string>) => ChildProcess) {
  const port = await freePort();
  const proc = spawnOne({ WORKER_METRICS_PORT: String(port), API_HOST: '127.0.0.1' });
  const serving = async () => {
    try {
      await (await request(`http://127.0.0.1:${port}/metrics`)).body.text();
      return true;
    } catch {
      return false;
    }
  };
  return { proc, serving };
}

/**
 * Two worker processes on one task queue, both polling before the launch;
 * once a quarter of the users got their request, one of them is SIGKILLed
 * while the receiver holds requests of both, and the other must finish the
 * run alone with every user succeeded once, resending the requests cut off
 * under the same webhook-id. Runs the same on the dev server and on the
 * PostgreSQL-backed server.
 */
export async function twoWorkersOneKilled(options: {
  database: TestDatabase;
  temporal: Pick<TestTemporal, 'address' | 'taskQueue'> & { namespace?: string };
  api: CampaignApi;
  receiver: Receiver;
  users: number;
  cohort: string;
  timeoutMs?: number;
}): Promise<void> {
  const { database, api, receiver, users, cohort } = options;
  await insertUsers(database.db, Array.from({ length: users }, (_, i) => ({ loginId: `${cohort}-${i}`, attributes: { cohort } })));
  const segment = await insertSegment(database, cohort, { attribute: 'cohort', op: 'equals', value: cohort });
  const channelId = await userIdChannel(api, `${cohort} channel`, `${receiver.url}/${cohort}`);
  const requests = () => receiver.requests.filter((r) => r.url === `/${cohort}`);
  // Requests to this run take 400 ms, so the receiver holds each long enough to be seen held.
  const previous: Behaviour = receiver.behave((request, log) => (request.url === `/${cohort}` ? { status: 200, delayMs: 400 } : previous(request, log)));
  // One batch at a time per worker, so neither can hold more than PER_WORKER requests: more than that unanswered at the receiver means both hold some.
  const PER_WORKER = 3;
  const spawnOne = (env: Record<string, string>) =>
    spawnWorkerProcess(database, options.temporal, { DELIVERY_CONCURRENCY: String(PER_WORKER), WORKER_MAX_ACTIVITIES: '1', ...env });
  const pair = [await metricsWorker(spawnOne), await metricsWorker(spawnOne)];
  try {
    // Both serve metrics only once their worker is built: then both poll, and both get batches.
    const ready = Date.now() + 60_000;
    while (!(await Promise.all(pair.map((w) => w.serving()))).every(Boolean)) {
      if (Date.now() > ready) throw new Error('the two workers did not start within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const draft = await api.call('POST', '/api/campaigns', { name: cohort, segmentId: segment.id, channelId });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
    while (requests().length < users / 4) await new Promise((r) => setTimeout(r, 20));
    // The victim must die holding requests the receiver got and did not answer, or its death would cost nothing.
    // The count and the kill happen in one synchronous step, so no held reply can go out between them.
    const held = () => [...receiver.unanswered].filter((r) => r.url === `/${cohort}`).length;
    while (held() <= PER_WORKER) {
      if (requests().length >= users) throw new Error('the run finished before both workers held requests at once');
      await new Promise((r) => setTimeout(r, 5));
    }
    const victim = pair[0]!.proc;
    victim.kill('SIGKILL');
    await new Promise((r) => victim.once('exit', r));
    const atKill = requests().length;
    expect(atKill).toBeLessThan(users);

    const done = await waitForCampaign(api, draft.body.id, undefined, options.timeoutMs ?? 120_000);
    expect(done.status).toBe('completed');
    expect(done.deliveries).toMatchObject({ total: users, succeeded: users, pending: 0 });
    await expectExactlyOnce(database, done.run.id, requests(), users);
    // What the victim had sent without recording the answer went out again (under the same ids, checked above).
    expect(requests().length).toBeGreaterThan(users);
  } finally {
    for (const w of pair) w.proc.kill('SIGKILL');
    receiver.behave(previous);
  }
}
