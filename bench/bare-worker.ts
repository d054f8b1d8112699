/**
 * The worker of `npm run bench:trigger`'s bare baseline, as its own process
 * like hookcast's worker: runs `bareSendWorkflow`, whose one activity POSTs the
 * same JSON body a triggered send carries. Env: TEMPORAL_ADDRESS, TASK_QUEUE.
 */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Agent, request } from 'undici';

Runtime.install({ logger: new DefaultLogger('WARN') });
const dispatcher = new Agent({ connections: 64 });

async function main() {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.TASK_QUEUE!,
    workflowsPath: fileURLToPath(new URL('./bare-workflow.ts', import.meta.url)),
    activities: {
      async bareSend(input: { url: string; userid: string }) {
        const res = await request(input.url, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userid: input.userid, amount: 100 }),
        });
        await res.body.dump();
        return res.statusCode;
      },
    },
  });
  process.send?.('ready');
  process.on('SIGTERM', () => worker.shutdown());
  await worker.run();
  await connection.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
