import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { RetentionInput } from '../workflows/retention.js';
import type * as workflows from '../workflows/index.js';

/** The one maintenance Schedule of a namespace, visible in the Temporal UI under this id. */
export const MAINTENANCE_SCHEDULE_ID = 'hookcast-maintenance';
const WORKFLOW: keyof typeof workflows = 'retentionWorkflow';

/**
 * Creates the daily maintenance Schedule, or updates it to the given
 * settings and task queue: every worker start writes its configuration, so
 * a changed EVENT_RETENTION_DAYS applies from the next firing. Daily at
 * 19:30 UTC (03:30 in China, a quiet hour); overlapping passes are skipped.
 *
 * @example
 * await ensureMaintenanceSchedule(client, { taskQueue: 'hookcast', days: { events: 395, deliveries: 395, responseBodies: 30 } });
 */
export async function ensureMaintenanceSchedule(client: Client, options: { taskQueue: string; days: RetentionInput['days']; batchSize?: number; scheduleId?: string }): Promise<void> {
  const input: RetentionInput = { days: options.days, ...(options.batchSize ? { batchSize: options.batchSize } : {}) };
  const scheduleId = options.scheduleId ?? MAINTENANCE_SCHEDULE_ID;
  const action = { type: 'startWorkflow' as const, workflowType: WORKFLOW, workflowId: `${scheduleId}-pass`, taskQueue: options.taskQueue, args: [input] };
  try {
    await client.schedule.create({
      scheduleId,
      spec: { calendars: [{ hour: 19, minute: 30 }] },
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      state: { note: 'retention (docs/privacy.md), created by a hookcast worker' },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, action }));
  }
}
