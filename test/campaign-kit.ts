import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createApp } from '../api/app.js';
import { createCampaignService } from '../campaigns/store.js';
import { segments } from '../db/schema.js';
import { createLogger, type Logger } from '../lib/logger.js';
import type { TestDatabase } from './database.js';
import { jsonCaller } from './http.js';
import { workflowBundle, type TestTemporal } from './temporal.js';

/** The API wired to the test database and Temporal, with a small fan-out so tests exercise several batches. */
export function campaignApi(
  database: TestDatabase,
  temporal: Pick<TestTemporal, 'client' | 'taskQueue'>,
  fanOut = { batchSize: 5, window: 3, childrenPerExecution: 4 },
  logger: Logger = createLogger('test', 'silent'),
) {
  const service = createCampaignService({ db: database.db, temporal: temporal.client, taskQueue: temporal.taskQueue, fanOut });
  const app = createApp({
    db: database.db,
    logger,
    campaigns: { service, temporalUiUrl: 'http://localhost:8233', namespace: 'default' },
  });
  const call = jsonCaller(app);
  return { app, service, call };
}

export type CampaignApi = ReturnType<typeof campaignApi>;

/** Polls the campaign until `done` holds (or throws after `timeoutMs`). */
export async function waitForCampaign(
  api: CampaignApi,
  id: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  done: (campaign: any) => boolean = (c) => ['completed', 'cancelled', 'failed'].includes(c.status),
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api.call('GET', `/api/campaigns/${id}`);
    if (done(body)) return body;
    if (Date.now() > deadline) throw new Error(`campaign ${id} still ${body.status}: ${JSON.stringify(body.deliveries)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function insertSegment(database: TestDatabase, name: string, rule: unknown) {
  const [row] = await database.db
    .insert(segments)
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    .values({ name, rule: rule as any, timeZone: 'Asia/Shanghai' })
    .returning();
  return row!;
}

/** Runs whose trigger-kept status counts disagree with the rows themselves (should be none). */
export async function countMismatches(database: TestDatabase) {
  return database.db.execute(sql`
    SELECT run_id, status, c.n AS kept, g.n AS actual
    FROM run_status_counts c
    FULL JOIN (SELECT run_id, status, count(*) AS n FROM run_recipients GROUP BY run_id, status) g USING (run_id, status)
    WHERE coalesce(c.n, 0) <> coalesce(g.n, 0)`);
}

const workerEntry = fileURLToPath(new URL('../worker/main.ts', import.meta.url));

/**
 * A real worker process on the test file's task queue and database, for tests
 * that kill it, stop it, or run several.
 */
export function spawnWorkerProcess(
  database: TestDatabase,
  /** The suite's dev server (namespace `default`) or a PostgreSQL-backed one (test/temporal-pg.ts). */
  temporal: Pick<TestTemporal, 'address' | 'taskQueue'> & { namespace?: string },
  env: Record<string, string> = {},
  /** `pipe`: the caller reads the worker's stdout and stderr (its logs). */
  output: 'pipe' | 'default' = 'default',
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', workerEntry], {
    // The run's workflow bundle: a worker process would otherwise bundle the workflows again as it starts.
    env: { ...process.env, WORKFLOW_BUNDLE: workflowBundle().codePath, DATABASE_URL: database.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace ?? 'default', TEMPORAL_TASK_QUEUE: temporal.taskQueue, LOG_LEVEL: 'warn', ...env },
    stdio: output === 'pipe' ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'ignore', 'inherit'],
  });
}

/** A signed channel that sends each user's login id as `userid`; answers its id. */
export async function userIdChannel(api: CampaignApi, name: string, url: string, extra: Record<string, unknown> = {}): Promise<string> {
  const channel = await api.call('POST', '/api/channels', {
    name,
    url,
    auth: { type: 'secret' },
    userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
    ...extra,
  });
  if (channel.status !== 201) throw new Error(`channel not created: ${JSON.stringify(channel.body)}`);
  return channel.body.id as string;
}
