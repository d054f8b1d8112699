import { hash } from 'node:crypto';

// One-shot hash(): no Hash object per id, computed once per delivery.

/**
 * The Standard Webhooks `webhook-id` of one delivery to one user in one run:
 * derived, not stored-then-read, so every retry and every worker computes the
 * same key. `deliveryKey` tells apart the deliveries an event run makes to the
 * same user (run_recipients.delivery_key); a frozen audience's is ''.
 *
 * @example
 * webhookIdFor('run-uuid', 'user-uuid'); // 'msg_3f2a…' (36 characters)
 */
export function webhookIdFor(runId: string, userId: string, deliveryKey = ''): string {
  const key = deliveryKey === '' ? `${runId}:${userId}` : `${runId}:${userId}:${deliveryKey}`;
  return `msg_${hash('sha256', key, 'hex').slice(0, 32)}`;
}

/** The id of a GrowingIO-format request carrying several users: keyed by its first user. */
export function batchWebhookIdFor(runId: string, userIds: readonly string[]): string {
  return `msg_${hash('sha256', `${runId}:${userIds.join(',')}`, 'hex').slice(0, 32)}`;
}
