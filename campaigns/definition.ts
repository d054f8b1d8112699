import { DEFAULT_TIME_ZONE } from '../contracts/time-zone.js';
import { templateValueProblem, type TemplateParam } from '../contracts/channel.js';
import { quietHoursTimeZone, type FrozenChannel, type FrozenDefinition, type QuietHours } from '../contracts/campaign.js';
import type { Goal, Holdout } from '../contracts/goal.js';
import { scheduleTimeProblem } from '../contracts/schedule-horizon.js';
import type { SegmentRule } from '../contracts/segment-rule.js';
import type { OnceTrigger } from '../contracts/trigger.js';
import { parseTemplates, TemplateError } from '../webhook/template.js';

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
