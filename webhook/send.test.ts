import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAttempt } from '../delivery/outcome.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { sendWebhook } from './send.js';

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver(() => ({ status: 200, body: 'x'.repeat(10_000) }));
});
afterAll(() => receiver.close());

describe('sendWebhook', () => {
  it('reports a request the HTTP client refuses to build as invalid_request, which is never retried', async () => {
    for (const headers of <Record<string, string>[]>[{ 'x-note': '中文值' }, { 'x-note': 'a\u0000b' }, { expect: '100-continue' }, { upgrade: 'h2c' }, { 'transfer-encoding': 'chunked' }]) {
      const outcome = await sendWebhook({ method: 'POST', url: `${receiver.url}/h`, headers, body: '{}' }, { timeoutMs: 1_000 });
      expect(outcome.verdict).toBe('invalid_request');
      expect(classifyAttempt(outcome)).toMatchObject({ kind: 'failed', errorClass: 'invalid_request' });
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it('keeps the first 4 KB of a large answer and reuses the connection', async () => {
    const first = await sendWebhook({ method: 'POST', url: `${receiver.url}/big`, headers: {}, body: '{}' }, { timeoutMs: 1_000 });
    expect(first).toMatchObject({ verdict: 'ok', status: 200 });
    expect(first.response!.body).toHaveLength(4096);
    expect(first.response!.bodyTruncated).toBe(true);
    const second = await sendWebhook({ method: 'POST', url: `${receiver.url}/big`, headers: {}, body: '{}' }, { timeoutMs: 1_000 });
    expect(second.verdict).toBe('ok');
  });
});
