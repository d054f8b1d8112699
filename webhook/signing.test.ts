import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { basicAuthorization, hexSignature, standardSignature } from './signing.js';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('signing', () => {
  it('produces the signature the standardwebhooks package verifies', () => {
    const body = JSON.stringify({ userid: 'u-42', amount: 100, text: '亲爱的' });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = standardSignature(secret, 'msg_1', timestamp, body);
    expect(signature).toBe(new Webhook(secret).sign('msg_1', new Date(timestamp * 1000), body));
    const verified = new Webhook(secret).verify(body, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signature });
    expect(verified).toMatchObject({ userid: 'u-42' });
    // A second call reuses the prepared key and still signs each body on its own.
    expect(standardSignature(secret, 'msg_2', timestamp, body)).not.toBe(signature);
  });

  it('signs GrowingIO bodies with the secret text as the key, or an empty key', () => {
    expect(hexSignature({ type: 'secret', secret }, '{}')).toBe(createHmac('sha256', secret).update('{}').digest('hex'));
    expect(hexSignature({ type: 'none' }, '{}')).toBe(createHmac('sha256', '').update('{}').digest('hex'));
  });

  it('builds HTTP Basic credentials', () => {
    expect(basicAuthorization('ops', 'p:w')).toBe(`Basic ${Buffer.from('ops:p:w').toString('base64')}`);
  });
});
