import { USER_AGENT, type RequestChannel, type WebhookRequest } from '../webhook/request.js';
import { basicAuthorization, hexSignature } from '../webhook/signing.js';

/**
 * Builds a GrowingIO-compatible batch request: `{name, templateParam, userAttr,
 * timestamp}` signed as hex HMAC-SHA256 of the body in `X-gio-signature` (key:
 * the channel secret, or empty), so receivers written for that platform work
 * unchanged.
 *
 * @example
 * buildGrowingIoRequest({ channel, channelName: '白鸽卡券中心', templateParam: { amount: 100 }, userAttr: [{ userid: 'u-1', amount: 100 }], webhookId, timestamp });
 */
export function buildGrowingIoRequest(input: {
  channel: RequestChannel;
  channelName: string;
  templateParam: Record<string, unknown>;
  userAttr: Record<string, unknown>[];
  webhookId: string;
  timestamp: Date;
}): WebhookRequest {
  const { channel } = input;
  const body = JSON.stringify({
    name: input.channelName,
    templateParam: input.templateParam,
    userAttr: input.userAttr,
    timestamp: String(input.timestamp.getTime()),
  });
  const headers: Record<string, string> = {
    ...channel.headers,
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': input.webhookId,
    'x-gio-signature': hexSignature(channel.auth, body),
  };
  if (channel.auth.type === 'basic') {
    headers.authorization = basicAuthorization(channel.auth.username, channel.auth.password);
  }
  // GrowingIO receivers expect a body, so GET channels still POST in this format.
  return { method: channel.method === 'GET' ? 'POST' : channel.method, url: channel.url, headers, body };
}
