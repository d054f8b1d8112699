import type { ChannelAuth } from '../contracts/channel.js';
import { MASK } from './mask.js';
import { basicAuthorization, standardSignature } from './signing.js';

export const USER_AGENT = 'hookcast/0.1 (+https://github.com/hookcast/hookcast)';

/** The parts of a channel that shape its HTTP request. */
export interface RequestChannel {
  url: string;
  method: 'POST' | 'PUT' | 'GET';
  headers: Record<string, string>;
  auth: ChannelAuth;
}

export interface WebhookRequest {
  method: 'POST' | 'PUT' | 'GET';
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Builds the one request a channel sends for one payload, following the
 * Standard Webhooks spec: `webhook-id` (the idempotency key, stable across
 * retries), `webhook-timestamp` and, with secret auth, `webhook-signature`. GET
 * channels carry the payload in the query string and sign an empty body.
 *
 * @example
 * const req = buildWebhookRequest({ channel, payload: { userid: 'u-42', amount: 100 }, webhookId: 'msg_1', timestamp: new Date() });
 * req.headers['webhook-signature']; // 'v1,…'
 */
export function buildWebhookRequest(input: {
  channel: RequestChannel;
  payload: Record<string, unknown>;
  webhookId: string;
  timestamp: Date;
}): WebhookRequest {
  const { channel, payload, webhookId, timestamp } = input;
  let url = channel.url;
  let body = '';
  if (channel.method === 'GET') {
    const withQuery = new URL(channel.url);
    for (const [key, value] of Object.entries(payload)) {
      withQuery.searchParams.set(key, value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));
    }
    url = withQuery.toString();
  } else {
    body = JSON.stringify(payload);
  }
  const seconds = Math.floor(timestamp.getTime() / 1000);
  const headers: Record<string, string> = {
    ...channel.headers,
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': webhookId,
    'webhook-timestamp': String(seconds),
  };
  if (channel.auth.type === 'secret') {
    const { secret, previous } = channel.auth;
    const signature = standardSignature(secret, webhookId, seconds, body);
    // During a rotation both secrets sign (Standard Webhooks allows several space-separated
    // signatures), so a receiver still verifying with the old secret keeps accepting.
    headers['webhook-signature'] =
      previous && Date.parse(previous.until) > timestamp.getTime() ? `${signature} ${standardSignature(previous.secret, webhookId, seconds, body)}` : signature;
  } else if (channel.auth.type === 'basic') {
    headers.authorization = basicAuthorization(channel.auth.username, channel.auth.password);
  }
  return { method: channel.method, url, headers, body };
}


/**
 * A copy of a request that is safe to show or store: credentials and
 * signatures masked, so a test send's answer is neither a credential nor a
 * signing oracle.
 */
export function redactRequest(request: WebhookRequest): WebhookRequest {
  const headers = { ...request.headers };
  if (headers.authorization) headers.authorization = headers.authorization.replace(/ .*/, ` ${MASK}`);
  if (headers['webhook-signature']) headers['webhook-signature'] = headers['webhook-signature'].replace(/(v1a?,)\S+/g, `$1${MASK}`);
  if (headers['x-gio-signature']) headers['x-gio-signature'] = MASK;
  const url = new URL(request.url);
  if (url.password) url.password = MASK;
  return { ...request, url: url.toString(), headers };
}
