import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channels } from '../db/schema.js';
import { createLogger } from '../lib/logger.js';
import { TEST_API_KEY } from '../test/credentials.js';
import { useTestDatabase } from '../test/database.js';
import { issuePaths, jsonCaller } from '../test/http.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { outboundPolicy } from '../webhook/outbound.js';
import { guardedDispatcher, RESPONSE_BODY_LIMIT } from '../webhook/send.js';
import { createApp } from './app.js';

/*
 * Issue 17's attacks on credentials coming back through echoes, on keys that
 * do more than their holder needs, on guessing keys, and the audit trail.
 */

const testDb = useTestDatabase();
let receiver: Receiver;
let app: ReturnType<typeof createApp>;
const lines: Record<string, unknown>[] = [];
const call = (method: string, path: string, body?: unknown) => jsonCaller(app)(method, path, body);
const callWith = (key: string) => jsonCaller(app, { authorization: `Bearer ${key}` });

beforeAll(async () => {
  receiver = await startReceiver();
  const policy = outboundPolicy(['127.0.0.1/32']);
  const logger = createLogger('test', 'info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  app = createApp({ db: testDb.db, logger, outbound: { policy, dispatcher: guardedDispatcher(policy) } });
});
afterAll(() => receiver.close());
beforeEach(async () => {
  await testDb.db.delete(channels);
  receiver.requests.length = 0;
  receiver.behave(() => ({ status: 200, body: 'ok' }));
});

const PASSWORD = 'pa55-w0rd-very-secret';
const basicChannel = (extra: Record<string, unknown> = {}) => ({
  name: 'basic',
  url: `${receiver.url}/b`,
  auth: { type: 'basic', username: 'bob', password: PASSWORD },
  templateParams: [{ name: 'message', displayName: 'message', type: 'text' }],
  ...extra,
});
const TOKEN = Buffer.from(`bob:${PASSWORD}`).toString('base64');

describe('credentials echoed by the endpoint', () => {
  it('never reach the caller of a test send: not the token, not the decoded user:password, not the password', async () => {
    receiver.behave((request) => {
      const decoded = Buffer.from(String(request.headers.authorization).slice(6), 'base64').toString();
      return { status: 200, headers: { 'x-echo': decoded }, body: `hello ${decoded}; password=${decoded.split(':')[1]}; ${encodeURIComponent(decoded)}; ${JSON.stringify(request.headers)}` };
    });
    const created = await call('POST', '/api/channels', basicChannel());
    const answer = await call('POST', `/api/channels/${created.body.id}/test`, { sampleValues: { message: 'hi' } });
    expect(answer.body.verdict).toBe('ok');
    const text = JSON.stringify(answer.body);
    for (const leak of [TOKEN, `bob:${PASSWORD}`, PASSWORD, encodeURIComponent(`bob:${PASSWORD}`)]) expect(text).not.toContain(leak);
    expect(answer.body.response.body).toContain('hello ********');
  });

  it('keeps no beginning of the token or signature when padding puts the cut inside the echoed header', async () => {
    receiver.behave((request) => ({ status: 200, body: `${request.body}${JSON.stringify(request.headers)}` }));
    const basic = await call('POST', '/api/channels', basicChannel());
    const signed = await call('POST', '/api/channels', { ...basicChannel({ name: 'signed' }), auth: { type: 'secret' } });
    // Where the credential starts in the echo without padding, to sweep the cut across it.
    for (const [id, header] of [[basic.body.id, 'authorization'], [signed.body.id, 'webhook-signature']] as const) {
      await call('POST', `/api/channels/${id}/test`, { sampleValues: { message: '' } });
      const probe = receiver.requests.at(-1)!;
      const echoed = `${probe.body}${JSON.stringify(probe.headers)}`;
      const value = String(probe.headers[header]);
      const at = echoed.indexOf(value);
      for (let shift = -4; shift <= value.length + 2; shift += 3) {
        const padding = RESPONSE_BODY_LIMIT - at - shift;
        const answer = await call('POST', `/api/channels/${id}/test`, { sampleValues: { message: 'x'.repeat(padding) } });
        const sent = String(receiver.requests.at(-1)!.headers[header]);
        const body = answer.body.response.body as string;
        const secretPart = header === 'authorization' ? sent.slice('Basic '.length) : sent.slice('v1,'.length);
        expect(body, `shift ${shift}`).not.toContain(secretPart);
        for (let n = 4; n < secretPart.length; n++) expect(body.endsWith(secretPart.slice(0, n)), `shift ${shift}: ends with ${n} characters of it`).toBe(false);
      }
    }
  });

  it('refuses a channel URL with a user name or password, naming the url', async () => {
    const refused = await call('POST', '/api/channels', basicChannel({ url: `http://admin:pass@127.0.0.1:${new URL(receiver.url).port}/b` }));
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('validation_failed');
    expect(issuePaths(refused.body)).toEqual(['url']);
    expect(refused.body.issues[0].message).toContain('auth');
    const created = await call('POST', '/api/channels', basicChannel());
    const moved = await call('PATCH', `/api/channels/${created.body.id}`, { url: `http://admin@127.0.0.1:${new URL(receiver.url).port}/b` });
    expect(moved.status).toBe(400);
    expect(issuePaths(moved.body)).toEqual(['url']);
  });
});

async function keyOf(scope: string): Promise<string> {
  const created = await call('POST', '/api/keys', { name: `${scope} key`, scope });
  expect(created.status).toBe(201);
  return created.body.key as string;
}

describe('scopes', () => {
  it('lets an ingest key send events, users and identify, and nothing else', async () => {
    const ingest = callWith(await keyOf('ingest'));
    expect((await ingest('POST', '/api/users', { loginId: 'ingested', attributes: { tier: 'gold' } })).status).toBeLessThan(300);
    expect((await ingest('POST', '/api/events', { events: [{ loginId: 'ingested', name: 'login', occurredAt: new Date().toISOString() }] })).status).toBeLessThan(300);
    expect((await ingest('POST', '/api/users/identify', { visitorId: 'v-1', loginId: 'ingested' })).status).not.toBe(403);
    for (const [method, path, body] of [
      ['GET', '/api/users/ingested'],
      ['GET', '/api/channels'],
      ['POST', '/api/channels', basicChannel()],
      ['POST', '/api/campaigns/preview', {}],
      ['POST', '/api/segments', { name: 'x', rule: { attribute: 'tier', op: 'equals', value: 'gold' } }],
      ['GET', '/api/keys'],
    ] as const) {
      const answer = await ingest(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error).toBe('forbidden');
    }
  });

  it('keeps response bodies and the audit trail from keys that need neither', async () => {
    const read = callWith(await keyOf('read'));
    const write = callWith(await keyOf('write'));
    expect((await read('GET', '/api/audit')).status).toBe(403);
    expect((await write('GET', '/api/audit')).status).toBe(403);
    expect((await call('GET', '/api/audit')).status).toBe(200);
  });
});

describe('guessing keys', () => {
  const from = (address: string) => (method: string, path: string, key: string) =>
    app.request(path, { method, headers: { authorization: `Bearer ${key}` } }, { incoming: { socket: { remoteAddress: address, remotePort: 1, remoteFamily: 'IPv4' } } });

  it('answers 429 with Retry-After to an address after 20 wrong keys, right key or not, and logs the address and the prefix tried', async () => {
    const attacker = from('198.51.100.7');
    for (let i = 0; i < 20; i++) expect((await attacker('GET', '/api/channels', `hk_guess-${String(i).padStart(40, '0')}`)).status).toBe(401);
    const throttled = await attacker('GET', '/api/channels', 'hk_guess-one-more-0000000000000000000000000000');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await throttled.json()) as { error: string }).error).toBe('too_many_failed_attempts');
    // Even the right key: a 200 would tell the attacker which guess hit.
    expect((await attacker('GET', '/api/channels', TEST_API_KEY)).status).toBe(429);
    // Another address is not affected.
    expect((await from('203.0.113.9')('GET', '/api/channels', TEST_API_KEY)).status).toBe(200);
    const logged = lines.filter((l) => l.msg === 'unknown or revoked API key');
    expect(logged.at(-1)).toMatchObject({ address: '198.51.100.7', keyPrefix: 'hk_guess-000' });
    expect(JSON.stringify(logged)).not.toContain('hk_guess-00000000000000000000000000000000000019');
  });
});

