import { describe, expect, it } from 'vitest';
import { byOperator, campaignDoubles, campaignInput, pauseResumeScenario } from '../test/workflow-scenarios.js';
import { testId, timersStarted, until, useScriptedTemporal } from '../test/scripted-worker.js';
import { pauseUpdate, progressQuery, resumeUpdate } from './messages.js';

/* The run workflow with scripted activities: send time, pause before it, expiry, epochs across continue-as-new. */
const temporal = useScriptedTemporal();

describe('the run workflow', () => {
  it('waits for the send time on a durable timer before freezing the audience', async () => {
    const run = campaignDoubles({ total: 3 });
    await temporal.withWorker(run.doubles, async (taskQueue) => {
      // Far enough ahead that the workflow's first task runs before it, even on a loaded machine.
      const sendAt = Date.now() + 3000;
      const handle = await temporal.client.workflow.start('campaignWorkflow', { taskQueue, workflowId: testId('send-time'), args: [campaignInput({ sendAt: new Date(sendAt).toISOString() })] });
      await until(() => run.log.includes('freeze'), 15_000);
      expect(Date.now()).toBeGreaterThanOrEqual(sendAt);
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'completed', total: 3, batchesDone: 2 });
      // Two batches run at once (window 2): their order in the log is theirs to pick.
      expect([...run.log.slice(0, 2), ...run.log.slice(2, 4).sort(), run.log[4]]).toEqual(['status:running', 'freeze', 'batch:1-2', 'batch:3-3', 'finish:completed']);
      expect(await timersStarted(handle)).toBe(1);
    });
  });

  it('stays paused past its send time and starts only after the resume', async () => {
    const run = campaignDoubles({ total: 1 });
    await temporal.withWorker(run.doubles, async (taskQueue) => {
      const handle = await temporal.client.workflow.start('campaignWorkflow', {
        taskQueue,
        workflowId: testId('paused-early'),
        args: [campaignInput({ sendAt: new Date(Date.now() + 800).toISOString() })],
      });
      await expect(handle.executeUpdate(pauseUpdate, byOperator('pause', 0))).resolves.toMatchObject({ status: 'paused' });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(run.log).not.toContain('freeze');
      await expect(handle.executeUpdate(resumeUpdate, byOperator('resume', 1))).resolves.toMatchObject({ status: 'running' });
      await expect(handle.result()).resolves.toMatchObject({ status: 'completed' });
      expect(run.log).toEqual(['control:pause', 'control:run', 'status:running', 'freeze', 'batch:1-1', 'finish:completed']);
    });
  });

  it('refuses a resume of a run that is not paused (the Update validator, no activity)', async () => {
    const run = campaignDoubles({ total: 1 });
    await temporal.withWorker(run.doubles, async (taskQueue) => {
      const handle = await temporal.client.workflow.start('campaignWorkflow', {
        taskQueue,
        workflowId: testId('bad-resume'),
        args: [campaignInput({ sendAt: new Date(Date.now() + 60_000).toISOString() })],
      });
      await expect(handle.executeUpdate(resumeUpdate, byOperator('resume', 0))).rejects.toMatchObject({ cause: { message: 'cannot resume a scheduled campaign' } });
      expect(run.log).toEqual([]);
      await handle.terminate('test over');
    });
  });

  it('stops handing out batches at the expiry and closes the rest as expired', async () => {
    const run = campaignDoubles({ total: 6, batch: () => new Promise((resolve) => setTimeout(() => resolve({ retries: [], interrupted: null }), 4000)) });
    await temporal.withWorker(run.doubles, async (taskQueue) => {
      const now = Date.now();
      const handle = await temporal.client.workflow.start('campaignWorkflow', {
        taskQueue,
        workflowId: testId('expiry'),
        args: [campaignInput({ sendAt: new Date(now).toISOString(), expiresAt: new Date(now + 3000).toISOString(), batchSize: 2, window: 1 })],
      });
      await expect(handle.result()).resolves.toMatchObject({ status: 'completed', batchesDone: 1 });
      expect(run.log.filter((l) => l.startsWith('batch:'))).toEqual(['batch:1-2']);
      expect(run.log.slice(-2)).toEqual(['close:expired', 'finish:completed']);
    });
  });

  it('carries a pause across batches and continue-as-new by control epoch, retries a user, and completes', async () => {
    const workflowId = testId('pause-resume');
    const outcome = await pauseResumeScenario(temporal.client, workflowId, (doubles, body) => temporal.withWorker(doubles, body));
    expect(outcome.paused).toMatchObject({ status: 'paused' });
    expect(outcome.result).toMatchObject({ status: 'completed', total: 5, batchesDone: 5, continuedAsNew: 1 });
    expect(outcome.log.filter((l) => l.startsWith('batch:'))).toEqual(['batch:1-1', 'batch:1-1', 'batch:2-2', 'batch:3-3', 'batch:4-4', 'batch:5-5']);
    expect(outcome.log).toContain('retry:1');
    const progress = await outcome.handle.query(progressQuery).catch(() => null);
    expect(progress === null || progress.status === 'completed').toBe(true);
  });

  it('after completing, waits on a durable timer until its goal window closed, then stores the effect', async () => {
    const run = campaignDoubles({ total: 1 });
    const asked: number[] = [];
    let waitUntil = 0;
    run.doubles.finalizeEffect = async (input) => {
      asked.push(Date.now());
      run.log.push(`effect:${input.runId}`);
      if (asked.length > 1) return { stored: true };
      // The last window (plus the late-event grace) closes in 1.5 s.
      waitUntil = Date.now() + 1500;
      return { waitUntil: new Date(waitUntil).toISOString() };
    };
    await temporal.withWorker(run.doubles, async (taskQueue) => {
      const handle = await temporal.client.workflow.start('campaignWorkflow', { taskQueue, workflowId: testId('effect'), args: [campaignInput()] });
      await expect(handle.result()).resolves.toMatchObject({ status: 'completed' });
      expect(run.log.slice(-3)).toEqual(['finish:completed', 'effect:run', 'effect:run']);
      expect(asked[1]!).toBeGreaterThanOrEqual(waitUntil);
      expect(await timersStarted(handle)).toBe(1);
    });
  });
});
