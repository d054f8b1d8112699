import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { ChannelAuth } from '../contracts/channel.js';

/*
 * Credential material prepared once per secret and reused for every request:
 * a campaign signs one request per user, and re-deriving the key (or signing
 * through a pure-JS SHA-256, as the standardwebhooks package does) showed up as
 * a large share of the worker's CPU per delivery. Tests verify the output with
 * the standardwebhooks package itself.
 */

const keys = new Map<string, KeyObject>();
const rawKeys = new Map<string, KeyObject>();
const basicHeaders = new Map<string, string>();
// Channels are few; a bound keeps a worker that sees many rotated secrets from growing without end.
const MAX_CACHED = 1_000;

function remember<T>(map: Map<string, T>, key: string, make: () => T): T {
  let value = map.get(key);
  if (value === undefined) {
    if (map.size >= MAX_CACHED) map.clear();
    value = make();
    map.set(key, value);
  }
  return value;
}

function signingKey(secret: string): KeyObject {
  return remember(keys, secret, () => createSecretKey(Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64')));
}

/**
 * The Standard Webhooks `webhook-signature` value: `v1,` and the base64
 * HMAC-SHA256 of `id.timestamp.body` under the secret's decoded bytes.
 *
 * @example
 * standardSignature('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_1', 1700000000, '{}'); // 'v1,…'
 */
export function standardSignature(secret: string, webhookId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', signingKey(secret)).update(`${webhookId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** Hex HMAC-SHA256 of the body (GrowingIO's `X-gio-signature`), keyed by the secret's text as given; an empty key without a secret. */
export function hexSignature(auth: ChannelAuth, body: string): string {
  const key = auth.type === 'secret' ? remember(rawKeys, auth.secret, () => createSecretKey(Buffer.from(auth.secret, 'utf8'))) : '';
  return createHmac('sha256', key).update(body).digest('hex');
}

/** `Authorization: Basic …` for a username and password, built once per pair. */
export function basicAuthorization(username: string, password: string): string {
  return remember(basicHeaders, `${username}\u0000${password}`, () => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);
}
