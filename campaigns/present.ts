import type { campaigns } from '../db/schema.js';
import type { JsonValue } from '../lib/json-values.js';

type CampaignRow = typeof campaigns.$inferSelect;

/** The campaign as the API shows it. */
export function presentCampaign(row: CampaignRow) {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    segmentId: row.segmentId,
    channelId: row.channelId,
    identity: row.identity,
    // Values of a JSON body, as sent.
    templateValues: row.templateValues as Record<string, JsonValue>,
    trigger: row.trigger,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    timeZone: row.timeZone,
    quietHours: row.quietHours,
    launchedAt: row.launchedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    lastError: row.lastError,
    /** Why the campaign paused itself (the channel's circuit breaker); null when an operator paused it or it runs. */
    pauseReason: row.pauseReason,
    /** The conversion goal (docs/goals.md), or null. */
    goal: row.goal,
    /** The control group with the draw runs use (a new draw picks another one), or null. */
    holdout: row.holdout ? { percent: row.holdout.percent, draw: row.holdoutDraw } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
