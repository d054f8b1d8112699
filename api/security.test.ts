import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channels } from '../db/schema.js';
import { createLogger } from '../lib/logger.js';
import { useTestDatabase } from '../test/database.js';
import { issuePaths, jsonCaller } from '../test/http.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { outboundPolicy, type Lookup } from '../webhook/outbound.js';
import { guardedDispatcher } from '../webhook/send.js';
import { createApp } from './app.js';

const testDb = useTestDatabase();
let receiver: Receiver;
let app: ReturnType<typeof createApp>;
/** Loopback only, and `*.loopback.test` names resolve to 127.0.0.1. */
const lookup: Lookup = async (host) => (host.endsWith('.loopback.test') ? ['127.0.0.1'] : ['93.184.215.14']);
const call = (method: string, path: string, body?: unknown) => jsonCaller(app)(method, path, body);

beforeAll(async () => {
  receiver = await startReceiver();
  const policy = outboundPolicy(['127.0.0.1/32'], lookup);
  app = createApp({ db: testDb.db, logger: createLogger('test', 'silent'), outbound: { policy, dispatcher: guardedDispatcher(policy) } });
});
afterAll(() => receiver.close());
beforeEach(async () => {
  await testDb.db.delete(channels);
  receiver.requests.length = 0;
  receiver.behave(() => ({ status: 200, body: 'ok' }));
});

const basicChannel = () => ({ name: 'basic', url: `${receiver.url}/b`, auth: { type: 'basic', username: 'shop', password: 'pa55-w0rd-very-secret' } });
const secretChannel = (secret?: string) => ({ name: 'signed', url: `${receiver.url}/s`, auth: { type: 'secret', ...(secret ? { secret } : {}) } });
const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

describe('credentials in answers', () => {
  it('never answers a stored Basic password on PATCH, with or without other fields, and shows a replaced one once', async () => {
    const created = await call('POST', '/api/channels', basicChannel());
    expect(created.body.auth.password).toBe('pa55-w0rd-very-secret');
    const id = created.body.id;
    for (const body of [{}, { name: 'renamed' }, { auth: { type: 'basic', username: 'shop' } }, { auth: { type: 'basic', username: 'shop', password: 'pa55-w0rd-very-secret' } }]) {
      const patched = await call('PATCH', `/api/channels/${id}`, body);
      expect(patched.status, JSON.stringify(body)).toBe(200);
      expect(JSON.stringify(patched.body)).not.toContain('pa55-w0rd-very-secret');
      expect(patched.body.auth.password).toBe('********');
    }
    const replaced = await call('PATCH', `/api/channels/${id}`, { auth: { type: 'basic', username: 'shop', password: 'n3w-pa55word' } });
    expect(replaced.body.auth.password).toBe('n3w-pa55word');
    expect(JSON.stringify((await call('GET', `/api/channels/${id}`)).body)).not.toContain('n3w-pa55word');
  });

  it('never answers a stored signing secret on PATCH, and shows a replaced one once', async () => {
    const created = await call('POST', '/api/channels', secretChannel(SECRET));
    const id = created.body.id;
    for (const body of [{}, { name: 'renamed' }, { auth: { type: 'secret' } }, { auth: { type: 'secret', secret: SECRET } }]) {
      const patched = await call('PATCH', `/api/channels/${id}`, body);
      expect(patched.status).toBe(200);
      expect(JSON.stringify(patched.body)).not.toContain(SECRET.slice(6, 30));
    }
    const other = `whsec_${Buffer.from('fedcba9876543210fedcba9876543210').toString('base64')}`;
    expect((await call('PATCH', `/api/channels/${id}`, { auth: { type: 'secret', secret: other } })).body.auth.secret).toBe(other);
  });

  it('stores secrets and passwords encrypted, each beside its key id', async () => {
    await call('POST', '/api/channels', basicChannel());
    await call('POST', '/api/channels', secretChannel(SECRET));
    const rows = await testDb.sql`SELECT auth::text AS auth FROM channels ORDER BY name`;
    const text = rows.map((r) => r.auth as string).join('\n');
    expect(text).not.toContain('pa55-w0rd-very-secret');
    expect(text).not.toContain(SECRET.slice(6));
    const [basic, signed] = rows.map((r) => JSON.parse(r.auth as string));
    expect(basic.password).toEqual({ keyId: 'ktest', sealed: expect.any(String) });
    expect(signed.secret).toEqual({ keyId: 'ktest', sealed: expect.any(String) });
    expect(basic.username).toBe('shop');
  });

  it('keeps stored credentials from following the channel to another host unless they are given again', async () => {
    const created = await call('POST', '/api/channels', basicChannel());
    const id = created.body.id;
    const moved = await call('PATCH', `/api/channels/${id}`, { url: 'https://attacker.example/collect' });
    expect(moved.status).toBe(400);
    expect(issuePaths(moved.body)).toEqual(['auth']);
    const keptPassword = await call('PATCH', `/api/channels/${id}`, { url: 'https://attacker.example/collect', auth: { type: 'basic', username: 'shop' } });
    expect(keptPassword.status).toBe(400);
    // Same origin, another path: credentials stay.
    expect((await call('PATCH', `/api/channels/${id}`, { url: `${receiver.url}/other` })).status).toBe(200);
    const reentered = await call('PATCH', `/api/channels/${id}`, { url: 'https://elsewhere.example/hook', auth: { type: 'basic', username: 'shop', password: 'given-again' } });
    expect(reentered.status).toBe(200);

    const signed = await call('POST', '/api/channels', secretChannel(SECRET));
    const newSecret = await call('PATCH', `/api/channels/${signed.body.id}`, { url: 'https://elsewhere.example/signed', auth: { type: 'secret' } });
    expect(newSecret.status).toBe(200);
    expect(newSecret.body.auth.secret).not.toBe(SECRET);
    expect(newSecret.body.auth.secret).toMatch(/^whsec_[A-Za-z0-9+/]{40}/);
  });
});

