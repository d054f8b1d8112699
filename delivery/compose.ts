import { userAttributeValues, type RecipientProfile } from '../webhook/user.js';
import type { WebhookRequest } from '../webhook/request.js';
import { bodyFormat, type ComposeChannel } from './body-formats/index.js';

export type { ComposeChannel };

/**
 * The single place where a delivery's HTTP request is put together, for
 * campaign sends and test sends alike; the channel's body format
 * (delivery/body-formats/) shapes it: one user per request in `standard`
 * format (body keyed by parameter names), several in `growingio` format.
 *
 * @example
 * composeRequest({ channel, recipients: [{ profile, values: { amount: 100 } }], templateValues: { amount: 100 }, webhookId, timestamp: new Date() });
 */
export function composeRequest(input: {
  channel: ComposeChannel;
  /** Each recipient with its template values rendered for it. */
  recipients: { profile: RecipientProfile; values: Record<string, unknown> }[];
  /** Campaign-level (unrendered) values, for growingio's `templateParam`. */
  templateValues: Record<string, unknown>;
  webhookId: string;
  timestamp: Date;
}): WebhookRequest {
  const { channel } = input;
  const payloads = input.recipients.map((r) => ({ ...userAttributeValues(channel.userAttributeParams, r.profile), ...r.values }));
  return bodyFormat(channel.format).build({ channel, payloads, templateValues: input.templateValues, webhookId: input.webhookId, timestamp: input.timestamp });
}