describe('the audit trail', () => {
  it('records who created, changed and deleted what, with secrets masked', async () => {
    const created = await call('POST', '/api/channels', basicChannel());
    await call('PATCH', `/api/channels/${created.body.id}`, { name: 'renamed', auth: { type: 'basic', username: 'bob', password: 'n3w-secret-pw' } });
    await call('DELETE', `/api/channels/${created.body.id}`);
    const key = await call('POST', '/api/keys', { name: 'collector', scope: 'ingest' });
    const trail = await call('GET', `/api/audit?targetType=channel&targetId=${created.body.id}`);
    expect(trail.status).toBe(200);
    expect(trail.body.items.map((e: { action: string }) => e.action)).toEqual(['deleted', 'changed', 'created']);
    const [deleted, changed, made] = trail.body.items;
    expect(made).toMatchObject({ actor: { name: 'test admin', keyId: expect.any(String) }, target: { type: 'channel', id: created.body.id, name: 'basic' } });
    expect(changed.change).toMatchObject({ name: 'renamed', auth: { password: '********' } });
    expect(deleted.at).toEqual(expect.any(String));
    const all = JSON.stringify((await call('GET', '/api/audit')).body);
    for (const secret of [PASSWORD, 'n3w-secret-pw', key.body.key]) expect(all).not.toContain(secret);
    expect(all).toContain('"action":"created","target":{"type":"api_key"');
  });
});
