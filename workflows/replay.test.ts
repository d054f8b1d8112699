import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import * as workflows from './index.js';
import { workflowBundle } from '../test/temporal.js';

/*
 * Histories recorded from earlier versions of the workflow code (see
 * workflows/histories/README.md). Running workflows continue on the new code
 * after a deploy, so the new code must replay what the old code recorded
 * without a non-determinism error; `patched()` is how a change keeps that true.
 */
const folder = new URL('./histories/', import.meta.url);
const recorded = readdirSync(folder).filter((f) => f.endsWith('.json'));

/**
 * The recorded run's workflow id (a campaign run names its batches, and an
 * event run its retry batches, after it, so replay must use the same id): read
 * back from the first child it started.
 */
function workflowIdOf(history: unknown): string {
  const text = JSON.stringify(history);
  const child = /"workflowId":"([^"]+)-(?:batch|retry)-\d+-\d+"/.exec(text);
  return child?.[1] ?? 'replayed-batch';
}

/** The workflow type a recorded history ran (its first event starts it). */
function workflowTypeOf(history: unknown): string | undefined {
  const events = (history as { events?: { workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }[] }).events;
  return events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
}

describe('replay of recorded histories', () => {
  it('has a recorded history for every workflow type the worker registers', () => {
    const types = new Set(recorded.map((file) => workflowTypeOf(JSON.parse(readFileSync(new URL(file, folder), 'utf8')))));
    // A workflow type without one could change under running workflows with nothing to catch it: record one (npm run histories:record).
    const unrecorded = Object.keys(workflows).filter((name) => !types.has(name));
    expect(unrecorded).toEqual([]);
    expect(Object.keys(workflows).length).toBeGreaterThan(0);
  });

  it('replays every recorded history on the current workflow code', async () => {
    expect(recorded.length).toBeGreaterThan(0);
    // The run's bundle of the current workflow code (test/global-setup.ts).
    const bundle = workflowBundle();
    for (const file of recorded) {
      const history = JSON.parse(readFileSync(new URL(file, folder), 'utf8')) as unknown;
      await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowIdOf(history)), file).resolves.toBeUndefined();
    }
  }, 120_000);
});
