import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineSignal,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { RetryOutcome } from './inputs.js';
import { workflowIds } from '../contracts/workflow-ids.js';
import { triggerStateQuery, type EventTriggerState, type TriggerEvent } from './messages.js';

// Defined in messages.ts, where activities may import them without importing this workflow.
export { triggerStateQuery, type EventTriggerState, type TriggerEvent };


/** The trigger as numbers (triggers/event.ts `triggerPlan`). */
export interface EventTriggerPlan {
  times: number;
  withinMs: number | null;
  delayMs: number;
  /** null: at most one delivery per user per campaign. */
  atMostEveryMs: number | null;
}

/** Ids and numbers only: the user is named by id, the campaign's definition lives in PostgreSQL. */
export interface EventTriggerInput {
  campaignId: string;
  runId: string;
  userId: string;
  plan: EventTriggerPlan;
  /** Continue as new once history is this long (default 2,000 events); tests pass a small one. */
  historyLimit?: number;
  /** How often a send held by a paused campaign looks again (default 30 s). */
  pauseRecheckMs?: number;
  carried?: EventTriggerState;
}

export type EventTriggerOutcome = 'sent' | 'idle' | 'closed';

/** The relay hands a (campaign, user)'s new events over with this signal, through signalWithStart. */
export const triggerEventsSignal = defineSignal<[TriggerEvent[]]>('events');

/**
 * The workflow id of a (campaign, user) pair: deterministic, so every relay
 * and every retry addresses the same execution.
 */
export const eventTriggerWorkflowId = workflowIds.eventTriggerPair;

const SEEN_KEPT = 256;
const DEFAULT_HISTORY_LIMIT = 2000;
const DEFAULT_PAUSE_RECHECK_MS = 30_000;

/**
 * Recording a send is a few short statements: a local activity, so a send
 * costs one trip through the task queue (deliverOne), not two.
 */
const bookkeeping = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** The same retry shape as a batch's retries of one user (workflows/batch.ts): the activity names its next delay. */
const retryActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '8 days',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 hour' },
});

/**
 * One user of one event-triggered campaign. Counts the user's events within
 * the window, waits the delay on a durable timer, applies the frequency cap
 * from its own state, then records and sends one delivery through the same
 * activities as a batch's retries.
 *
 * The relay starts it with signalWithStart under a deterministic id
 * (`eventTriggerWorkflowId`), with these policies:
 * - conflict policy USE_EXISTING: while an execution for the pair runs, new
 *   events are signalled into it instead of starting (or, with
 *   TERMINATE_EXISTING, replacing) one; so one execution, holding the count,
 *   the pending send and the cap, decides every send of the pair. Two
 *   executions can never both be waiting to send.
 * - reuse policy REJECT_DUPLICATE under `once`: an execution for a `once`
 *   campaign closes only after it sent; a later start for the pair is refused
 *   by the server, so no second execution can send again. Until it sends it
 *   stays open (waiting without timers) however long the user takes.
 * - reuse policy ALLOW_DUPLICATE under `atMostEvery`: an execution closes only
 *   once the cap period since its last send is over and nothing is counted or
 *   due, so a fresh execution starting later has nothing to remember.
 * The run's PostgreSQL delivery key (`once`, or `event:<id>`) backs both up:
 * even an id reused after Temporal's retention cannot record a second send.
 */
