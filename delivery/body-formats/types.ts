import type { BodyFormat } from '../../contracts/body-formats.js';
import type { TemplateParam, UserAttributeParam } from '../../contracts/channel.js';
import type { RequestChannel, WebhookRequest } from '../../webhook/request.js';

/** What composing a request needs to know about a channel. */
export interface ComposeChannel extends RequestChannel {
  name: string;
  format: BodyFormat;
  userAttributeParams: UserAttributeParam[];
  templateParams: TemplateParam[];
}

/**
 * One body format: how many users a request carries, the request's
 * `webhook-id`, and the request itself. Adding a format is a module
 * implementing this plus a line in index.ts (and its name in
 * contracts/body-formats.ts).
 */
export interface BodyFormatModule {
  format: BodyFormat;
  /** Users one request carries for this channel. */
  usersPerRequest(channel: { batchSize: number }): number;
  /** The request's `webhook-id`: derived from the run and its users, so every retry sends the same. */
  webhookId(runId: string, recipients: readonly { userId: string; deliveryKey: string }[]): string;
  /** The request for these users' payloads (each already holds its user attributes and rendered values). */
  build(input: { channel: ComposeChannel; payloads: Record<string, unknown>[]; templateValues: Record<string, unknown>; webhookId: string; timestamp: Date }): WebhookRequest;
}
