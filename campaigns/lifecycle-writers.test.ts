import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * One writer of each status column: campaigns.status only in
 * campaigns/lifecycle.ts (so every write passes its table), campaign_runs.status
 * only in runs/store.ts. Grep-based on purpose: it catches Drizzle
 * (`.update(campaigns).set({ status … })`, `.insert(campaigns)` with a status)
 * and raw SQL (`UPDATE campaigns … SET … status =`). Tests may set any status
 * to build a situation, and so may the fixtures that seed data for tests and
 * benchmarks (test/, bench/).
 */
const root = join(import.meta.dirname, '..');
const skip = new Set(['node_modules', '.data', 'dist', 'console', '.git', 'migrations', 'histories', 'test', 'bench']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (skip.has(name) || name.startsWith('dist.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Files that write the `status` column of `table` (Drizzle name and SQL name). */
export function statusWriters(files: { path: string; text: string }[], drizzleName: string, sqlName: string): string[] {
  const drizzle = new RegExp(`\\.(update|insert)\\(${drizzleName}\\)([^;]*)`, 'g');
  const raw = new RegExp(`(UPDATE|INSERT INTO)\\s+${sqlName}\\b([^\`;]*)`, 'gi');
  return files
    .filter(({ text }) => {
      for (const m of text.matchAll(drizzle)) if (/[{,\s]status\s*[:,}]/.test(m[2]!)) return true;
      for (const m of text.matchAll(raw)) {
        const head = m[1]!.toUpperCase() === 'UPDATE' ? m[2]!.split(/\bWHERE\b/i)[0]! : m[2]!;
        if (/(SET|,|\()\s*status\b/i.test(head)) return true;
      }
      return false;
    })
    .map(({ path }) => path);
}

const files = sources(root).map((path) => ({ path: relative(root, path), text: readFileSync(path, 'utf8') }));

describe('status writers', () => {
  it('only campaigns/lifecycle.ts writes a campaign status', () => {
    expect(statusWriters(files, 'campaigns', 'campaigns')).toEqual(['campaigns/lifecycle.ts']);
  });

  it('only runs/store.ts writes a run status', () => {
    expect(statusWriters(files, 'campaignRuns', 'campaign_runs')).toEqual(['runs/store.ts']);
  });

  it('catches each way of writing one', () => {
    const found = (text: string) => statusWriters([{ path: 'x.ts', text }], 'campaigns', 'campaigns');
    expect(found(`await db.update(campaigns).set({ status: 'paused' }).where(x);`)).toEqual(['x.ts']);
    expect(found(`await db.update(campaigns).set({ ...columns, status }).where(x);`)).toEqual(['x.ts']);
    expect(found(`await db.insert(campaigns).values({ name, status: 'running' });`)).toEqual(['x.ts']);
    expect(found('await db.execute(sql`UPDATE campaigns SET pause_reason = null, status = \'paused\' WHERE id = 1`);')).toEqual(['x.ts']);
    expect(found('await db.execute(sql`INSERT INTO campaigns (name, status) VALUES (1, 2)`);')).toEqual(['x.ts']);
    // Reading or filtering by status is not writing it.
    expect(found(`await db.update(campaigns).set({ pauseReason: null }).where(eq(campaigns.status, 'running'));`)).toEqual([]);
    expect(found('await db.execute(sql`UPDATE campaigns c SET pause_reason = 1 WHERE c.status = \'running\'`);')).toEqual([]);
  });
});