export async function eventTriggerWorkflow(input: EventTriggerInput): Promise<EventTriggerOutcome> {
  const { plan } = input;
  const state: EventTriggerState = input.carried ?? { counted: [], seen: [], due: null, lastSentAt: null, sends: 0, skips: 0, continuedAsNew: 0 };
  const seen = new Set(state.seen);
  let inbox: TriggerEvent[] = [];

  setHandler(triggerEventsSignal, function receive(events) {
    for (const event of events) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      state.seen.push(event.id);
      inbox.push(event);
    }
    if (state.seen.length > SEEN_KEPT) {
      for (const id of state.seen.splice(0, state.seen.length - SEEN_KEPT)) seen.delete(id);
    }
  });
  setHandler(triggerStateQuery, () => state);

  const once = plan.atMostEveryMs === null;
  const sentOnce = () => once && state.sends > 0;
  const capped = (at: number) => plan.atMostEveryMs !== null && state.lastSentAt !== null && at < state.lastSentAt + plan.atMostEveryMs;
  const inWindow = (event: TriggerEvent, now: number) => plan.withinMs === null || event.at > now - plan.withinMs;

  /**
   * Counts new events: `times` of them whose times span less than the window
   * fire, caused by the last of them, and are consumed. A firing while a send
   * already waits, after a `once` send, or inside the cap period sends nothing.
   * Events outside the window (as of now) are dropped, so what is kept stays
   * below about twice `times`.
   */
  function count() {
    const now = Date.now();
    const arrived = inbox;
    inbox = [];
    for (const event of arrived) {
      if (!inWindow(event, now)) continue;
      state.counted.push(event);
      state.counted.sort((a, b) => a.at - b.at || a.id - b.id);
      const last = firstFullWindow();
      if (last < 0) continue;
      const cause = state.counted[last]!;
      state.counted = state.counted.slice(last + 1);
      const sendAt = now + plan.delayMs;
      if (state.due !== null || sentOnce() || capped(sendAt)) continue;
      state.due = { eventId: cause.id, sendAt };
    }
  }

  /** Index of the last event of the earliest run of `times` counted events that fits the window, or -1. */
  function firstFullWindow(): number {
    const { counted } = state;
    for (let end = plan.times - 1; end < counted.length; end += 1) {
      if (plan.withinMs === null || counted[end]!.at - counted[end - plan.times + 1]!.at < plan.withinMs) return end;
    }
    return -1;
  }

  /** Records the delivery (or the skip, when the user is no longer in the segment) and sends it. */
  async function send(eventId: number): Promise<'sent' | 'skipped' | 'closed'> {
    const triggered = { campaignId: input.campaignId, runId: input.runId, userId: input.userId, eventId, deliveryKey: once ? 'once' : `event:${eventId}` };
    // Executions begun before recording and the first attempt became one activity keep replaying their two steps.
    if (!patched('trigger-send-one-activity')) {
      const recorded = await bookkeeping.recordTriggeredDelivery(triggered);
      if (recorded.status === 'skipped' || recorded.status === 'closed') return recorded.status;
      // 'pending' (ours to send) or 'exists' (an earlier execution recorded this key: its send stands).
      if (recorded.status === 'pending') await sendUntilSettled(recorded.seq, await retryActivities.deliverOne({ runId: input.runId, seq: recorded.seq }));
      return 'sent';
    }
    const delivered = await retryActivities.deliverTriggered(triggered);
    if (delivered.status === 'skipped' || delivered.status === 'closed') return delivered.status;
    if (delivered.status === 'pending') await sendUntilSettled(delivered.seq, delivered.outcome);
    return 'sent';
  }

  /** Follows a send that quiet hours or a pause held back until it settles. */
  async function sendUntilSettled(seq: number, first: RetryOutcome): Promise<void> {
    for (let outcome = first; ; outcome = await retryActivities.deliverOne({ runId: input.runId, seq })) {
      if (typeof outcome === 'object' && 'quietUntil' in outcome) {
        // The campaign's quiet hours hold the send: wait for the window's end on a durable timer.
        await sleep(Math.max(1, Date.parse(outcome.quietUntil) - Date.now()));
        continue;
      }
      if (outcome !== 'paused' && !(typeof outcome === 'object' && 'paused' in outcome)) return;
      // The campaign is paused (per-user workflows get no resume signal): hold the send on a durable timer and look again.
      await sleep(input.pauseRecheckMs ?? DEFAULT_PAUSE_RECHECK_MS);
    }
  }

  const historyFull = () => workflowInfo().historyLength >= (input.historyLimit ?? DEFAULT_HISTORY_LIMIT) || workflowInfo().continueAsNewSuggested;

  for (;;) {
    count();
    // Checked at the top of every turn, where no activity is in flight: a long delay that
    // collects many events, or a user who keeps coming, continues as new like an idle one.
    if (historyFull()) {
      await condition(allHandlersFinished);
      if (inbox.length > 0) continue;
      await continueAsNew<typeof eventTriggerWorkflow>({ ...input, carried: { ...state, continuedAsNew: state.continuedAsNew + 1 } });
    }
    const now = Date.now();
    if (state.due !== null) {
      if (now < state.due.sendAt) {
        // Wakes for new events too (counted meanwhile, against the cap), else at the send time.
        await condition(() => inbox.length > 0, state.due.sendAt - now);
        continue;
      }
      const result = await send(state.due.eventId);
      state.due = null;
      if (result === 'closed') return 'closed';
      if (result === 'skipped') state.skips += 1;
      else {
        state.sends += 1;
        state.lastSentAt = Date.now();
      }
      if (sentOnce()) {
        await condition(allHandlersFinished);
        return 'sent';
      }
      continue;
    }
    if (inbox.length > 0) continue;
    if (plan.withinMs !== null) state.counted = state.counted.filter((e) => inWindow(e, now));
    if (!once && state.counted.length === 0 && !capped(now)) {
      // Nothing counted, nothing due, the cap period over: a later execution has nothing to remember.
      await condition(allHandlersFinished);
      if (inbox.length > 0) continue;
      return 'idle';
    }
    // Idle: wake for new events, or when the oldest counted event or the cap period runs out.
    const wakeAt = Math.min(
      plan.withinMs !== null && state.counted.length > 0 ? state.counted[0]!.at + plan.withinMs : Infinity,
      !once && state.lastSentAt !== null ? state.lastSentAt + plan.atMostEveryMs! : Infinity,
    );
    if (wakeAt === Infinity) await condition(() => inbox.length > 0);
    else await condition(() => inbox.length > 0, Math.max(1, wakeAt - Date.now()));
  }
}
