import type { DeliveryCounts } from './recipients.js';
import type { FrozenDefinition } from '../contracts/campaign.js';
import type { TemplateParam } from '../contracts/channel.js';
import type { JsonValue } from '../lib/json-values.js';
import type { RunRow } from './store.js';

/** The definition as stored: its values came in JSON bodies, and each default was checked against its parameter's type. */
type StoredDefinition = Omit<FrozenDefinition, 'templateValues' | 'channel'> & {
  templateValues: Record<string, JsonValue>;
  channel: Omit<FrozenDefinition['channel'], 'templateParams'> & { templateParams: (Omit<TemplateParam, 'default'> & { default?: string | number | boolean | null })[] };
};

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** A run as the API shows it: no credentials (the frozen definition never holds any). */
export function presentRun(row: RunRow, extra: { deliveries?: DeliveryCounts; temporalUrl?: string; definition?: boolean } = {}) {
  return {
    id: row.id,
    status: row.status,
    trigger: row.trigger,
    scheduledAt: iso(row.scheduledAt),
    reason: row.reason,
    sendAt: row.sendAt.toISOString(),
    expiresAt: iso(row.expiresAt),
    audience: row.total === null ? null : { total: row.total, skipped: row.skipped, frozenAt: iso(row.frozenAt) },
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    /** While the run's sends wait for the campaign's quiet hours to end: until when; else null. */
    quietUntil: row.quietUntil && !row.finishedAt && row.quietUntil.getTime() > Date.now() ? row.quietUntil.toISOString() : null,
    workflowId: row.workflowId,
    ...(extra.temporalUrl ? { temporalUrl: extra.temporalUrl } : {}),
    ...(extra.deliveries ? { deliveries: extra.deliveries } : {}),
    ...(extra.definition === false ? {} : { definition: row.definition as StoredDefinition }),
  };
}
