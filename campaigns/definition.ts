import { z } from 'zod';
import type { BodyFormat } from '../contracts/body-formats.js';
import type { SegmentRule } from '../segments/rule.js';
import { templateValueProblem, type TemplateParam, type UserAttributeParam, type UserCap } from '../channels/schema.js';
import type { RetrySettings } from '../delivery/backoff.js';
import { CLOCK_TIME, type QuietHours } from '../delivery/quiet-hours.js';
import { DEFAULT_TIME_ZONE, timeZoneSchema } from '../contracts/time-zone.js';
import { parseTemplates, TemplateError } from '../webhook/template.js';
import { scheduleTimeProblem } from '../lib/schedule-horizon.js';
import { recurringTriggerSchema, type RecurringTrigger } from '../triggers/recurring.js';
import { eventTriggerSchema, type EventTrigger } from '../triggers/event.js';
import { goalSchema, holdoutSchema, type FrozenHoldout, type Goal, type Holdout } from '../effect/goal.js';

/** A one-time send, now or at a time. */
export type OnceTrigger = { type: 'once'; sendAt: 'now' | string };
/** How a campaign is triggered: once, by a schedule (triggers/recurring.ts), or by each user's events (triggers/event.ts). */
export type CampaignTrigger = OnceTrigger | RecurringTrigger | EventTrigger;

export { EARLIEST_SCHEDULE_TIME, SCHEDULE_HORIZON_MS, scheduleTimeProblem } from '../lib/schedule-horizon.js';

const isoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' }).superRefine(function withinHorizon(value, ctx) {
  // zod runs refinements after a failed format check too; '+099999-…' already has its issue.
  if (!/^\d{4}-/.test(value)) return;
  const problem = scheduleTimeProblem(new Date(value));
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const triggerSchema = z.discriminatedUnion(
  'type',
  [z.strictObject({ type: z.literal('once'), sendAt: z.union([z.literal('now'), isoDateTime]).default('now') }), recurringTriggerSchema, eventTriggerSchema],
  { error: 'type must be "once", "recurring" or "event"' },
);

const clockTime = z.string().regex(CLOCK_TIME, 'must be a time of day HH:MM, 00:00 to 23:59');

/** Local times (in the campaign's zone) in which nothing is sent; `to` before `from` wraps past midnight. */
export const quietHoursSchema = z
  .strictObject({
    from: clockTime,
    to: clockTime,
    mode: z.enum(['wait', 'skip'], { error: 'must be "wait" or "skip"' }).default('wait'),
  })
  .refine((q) => q.from !== q.to, { path: ['to'], message: 'must differ from from (an empty window)' });

const campaignFields = {
  name: z.string().trim().min(1, 'is required').max(200),
  segmentId: z.uuid('must be a segment id'),
  channelId: z.uuid('must be a channel id'),
  identity: z.enum(['login', 'visitor']),
  templateValues: z.record(z.string(), z.unknown()),
  trigger: triggerSchema,
  expiresAt: isoDateTime.transform((value) => new Date(value)).nullable(),
  timeZone: timeZoneSchema,
  quietHours: quietHoursSchema.nullable(),
  /** The conversion goal the effect is measured by (docs/goals.md); null: none. */
  goal: goalSchema.nullable(),
  /** The control group; null: nobody is held out. */
  holdout: holdoutSchema.nullable(),
};

/** A draft as submitted: only the name is needed to save one; launch checks the rest. */
export const campaignDraftSchema = z.strictObject({
  ...campaignFields,
  segmentId: campaignFields.segmentId.optional(),
  channelId: campaignFields.channelId.optional(),
  identity: campaignFields.identity.default('login'),
  templateValues: campaignFields.templateValues.default({}),
  trigger: campaignFields.trigger.default({ type: 'once', sendAt: 'now' }),
  expiresAt: campaignFields.expiresAt.optional(),
  timeZone: campaignFields.timeZone.default(DEFAULT_TIME_ZONE),
  quietHours: campaignFields.quietHours.default(null),
  goal: campaignFields.goal.default(null),
  holdout: campaignFields.holdout.default(null),
});
export type CampaignDraft = z.infer<typeof campaignDraftSchema>;

export const campaignPatchSchema = z.strictObject(campaignFields).partial().extend({
  segmentId: campaignFields.segmentId.nullable().optional(),
  channelId: campaignFields.channelId.nullable().optional(),
});

/**
 * The zone a campaign's quiet hours are read in: a trigger's own zone (a
 * recurring schedule's) when it has one, else the campaign's.
 *
 * @example
 * quietHoursTimeZone({ trigger: { type: 'once', sendAt: 'now' }, timeZone: 'Asia/Shanghai' }); // 'Asia/Shanghai'
 */
export function quietHoursTimeZone(campaign: { trigger: object; timeZone: string }): string {
  const zone = (campaign.trigger as { timeZone?: unknown }).timeZone;
  return typeof zone === 'string' && zone !== '' ? zone : campaign.timeZone;
}

