import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChannelAuth } from '../contracts/channel.js';
import { answerScrubber, maskCredentialShapes } from './scrub.js';
import { buildWebhookRequest } from './request.js';

/*
 * The scrubber against echoes an endpoint could write: the request's headers
 * and credentials in several encodings, at any offset, cut anywhere. The
 * encodings are written here independently of scrub.ts.
 */

const LIMIT = 4096;

const encoders: Record<string, (s: string) => string> = {
  raw: (s) => s,
  json: (s) => JSON.stringify(s),
  url: (s) => encodeURIComponent(s),
  urlLower: (s) => encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
  form: (s) => new URLSearchParams({ v: s }).toString().slice(2),
  html: (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;'),
  base64: (s) => Buffer.from(s).toString('base64'),
  base64url: (s) => Buffer.from(s).toString('base64url'),
};

/** A whole echo in one encoding: prefix (any length, so base64 alignment varies), the secret-bearing text, suffix. */
function echo(format: string, prefix: string, text: string, suffix: string): string {
  const encode = encoders[format]!;
  // base64 of the whole echo: the credential sits at the alignment the prefix gives it.
  return format.startsWith('base64') ? encode(prefix + text + suffix) : prefix + encode(text) + suffix;
}

/** What must never be in an answer: each credential, in each encoding, whole or (at the end of a cut answer) its first 6 characters. */
function leaks(answer: string, truncated: boolean, credentials: string[]): string[] {
  const found: string[] = [];
  for (const credential of credentials) {
    const forms = [credential, ...Object.values(encoders).map((e) => e(credential))];
    for (let offset = 1; offset < 3; offset++) {
      const encoded = Buffer.from(Buffer.concat([Buffer.alloc(offset), Buffer.from(credential)])).toString('base64');
      forms.push(encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + Buffer.byteLength(credential)) * 8) / 6)));
    }
    for (const form of forms) {
      if (form.length >= 8 && answer.includes(form)) found.push(`whole ${form}`);
      if (truncated) for (let n = 6; n < form.length; n++) if (answer.endsWith(form.slice(0, n))) found.push(`cut ${form.slice(0, n)}`);
    }
  }
  return found;
}

const password = fc.string({ minLength: 8, maxLength: 40, unit: fc.constantFrom(...'abcXYZ0189 !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~é中'.split('')) });

describe('answers are scrubbed before they are cut', () => {
  it('masks a Basic token, user:password and the password in any encoding, at any offset and cut', () => {
    fc.assert(
      fc.property(password, fc.constantFrom(...Object.keys(encoders)), fc.nat({ max: 5000 }), fc.string({ maxLength: 200 }), (pw, format, padding, suffix) => {
        const auth: ChannelAuth = { type: 'basic', username: 'shop', password: pw };
        const request = buildWebhookRequest({ channel: { url: 'https://h.example/x', method: 'POST', headers: {}, auth }, payload: { m: 'x' }, webhookId: 'msg_1', timestamp: new Date() });
        const token = request.headers.authorization!.slice('Basic '.length);
        const secrets = [token, `shop:${pw}`, pw];
        const text = echo(format, 'x'.repeat(padding), `authorization: Basic ${token}\ndecoded: shop:${pw}\npassword=${pw}`, suffix);
        const { text: answer, truncated } = answerScrubber(request, auth).scrub(text, { limit: LIMIT, truncated: false });
        expect(answer.length).toBeLessThanOrEqual(LIMIT);
        expect(leaks(answer, truncated, secrets)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('masks every signature (and the secret itself) in any encoding, so no answer carries a valid signature', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 64 }), fc.constantFrom(...Object.keys(encoders)), fc.nat({ max: 5000 }), fc.boolean(), (key, format, padding, rotating) => {
        const secret = `whsec_${Buffer.from(key).toString('base64')}`;
        const previous = `whsec_${Buffer.from(key).reverse().toString('base64')}`;
        const auth: ChannelAuth = { type: 'secret', secret, ...(rotating ? { previous: { secret: previous, until: new Date(Date.now() + 3_600_000).toISOString() } } : {}) };
        const request = buildWebhookRequest({ channel: { url: 'https://h.example/x', method: 'POST', headers: {}, auth }, payload: { m: 'x' }, webhookId: 'msg_1', timestamp: new Date() });
        const signatures = request.headers['webhook-signature']!.split(' ');
        const secrets = [secret, ...signatures, ...signatures.map((s) => s.slice(3)), ...(rotating ? [previous] : [])];
        const text = echo(format, 'y'.repeat(padding), `webhook-signature: ${request.headers['webhook-signature']}\nsecret=${secret}`, '');
        const { text: answer, truncated } = answerScrubber(request, auth).scrub(text, { limit: LIMIT, truncated: false });
        expect(leaks(answer, truncated, secrets)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps ordinary answers as they are', () => {
    const auth: ChannelAuth = { type: 'basic', username: 'shop', password: 'pa55-w0rd' };
    const request = buildWebhookRequest({ channel: { url: 'https://h.example/x', method: 'POST', headers: {}, auth }, payload: {}, webhookId: 'msg_1', timestamp: new Date() });
    const scrubber = answerScrubber(request, auth);
    expect(scrubber.scrub('{"ok":true}', { limit: LIMIT, truncated: false })).toEqual({ text: '{"ok":true}', truncated: false });
    expect(scrubber.scrub('a'.repeat(5000), { limit: LIMIT, truncated: false })).toEqual({ text: 'a'.repeat(LIMIT), truncated: true });
  });

  it('masks stored bodies by the shape of what they hold', () => {
    const stored = '{"authorization":"Basic c2hvcDpwYTU1LXcwcmQ=","webhook-signature":"v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=","s":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}';
    const masked = maskCredentialShapes(stored);
    expect(masked).not.toMatch(/c2hvcDpwYTU1|K5oZfzN95Z9|MfKQ9r8GKYq/);
    expect(masked).toContain('Basic ********');
  });
});
