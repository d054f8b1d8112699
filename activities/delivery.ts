import { defaultMaxListeners, setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { channels } from '../db/schema.js';
import { retryDelayMs } from '../delivery/backoff.js';
import type { RunContext, RunContextCache, RunControl } from '../delivery/context.js';
import { composeRequest } from '../delivery/compose.js';
import { bodyFormat } from '../delivery/body-formats/index.js';
import { webhookIdFor } from '../delivery/ids.js';
import { classifyAttempt } from '../delivery/outcome.js';
import { tripChannel, type Breaker } from '../delivery/breaker.js';
import { createSendLease, type SendLease } from '../delivery/lease.js';
import type { ChannelLimiter, ChannelLimitsCache } from '../delivery/limiter.js';
import { quietAtFirstSend, quietState, quietWatch } from '../delivery/quiet-hours.js';
import type { QuietHours } from '../contracts/campaign.js';
import { createCapHolds, usersAtCap, type CapHolds, type UserCapLimit } from '../delivery/user-cap.js';
import { isoDurationMs } from '../contracts/iso-duration.js';
import { markQuietUntil } from '../runs/store.js';
import { DEFAULT_TIME_ZONE } from '../contracts/time-zone.js';
import { closePending, createAttemptBuffer, loadHeldOut, loadPending, writeAttempts, writeHeldOut, type AttemptRecord, type HeldOutRecord, type Recipient } from '../runs/recipients.js';
import type { Logger } from '../lib/logger.js';
import type { RecipientProfile } from '../webhook/user.js';
import { deliveryLatency, deliveryRetries, limiterWaits, requestsInFlight } from '../lib/metrics.js';
import { sendWebhook, type SendOutcome } from '../webhook/send.js';
import { TemplateError } from '../webhook/template.js';
import { backlogOf, claimDue, type Claim } from '../triggers/due.js';
import type { BatchDelivery, BatchInterruption, DueClaimInput, DueDelivery, RetryOutcome, SentRange } from '../workflows/inputs.js';
import { controlUpdate, pauseUpdate, wakeSignal } from '../workflows/messages.js';
import { activityLog } from './log-context.js';

export interface DeliveryDeps {
  db: Database;
  runs: RunContextCache;
  /** Per-channel rate and concurrency limits, shared with every worker through PostgreSQL. */
  limiter: ChannelLimiter;
  limits: ChannelLimitsCache;
  breaker: Breaker;
  /** Requests in flight per batch activity. */
  concurrency: number;
}

export type { BatchDelivery, BatchInterruption, RetryOutcome } from '../workflows/inputs.js';
type SendInterruption = BatchInterruption | 'lease';

/**
 * How long (in paces) an event run's sending activity keeps looking for due
 * firings after a claim found none, before it ends and the run sleeps: 2 s at
 * the default pace, the gaps of a steady stream and a delay about to fall due.
 */
const LINGER_PACES = 10;

/**
 * A range's last 1/TAIL_SHARE of requests is its tail: during a backlog the
 * activity claims its next range then, so the claim (and the wait for the
 * campaign's lock) overlaps those requests instead of leaving its lanes idle
 * between two ranges.
 */
const TAIL_SHARE = 4;

/**
 * An activity started ahead of a due time looks this far past it: a full
 * claim's worth falling due that soon is a burst, and the run fills its window
 * before the first firing is due. Asked for only once the first claim came
 * back full, the help arrived about 600 ms into a burst, and a lone activity
 * sent about 1,500 a second until then.
 */
const BURST_AHEAD_MS = 1000;

/**
 * An event run's claims take firings falling due this soon, and an activity
 * started ahead of a due time makes its first claim this long before it: the
 * claim, the lease and the reads (100–350 ms at a burst's start) are done by
 * the due time, and each send waits in its range for its own. Claimed at the
 * due time, a burst's first request came 350 ms after it, and every later
 * send inherited the delay. A send's segment check comes at most this much
 * before its due time.
 */
const CLAIM_LEAD_MS = 500;

/** One user's record from a send, with its retry delay (null: no retry) and whether the endpoint is gone for good (410). */
interface SendResult {
  record: AttemptRecord;
  retryInMs: number | null;
  gone: boolean;
}

/** Records for users who were not sent to (template error, expiry): no HTTP request happened. */
function unsent(recipient: Recipient, errorClass: string, errorMessage: string, runId: string): AttemptRecord {
  return {
    seq: recipient.seq,
    attemptAt: new Date(),
    latencyMs: null,
    httpStatus: null,
    outcome: 'failed',
    errorClass,
    errorMessage,
    webhookId: webhookIdFor(runId, recipient.userId, recipient.deliveryKey),
    responseBody: null,
    nextAttemptAt: null,
  };
}

/** A user deliberately not sent to (quiet hours in `skip` mode, the channel's per-user cap): no request, so no attempt. */
function skippedRecord(recipient: Recipient, errorClass: 'quiet_hours' | 'user_cap', errorMessage: string, runId: string): AttemptRecord {
  return { ...unsent(recipient, errorClass, errorMessage, runId), outcome: 'skipped' };
}

/** A held-out user reached by the sends: what a sent user would have become, with no request. */
function heldRecord(recipient: Recipient, status: HeldOutRecord['status'], errorClass: string | null = null, errorMessage: string | null = null): HeldOutRecord {
  const held = 'held out (control group)';
  return { seq: recipient.seq, at: new Date(), status, errorClass, errorMessage: errorMessage === null ? null : `${held}; ${errorMessage}` };
}

/**
 * A held-out user's turn: the template is rendered (nothing else of the
 * request is built) because a template that cannot render for them would
 * have failed a sent user; otherwise they are held out at this moment.
 */
async function holdOut(ctx: RunContext, recipient: Recipient): Promise<HeldOutRecord> {
  try {
    // A plain object when the render fitted its inline budget; a promise when it went to the template pool.
    const values = ctx.render(recipient.profile);
    if (values instanceof Promise) await values;
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return heldRecord(recipient, 'failed', 'template_error', error.message);
  }
  return heldRecord(recipient, 'held_out');
}

/** The run's quiet hours and the zone they are read in; null when the campaign has none (runs launched before they existed too). */
function quietOf(ctx: RunContext): { hours: QuietHours; zone: string; waits: boolean; message: string } | null {
  const hours = ctx.definition.quietHours;
  if (!hours) return null;
  const zone = ctx.definition.timeZone ?? DEFAULT_TIME_ZONE;
  return { hours, zone, waits: hours.mode !== 'skip', message: `inside the campaign's quiet hours (${hours.from}–${hours.to} ${zone}), which skip rather than wait` };
}

/** A quiet wait ends when the quiet hours do, or when the campaign expires if that is sooner (then its users expire). */
function quietEnd(ctx: RunContext, endsAt: Date): Date {
  return ctx.expiresAt && ctx.expiresAt.getTime() < endsAt.getTime() ? ctx.expiresAt : endsAt;
}

/**
 * Turns one send into the attempt record of each user it carried, deciding
 * retry or give-up from the channel's retry window and the campaign's expiry.
 */
function recordsFor(ctx: RunContext, recipients: readonly Recipient[], outcome: SendOutcome, webhookId: string, attemptAt: Date): SendResult[] {
  const verdict = classifyAttempt(outcome, attemptAt);
  const retry = ctx.definition.channel.retry;
  const results = new Array<SendResult>(recipients.length);
  for (let i = 0; i < recipients.length; i++) {
    const recipient = recipients[i]!;
    const base: AttemptRecord = {
      seq: recipient.seq,
      attemptAt,
      latencyMs: outcome.latencyMs,
      httpStatus: outcome.status,
      outcome: 'succeeded',
      errorClass: null,
      errorMessage: null,
      webhookId,
      responseBody: outcome.response?.body ?? null,
      nextAttemptAt: null,
    };
    results[i] = verdict.kind === 'succeeded' ? { record: base, retryInMs: null, gone: false } : unsuccessful(ctx, recipient, base, outcome, verdict, retry, attemptAt);
  }
  return results;
}

/** The record of one user whose attempt did not succeed: failed for good, or a retry within the channel's window and the campaign's expiry. */
function unsuccessful(
  ctx: RunContext,
  recipient: Recipient,
  base: AttemptRecord,
  outcome: SendOutcome,
  verdict: Exclude<ReturnType<typeof classifyAttempt>, { kind: 'succeeded' }>,
  retry: RunContext['definition']['channel']['retry'],
  attemptAt: Date,
): SendResult {
  const message = outcome.error ?? `endpoint answered ${outcome.status}`;
  if (verdict.kind === 'failed') {
    return { record: { ...base, outcome: 'failed' as const, errorClass: verdict.errorClass, errorMessage: message }, retryInMs: null, gone: verdict.goneForGood };
  }
  const delay = retryDelayMs({ failedAttempts: recipient.attempts + 1, settings: retry, retryAfterMs: verdict.retryAfterMs });
  const windowEnd = (recipient.firstAttemptAt ?? attemptAt).getTime() + retry.maxDurationMs;
  const deadline = Math.min(windowEnd, ctx.expiresAt?.getTime() ?? Infinity);
  const nextAt = attemptAt.getTime() + delay;
  if (nextAt > deadline) {
    const why = deadline === windowEnd ? 'retry window ended' : 'campaign expires before the next attempt';
    return { record: { ...base, outcome: 'failed' as const, errorClass: verdict.errorClass, errorMessage: `${message}; gave up: ${why}` }, retryInMs: null, gone: false };
  }
  return {
    record: { ...base, outcome: 'retry' as const, errorClass: verdict.errorClass, errorMessage: message, nextAttemptAt: new Date(nextAt) },
    retryInMs: delay,
    gone: false,
  };
}

/**
 * A template that cannot render for this user fails the user, for good: its
 * budgets count work, not time, so a retry would fail the same way.
 */
function templateFailure(ctx: RunContext, recipient: Recipient, error: TemplateError): SendResult {
  return { record: unsent(recipient, 'template_error', error.message, ctx.runId), retryInMs: null, gone: false };
}

/**
 * The sending activities. `deliverBatch` makes the first attempt for a whole
 * batch; `deliverOne` is one retry of one user, retried by Temporal.
 */
export function createDeliveryActivities(deps: DeliveryDeps) {
  const { db, runs } = deps;

  // A 410 flags the channel once; later 410s from the same endpoint need no write.
  const flagged = new Set<string>();
  async function flagChannel(channelId: string) {
    if (flagged.has(channelId)) return;
    flagged.add(channelId);
    await db
      .update(channels)
      .set({ flaggedAt: new Date(), flagReason: 'endpoint answered 410 Gone' })
      .where(sql`${channels.id} = ${channelId} AND ${channels.flaggedAt} IS NULL`);
  }

  /**
   * The channel's circuit breaker saw it fail persistently: record the reason on
   * its running campaigns and pause each through its workflow (the same Update
   * an operator uses, so the pause is acknowledged and shown the same way).
   */
  async function tripBreaker(channelId: string, reason: string) {
    const tripped = await tripChannel(db, channelId, reason);
    const client = Context.current().client;
    await Promise.all(
      tripped.map(({ workflowId, controlEpoch }) =>
        // Already paused, or ended meanwhile: nothing to do.
        client.workflow.getHandle(workflowId).executeUpdate(pauseUpdate, controlUpdate('pause', 'the circuit breaker', controlEpoch)).catch(() => {}),
      ),
    );
  }

  /**
   * Renders and sends one request carrying `recipients` (one, or several in
   * growingio format), within the channel's rate and concurrency limits.
   * Answers null when, by the time the limiter let it go, the request may no
   * longer start (`mayStillStart`: a pause or cancel came meanwhile); its users
   * stay pending, untouched.
   */
  async function send(
    ctx: RunContext,
    recipients: Recipient[],
    signal: AbortSignal,
    mayStillStart: () => boolean | Promise<boolean>,
    log: Logger,
    erasedSeqs: () => ReadonlySet<number> | Promise<ReadonlySet<number>>,
  ) {
    const channel = ctx.definition.channel;
    // Shaped as composeRequest takes them, so the common case (every user renders) builds no second list.
    const rendered: { recipient: Recipient; profile: RecipientProfile; values: Record<string, unknown> }[] = [];
    let unrendered: SendResult[] | null = null;
    for (const recipient of recipients) {
      try {
        // A plain object when the render fitted its inline budget; a promise when it went to the template pool.
        const values = ctx.render(recipient.profile);
        rendered.push({ recipient, profile: recipient.profile, values: values instanceof Promise ? await values : values });
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        (unrendered ??= []).push(templateFailure(ctx, recipient, error));
      }
    }
    if (rendered.length === 0) {
      // Nothing to send means nothing awaited I/O: let timers (the heartbeat) and other campaigns' sends run between users.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return { results: unrendered! };
    }
    // Fresh cached limits and an unlimited channel answer without a promise: each await costs at volume.
    const limits = deps.limits.getNow(channel.id) ?? (await deps.limits.get(channel.id));
    let release = deps.limiter.acquireNow(channel.id, limits);
    if (!release) {
      const waitStarted = performance.now();
      release = await deps.limiter.acquire(channel.id, limits, signal);
      limiterWaits.observe({ channel: channel.id }, (performance.now() - waitStarted) / 1000);
    }
    let outcome: SendOutcome;
    let webhookId: string;
    let attemptAt: Date;
    try {
      const may = mayStillStart();
      if (!(typeof may === 'boolean' ? may : await may)) return null;
      // Checked as late as the pause flag, with the same staleness: a user erased meanwhile is not sent to.
      // Their row is already final (the erasure recorded it `skipped`, `erased`), so they get no record here.
      const erasedNow = erasedSeqs();
      const erased = erasedNow instanceof Promise ? await erasedNow : erasedNow;
      if (erased.size > 0 && rendered.some((r) => erased.has(r.recipient.seq))) {
        const kept = rendered.filter((r) => !erased.has(r.recipient.seq));
        rendered.length = 0;
        rendered.push(...kept);
        unrendered ??= [];
        if (rendered.length === 0) return { results: unrendered };
      }
      attemptAt = new Date();
      webhookId = bodyFormat(channel.format).webhookId(ctx.runId, rendered.map(({ recipient }) => recipient));
      const request = composeRequest({
        channel: ctx.compose,
        recipients: rendered,
        templateValues: ctx.definition.templateValues,
        webhookId,
        timestamp: attemptAt,
      });
      requestsInFlight.webhooks++;
      try {
        outcome = await sendWebhook(request, { timeoutMs: channel.timeoutMs, auth: ctx.compose.auth });
      } finally {
        requestsInFlight.webhooks--;
      }
    } finally {
      release();
    }
    deliveryLatency.observe(outcome.latencyMs / 1000);
    const results = recordsFor(ctx, unrendered === null ? recipients : rendered.map((r) => r.recipient), outcome, webhookId, attemptAt);
    // Each success at debug level only: a line per request would cost more than the request at volume.
    const first = results[0]!.record;
    if (first.outcome !== 'succeeded' || log.isLevelEnabled('debug')) {
      // The error class, never the message or response: those can echo what was sent.
      const line = { webhookId, seq: first.seq, users: results.length, outcome: first.outcome, httpStatus: outcome.status, errorClass: first.errorClass, latencyMs: outcome.latencyMs };
      if (first.outcome === 'succeeded') log.debug(line, 'delivery');
      else log.info(line, 'delivery');
    }
    if (results.some((r) => r.gone)) await flagChannel(channel.id);
    const trip = deps.breaker.record(channel.id, outcome.verdict === 'ok' ? null : (results[0]!.record.errorClass ?? outcome.verdict));
    if (trip) await tripBreaker(channel.id, trip.reason);
    return { results: unrendered === null ? results : [...results, ...unrendered] };
  }

  /** This activity's hold on the channel's per-user cap, or null when the run's channel has none. */
  function capFor(ctx: RunContext): { holds: CapHolds; limit: UserCapLimit; message: string } | null {
    const cap = ctx.definition.channel.userCap;
    if (!cap) return null;
    const limit = { channelId: ctx.definition.channel.id, max: cap.max, windowMs: isoDurationMs(cap.per)! };
    return {
      holds: createCapHolds(db, limit),
      limit,
      message: `the channel's cap of ${cap.max} request${cap.max === 1 ? '' : 's'} per user per ${cap.per} was already reached`,
    };
  }

  /** Gives back cap reservations this attempt no longer needs; a failure only delays them (they lapse with the cap's window). */
  async function releaseCap(cap: { holds: CapHolds } | null) {
    if (!cap) return;
    await cap.holds.releaseRest().catch((error: unknown) => {
      Context.current().log.warn('could not give back per-user cap reservations', { error: String((error as Error).message ?? error).split('\n')[0] });
    });
  }

  /** Records the run's wait for its quiet hours and answers the batch workflow's cue to sleep until they end. */
  async function quietWait(ctx: RunContext, retries: BatchDelivery['retries'], endsAt: Date): Promise<BatchDelivery> {
    const until = quietEnd(ctx, endsAt);
    await markQuietUntil(db, ctx.runId, until);
    return { retries, interrupted: 'quiet', quietUntil: until.toISOString() };
  }

  /**
   * The erasure clock as of now, read before a slice's users are loaded: any
   * erasure that commits after the load moves it past this value.
   */
  async function erasureClock(): Promise<number> {
    return runs.erasuresNow() ?? (await runs.erasures());
  }

  /**
   * The positions of a slice (fromSeq..toSeq) whose users were erased after
   * the slice was loaded at clock `seen`. While the clock stands still (the
   * common case: erasures are rare) it answers without a promise or a read;
   * when it moved, the slice's tombstoned rows (audience/erase.ts) are read
   * once, by every lane at the same time.
   */
  function erasureGuard(runId: string, fromSeq: number, toSeq: number, seen: number) {
    let checked = seen;
    const erased = new Set<number>();
    let reading: Promise<ReadonlySet<number>> | null = null;
    async function reread(clock: number): Promise<ReadonlySet<number>> {
      const rows = await db.execute<{ seq: number }>(sql`
        SELECT seq FROM run_recipients
        WHERE run_id = ${runId} AND seq BETWEEN ${fromSeq} AND ${toSeq} AND substr(user_id::text, 15, 1) = '8'`);
      for (const row of rows) erased.add(row.seq);
      checked = clock;
      return erased;
    }
    return function erasedSeqs(): ReadonlySet<number> | Promise<ReadonlySet<number>> {
      const now = runs.erasuresNow();
      if (now === checked) return erased;
      return (reading ??= (async () => {
        try {
          const clock = now ?? (await runs.erasures());
          return clock === checked ? erased : await reread(clock);
        } finally {
          reading = null;
        }
      })());
    };
  }

  /** The lease of one activity attempt: unique holder per attempt, the channel's timeout for its requests. */
  function leaseFor(ctx: RunContext, slice: number): SendLease {
    const info = Context.current().info;
    return createSendLease(db, {
      runId: ctx.runId,
      slice,
      holder: `${info.workflowExecution?.workflowId}/${info.activityId}#${info.attempt}`,
      requestTimeoutMs: ctx.definition.channel.timeoutMs,
    });
  }

  /**
   * First attempt for every pending user of audience positions fromSeq..toSeq.
   * Stops starting requests within CONTROL_TTL_MS of a pause or cancel. Users
   * already tried (by an earlier, interrupted attempt of this activity) come
   * back as retries with their remaining delay instead of being sent again.
   *
   * Held-out users of the range take their turn in audience order like the
   * others, with every check a sent user meets short of the request (quiet
   * hours, the per-user cap, expiry, the template), and are recorded with the
   * moment they would have been sent: the start of their goal window.
   */
  async function deliverBatch(input: { runId: string; fromSeq: number; toSeq: number }, options: { quiet?: boolean; onTail?: () => void } = {}): Promise<BatchDelivery> {
    const activity = Context.current();
    const ctx = await runs.context(input.runId);
    const log = activityLog().child({ campaignId: ctx.campaignId });
    const timeoutMs = ctx.definition.channel.timeoutMs;
    const lease = leaseFor(ctx, input.fromSeq);
    const quiet = quietOf(ctx);
    const quietAt = quiet ? quietWatch(quiet.hours, quiet.zone, Date.now()) : null;
    // Past the expiry nothing waits for quiet hours: the send loop records the users as expired.
    const expired = () => ctx.expiresAt !== null && Date.now() >= ctx.expiresAt.getTime();
    const cap = capFor(ctx);
    let done = 0;
    let held = false;
    let leaseLost = false;
    // Heartbeat on a clock, not per send: one slow endpoint must not look like a dead worker.
    // It runs from before the lease wait until after the last outcome is written.
    let renewing: Promise<void> = Promise.resolve();
    const beat = setInterval(() => {
      activity.heartbeat({ done });
      renewing = renewing.then(async () => {
        if (!held || leaseLost) return;
        leaseLost = !(await lease.renew().catch(() => true));
      });
    }, 2_000);
    try {
      await lease.take(activity.cancellationSignal);
      held = true;
      const erasedSeqs = erasureGuard(input.runId, input.fromSeq, input.toSeq, await erasureClock());
      // Read only once the lease is ours: an earlier attempt's outcomes are all written by then.
      const pending = await loadPending(db, input.runId, input.fromSeq, input.toSeq);
      const now = Date.now();
      const retries = pending
        .filter((r) => r.attempts > 0)
        .map((r) => ({ seq: r.seq, delayMs: Math.max(0, (r.nextAttemptAt?.getTime() ?? now) - now) }));
      let fresh = pending.filter((r) => r.attempts === 0);
      // Only a run with a control group has held-out users: the others spare the read.
      let heldOut = ctx.definition.holdout ? await loadHeldOut(db, input.runId, input.fromSeq, input.toSeq) : [];
      const buffer = createAttemptBuffer(db, input.runId, { channelId: ctx.definition.channel.id });
      const reached: HeldOutRecord[] = [];

      // Decided at the range's first send, not now: an event run's claim comes up to half a second before it.
      const quietEndsAt =
        quiet && fresh.length + heldOut.length > 0 && !expired() ? quietAtFirstSend(quiet.hours, quiet.zone, Date.now(), fresh[0]?.nextAttemptAt?.getTime() ?? null) : null;
      if (quiet && quietEndsAt) {
        if (quiet.waits) return await quietWait(ctx, retries, quietEndsAt);
        for (const r of fresh) buffer.add(skippedRecord(r, 'quiet_hours', quiet.message, input.runId));
        for (const r of heldOut) reached.push(heldRecord(r, 'skipped', 'quiet_hours', quiet.message));
        fresh = [];
        heldOut = [];
      }
      if (cap && fresh.length > 0) {
        // One statement reserves the whole batch; users over the cap are recorded and not sent to.
        const granted = await cap.holds.reserve(fresh.map((r) => ({ seq: r.seq, userId: r.userId, key: webhookIdFor(input.runId, r.userId) })));
        if (granted.size < fresh.length) {
          for (const r of fresh) if (!granted.has(r.seq)) buffer.add(skippedRecord(r, 'user_cap', cap.message, input.runId));
          fresh = fresh.filter((r) => granted.has(r.seq));
        }
      }
      if (cap && heldOut.length > 0) {
        // Held-out users use none of the cap; those it would have refused are skipped like sent users.
        const atCap = await usersAtCap(db, cap.limit, heldOut.map((r) => r.userId));
        for (const r of heldOut) if (atCap.has(r.userId)) reached.push(heldRecord(r, 'skipped', 'user_cap', cap.message));
        heldOut = heldOut.filter((r) => !atCap.has(r.userId));
      }

      const groupSize = bodyFormat(ctx.definition.channel.format).usersPerRequest(ctx.definition.channel);
      const turns: ({ send: Recipient[] } | { hold: Recipient })[] = [];
      for (let i = 0; i < fresh.length; i += groupSize) turns.push({ send: fresh.slice(i, i + groupSize) });
      if (heldOut.length > 0) {
        // Held-out users take their turn where their audience position falls among the sends.
        for (const r of heldOut) turns.push({ hold: r });
        const firstSeq = (turn: (typeof turns)[number]) => ('hold' in turn ? turn.hold.seq : turn.send[0]!.seq);
        turns.sort((a, b) => firstSeq(a) - firstSeq(b));
      }
      // An event run's claims come several a second: their lines are debug, the batch path's are info.
      const note = options.quiet ? log.debug.bind(log) : log.info.bind(log);
      note({ fromSeq: input.fromSeq, toSeq: input.toSeq, toSend: fresh.length, heldOut: heldOut.length, toRetry: retries.length }, 'batch sending');

      let interrupted: SendInterruption = null;
      let next = 0;

      /** Why this attempt must not start another request now, or null. */
      function stopReason(control: RunControl): SendInterruption {
        if (activity.cancellationSignal.aborted) return 'cancel';
        // A lease about to lapse (renewals failing) means another attempt may take over.
        if (leaseLost || !lease.mayStart(timeoutMs)) return 'lease';
        // Quiet hours that began during the batch hold back the rest (or, in skip mode, skip it below).
        if (quietAt && quiet!.waits && quietAt(Date.now()) && !expired()) return 'quiet';
        return control === 'run' ? null : control;
      }
      // A fresh cached flag answers without a promise: each await costs at volume.
      const control = () => runs.controlNow(input.runId) ?? runs.control(input.runId);
      function mayStillStart(): boolean | Promise<boolean> {
        const now = control();
        return typeof now === 'string' ? stopReason(now) === null : now.then((c) => stopReason(c) === null);
      }

      let laneError: unknown;
      async function sendLoop() {
        while (next < turns.length && interrupted === null && laneError === undefined) {
          const now = control();
          interrupted = stopReason(typeof now === 'string' ? now : await now);
          if (interrupted !== null) return;
          // Another lane may have taken the last group while this one awaited the flag.
          if (next >= turns.length) return;
          const turn = turns[next++]!;
          if (next === tailFrom) options.onTail?.();
          // A send claimed ahead of its firing's due time (an event run's claim lead) waits for it here; the users
          // of a turn that a pause or a cancel stops meanwhile stay pending, like those of the turns not taken.
          const dueInMs = 'send' in turn && turn.send[0]!.attempts === 0 ? (turn.send[0]!.nextAttemptAt?.getTime() ?? 0) - Date.now() : 0;
          if (dueInMs > 0) {
            await sleep(dueInMs, undefined, { signal: activity.cancellationSignal }).catch(() => {});
            const now = control();
            interrupted = stopReason(typeof now === 'string' ? now : await now);
            if (interrupted !== null) return;
          }
          if ('hold' in turn) {
            if (expired()) reached.push(heldRecord(turn.hold, 'failed', 'expired', 'campaign expired before this user would have been sent to'));
            else if (quietAt && !quiet!.waits && quietAt(Date.now())) reached.push(heldRecord(turn.hold, 'skipped', 'quiet_hours', quiet!.message));
            else reached.push(await holdOut(ctx, turn.hold));
            done += 1;
            continue;
          }
          const group = turn.send;
          if (expired()) {
            for (const r of group) buffer.add(unsent(r, 'expired', 'campaign expired before this user was sent to', input.runId));
            continue;
          }
          if (quietAt && !quiet!.waits && quietAt(Date.now())) {
            for (const r of group) buffer.add(skippedRecord(r, 'quiet_hours', quiet!.message, input.runId));
            continue;
          }
          const sent = await send(ctx, group, activity.cancellationSignal, mayStillStart, log, erasedSeqs);
          if (!sent) {
            // Stopped while waiting for the channel's limiter; its users stay pending. A pause that was
            // already lifted again still counts as one, so the batch is tried again rather than left unsent.
            interrupted = stopReason(await runs.control(input.runId)) ?? 'pause';
            return;
          }
          const { results } = sent;
          for (const result of results) {
            buffer.add(result.record);
            if (result.retryInMs !== null) retries.push({ seq: result.record.seq, delayMs: result.retryInMs });
            else if (cap && result.record.outcome === 'succeeded') cap.holds.keep(result.record.seq);
          }
          done += group.length;
        }
      }

      const lanes = Math.max(1, Math.min(deps.concurrency, turns.length));
      // The last quarter of the turns is the tail: about the time a claim and its reads take, at a burst's pace.
      const tailFrom = Math.max(1, turns.length - Math.ceil(turns.length / TAIL_SHARE));
      // Every lane may wait on a limited channel's limiter with this signal at once: that many listeners are expected, not a leak.
      setMaxListeners(lanes + defaultMaxListeners, activity.cancellationSignal);
      // A lane that fails stops the others from starting requests but lets theirs finish, and what was
      // sent is written before the attempt fails: its retry (after the lease is released) resends none of it.
      await Promise.all(Array.from({ length: lanes }, () => sendLoop().catch((error: unknown) => void (laneError ??= error))));
      if (laneError !== undefined) {
        await buffer.flush().catch(() => {});
        await writeHeldOut(db, input.runId, reached).catch(() => {});
        throw laneError;
      }
      await buffer.flush();
      await writeHeldOut(db, input.runId, reached);
      note({ fromSeq: input.fromSeq, toSeq: input.toSeq, sent: done, retries: retries.length, interrupted: activity.cancellationSignal.aborted ? 'cancel' : interrupted }, 'batch sent');
      if (activity.cancellationSignal.aborted) throw new CancelledFailure('batch cancelled');
      if (interrupted === 'lease') {
        // Temporal has given up on this attempt and another one holds (or will take) the batch.
        throw ApplicationFailure.retryable('lost the send lease of this batch to another attempt', 'LeaseLost');
      }
      if (interrupted === 'pause') return { retries, interrupted, epoch: (await runs.controlState(input.runId)).epoch };
      if (interrupted === 'quiet') return await quietWait(ctx, retries, quietAt!(Date.now()) ?? new Date());
      return { retries, interrupted: interrupted as BatchInterruption };
    } finally {
      clearInterval(beat);
      await renewing;
      // Only while the lease is ours: a later attempt may already hold the same reservations again.
      if (held && !leaseLost) {
        await releaseCap(cap);
        await lease.release().catch(() => {});
      }
    }
  }

  /**
   * One retry of one user. Throws a retryable failure with the next delay
   * (backoff with jitter, Retry-After honoured) so Temporal schedules the next
   * attempt; returns once the user is in a final state, or the epoch of the
   * pause that held it back.
   */
  async function deliverOne(input: { runId: string; seq: number }): Promise<RetryOutcome> {
    const paused = async () => ({ paused: (await runs.controlState(input.runId)).epoch });
    const control = await runs.control(input.runId);
    if (control === 'pause') return paused();
    if (control === 'cancel') {
      // Nothing to send. A batch run closes its pending users itself; an event run's retries outlive its
      // workflow, so each closes its own user (a no-op when the run closed it first).
      await closePending(db, { runId: input.runId, fromSeq: input.seq, toSeq: input.seq, status: 'cancelled', reason: 'cancelled' });
      return 'done';
    }
    const ctx = await runs.context(input.runId);
    const log = activityLog().child({ campaignId: ctx.campaignId });
    const lease = leaseFor(ctx, -input.seq);
    let cap: ReturnType<typeof capFor> = null;
    await lease.take(Context.current().cancellationSignal);
    try {
      const erasedSeqs = erasureGuard(input.runId, input.seq, input.seq, await erasureClock());
      const [recipient] = await loadPending(db, input.runId, input.seq, input.seq);
      if (!recipient) return 'done';
      if (ctx.expiresAt && Date.now() >= ctx.expiresAt.getTime()) {
        await writeAttempts(db, input.runId, [unsent(recipient, 'expired', 'campaign expired before this user could be retried', input.runId)], ctx.definition.channel.id);
        return 'failed';
      }
      const quiet = quietOf(ctx);
      const state = quiet ? quietState(quiet.hours, quiet.zone, new Date()) : null;
      if (quiet && state?.inside) {
        if (!quiet.waits) {
          await writeAttempts(db, input.runId, [skippedRecord(recipient, 'quiet_hours', quiet.message, input.runId)], ctx.definition.channel.id);
          return 'done';
        }
        const until = quietEnd(ctx, state.endsAt);
        await markQuietUntil(db, input.runId, until);
        return { quietUntil: until.toISOString() };
      }
      cap = capFor(ctx);
      if (cap) {
        const granted = await cap.holds.reserve([{ seq: recipient.seq, userId: recipient.userId, key: webhookIdFor(input.runId, recipient.userId) }]);
        if (granted.size === 0) {
          await writeAttempts(db, input.runId, [skippedRecord(recipient, 'user_cap', cap.message, input.runId)], ctx.definition.channel.id);
          return 'done';
        }
      }
      const sent = await send(ctx, [recipient], Context.current().cancellationSignal, async () => (await runs.control(input.runId)) === 'run', log, erasedSeqs);
      // Stopped while waiting for the limiter: a cancelled run closes its users itself; otherwise try again after the pause.
      if (!sent) return (await runs.control(input.runId)) === 'cancel' ? 'done' : paused();
      // Erased meanwhile: the erasure recorded the user, nothing was sent.
      if (sent.results.length === 0) return 'done';
      const result = sent.results[0]!;
      // A request went out (a template that failed to render sends nothing).
      if (result.record.httpStatus !== null || result.record.latencyMs !== null) deliveryRetries.inc({ channel: ctx.definition.channel.id });
      await writeAttempts(db, input.runId, [result.record], ctx.definition.channel.id);
      if (result.record.outcome === 'succeeded') cap?.holds.keep(result.record.seq);
      if (result.record.outcome === 'retry') {
        throw ApplicationFailure.create({
          message: `delivery attempt failed (${result.record.errorClass}); will retry`,
          type: 'DeliveryRetry',
          nextRetryDelay: result.retryInMs ?? undefined,
          // An expected, scheduled retry: not an error worth a warning in the worker log.
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      return result.record.outcome === 'succeeded' ? 'succeeded' : 'failed';
    } finally {
      await releaseCap(cap);
      await lease.release().catch(() => {});
    }
  }

  /**
   * A sending activity of an event run: claims due firings into the run's
   * audience as ranges of positions (triggers/due.ts) and makes their first
   * attempts as `deliverBatch` does for a batch, one claim after another, at
   * least `paceMs` apart unless the last one was full (behind a backlog the
   * next claim is made during the tail of the range before it), while firings keep
   * coming: up to `claims` claims (numbered from `claimNo`) or `forMs`. So
   * while events arrive steadily Temporal sees one activity every `forMs`,
   * not one per claim. When a claim finds nothing due it looks again at the
   * pace for a while (`lingerMs`: between two batches of a steady stream, or
   * a delay about to fall due), the run staying awake meanwhile; it stops
   * when nothing came in that time (the run then sleeps until the next
   * firing or a wake signal), and before a
   * claim when the run is paused or cancelled; a pause or quiet hours that
   * stop a range's sends name that claim, which the run sends again later
   * under its number. A repeated claim number (this activity retried after
   * its worker died) answers the range it took before, and the lease makes
   * the retry wait for an earlier attempt still sending.
   */
  async function deliverDue(input: DueClaimInput): Promise<DueDelivery> {
    const activity = Context.current();
    const ranges: SentRange[] = [];
    const until = Date.now() + input.forMs;
    let notBefore = Date.parse(input.notBefore);
    const answer = (stopped: DueDelivery['stopped'], more: Partial<DueDelivery> = {}): DueDelivery => ({
      ranges,
      stopped,
      heldClaim: null,
      nextDueAt: null,
      resumeAt: new Date(Math.max(notBefore, Date.now())).toISOString(),
      ...more,
    });
    const workflowId = activity.info.workflowExecution?.workflowId;
    /** Wakes the run; `burst` asks it to fill its window. False when the signal did not get through. */
    const wakeRun = async (burst: boolean) => {
      if (!workflowId) return false;
      try {
        await activity.client.workflow.getHandle(workflowId).signal(wakeSignal, burst ? 'burst' : undefined);
        return true;
      } catch {
        return false;
      }
    };
    /** Whether the campaign's quiet hours (in `wait` mode) hold sends at `atMs`. */
    const quietThen = async (atMs: number) => {
      const quiet = quietOf(await runs.context(input.runId));
      return quiet !== null && quiet.waits && quietState(quiet.hours, quiet.zone, new Date(atMs)).inside;
    };
    // Ending on the first empty claim made a stream of events cost an activity (and a wake signal) per gap in it.
    const lingerMs = LINGER_PACES * input.paceMs;
    let emptySince: number | null = null;
    let quietSince: number | undefined;
    /** The next claim, made during the tail of the range before it while a backlog lasts. */
    // In a holder: it is set from deliverBatch's callback, which the compiler's narrowing of a plain variable misses.
    const prefetch: { ahead: { claimNo: number; claimedAt: number; claim: Promise<Claim> } | null } = { ahead: null };
    /** Lets a claim made ahead finish before the activity answers or fails: a retry or a resume repeats its number. */
    const settleAhead = async () => {
      const made = prefetch.ahead;
      prefetch.ahead = null;
      await made?.claim.catch(() => {});
    };
    for (let i = 0; i < input.claims; ) {
      const claimNo = input.claimNo + i;
      const made = prefetch.ahead?.claimNo === claimNo ? prefetch.ahead : null;
      prefetch.ahead = null;
      const early = made ? await made.claim : null;
      let claim: Claim;
      let claimedAt: number;
      let ctx: RunContext;
      if (made && early && early.fromSeq !== null && early.toSeq !== null) {
        // Its firings are taken: they go out even past the budget, and a pause holds the claim like any other.
        activity.heartbeat({ claimNo });
        const control = await runs.control(input.runId);
        if (control === 'pause') return answer('pause', { heldClaim: claimNo });
        if (control === 'cancel') return answer('cancel');
        claim = early;
        claimedAt = made.claimedAt;
        ctx = await runs.context(input.runId);
      } else {
        // A look ahead that found nothing after the budget ran out: no more claims.
        if (made && Date.now() >= until) break;
        // The first claim at a due time is made ahead of it, unless quiet hours hold the sends then: a range claimed
        // inside them would only wait for their end and be claimed again.
        const lead = i === 0 && emptySince === null && !made && !(await quietThen(notBefore - CLAIM_LEAD_MS)) ? CLAIM_LEAD_MS : 0;
        const ahead = notBefore - Date.now();
        const wait = ahead - lead;
        // Started ahead of a due time (lead or not: the run starts it half a second before, about when it claims).
        if (ahead > 0 && i === 0 && emptySince === null && workflowId) {
          // Runs beside the wait, so the claim at the due time is not held up by the look.
          void backlogOf(db, input.runId, input.limit, ahead + BURST_AHEAD_MS)
            .then(({ due }) => (due >= input.limit ? wakeRun(true) : false))
            .catch(() => false);
        }
        if (wait > 0) await activity.sleep(wait);
        activity.heartbeat({ claimNo });
        const control = await runs.control(input.runId);
        if (control === 'pause') return answer('pause');
        if (control === 'cancel') return answer('cancel');
        claimedAt = Date.now();
        ctx = await runs.context(input.runId);
        // The last look before the linger or the budget ends marks the run asleep, in the claim's transaction.
        const lastLook = emptySince !== null && (claimedAt - emptySince + input.paceMs >= lingerMs || claimedAt + input.paceMs >= until);
        claim = await claimDue(db, { ...input, claimNo, aheadMs: CLAIM_LEAD_MS, definition: ctx.definition, sleepWhenEmpty: emptySince === null ? lingerMs <= 0 : lastLook, quietSince });
        if (claim.fromSeq === null || claim.toSeq === null) {
          if (lingerMs <= 0 || lastLook) return answer('idle', { nextDueAt: claim.nextDueAt });
          emptySince ??= claimedAt;
          quietSince ??= claim.position;
          notBefore = claimedAt + input.paceMs;
          continue;
        }
      }
      // Both set: an empty claim went round the loop again above.
      const fromSeq = claim.fromSeq!;
      const toSeq = claim.toSeq!;
      emptySince = null;
      quietSince = undefined;
      i += 1;
      // A range still sending while due firings pile up behind it (a burst, a slow endpoint) would hold them back:
      // tell the run, so another activity starts beside this one. Only a hint, at most once a range, and only for a
      // backlog: in a steady stream the next claim takes what came meanwhile, and a second activity would only
      // cost Temporal a signal and an activity.
      let hinted = false;
      // A burst (a full claim, more due behind it) asks the run to fill its window; a slow endpoint, for one more.
      const askForMore = async (burst: boolean) => {
        if (hinted) return;
        hinted = true;
        // Not through: the next look may ask again.
        if (!(await wakeRun(burst))) hinted = false;
      };
      const hint = setInterval(() => {
        if (hinted) return;
        void backlogOf(db, input.runId, input.limit)
          .then(async ({ waitedMs, due }) => {
            // A full claim already waiting (a burst), or firings kept waiting two paces (a slow endpoint).
            if (due >= input.limit || waitedMs >= 2 * input.hintAfterMs) await askForMore(due >= input.limit);
          })
          .catch(() => {});
      }, input.hintAfterMs);
      const backlog = claim.claimed >= input.limit && claim.moreDue;
      // A full claim that left firings due behind it is a burst already: ask at once, not at the first look a pace
      // later, so the run's window of activities fills in a few signals' time rather than a pace per activity.
      if (backlog) void askForMore(true);
      // Behind a backlog the next claim is made during this range's tail; only within this activity's numbers.
      const nextNo = input.claimNo + i;
      const claimAhead =
        backlog && i < input.claims
          ? () => {
              const made = { claimNo: nextNo, claimedAt: Date.now(), claim: claimDue(db, { ...input, claimNo: nextNo, aheadMs: CLAIM_LEAD_MS, definition: ctx.definition, sleepWhenEmpty: false }) };
              // Awaited at the next claim, or by settleAhead: a failure surfaces there.
              made.claim.catch(() => {});
              prefetch.ahead = made;
            }
          : undefined;
      let sent: BatchDelivery;
      try {
        sent = await deliverBatch({ runId: input.runId, fromSeq, toSeq }, { quiet: true, onTail: claimAhead });
      } catch (error) {
        await settleAhead();
        throw error;
      } finally {
        clearInterval(hint);
      }
      ranges.push({ claimNo, fromSeq, toSeq, retries: sent.retries.length });
      if (sent.interrupted === 'pause' || sent.interrupted === 'quiet') {
        // The held claim's block includes a claim made ahead: it goes out again under its number too.
        await settleAhead();
        return answer(sent.interrupted, { heldClaim: claimNo, ...(sent.quietUntil ? { quietUntil: sent.quietUntil } : {}) });
      }
      if (sent.interrupted === 'cancel') {
        await settleAhead();
        return answer('cancel');
      }
      // A full claim means more is due at once; else firings gather for the pace.
      notBefore = claim.claimed >= input.limit ? Date.now() : claimedAt + input.paceMs;
      // A claim made ahead has taken firings, or may have: it is looked at before the budget ends the activity.
      if (Date.now() >= until && !prefetch.ahead) break;
    }
    return answer('budget');
  }

  return { deliverBatch: (input: { runId: string; fromSeq: number; toSeq: number }) => deliverBatch(input), deliverOne, deliverDue };
}
