import { randomUUID } from 'node:crypto';
import { fieldError } from '../lib/errors.js';
import { composeRequest, type ComposeChannel } from '../delivery/compose.js';
import type { Dispatcher } from 'undici';
import { redactRequest, type WebhookRequest } from '../webhook/request.js';
import { sendWebhook, type SendOutcome } from '../webhook/send.js';
import { compileTemplateValues, TemplateError } from '../webhook/render.js';
import type { RecipientProfile } from '../webhook/user.js';
import { ID_ATTRIBUTE, templateValueProblem, type ChannelAuth, type ChannelInput, type TemplateParam } from '../contracts/channel.js';

function typeSample(param: TemplateParam, now: Date): unknown {
  switch (param.type) {
    case 'integer':
      return 1;
    case 'number':
      return 1.5;
    case 'text':
      return `sample ${param.displayName}`;
    case 'boolean':
      return true;
    case 'date':
      return now.toISOString().slice(0, 10);
  }
}

/**
 * The values a test send uses: supplied ones, else defaults, else samples of the
 * right type. Supplied template values are type-checked; unknown names are a 400.
 */
export function sampleInputs(channel: ChannelInput, supplied: Record<string, unknown>, now = new Date()) {
  const known = new Set([...channel.userAttributeParams, ...channel.templateParams].map((p) => p.name));
  for (const name of Object.keys(supplied)) {
    if (!known.has(name)) throw fieldError(`sampleValues.${name}`, 'is not a parameter of this channel');
  }
  const templateValues: Record<string, unknown> = {};
  for (const param of channel.templateParams) {
    const value = supplied[param.name] ?? param.default ?? typeSample(param, now);
    const problem = templateValueProblem(param.type, value);
    if (problem) throw fieldError(`sampleValues.${param.name}`, problem);
    templateValues[param.name] = value;
  }
  // The sample user answers each attribute parameter with the supplied value or its default.
  const attributes: Record<string, unknown> = {};
  let loginId: string | null = 'sample-login-id';
  let visitorId: string | null = 'sample-visitor-id';
  for (const param of channel.userAttributeParams) {
    const value = supplied[param.name] ?? param.default ?? (param.attribute === ID_ATTRIBUTE ? undefined : `sample ${param.attribute}`);
    if (param.attribute === ID_ATTRIBUTE) {
      if (value !== undefined) {
        if (param.identity === 'login') loginId = String(value);
        else visitorId = String(value);
      }
    } else {
      attributes[param.attribute] = value;
    }
  }
  const user: RecipientProfile = { id: 'sample-user', loginId, visitorId, attributes };
  return { user, templateValues };
}

export interface TestSendResult {
  verdict: SendOutcome['verdict'];
  status: number | null;
  latencyMs: number;
  request: WebhookRequest;
  response: SendOutcome['response'];
  error: string | null;
}

/**
 * Sends one real, signed request for a channel definition (saved or not), built
 * the way a campaign delivery builds it, and reports what happened. A dead
 * endpoint is a verdict, not an exception.
 */
export async function testSend(
  channel: ChannelInput & { auth: ChannelAuth },
  supplied: Record<string, unknown> = {},
  dispatcher?: Dispatcher,
): Promise<TestSendResult> {
  const { user, templateValues } = sampleInputs(channel, supplied);
  return sendTestRequest(channel, user, templateValues, (error) => fieldError(`sampleValues.${error.param}`, error.message), dispatcher);
}

/**
 * Sends one test request to one user, rendered and composed exactly as a
 * campaign delivery is, and reports the outcome with credentials redacted. A
 * template that fails to render becomes the caller's error (`templateErrorAs`).
 */
export async function sendTestRequest(
  channel: ComposeChannel & { timeoutMs: number },
  user: RecipientProfile,
  templateValues: Record<string, unknown>,
  templateErrorAs: (error: TemplateError) => Error,
  dispatcher?: Dispatcher,
): Promise<TestSendResult> {
  let values: Record<string, unknown>;
  try {
    values = await compileTemplateValues(channel.templateParams, templateValues)(user);
  } catch (error) {
    if (error instanceof TemplateError) throw templateErrorAs(error);
    throw error;
  }
  const request = composeRequest({
    channel,
    recipients: [{ profile: user, values }],
    templateValues,
    webhookId: `msg_test_${randomUUID()}`,
    timestamp: new Date(),
  });
  // The request reaches the channel's own endpoint with its real signature; the answer shows
  // neither that signature nor the credentials, even where the endpoint echoes them back (sendWebhook scrubs).
  const outcome = await sendWebhook(request, { timeoutMs: channel.timeoutMs, dispatcher, auth: channel.auth });
  const response = outcome.response && { ...outcome.response, headers: { ...outcome.response.headers } };
  return {
    verdict: outcome.verdict,
    status: outcome.status,
    latencyMs: outcome.latencyMs,
    request: redactRequest(request),
    response,
    error: outcome.error,
  };
}
