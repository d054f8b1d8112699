import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { RecordedTrigger } from '../activities/event-trigger.js';
import { useScriptedWorker } from '../test/scripted-worker.js';
import type { RetryOutcome } from './inputs.js';
import {
  eventTriggerWorkflow,
  eventTriggerWorkflowId,
  triggerEventsSignal,
  triggerStateQuery,
  type EventTriggerInput,
  type EventTriggerPlan,
  type TriggerEvent,
} from './event-trigger.js';

/*
 * The per-user workflow on the suite's dev server with test-double activities:
 * durations are passed in (seconds, not days), so the counting window, the
 * delay, the cap and continue-as-new are exercised for real in seconds.
 */

type RecordInput = { campaignId: string; runId: string; userId: string; eventId: number; deliveryKey: string };
const recorded = new Map<string, (RecordInput & { at: number })[]>();
const delivered = new Map<string, number>();
/** What recordTriggeredDelivery answers per user: a queue of statuses, then 'pending'. */
const scripted = new Map<string, RecordedTrigger['status'][]>();
/** What deliverOne answers per user: a queue, then 'succeeded'. */
const deliverScript = new Map<string, RetryOutcome[]>();
const runOfSeq = new Map<number, string>();
let nextSeq = 1;

const fakeActivities = {
  async recordTriggeredDelivery(input: RecordInput): Promise<RecordedTrigger> {
    recorded.set(input.userId, [...(recorded.get(input.userId) ?? []), { ...input, at: Date.now() }]);
    const status = scripted.get(input.userId)?.shift() ?? 'pending';
    if (status === 'closed') return { status };
    const seq = nextSeq++;
    runOfSeq.set(seq, input.userId);
    return { status, seq };
  },
  async deliverOne(input: { runId: string; seq: number }) {
    const userId = runOfSeq.get(input.seq)!;
    delivered.set(userId, (delivered.get(userId) ?? 0) + 1);
    return deliverScript.get(userId)?.shift() ?? 'succeeded';
  },
  // As the real one: the record, then (when it is ours to send) the first attempt.
  async deliverTriggered(input: RecordInput) {
    const recordedNow = await fakeActivities.recordTriggeredDelivery(input);
    if (recordedNow.status !== 'pending') return recordedNow;
    return { ...recordedNow, outcome: await fakeActivities.deliverOne({ runId: input.runId, seq: recordedNow.seq }) };
  },
};

const temporal = useScriptedWorker(fakeActivities);
const { taskQueue } = temporal;

const campaignId = randomUUID();
const runId = randomUUID();
let eventIds = 1;

function plan(overrides: Partial<EventTriggerPlan> = {}): EventTriggerPlan {
  return { times: 1, withinMs: null, delayMs: 0, atMostEveryMs: null, ...overrides };
}

