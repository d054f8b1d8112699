/**
 * `npm run histories:record`: records replay histories of today's workflow
 * code into workflows/histories/, from the scripted scenarios the workflow
 * tests run (activities are doubles: histories hold ids, times and counters
 * only). Record before changing workflow code that running workflows use;
 * workflows/replay.test.ts then proves the new code replays them.
 */
import { writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { resolveTemporalCli } from '../temporal/cli.js';
import { startDevServer } from '../temporal/dev-server.js';
import { freePort } from '../test/ports.js';
import { eventQueueScenario, eventRunScenario, eventTriggerScenario, pauseResumeScenario, recurringEndScenario, recurringFiringScenario, retentionScenario, type ActivityDoubles } from '../test/workflow-scenarios.js';
import { workflowsPath } from '../worker/create-worker.js';
import { workflowIds } from '../contracts/workflow-ids.js';

const label = process.argv[2] ?? 'epoch';
/** `npm run histories:record <label> [kind…]`: only these kinds (campaign, recurring, recurring-end, event, event-run, retention); all when none is named. */
const only = process.argv.slice(3);
const want = (kind: string) => only.length === 0 || only.includes(kind);

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startDevServer({ cli: await resolveTemporalCli({ log: console.log }), port: await freePort() });
  const connection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  try {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath });
    const save = async (file: string, id: string, runId?: string) => {
      const history = await client.workflow.getHandle(id, runId).fetchHistory();
      writeFileSync(new URL(`../workflows/histories/${file}`, import.meta.url), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
      console.log(`recorded workflows/histories/${file}`);
    };
    const withWorker = async <T>(doubles: ActivityDoubles, body: (taskQueue: string) => Promise<T>) => {
      const taskQueue = `record-histories-${Math.random().toString(36).slice(2)}`;
      const worker = await Worker.create({ connection, taskQueue, workflowBundle, activities: doubles });
      return worker.runUntil(body(taskQueue));
    };
    if (want('campaign')) {
      const workflowId = `campaign-00000000-0000-4000-8000-000000000001-once`;
      const outcome = await pauseResumeScenario(client, workflowId, async (doubles, body) => {
        const taskQueue = 'record-histories';
        const worker = await Worker.create({ connection, taskQueue, workflowBundle, activities: doubles });
        return worker.runUntil(body(taskQueue));
      });
      // The first execution holds the send time, the pause and resume Updates and the continue-as-new.
      await save(`campaign-${label}-pause-resume.json`, workflowId, outcome.handle.firstExecutionRunId);
      await save(`batch-${label}-paused.json`, workflowIds.batch(workflowId, 1, 1));
      await save(`batch-${label}-retry.json`, workflowIds.batch(workflowId, 2, 2));
    }
    if (want('recurring')) {
      const firingId = 'campaign-00000000-0000-4000-8000-000000000002-run-2026-11-29T01:00:00Z';
      await recurringFiringScenario(client, firingId, withWorker);
      await save(`recurring-${label}-firing.json`, firingId);
    }
    if (want('recurring-end')) {
      const endId = 'campaign-00000000-0000-4000-8000-000000000002-end';
      await recurringEndScenario(client, endId, withWorker);
      await save(`recurring-${label}-end.json`, endId);
    }
    if (want('event')) {
      const userWorkflowId = 'campaign-00000000-0000-4000-8000-000000000003-user-00000000-0000-4000-8000-000000000004';
      await eventTriggerScenario(client, userWorkflowId, withWorker);
      await save(`event-${label}-trigger.json`, userWorkflowId);
    }
    if (want('event-run')) {
      const queueRunId = 'campaign-00000000-0000-4000-8000-000000000006-events';
      await eventQueueScenario(client, queueRunId, withWorker);
      await save(`event-run-${label}-claims.json`, queueRunId);
      await save(`batch-${label}-event-retries.json`, workflowIds.retries(queueRunId, 1, 2));
      for (const end of ['expiry', 'cancel'] as const) {
        const eventRunId = `campaign-00000000-0000-4000-8000-000000000005-events-${end}`;
        await eventRunScenario(client, eventRunId, withWorker, end);
        await save(`event-run-${label}-${end}.json`, eventRunId);
      }
    }
    if (want('retention')) {
      // The maintenance pass's first execution: two steps, then continue-as-new with its progress.
      const retentionId = 'hookcast-maintenance-pass';
      const retention = await retentionScenario(client, retentionId, withWorker);
      await save(`retention-${label}-pass.json`, retentionId, retention.firstRunId);
    }
  } finally {
    await client.connection.close();
    await connection.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
