import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { CampaignTrigger } from '../../contracts/trigger.js';
import type { FrozenDefinition, QuietHours } from '../../contracts/campaign.js';
import type { Goal, Holdout } from '../../contracts/goal.js';
import type { EffectFigures } from '../../contracts/effect-figures.js';
import { attemptOutcomes, campaignStatuses, deliveryStatuses, runControls, runStatuses, runTriggers } from '../../contracts/statuses.js';
import { channels } from './channels.js';
import { timestamps } from './columns.js';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** The CHECK a status column carries: the same list the code uses (migration 0007 writes it out). */
const oneOf = (column: string, values: readonly string[]) => sql.raw(`"${column}" IN (${values.map((v) => `'${v}'`).join(', ')})`);

/** A campaign as the operator defines it (seed: "webhook运营活动"). */
export const campaigns = pgTable(
  'campaigns',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    name: text('name').notNull(),
    status: text('status', { enum: campaignStatuses }).notNull().default('draft'),
    segmentId: uuid('segment_id'),
    channelId: uuid('channel_id').references(() => channels.id, { onDelete: 'set null' }),
    identity: text('identity', { enum: ['login', 'visitor'] }).notNull().default('login'),
    templateValues: jsonb('template_values').$type<Record<string, unknown>>().notNull().default({}),
    trigger: jsonb('trigger').$type<CampaignTrigger>().notNull(),
    /** The definition frozen at launch; every later run (schedule firing, event) copies it. */
    definition: jsonb('definition').$type<FrozenDefinition>(),
    expiresAt: at('expires_at'),
    /** The zone quiet hours are read in (a recurring trigger's own zone wins). */
    timeZone: text('time_zone').notNull().default('Asia/Shanghai'),
    /** Local times in which nothing is sent: deliveries wait or are skipped; null: none. */
    quietHours: jsonb('quiet_hours').$type<QuietHours>(),
    /** The workflow of the latest run (one-time and event campaigns), or null. */
    workflowId: text('workflow_id'),
    /** The latest run: what the API shows by default. */
    currentRunId: uuid('current_run_id'),
    launchedAt: at('launched_at'),
    finishedAt: at('finished_at'),
    lastError: text('last_error'),
    /** Why the campaign paused itself (the channel's circuit breaker); null for an operator's pause. */
    pauseReason: text('pause_reason'),
    /** The conversion goal (contracts/goal.ts); null: none. Edited while a draft. */
    goal: jsonb('goal').$type<Goal>(),
    /** The control group: percent of users held out; null: none. Edited while a draft. */
    holdout: jsonb('holdout').$type<Holdout>(),
    /** Which draw of the control group runs use; the operator's "new draw" counts it up (migration 0014). */
    holdoutDraw: integer('holdout_draw').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    index('campaigns_status_idx').on(t.status, t.createdAt),
    index('campaigns_channel_idx').on(t.channelId),
    index('campaigns_segment_idx').on(t.segmentId),
    check('campaigns_status_check', oneOf('status', campaignStatuses)),
  ],
);

/**
 * One execution of a campaign (runs/store.ts owns it): its frozen definition,
 * its status, its pause/cancel control flag (read by sending activities), and
 * its audience size once frozen.
 */
export const campaignRuns = pgTable(
  'campaign_runs',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    workflowId: text('workflow_id').notNull(),
    status: text('status', { enum: runStatuses }).notNull().default('scheduled'),
    trigger: text('trigger', { enum: runTriggers }).notNull().default('once'),
    /** A schedule firing's nominal time (Temporal's scheduled start time). */
    scheduledAt: at('scheduled_at'),
    /** Why the run was skipped, missed or failed. */
    reason: text('reason'),
    definition: jsonb('definition').$type<FrozenDefinition>().notNull(),
    sendAt: at('send_at').notNull(),
    expiresAt: at('expires_at'),
    /** Sending activities stop starting requests when it is not 'run'. */
    control: text('control', { enum: runControls }).notNull().default('run'),
    /**
     * Counts changes of `control`. Sending activities report the epoch they saw
     * stop them; a batch workflow then waits for the parent's signal of that
     * epoch instead of polling for it.
     */
    controlEpoch: integer('control_epoch').notNull().default(0),
    /** Until when the run's sends wait for the campaign's quiet hours to end (the latest wait any batch began). */
    quietUntil: at('quiet_until'),
    total: integer('total'),
    skipped: integer('skipped'),
    frozenAt: at('frozen_at'),
    /** The last audience position handed out by an event run, which numbers its deliveries as they happen. */
    lastSeq: integer('last_seq').notNull().default(0),
    /**
     * An event run's workflow sleeps until then (its next due firing, or
     * 'infinity'); NULL while it works through due firings. The relay signals
     * it only for a firing due earlier. '-infinity': a run from before the
     * due-firing queue, woken once to take it up (migration 0012).
     */
    wakeAt: at('wake_at'),
    /** Events an event run has counted (relayed while it was running). */
    eventsCounted: bigint('events_counted', { mode: 'number' }).notNull().default(0),
    startedAt: at('started_at'),
    finishedAt: at('finished_at'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('campaign_runs_workflow_key').on(t.workflowId),
    index('campaign_runs_campaign_idx').on(t.campaignId, t.createdAt, t.id),
    check('campaign_runs_status_check', oneOf('status', runStatuses)),
    check('campaign_runs_trigger_check', oneOf('trigger', runTriggers)),
    check('campaign_runs_control_check', oneOf('control', runControls)),
  ],
);

