import type { TemplateParam, UserAttributeParam } from '../channels/schema.js';
import { buildWebhookRequest, type RequestChannel, type WebhookRequest } from '../webhook/request.js';
import { userAttributeValues, type RecipientProfile } from '../webhook/user.js';
import { buildGrowingIoRequest } from './growingio.js';

/** What composing a request needs to know about a channel. */
export interface ComposeChannel extends RequestChannel {
  name: string;
  format: 'standard' | 'growingio';
  userAttributeParams: UserAttributeParam[];
  templateParams: TemplateParam[];
}

/**
 * The single place where a delivery's HTTP request is put together, for
 * campaign sends and test sends alike: one user per request in `standard`
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
  if (channel.format === 'growingio') {
    return buildGrowingIoRequest({
      channel,
      channelName: channel.name,
      templateParam: input.templateValues,
      userAttr: payloads,
      webhookId: input.webhookId,
      timestamp: input.timestamp,
    });
  }
  if (payloads.length !== 1) throw new Error('standard format carries exactly one user per request');
  return buildWebhookRequest({ channel, payload: payloads[0]!, webhookId: input.webhookId, timestamp: input.timestamp });
}