describe('test sends', () => {
  it('send the real signature and credentials to the endpoint but answer them masked, even when the endpoint echoes them', async () => {
    receiver.behave((request) => ({ status: 200, body: JSON.stringify({ echo: request.headers }) }));
    const signed = await call('POST', '/api/channels', secretChannel(SECRET));
    const answer = await call('POST', `/api/channels/${signed.body.id}/test`, { sampleValues: {} });
    expect(answer.body.verdict).toBe('ok');
    const sent = receiver.requests.at(-1)!;
    const realSignature = String(sent.headers['webhook-signature']);
    // The endpoint got a signature it can verify…
    expect(() => new Webhook(SECRET).verify(sent.body, sent.headers as Record<string, string>)).not.toThrow();
    // …and the caller none it could use.
    const text = JSON.stringify(answer.body);
    expect(text).not.toContain(realSignature.slice(3));
    expect(answer.body.request.headers['webhook-signature']).toBe('v1,********');

    const basic = await call('POST', '/api/channels', basicChannel());
    const basicAnswer = await call('POST', `/api/channels/${basic.body.id}/test`);
    const authorization = String(receiver.requests.at(-1)!.headers.authorization);
    expect(authorization).toBe(`Basic ${Buffer.from('shop:pa55-w0rd-very-secret').toString('base64')}`);
    expect(JSON.stringify(basicAnswer.body)).not.toContain(authorization.slice(6));
    expect(basicAnswer.body.request.headers.authorization).toBe('Basic ********');
  });
});