/**
 * The frozen audience of a run and each user's delivery state: one row per
 * (run, user), numbered by `seq` so batches are key ranges.
 */
export const runRecipients = pgTable(
  'run_recipients',
  {
    runId: uuid('run_id').notNull(),
    seq: integer('seq').notNull(),
    userId: uuid('user_id').notNull(),
    /** The identity value addressed (login id or visitor id); null means skipped. */
    address: text('address'),
    status: text('status', { enum: deliveryStatuses }).notNull(),
    attempts: smallint('attempts').notNull().default(0),
    nextAttemptAt: at('next_attempt_at'),
    lastHttpStatus: smallint('last_http_status'),
    lastErrorClass: text('last_error_class'),
    lastErrorMessage: text('last_error_message'),
    firstAttemptAt: at('first_attempt_at'),
    lastAttemptAt: at('last_attempt_at'),
    latencyMs: integer('latency_ms'),
    webhookId: text('webhook_id'),
    responseBody: text('response_body'),
    /**
     * Tells a user's deliveries in one run apart: '' for a frozen audience's one
     * delivery per user, 'once' for a once-per-user trigger's send, 'event:<id>'
     * for a send caused by that event (migration 0008).
     */
    deliveryKey: text('delivery_key').notNull().default(''),
    /** The event that caused this delivery (event-triggered runs only). */
    triggerEventId: bigint('trigger_event_id', { mode: 'number' }),
    /**
     * A `held_out` user's moment they would have been sent: when the run's sends
     * reached them (attribution's window starts here, as a sent user's starts at
     * the success). Null while not reached yet (migration 0014).
     */
    heldOutAt: at('held_out_at'),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.seq] }),
    uniqueIndex('run_recipients_user_key').on(t.runId, t.userId, t.deliveryKey),
    check('run_recipients_status_check', oneOf('status', deliveryStatuses)),
    // No index on status: each delivery changes it, and leaving it unindexed (with
    // fillfactor 50, set in migration 0003) lets PostgreSQL update rows in place (HOT)
    // without touching any index. Status filters scan the run's key range instead.
  ],
);

/** Every attempt, for "did user X get it, and when?". */
export const deliveryAttempts = pgTable(
  'delivery_attempts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    runId: uuid('run_id').notNull(),
    seq: integer('seq').notNull(),
    attempt: smallint('attempt').notNull(),
    startedAt: at('started_at').notNull(),
    latencyMs: integer('latency_ms'),
    httpStatus: smallint('http_status'),
    outcome: text('outcome', { enum: attemptOutcomes }).notNull(),
    errorClass: text('error_class'),
    errorMessage: text('error_message'),
  },
  (t) => [index('delivery_attempts_recipient_idx').on(t.runId, t.seq, t.attempt), check('delivery_attempts_outcome_check', oneOf('outcome', attemptOutcomes))],
);

/**
 * Users per delivery status of each run, kept by statement-level triggers on
 * run_recipients (migration 0004), so watching a 10M-user run reads a handful
 * of rows instead of counting the run.
 */
export const runStatusCounts = pgTable(
  'run_status_counts',
  {
    runId: uuid('run_id').notNull(),
    status: text('status', { enum: deliveryStatuses }).notNull(),
    n: bigint('n', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.runId, t.status] }), check('run_status_counts_status_check', oneOf('status', deliveryStatuses))],
);

/**
 * Which attempt of a sending activity may send for a slice of a run (a batch,
 * or one user's retries) right now. Temporal retries an activity it believes
 * dead, but the old attempt may still be sending or writing outcomes; the lease
 * makes the new attempt wait until the old one is done or provably gone, so a
 * retry never resends what an earlier attempt is still sending (delivery/lease.ts).
 */
export const sendLeases = pgTable(
  'send_leases',
  {
    runId: uuid('run_id').notNull(),
    /** A batch's first audience position, or minus the position for one user's retries. */
    slice: integer('slice').notNull(),
    holder: text('holder').notNull(),
    expiresAt: at('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.slice] })],
);

/**
 * A run's final effect, stored by its workflow once the last recipient's
 * goal window (and the grace for late events) has passed: the raw counts
 * attribution found, which add up across runs (effect/store.ts).
 */
export const runEffects = pgTable(
  'run_effects',
  {
    runId: uuid('run_id')
      .primaryKey()
      .references(() => campaignRuns.id, { onDelete: 'cascade' }),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    figures: jsonb('figures').$type<EffectFigures>().notNull(),
    /** When the last recipient's window closed; null when the run had no recipient to measure. */
    windowClosedAt: at('window_closed_at'),
    computedAt: at('computed_at').notNull().defaultNow(),
  },
  (t) => [index('run_effects_campaign_idx').on(t.campaignId)],
);
