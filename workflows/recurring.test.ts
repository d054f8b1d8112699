import { ScheduleOverlapPolicy } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { OpenedFiring } from '../activities/recurring.js';
import { useScriptedTemporal, type ActivityDoubles } from '../test/scripted-worker.js';
import { recurringEndScenario } from '../test/workflow-scenarios.js';
import type { FiringInput } from './inputs.js';

/*
 * Workflow-level tests of a recurring firing on the suite's dev server, with
 * its activities replaced by recording doubles: what the workflow does with
 * the opening activity's answer, not what the activities do.
 */
const temporal = useScriptedTemporal();

type Call = [string, Record<string, unknown>];

async function withDoubles(opened: OpenedFiring, body: (taskQueue: string, calls: Call[]) => Promise<void>) {
  const calls: Call[] = [];
  const record =
    <T>(name: string, answer: T) =>
    async (input: Record<string, unknown>) => {
      calls.push([name, input]);
      return answer;
    };
  const doubles: ActivityDoubles = {
    openFiring: record('openFiring', opened),
    settleRecurringCampaign: record('settleRecurringCampaign', 'live'),
    recordCampaignStatus: record('recordCampaignStatus', undefined),
    freezeAudience: record('freezeAudience', { total: 0, skipped: 0 }),
    finishRun: record('finishRun', undefined),
    setRunControl: record('setRunControl', 1),
    closeRecipients: record('closeRecipients', 0),
    finalizeEffect: record('finalizeEffect', { stored: false }),
  };
  await temporal.withWorker(doubles, (taskQueue) => body(taskQueue, calls));
}

const input: FiringInput = { campaignId: 'c1', batchSize: 10, window: 2, childrenPerExecution: 4 };

describe('recurringFiringWorkflow', () => {
  it('ends at once for a skipped firing, recording nothing more than the opening did', async () => {
    await withDoubles({ status: 'skipped', runId: 'run-skipped' }, async (taskQueue, calls) => {
      const result = await temporal.client.workflow.execute('recurringFiringWorkflow', { taskQueue, workflowId: `firing-${taskQueue}`, args: [input] });
      expect(result).toEqual({ status: 'skipped', runId: 'run-skipped' });
      expect(calls.map(([name]) => name)).toEqual(['openFiring', 'settleRecurringCampaign']);
    });
  });

  it('runs the opened run under its own id, then settles the campaign', async () => {
    const sendAt = new Date(Date.now() - 1000).toISOString();
    await withDoubles({ status: 'open', runId: 'run-1', sendAt, expiresAt: null }, async (taskQueue, calls) => {
      const workflowId = `firing-${taskQueue}`;
      const result = await temporal.client.workflow.execute('recurringFiringWorkflow', { taskQueue, workflowId, args: [input] });
      expect(result).toMatchObject({ status: 'completed', total: 0 });
      expect(calls[0]).toEqual(['openFiring', { campaignId: 'c1', workflowId, scheduledAt: expect.any(String) }]);
      expect(calls.find(([name]) => name === 'freezeAudience')![1]).toEqual({ runId: 'run-1' });
      expect(calls.find(([name]) => name === 'finishRun')![1]).toMatchObject({ runId: 'run-1', status: 'completed' });
      // The campaign is settled before the run waits for its goal window (here: no goal, one look).
      expect(calls.slice(-2)).toEqual([
        ['settleRecurringCampaign', { campaignId: 'c1' }],
        ['finalizeEffect', { runId: 'run-1' }],
      ]);
    });
  });

  it("hands the opening activity the firing's nominal time from Temporal, not the time it ran", async () => {
    await withDoubles({ status: 'missed', runId: 'run-missed' }, async (taskQueue, calls) => {
      const nominal = new Date(Math.floor((Date.now() - 3 * 3_600_000) / 60_000) * 60_000);
      const scheduleId = `firing-schedule-${taskQueue}`;
      const schedule = await temporal.client.schedule.create({
        scheduleId,
        spec: { cronExpressions: [`${nominal.getUTCMinutes()} ${nominal.getUTCHours()} * * *`] },
        action: { type: 'startWorkflow', workflowType: 'recurringFiringWorkflow', workflowId: `firing-${taskQueue}`, taskQueue, args: [input] },
        policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
      });
      try {
        await schedule.backfill({ start: new Date(nominal.getTime() - 30_000), end: new Date(nominal.getTime() + 30_000) });
        const deadline = Date.now() + 20_000;
        while (!calls.some(([name]) => name === 'settleRecurringCampaign') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        const opening = calls.find(([name]) => name === 'openFiring')![1];
        expect(opening.scheduledAt).toBe(nominal.toISOString());
        expect(opening.workflowId).toBe(`firing-${taskQueue}-${nominal.toISOString().replace('.000Z', 'Z')}`);
      } finally {
        await schedule.delete();
      }
    });
  });
});

describe('recurringEndWorkflow', () => {
  it('waits on a durable timer until endAt, then settles the campaign once', async () => {
    const workflowId = `campaign-end-${Math.random().toString(36).slice(2)}`;
    const { handle, log, endAt } = await recurringEndScenario(temporal.client, workflowId, temporal.withWorker);
    expect(log).toEqual(['settle:campaign']);
    const events = (await handle.fetchHistory()).events ?? [];
    // A durable timer, fired before the settling: not a poll, not an early settle.
    const fired = events.findIndex((e) => e.timerFiredEventAttributes);
    const settled = events.findIndex((e) => e.activityTaskScheduledEventAttributes || e.markerRecordedEventAttributes);
    expect(fired).toBeGreaterThan(0);
    expect(settled).toBeGreaterThan(fired);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(endAt));
  });
});
