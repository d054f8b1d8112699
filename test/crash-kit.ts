import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { insertSegment, spawnWorkerProcess, userIdChannel, waitForCampaign, type CampaignApi } from './campaign-kit.js';
import type { TestDatabase } from './database.js';
import type { ReceivedRequest, Receiver } from './receiver.js';
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

/**
 * Two worker processes on one task queue; one is SIGKILLed once a quarter of
 * the users got their request, and the other must finish the run alone with
 * every user succeeded once and resends under the same webhook-id. Runs the
 * same on the dev server and on the PostgreSQL-backed server.
 */
export async function twoWorkersOneKilled(options: {
  database: TestDatabase;
  temporal: Pick<TestTemporal, 'address' | 'taskQueue'> & { namespace?: string };
  api: CampaignApi;
  receiver: Receiver;
  users: number;
  cohort: string;
  workerEnv?: Record<string, string>;
  timeoutMs?: number;
}): Promise<void> {
  const { database, api, receiver, users, cohort } = options;
  await insertUsers(database.db, Array.from({ length: users }, (_, i) => ({ loginId: `${cohort}-${i}`, attributes: { cohort } })));
  const segment = await insertSegment(database, cohort, { attribute: 'cohort', op: 'equals', value: cohort });
  const channelId = await userIdChannel(api, `${cohort} channel`, `${receiver.url}/${cohort}`);
  const requests = () => receiver.requests.filter((r) => r.url === `/${cohort}`);
  const survivor = spawnWorkerProcess(database, options.temporal, options.workerEnv);
  const victim = spawnWorkerProcess(database, options.temporal, options.workerEnv);
  try {
    const draft = await api.call('POST', '/api/campaigns', { name: cohort, segmentId: segment.id, channelId });
    expect((await api.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
    while (requests().length < users / 4) await new Promise((r) => setTimeout(r, 20));
    victim.kill('SIGKILL');
    await new Promise((r) => victim.once('exit', r));
    expect(requests().length).toBeLessThan(users);

    const done = await waitForCampaign(api, draft.body.id, undefined, options.timeoutMs ?? 120_000);
    expect(done.status).toBe('completed');
    expect(done.deliveries).toMatchObject({ total: users, succeeded: users, pending: 0 });
    await expectExactlyOnce(database, done.run.id, requests(), users);
  } finally {
    survivor.kill('SIGKILL');
    victim.kill('SIGKILL');
  }
}
