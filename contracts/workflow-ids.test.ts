import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventTriggerPairPrefix, workflowIds } from './workflow-ids.js';

const c = '0b7c3a52-5f0e-4c55-9d4e-2f1b7a3c9e10';

describe('workflow and schedule ids', () => {
  it('stay byte-identical to what running workflows and recorded histories use', () => {
    expect(workflowIds.schedule(c)).toBe(`campaign-${c}`);
    expect(workflowIds.firingPrefix(c)).toBe(`campaign-${c}`);
    expect(workflowIds.onceRun(c)).toBe(`campaign-${c}-once`);
    expect(workflowIds.eventsRun(c)).toBe(`campaign-${c}-events`);
    expect(workflowIds.recurringEnd(c)).toBe(`campaign-${c}-end`);
    expect(workflowIds.eventTriggerPair(c, 'u-1')).toBe(`campaign-${c}-user-u-1`);
    expect(eventTriggerPairPrefix(c)).toBe(`campaign-${c}-user-`);
    expect(workflowIds.batch(`campaign-${c}-once`, 0, 1999)).toBe(`campaign-${c}-once-batch-0-1999`);
    expect(workflowIds.retries(`campaign-${c}-events`, 5, 9)).toBe(`campaign-${c}-events-retry-5-9`);
  });

  it('are built in contracts/workflow-ids.ts only', () => {
    const root = join(import.meta.dirname, '..');
    const skip = new Set(['node_modules', '.data', 'dist', 'console', '.git', 'histories']);
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        if (skip.has(name) || name.startsWith('dist.')) return [];
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return walk(path);
        return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
      });
    // A template that starts an id with `campaign-…` (not a recorded history's file name) or appends a child's part.
    const builds = /`campaign-\$\{(?![^`]*\.json`)|\}-(batch|retry|user|once|events|end)\b(?![^`]*\.json`)/;
    const builders = walk(root)
      .filter((path) => builds.test(readFileSync(path, 'utf8')))
      .map((path) => relative(root, path));
    expect(builders).toEqual(['contracts/workflow-ids.ts']);
  });
});
