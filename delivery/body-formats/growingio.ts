import { buildGrowingIoRequest } from '../growingio.js';
import { batchWebhookIdFor } from '../ids.js';
import type { BodyFormatModule } from './types.js';

/** Up to the channel's `batchSize` users per request, in the body receivers written for GrowingIO expect. */
export const growingIoFormat: BodyFormatModule = {
  format: 'growingio',
  usersPerRequest: (channel) => channel.batchSize,
  webhookId: (runId, recipients) => batchWebhookIdFor(runId, recipients.map((r) => (r.deliveryKey === '' ? r.userId : `${r.userId}:${r.deliveryKey}`))),
  build: ({ channel, payloads, templateValues, webhookId, timestamp }) =>
    buildGrowingIoRequest({ channel, channelName: channel.name, templateParam: templateValues, userAttr: payloads, webhookId, timestamp }),
};
