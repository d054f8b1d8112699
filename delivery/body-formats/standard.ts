import { buildWebhookRequest } from '../../webhook/request.js';
import { webhookIdFor } from '../ids.js';
import type { BodyFormatModule } from './types.js';

/** One user per request, the body keyed by parameter names, signed as Standard Webhooks. */
export const standardFormat: BodyFormatModule = {
  format: 'standard',
  usersPerRequest: () => 1,
  webhookId(runId, recipients) {
    const first = recipients[0]!;
    return webhookIdFor(runId, first.userId, first.deliveryKey);
  },
  build({ channel, payloads, webhookId, timestamp }) {
    if (payloads.length !== 1) throw new Error('standard format carries exactly one user per request');
    return buildWebhookRequest({ channel, payload: payloads[0]!, webhookId, timestamp });
  },
};