describe('signing-secret rotation', () => {
  it('signs with the new and the old secret during the grace period, so a receiver verifying with either accepts', async () => {
    const signed = await call('POST', '/api/channels', secretChannel(SECRET));
    const rotated = await call('POST', `/api/channels/${signed.body.id}/rotate-secret`, { graceHours: 24 });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.auth.secret as string;
    expect(fresh).not.toBe(SECRET);
    expect(rotated.body.auth.previous.secret).toMatch(/^whsec_\*+/);
    expect(Date.parse(rotated.body.auth.previous.until) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    // Later reads mask both.
    expect(JSON.stringify((await call('GET', `/api/channels/${signed.body.id}`)).body)).not.toContain(fresh.slice(6, 30));

    await call('POST', `/api/channels/${signed.body.id}/test`);
    const sent = receiver.requests.at(-1)!;
    const headers = sent.headers as Record<string, string>;
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(SECRET).verify(sent.body, headers)).not.toThrow();
    expect(() => new Webhook(fresh).verify(sent.body, headers)).not.toThrow();

    // An edit that keeps the secret keeps the rotation going.
    expect((await call('PATCH', `/api/channels/${signed.body.id}`, { name: 'renamed' })).status).toBe(200);
    await call('POST', `/api/channels/${signed.body.id}/test`);
    expect(String(receiver.requests.at(-1)!.headers['webhook-signature']).split(' ')).toHaveLength(2);

    // Without a grace period the old secret stops at once.
    const again = await call('POST', `/api/channels/${signed.body.id}/rotate-secret`, { graceHours: 0 });
    await call('POST', `/api/channels/${signed.body.id}/test`);
    const last = receiver.requests.at(-1)!;
    expect(String(last.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => new Webhook(again.body.auth.secret).verify(last.body, last.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(fresh).verify(last.body, last.headers as Record<string, string>)).toThrow();
    expect((await call('POST', `/api/channels/${signed.body.id}/rotate-secret`, { graceHours: 500 })).status).toBe(400);
  });

  it('refuses to rotate a channel without a secret', async () => {
    const basic = await call('POST', '/api/channels', basicChannel());
    const answer = await call('POST', `/api/channels/${basic.body.id}/rotate-secret`);
    expect(answer.status).toBe(400);
    expect(issuePaths(answer.body)).toEqual(['auth.type']);
  });
});

describe('outbound addresses', () => {
  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/hook',
    'http://[fd00::1]/hook',
    'http://127.0.0.2/hook',
    // 169.254.169.254 written as one decimal number.
    'http://2852039166/',
    'http://0.0.0.0/',
    'http://[::ffff:10.0.0.1]/',
  ])('refuses to save a channel to %s, naming the url', async (url) => {
    const answer = await call('POST', '/api/channels', { name: `to ${url}`, url, auth: { type: 'none' } });
    expect(answer.status).toBe(400);
    expect(issuePaths(answer.body)).toEqual(['url']);
    expect(answer.body.issues[0].message).toMatch(/address/);
  });

  it('refuses a PATCH that moves a channel to a forbidden address', async () => {
    const created = await call('POST', '/api/channels', { name: 'public', url: 'https://hooks.example/x', auth: { type: 'none' } });
    const moved = await call('PATCH', `/api/channels/${created.body.id}`, { url: 'http://192.168.0.1/x' });
    expect(moved.status).toBe(400);
    expect(issuePaths(moved.body)).toEqual(['url']);
  });

  it('reports a host name that resolves to a forbidden address as forbidden_address, without sending', async () => {
    const before = receiver.requests.length;
    const probe = await call('POST', '/api/channels/test', { name: 'probe', url: `http://internal.loopback.test:${new URL(receiver.url).port}/`, auth: { type: 'none' } });
    // 127.0.0.1 is open in this app's policy: the request goes through.
    expect(probe.body.verdict).toBe('ok');
    const strictPolicy = outboundPolicy([], lookup);
    const strict = createApp({ db: testDb.db, logger: createLogger('test', 'silent'), outbound: { policy: strictPolicy, dispatcher: guardedDispatcher(strictPolicy) } });
    const refused = await jsonCaller(strict)('POST', '/api/channels/test', { name: 'probe', url: `http://internal.loopback.test:${new URL(receiver.url).port}/`, auth: { type: 'none' } });
    expect(refused.status).toBe(200);
    expect(refused.body.verdict).toBe('forbidden_address');
    expect(refused.body.response).toBeNull();
    expect(refused.body.error).toContain('internal.loopback.test resolves to 127.0.0.1');
    expect(receiver.requests.length).toBe(before + 1);
  });
});
