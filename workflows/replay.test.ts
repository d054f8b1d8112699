import { readdirSync, readFileSync } from 'node:fs';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowsPath } from '../worker/create-worker.js';

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

describe('replay of recorded histories', () => {
  it('replays every recorded history on the current workflow code', async () => {
    expect(recorded.length).toBeGreaterThan(0);
    const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
    for (const file of recorded) {
      const history = JSON.parse(readFileSync(new URL(file, folder), 'utf8')) as unknown;
      await expect(Worker.runReplayHistory({ workflowBundle }, history, workflowIdOf(history)), file).resolves.toBeUndefined();
    }
  }, 120_000);
});
