import { describe, expect, it } from 'vitest';
import { useScriptedTemporal } from '../test/scripted-worker.js';
import { ensureMaintenanceSchedule } from './schedule.js';

/*
 * The maintenance Schedule on the suite's dev server: created once, updated
 * (not duplicated) by each later worker start with that worker's settings,
 * and a triggered firing runs the maintenance workflow with them.
 */
const temporal = useScriptedTemporal();

describe('ensureMaintenanceSchedule', () => {
  it('creates the daily schedule, then updates it to the latest settings; a firing runs the pass with them', async () => {
    const scheduleId = `maintenance-${Math.random().toString(36).slice(2)}`;
    const handle = temporal.client.schedule.getHandle(scheduleId);
    try {
      await ensureMaintenanceSchedule(temporal.client, { scheduleId, taskQueue: 'first', days: { events: 395, deliveries: 395, responseBodies: 30 } });
      const created = await handle.describe();
      expect(created.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 19, end: 19, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });
      expect(created.action).toMatchObject({ workflowType: 'retentionWorkflow', taskQueue: 'first', args: [{ days: { events: 395, deliveries: 395, responseBodies: 30 } }] });

      const asked: { stage: string }[] = [];
      await temporal.withWorker({ applyRetention: async (step) => (asked.push(step), { changed: 0, cursor: {}, done: true }) }, async (taskQueue) => {
        await ensureMaintenanceSchedule(temporal.client, { scheduleId, taskQueue, days: { events: 30, deliveries: null, responseBodies: null } });
        const updated = await handle.describe();
        expect(updated.action).toMatchObject({ taskQueue, args: [{ days: { events: 30, deliveries: null, responseBodies: null } }] });
        await handle.trigger();
        const deadline = Date.now() + 20_000;
        while (asked.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        const result = await temporal.client.workflow.getHandle(`${scheduleId}-pass`).result().catch(async () => {
          // The firing's workflow id carries the firing time: find it through the schedule.
          const recent = (await handle.describe()).info.recentActions[0]!;
          return temporal.client.workflow.getHandle(recent.action.workflow.workflowId).result();
        });
        expect(result).toMatchObject({ changed: { events: 0, deliveries: 0, responseBodies: 0 }, steps: 1 });
      });
      expect(asked.map((s) => s.stage)).toEqual(['events']);
    } finally {
      await handle.delete().catch(() => {});
    }
  });
});
