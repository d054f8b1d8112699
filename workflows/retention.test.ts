import { describe, expect, it } from 'vitest';
import { retentionScenario } from '../test/workflow-scenarios.js';
import { useScriptedTemporal } from '../test/scripted-worker.js';

/*
 * The maintenance workflow with its one activity replaced by a double: the
 * order of stages, a `keep` setting skipped, cursors handed from step to
 * step, cutoffs fixed at the start of the pass and kept across continue-as-new.
 */
const temporal = useScriptedTemporal();
const DAY = 24 * 60 * 60 * 1000;

describe('retentionWorkflow', () => {
  it('takes each stage in bounded steps, skips `keep`, and keeps its cutoffs across continue-as-new', async () => {
    const started = Date.now();
    const workflowId = `retention-${Math.random().toString(36).slice(2)}`;
    const { asked, result } = await retentionScenario(temporal.client, workflowId, (doubles, body) => temporal.withWorker(doubles, body));
    expect(asked.map((s) => s.stage)).toEqual(['deliveries', 'deliveries', 'deliveries', 'events', 'events']);
    expect(asked.every((s) => s.limit === 5)).toBe(true);
    // Each step goes on from the cursor the previous one answered; a new stage starts from nothing.
    expect(asked.map((s) => s.cursor)).toEqual([{}, { runId: 'r1', afterSeq: 5 }, { runId: 'r2', afterSeq: 0 }, {}, { afterId: 5 }]);
    // One cutoff per stage for the whole pass, however many executions it took.
    expect(new Set(asked.filter((s) => s.stage === 'deliveries').map((s) => s.cutoff)).size).toBe(1);
    expect(new Set(asked.filter((s) => s.stage === 'events').map((s) => s.cutoff)).size).toBe(1);
    const deliveriesCutoff = Date.parse(asked[0]!.cutoff);
    expect(Math.abs(deliveriesCutoff - (started - 395 * DAY))).toBeLessThan(60_000);
    expect(Math.abs(Date.parse(asked[3]!.cutoff) - (started - 30 * DAY))).toBeLessThan(60_000);
    expect(result).toEqual({ cutoffs: { responseBodies: null, deliveries: asked[0]!.cutoff, events: asked[3]!.cutoff }, changed: { responseBodies: 0, deliveries: 11, events: 6 }, steps: 5 });
    // Five steps at two per execution: the pass continued as new twice.
    let executions = 0;
    for (let tries = 0; tries < 100 && executions < 3; tries += 1) {
      executions = 0;
      for await (const _ of temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) executions += 1;
      if (executions < 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(executions).toBe(3);
  });
});
