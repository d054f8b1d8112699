import { describe, expect, it } from 'vitest';
import { campaigns } from '../db/schema.js';
import { attemptOutcomes, campaignStatuses, deliveryStatuses, runControls, runStatuses, runTriggers } from '../contracts/statuses.js';
import { useTestDatabase } from '../test/database.js';
import { activeRun, createRun, finishRun, listRuns, recordRunStatus, setRunControl } from './store.js';

const database = useTestDatabase();

async function campaign(trigger: 'once' | 'recurring' = 'once') {
  const [row] = await database.db
    .insert(campaigns)
    .values({ name: 'runs', status: 'scheduled', trigger: { type: trigger } as never, definition: { campaignName: 'frozen' } as never })
    .returning();
  return row!;
}

const at = new Date('2026-11-29T01:00:00Z');

describe('status words', () => {
  it('are the lists the database enforces, one CHECK per status column', async () => {
    const rows = await database.sql<{ name: string; def: string }[]>`
      SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'c' AND conname LIKE '%_check'`;
    const allowed = (name: string) => {
      const def = rows.find((r) => r.name === name)?.def ?? '';
      return [...def.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
    };
    expect(allowed('campaigns_status_check')).toEqual([...campaignStatuses].sort());
    expect(allowed('campaign_runs_status_check')).toEqual([...runStatuses].sort());
    expect(allowed('campaign_runs_trigger_check')).toEqual([...runTriggers].sort());
    expect(allowed('campaign_runs_control_check')).toEqual([...runControls].sort());
    expect(allowed('run_recipients_status_check')).toEqual([...deliveryStatuses].sort());
    expect(allowed('run_status_counts_status_check')).toEqual([...deliveryStatuses].sort());
    expect(allowed('delivery_attempts_outcome_check')).toEqual([...attemptOutcomes].sort());
  });

  it('refuses a word outside the list', async () => {
    const row = await campaign();
    await expect(database.sql`UPDATE campaigns SET status = 'sending' WHERE id = ${row.id}`).rejects.toThrow(/campaigns_status_check/);
  });
});

describe('runs', () => {
  it('opens a run once per workflow id, copying the launch-time definition, and makes it current', async () => {
    const row = await campaign('recurring');
    const input = { campaignId: row.id, workflowId: `wf-${row.id}-1`, trigger: 'schedule' as const, scheduledAt: at, sendAt: at, expiresAt: null };
    const first = await createRun(database.db, input);
    const again = await createRun(database.db, input);
    expect(again.id).toBe(first.id);
    expect(first.definition).toEqual({ campaignName: 'frozen' });
    expect(first).toMatchObject({ status: 'scheduled', trigger: 'schedule', scheduledAt: at });
    const [current] = await database.sql`SELECT current_run_id FROM campaigns WHERE id = ${row.id}`;
    expect(current!.current_run_id).toBe(first.id);

    // A firing that only records itself (skipped) does not become the current run.
    await createRun(database.db, { ...input, workflowId: `wf-${row.id}-2`, status: 'skipped', reason: 'previous run still sending' });
    const [still] = await database.sql`SELECT current_run_id FROM campaigns WHERE id = ${row.id}`;
    expect(still!.current_run_id).toBe(first.id);
  });

  it('lists runs newest first in keyset pages', async () => {
    const row = await campaign('recurring');
    for (let i = 0; i < 5; i += 1) {
      await createRun(database.db, { campaignId: row.id, workflowId: `page-${row.id}-${i}`, trigger: 'manual', sendAt: at, expiresAt: null });
    }
    const first = await listRuns(database.db, row.id, { limit: '2' });
    const second = await listRuns(database.db, row.id, { limit: '2', cursor: first.nextCursor! });
    const third = await listRuns(database.db, row.id, { limit: '2', cursor: second.nextCursor! });
    const ids = [...first.items, ...second.items, ...third.items].map((r) => r.workflowId);
    expect(ids).toEqual([4, 3, 2, 1, 0].map((i) => `page-${row.id}-${i}`));
    expect(third.nextCursor).toBeNull();
    await expect(listRuns(database.db, row.id, { cursor: 'nope' })).rejects.toMatchObject({ status: 400 });
  });

  it('bumps the control epoch on every change and shows the status on the campaign', async () => {
    const row = await campaign();
    const run = await createRun(database.db, { campaignId: row.id, workflowId: `ctl-${row.id}`, trigger: 'once', sendAt: at, expiresAt: null });
    await recordRunStatus(database.db, { runId: run.id, status: 'running' });
    const e1 = await setRunControl(database.db, { runId: run.id, control: 'pause', status: 'paused' });
    const e2 = await setRunControl(database.db, { runId: run.id, control: 'run', status: 'running' });
    expect(e2).toBe(e1 + 1);
    expect((await activeRun(database.db, row.id))?.status).toBe('running');
    await finishRun(database.db, { runId: run.id, status: 'completed' });
    expect(await activeRun(database.db, row.id)).toBeUndefined();
    const [after] = await database.sql`SELECT status, finished_at FROM campaigns WHERE id = ${row.id}`;
    expect(after!.status).toBe('completed');
    expect(after!.finished_at).not.toBeNull();
  });

  it('puts a campaign with many runs back to scheduled when one run ends', async () => {
    const row = await campaign('recurring');
    const run = await createRun(database.db, { campaignId: row.id, workflowId: `many-${row.id}`, trigger: 'schedule', sendAt: at, expiresAt: null });
    await recordRunStatus(database.db, { runId: run.id, status: 'running' });
    expect((await database.sql`SELECT status FROM campaigns WHERE id = ${row.id}`)[0]!.status).toBe('running');
    await finishRun(database.db, { runId: run.id, status: 'completed' });
    const [after] = await database.sql`SELECT status, finished_at FROM campaigns WHERE id = ${row.id}`;
    expect(after).toMatchObject({ status: 'scheduled', finished_at: null });
  });
});
