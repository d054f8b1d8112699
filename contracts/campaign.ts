import { z } from 'zod';
import type { BodyFormat } from './body-formats.js';
import type { RetrySettings, TemplateParam, UserAttributeParam, UserCap } from './channel.js';
import { goalSchema, holdoutSchema, type FrozenHoldout, type Goal } from './goal.js';
import { scheduleTimeSchema } from './schedule-horizon.js';
import type { SegmentRule } from './segment-rule.js';
import { DEFAULT_TIME_ZONE, timeZoneSchema } from './time-zone.js';
import { triggerSchema } from './trigger.js';

/*
 * A campaign as the API takes it (draft, patch) and as a launch freezes it
 * (the definition a run reads). A leaf: imports nothing of the project outside
 * contracts/ (freezing, template values and send times are campaigns/definition.ts).
 */

/** A wall-clock time `HH:MM` (00:00–23:59). */
export type ClockTime = string;

/** A campaign's daily quiet window (delivery/quiet-hours.ts applies it). */
export interface QuietHours {
  from: ClockTime;
  to: ClockTime;
  /** `wait`: deliveries wait until the window ends; `skip`: they are recorded `skipped` (reason `quiet_hours`). */
  mode: 'wait' | 'skip';
}

export const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

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
  expiresAt: scheduleTimeSchema.transform((value) => new Date(value)).nullable(),
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