/** What the relay does: signalWithStart with the production policies. */
function relay(userId: string, p: EventTriggerPlan, events: TriggerEvent[], extra: Partial<EventTriggerInput> = {}) {
  return temporal.client.workflow.signalWithStart(eventTriggerWorkflow, {
    workflowId: eventTriggerWorkflowId(campaignId, userId),
    taskQueue,
    args: [{ campaignId, runId, userId, plan: p, ...extra }],
    signal: triggerEventsSignal,
    signalArgs: [events],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: p.atMostEveryMs === null ? WorkflowIdReusePolicy.REJECT_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
}

function event(at = Date.now()): TriggerEvent {
  return { id: eventIds++, at };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(50);
  }
}

describe('eventTriggerWorkflow', () => {
  it('sends once after the delay; a later start for the pair is refused by the server', async () => {
    const user = randomUUID();
    const first = event();
    const started = Date.now();
    const handle = await relay(user, plan({ delayMs: 1500 }), [first]);
    await relay(user, plan({ delayMs: 1500 }), [event()]);
    expect(await handle.result()).toBe('sent');
    const records = recorded.get(user)!;
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ eventId: first.id, deliveryKey: 'once', campaignId, runId });
    expect(records[0]!.at - started).toBeGreaterThanOrEqual(1400);
    expect(delivered.get(user)).toBe(1);
    await expect(relay(user, plan({ delayMs: 1500 }), [event()])).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect(recorded.get(user)).toHaveLength(1);
  });

  it('fires on the event that completes `times` within the window, not on events spread wider', async () => {
    const user = randomUUID();
    const p = plan({ times: 3, withinMs: 2000 });
    const now = Date.now();
    // Three events, but 1.9 s + 1.9 s apart: no two-second span holds three.
    const handle = await relay(user, p, [event(now - 3800), event(now - 1900), event(now)]);
    await sleep(500);
    expect(recorded.get(user)).toBeUndefined();
    let state = await handle.query(triggerStateQuery);
    // The oldest fell out of the window; the one 1.9 s old too if the workflow ran 0.1 s late.
    expect(state.counted.map((e) => e.at)).toContain(now);
    expect(state.counted.length).toBeLessThanOrEqual(2);
    // Two more: the last three (now, +δ, +δ) fit two seconds; the one that completes them is the cause.
    const [third, fourth] = [event(), event()];
    await relay(user, p, [third!, fourth!]);
    await until(() => (recorded.get(user)?.length ?? 0) === 1);
    expect(recorded.get(user)![0]!.eventId).toBe(fourth!.id);
    expect(await handle.result()).toBe('sent');
    state = await handle.query(triggerStateQuery);
    expect(state.sends).toBe(1);
  });

  it('counts an event handed over twice once (a relay that died between signal and delete)', async () => {
    const user = randomUUID();
    const p = plan({ times: 2, withinMs: 60_000 });
    const once = event();
    const handle = await relay(user, p, [once]);
    await relay(user, p, [once]);
    await sleep(500);
    expect(recorded.get(user)).toBeUndefined();
    expect((await handle.query(triggerStateQuery)).counted).toHaveLength(1);
    await relay(user, p, [event()]);
    expect(await handle.result()).toBe('sent');
    expect(recorded.get(user)).toHaveLength(1);
  });

  it('under atMostEvery sends again only after the cap period, keyed by the causing event, then closes when idle', async () => {
    const user = randomUUID();
    const p = plan({ atMostEveryMs: 2500 });
    const first = event();
    const handle = await relay(user, p, [first]);
    await until(() => delivered.get(user) === 1);
    // Inside the cap period: counted, fired, but not sent.
    await relay(user, p, [event()]);
    await sleep(700);
    expect(recorded.get(user)).toHaveLength(1);
    // The cap runs from the send as the workflow saw it end (later than the record under load).
    const { lastSentAt } = await temporal.client.workflow.getHandle(handle.workflowId).query(triggerStateQuery);
    await sleep(Math.max(0, lastSentAt! + 2700 - Date.now()));
    const later = event();
    await relay(user, p, [later]);
    await until(() => delivered.get(user) === 2);
    expect(recorded.get(user)!.map((r) => r.deliveryKey)).toEqual([`event:${first.id}`, `event:${later.id}`]);
    // Nothing counted and the cap period over: the execution ends; a later event starts a fresh one.
    const second = temporal.client.workflow.getHandle(handle.workflowId);
    expect(await second.result()).toBe('idle');
    await relay(user, p, [event()]);
    await until(() => delivered.get(user) === 3);
  });

  it('a skip (not in the segment at send time) does not use up `once`', async () => {
    const user = randomUUID();
    scripted.set(user, ['skipped']);
    const handle = await relay(user, plan(), [event()]);
    await until(() => recorded.get(user)?.length === 1);
    await sleep(300);
    expect(delivered.get(user)).toBeUndefined();
    expect((await handle.query(triggerStateQuery)).skips).toBe(1);
    await relay(user, plan(), [event()]);
    expect(await handle.result()).toBe('sent');
    expect(delivered.get(user)).toBe(1);
  });

  it('a send due while the campaign is paused waits on a timer and goes out once it is resumed', async () => {
    const user = randomUUID();
    // What deliverOne answers for a paused run: the control epoch of the pause.
    deliverScript.set(user, [{ paused: 4 }, { paused: 4 }]);
    const handle = await relay(user, plan(), [event()], { pauseRecheckMs: 300 });
    expect(await handle.result()).toBe('sent');
    expect(delivered.get(user)).toBe(3);
    expect(recorded.get(user)).toHaveLength(1);
  });

  it('a send that falls into quiet hours waits for the window to end, then goes out', async () => {
    const user = randomUUID();
    const started = Date.now();
    deliverScript.set(user, [{ quietUntil: new Date(started + 1500).toISOString() }]);
    const handle = await relay(user, plan(), [event()]);
    expect(await handle.result()).toBe('sent');
    expect(delivered.get(user)).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  it('an event that arrives while a send waits for its delay does not add a second send', async () => {
    const user = randomUUID();
    const p = plan({ delayMs: 1000, atMostEveryMs: 100 });
    await relay(user, p, [event()]);
    await sleep(200);
    await relay(user, p, [event()]);
    await until(() => delivered.get(user) === 1);
    await sleep(1200);
    expect(recorded.get(user)).toHaveLength(1);
  });

  it('continues as new with its count, however many events arrive, and still sends once', async () => {
    const user = randomUUID();
    const p = plan({ times: 120, withinMs: 3_600_000 });
    let handle: WorkflowHandle<typeof eventTriggerWorkflow> = await relay(user, p, [event()], { historyLimit: 60 });
    for (let i = 1; i < 119; i += 1) await relay(user, p, [event()], { historyLimit: 60 });
    handle = temporal.client.workflow.getHandle(handle.workflowId);
    const state = await handle.query(triggerStateQuery);
    // Signals that arrive together share a workflow task, so how often depends on timing; at least once.
    expect(state.continuedAsNew).toBeGreaterThanOrEqual(1);
    expect(state.counted).toHaveLength(119);
    const description = await handle.describe();
    expect(description.historyLength).toBeLessThan(200);
    await relay(user, p, [event()], { historyLimit: 60 });
    expect(await handle.result()).toBe('sent');
    expect(recorded.get(user)).toHaveLength(1);
  });

  it('cancelled during the delay, it records nothing', async () => {
    const user = randomUUID();
    const handle = await relay(user, plan({ delayMs: 2000 }), [event()]);
    await sleep(300);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    await sleep(2000);
    expect(recorded.get(user)).toBeUndefined();
  });
});