/** The channel as a run sees it: frozen at launch, except credentials, read live so a rotation applies at once. */
export interface FrozenChannel {
  id: string;
  name: string;
  url: string;
  method: 'POST' | 'PUT' | 'GET';
  headers: Record<string, string>;
  format: BodyFormat;
  batchSize: number;
  timeoutMs: number;
  retry: RetrySettings;
  userAttributeParams: UserAttributeParam[];
  templateParams: TemplateParam[];
  /** Absent in runs launched before caps existed: no cap. */
  userCap?: UserCap | null;
}

/** Everything a run needs besides credentials and user profiles; stored on the run row, never in workflow history. */
export interface FrozenDefinition {
  campaignName: string;
  identity: 'login' | 'visitor';
  channel: FrozenChannel;
  /** Complete values: supplied ones, else the parameter defaults. */
  templateValues: Record<string, unknown>;
  segment: { id: string; name: string; rule: SegmentRule; timeZone: string };
  /** Absent in runs launched before quiet hours existed: none. */
  quietHours?: QuietHours | null;
  /** The zone quiet hours are read in: the trigger's own zone, else the campaign's. */
  timeZone?: string;
  /** Absent in runs launched before goals existed: none. */
  goal?: Goal | null;
  /** The control group with the draw that decides it; absent in runs launched before goals existed: none. */
  holdout?: FrozenHoldout | null;
}

/**
 * What a launch freezes: the campaign's settings, the channel's request shape
 * (credentials stay on the channel, read live) and the segment's rule. Stored
 * on the campaign and copied to each run, never put into workflow history.
 */
export function freezeDefinition(
  campaign: {
    name: string;
    identity: 'login' | 'visitor';
    trigger?: object;
    timeZone?: string;
    quietHours?: QuietHours | null;
    goal?: Goal | null;
    holdout?: Holdout | null;
    holdoutDraw?: number;
  },
  channel: FrozenChannel & Record<string, unknown>,
  segment: { id: string; name: string; rule: SegmentRule; timeZone: string },
  templateValues: Record<string, unknown>,
): FrozenDefinition {
  return {
    campaignName: campaign.name,
    identity: campaign.identity,
    templateValues,
    channel: {
      id: channel.id,
      name: channel.name,
      url: channel.url,
      method: channel.method,
      headers: channel.headers,
      format: channel.format,
      batchSize: channel.batchSize,
      timeoutMs: channel.timeoutMs,
      retry: channel.retry,
      userAttributeParams: channel.userAttributeParams,
      templateParams: channel.templateParams,
      userCap: channel.userCap ?? null,
    },
    segment: { id: segment.id, name: segment.name, rule: segment.rule, timeZone: segment.timeZone },
    quietHours: campaign.quietHours ?? null,
    timeZone: quietHoursTimeZone({ trigger: campaign.trigger ?? {}, timeZone: campaign.timeZone ?? DEFAULT_TIME_ZONE }),
    goal: campaign.goal ?? null,
    holdout: campaign.holdout ? { percent: campaign.holdout.percent, draw: campaign.holdoutDraw ?? 1 } : null,
  };
}

/**
 * Checks template values against a channel's template parameters and fills
 * defaults. Returns the complete values and a list of problems, each naming the
 * parameter, so launch can refuse with reasons.
 *
 * @example
 * resolveTemplateValues([{ name: 'amount', type: 'integer', required: true, displayName: '券面值' }], { amount: 100 });
 * // { values: { amount: 100 }, problems: [] }
 */
export function resolveTemplateValues(params: readonly TemplateParam[], supplied: Record<string, unknown>) {
  const problems: { path: string; message: string }[] = [];
  const values: Record<string, unknown> = {};
  const known = new Set(params.map((p) => p.name));
  for (const name of Object.keys(supplied)) {
    if (!known.has(name)) problems.push({ path: `templateValues.${name}`, message: 'is not a template parameter of the channel' });
  }
  for (const param of params) {
    const value = supplied[param.name] ?? param.default;
    if (value === undefined || value === null) {
      if (param.required) problems.push({ path: `templateValues.${param.name}`, message: `is required (${param.displayName})` });
      else values[param.name] = null;
      continue;
    }
    const problem = templateValueProblem(param.type, value);
    if (problem) {
      problems.push({ path: `templateValues.${param.name}`, message: problem });
      continue;
    }
    values[param.name] = value;
  }
  if (problems.length === 0) {
    try {
      parseTemplates(params, values);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      problems.push({ path: `templateValues.${error.param}`, message: error.message });
    }
  }
  return { values, problems };
}

/** How far in the past a send time may be before launch refuses it. */
export const SEND_TIME_GRACE_MS = 60_000;

/** Resolves `now` or an ISO time; a time more than a minute past, or beyond the horizon, is a problem. */
export function resolveSendAt(trigger: OnceTrigger, now: Date): { sendAt: Date; problem?: string } {
  if (trigger.sendAt === 'now') return { sendAt: now };
  const sendAt = new Date(trigger.sendAt);
  if (sendAt.getTime() < now.getTime() - SEND_TIME_GRACE_MS) {
    return { sendAt, problem: 'is more than one minute in the past' };
  }
  // A draft saved within the horizon may sit long enough to be re-checked here; no timer beyond it is ever started.
  const problem = scheduleTimeProblem(sendAt, now);
  return problem ? { sendAt, problem } : { sendAt };
}
