import { count } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channels } from '../db/schema.js';
import { createLogger } from '../lib/logger.js';
import { useTestDatabase } from '../test/database.js';
import { freePort } from '../test/ports.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { createApp } from './app.js';
import { issuePaths, jsonCaller } from '../test/http.js';

const testDb = useTestDatabase();
let app: ReturnType<typeof createApp>;
let receiver: Receiver;
const inUse = new Map<string, { id: string; name: string }[]>();

beforeAll(async () => {
  app = createApp({
    db: testDb.db,
    logger: createLogger('test', 'silent'),
    channelUsage: async (id) => inUse.get(id) ?? [],
  });
  receiver = await startReceiver();
});
afterAll(() => receiver.close());
beforeEach(async () => {
  await testDb.db.delete(channels);
  receiver.requests.length = 0;
  receiver.behave(() => ({ status: 200, body: '{"accepted":true}', headers: { 'content-type': 'application/json' } }));
});

const call = (method: string, path: string, body?: unknown) => jsonCaller(app)(method, path, body);

const couponChannel = () => ({
  name: '白鸽卡券中心',
  url: `${receiver.url}/coupons`,
  auth: { type: 'secret' },
  userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
  templateParams: [{ name: 'amount', displayName: '券面值', type: 'integer' }],
});

async function channelCount() {
  const [row] = await testDb.db.select({ n: count() }).from(channels);
  return row!.n;
}

const paths = issuePaths;

describe('channel CRUD', () => {
  it('creates a channel, generating a signing secret shown only once', async () => {
    const created = await call('POST', '/api/channels', couponChannel());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: '白鸽卡券中心',
      method: 'POST',
      headers: {},
      timeoutMs: 10_000,
      templateParams: [{ name: 'amount', displayName: '券面值', type: 'integer', required: false }],
    });
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.createdAt).toMatch(/Z$/);
    const secret: string = created.body.auth.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const fetched = await call('GET', `/api/channels/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.auth.secret).not.toContain(secret.slice(6, 20));
    expect(fetched.body.auth.secret).toBe(`whsec_********${secret.slice(-4)}`);

    const listed = await call('GET', '/api/channels');
    expect(listed.body.items).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
  });

  it('masks basic-auth passwords after creation and keeps them on edit', async () => {
    const created = await call('POST', '/api/channels', {
      ...couponChannel(),
      auth: { type: 'basic', username: 'gio', password: 's3cret-pass' },
    });
    expect(created.status).toBe(201);
    expect(created.body.auth).toEqual({ type: 'basic', username: 'gio', password: 's3cret-pass' });
    const id = created.body.id;
    expect((await call('GET', `/api/channels/${id}`)).body.auth.password).toBe('********');

    const edited = await call('PATCH', `/api/channels/${id}`, { auth: { type: 'basic', username: 'gio2' } });
    expect(edited.status).toBe(200);
    expect(edited.body.auth).toEqual({ type: 'basic', username: 'gio2', password: 's3cret-pass' });
  });

  it('refuses a duplicate name with 409 naming the field', async () => {
    expect((await call('POST', '/api/channels', couponChannel())).status).toBe(201);
    const again = await call('POST', '/api/channels', couponChannel());
    expect(again.status).toBe(409);
    expect(paths(again.body)).toEqual(['name']);
    expect(await channelCount()).toBe(1);
  });

  it('edits a channel, keeping its secret, and 404s unknown ids', async () => {
    const created = await call('POST', '/api/channels', couponChannel());
    // Another path on the same origin: the secret stays (another host needs it given again: api/security.test.ts).
    const patched = await call('PATCH', `/api/channels/${created.body.id}`, { url: `${receiver.url}/hook`, method: 'PUT' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ url: `${receiver.url}/hook`, method: 'PUT', name: '白鸽卡券中心' });
    expect(patched.body.auth.secret).toMatch(/^whsec_\*{8}/);
    expect(new Date(patched.body.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(created.body.updatedAt).getTime());
    const [row] = await testDb.db.select().from(channels);
    expect(row!.auth).toEqual(created.body.auth);

    expect((await call('GET', '/api/channels/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await call('GET', '/api/channels/not-a-uuid')).status).toBe(404);
    expect((await call('PATCH', '/api/channels/not-a-uuid', { url: 'http://x.test' })).status).toBe(404);
  });

  it('rejects an invalid edit without changing the row', async () => {
    const created = await call('POST', '/api/channels', couponChannel());
    const bad = await call('PATCH', `/api/channels/${created.body.id}`, {
      url: 'ftp://example.test',
      templateParams: [{ name: 'userid', displayName: 'dup', type: 'text' }],
    });
    expect(bad.status).toBe(400);
    expect(paths(bad.body).sort()).toEqual(['templateParams.0.name', 'url']);
    const [row] = await testDb.db.select().from(channels);
    expect(row!.url).toBe(couponChannel().url);
  });

  it('deletes a channel unless a live campaign uses it', async () => {
    const created = await call('POST', '/api/channels', couponChannel());
    inUse.set(created.body.id, [{ id: 'c1', name: 'VIP coupons' }]);
    const refused = await call('DELETE', `/api/channels/${created.body.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('VIP coupons');
    inUse.delete(created.body.id);
    expect((await call('DELETE', `/api/channels/${created.body.id}`)).status).toBe(204);
    expect((await call('GET', `/api/channels/${created.body.id}`)).status).toBe(404);
  });
});

describe('channel validation', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      'an 11th template parameter',
      {
        templateParams: Array.from({ length: 11 }, (_, i) => ({ name: `p${i}`, displayName: `P${i}`, type: 'text' })),
      },
      ['templateParams.10'],
    ],
    [
      'an 11th user-attribute parameter',
      {
        templateParams: [],
        userAttributeParams: Array.from({ length: 11 }, (_, i) => ({ name: `a${i}`, attribute: `attr${i}`, identity: 'visitor' })),
      },
      ['userAttributeParams.10'],
    ],
    [
      'a parameter name used in both lists',
      { templateParams: [{ name: 'userid', displayName: 'x', type: 'text' }] },
      ['templateParams.0.name'],
    ],
    [
      'a default that does not match its type',
      {
        templateParams: [
          { name: 'amount', displayName: 'a', type: 'integer', default: 1.5 },
          { name: 'flag', displayName: 'f', type: 'boolean', default: 'yes' },
          { name: 'day', displayName: 'd', type: 'date', default: '2026-13-45' },
        ],
      },
      ['templateParams.0.default', 'templateParams.1.default', 'templateParams.2.default'],
    ],
    ['a non-http URL', { url: 'ftp://example.test/x' }, ['url']],
    ['a URL that is not a URL', { url: 'not a url' }, ['url']],
    ['basic auth without a password', { auth: { type: 'basic', username: 'u' } }, ['auth.password']],
    ['an unknown auth type', { auth: { type: 'oauth' } }, ['auth.type']],
    ['a malformed secret', { auth: { type: 'secret', secret: 'hunter2' } }, ['auth.secret']],
    ['a timeout over 60 s', { timeoutMs: 60_001 }, ['timeoutMs']],
    ['an unsupported method', { method: 'DELETE' }, ['method']],
    ['a reserved header', { headers: { 'Webhook-Signature': 'x', 'X-Tenant': 'a' } }, ['headers.Webhook-Signature']],
    ['a parameter name that is not an identifier', { templateParams: [{ name: 'my amount', displayName: 'a', type: 'integer' }] }, ['templateParams.0.name']],
    ['an unknown field', { colour: 'blue' }, ['colour']],
    ['a missing name and url', { name: undefined, url: undefined }, ['name', 'url']],
  ];

  it.each(cases)('rejects %s with a 400 naming the field, writing nothing', async (_label, patch, expected) => {
    const res = await call('POST', '/api/channels', { ...couponChannel(), ...patch });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
    expect(paths(res.body).sort()).toEqual([...expected].sort());
    expect(await channelCount()).toBe(0);
  });

  it('counts requests in the Prometheus metrics', async () => {
    await call('GET', '/api/channels');
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/hookcast_http_requests_total\{method="GET",route="\/api\/channels\/?",status="200"\} \d+/);
  });

  it('answers malformed JSON with a 400', async () => {
    const res = await call('POST', '/api/channels', '{"name": ');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_json');
  });

  it('accepts the limits exactly: 10 and 10 parameters, 60 s timeout', async () => {
    const res = await call('POST', '/api/channels', {
      ...couponChannel(),
      timeoutMs: 60_000,
      userAttributeParams: Array.from({ length: 10 }, (_, i) => ({ name: `a${i}`, attribute: `attr${i}`, identity: 'login', default: 'x' })),
      templateParams: Array.from({ length: 10 }, (_, i) => ({ name: `p${i}`, displayName: `P${i}`, type: 'number', default: i / 2, required: true })),
    });
    expect(res.status).toBe(201);
  });
});

describe('test send', () => {
  it('sends a signed request a Standard Webhooks receiver can verify', async () => {
    const created = await call('POST', '/api/channels', couponChannel());
    const res = await call('POST', `/api/channels/${created.body.id}/test`, { sampleValues: { amount: 100, userid: 'u-42' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ verdict: 'ok', status: 200, response: { body: '{"accepted":true}' } });
    expect(res.body.latencyMs).toBeGreaterThanOrEqual(0);
    expect(receiver.requests).toHaveLength(1);
    const sent = receiver.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/coupons');
    expect(JSON.parse(sent.body)).toEqual({ userid: 'u-42', amount: 100 });
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers['user-agent']).toMatch(/^hookcast\//);
    const verified = new Webhook(created.body.auth.secret).verify(sent.body, {
      'webhook-id': String(sent.headers['webhook-id']),
      'webhook-timestamp': String(sent.headers['webhook-timestamp']),
      'webhook-signature': String(sent.headers['webhook-signature']),
    });
    expect(verified).toEqual({ userid: 'u-42', amount: 100 });
    expect(res.body.request.headers['webhook-id']).toBe(sent.headers['webhook-id']);
  });

  it('tests a saved channel with an unsaved edit: sent as the edit says, signed with the stored secret, nothing saved', async () => {
    const created = await call('POST', '/api/channels', couponChannel());
    const edit = {
      url: `${receiver.url}/coupons-v2`,
      templateParams: [{ name: 'amount', displayName: '券面值', type: 'integer', default: 70 }, { name: 'note', displayName: '备注', type: 'text', default: '007' }],
    };
    const res = await call('POST', `/api/channels/${created.body.id}/test`, { ...edit, sampleValues: { userid: 'u-7' } });
    expect(res.status).toBe(200);
    expect(res.body.verdict).toBe('ok');
    const sent = receiver.requests.at(-1)!;
    expect(sent.url).toBe('/coupons-v2');
    const headers = { 'webhook-id': String(sent.headers['webhook-id']), 'webhook-timestamp': String(sent.headers['webhook-timestamp']), 'webhook-signature': String(sent.headers['webhook-signature']) };
    expect(new Webhook(created.body.auth.secret).verify(sent.body, headers)).toEqual({ userid: 'u-7', amount: 70, note: '007' });
    const stored = await call('GET', `/api/channels/${created.body.id}`);
    expect(stored.body).toMatchObject({ url: couponChannel().url, updatedAt: created.body.updatedAt });
    expect(stored.body.templateParams).toEqual(created.body.templateParams);

    // Checked as PATCH checks it: another origin needs the credentials again, a bad field is named.
    const before = receiver.requests.length;
    const moved = await call('POST', `/api/channels/${created.body.id}/test`, { url: 'http://127.0.0.2:9/x' });
    expect(moved.status).toBe(400);
    expect(issuePaths(moved.body)).toEqual(['auth']);
    const bad = await call('POST', `/api/channels/${created.body.id}/test`, { method: 'DELETE' });
    expect(bad.status).toBe(400);
    expect(issuePaths(bad.body)).toEqual(['method']);
    expect(receiver.requests.length).toBe(before);
  });

  it('tests an unsaved definition with defaults and type samples, writing nothing', async () => {
    const res = await call('POST', '/api/channels/test', {
      ...couponChannel(),
      auth: { type: 'basic', username: 'gio', password: 'pw' },
      templateParams: [
        { name: 'amount', displayName: '券面值', type: 'integer', default: 50 },
        { name: 'message', displayName: '短信', type: 'text' },
        { name: 'vip', displayName: 'VIP', type: 'boolean' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.verdict).toBe('ok');
    const sent = receiver.requests[0]!;
    expect(JSON.parse(sent.body)).toEqual({ userid: 'sample-login-id', amount: 50, message: 'sample 短信', vip: true });
    expect(sent.headers.authorization).toBe(`Basic ${Buffer.from('gio:pw').toString('base64')}`);
    expect(res.body.request.headers.authorization).toBe('Basic ********');
    expect(await channelCount()).toBe(0);
  });

  it('puts parameters in the query string for GET channels', async () => {
    const res = await call('POST', '/api/channels/test', { ...couponChannel(), method: 'GET', auth: { type: 'none' }, sampleValues: { amount: 7 } });
    expect(res.body.verdict).toBe('ok');
    const sent = receiver.requests[0]!;
    expect(sent.method).toBe('GET');
    expect(new URL(sent.url, 'http://x').searchParams.get('amount')).toBe('7');
    expect(sent.headers['webhook-signature']).toBeUndefined();
  });

  it('reports a 500 as a non_2xx verdict with the response', async () => {
    // Dots: no credential form starts with one, so the cut keeps all 4,096 (a cut drops a tail that could begin the random secret's base64, as 'x' can).
    receiver.behave(() => ({ status: 500, body: '.'.repeat(10_000) }));
    const res = await call('POST', '/api/channels/test', couponChannel());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ verdict: 'non_2xx', status: 500, response: { bodyTruncated: true } });
    expect(res.body.response.body).toHaveLength(4096);
  });

  it('reports a reply slower than the timeout as a timeout', async () => {
    receiver.behave(() => ({ status: 200, delayMs: 2_000 }));
    const res = await call('POST', '/api/channels/test', { ...couponChannel(), timeoutMs: 300 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ verdict: 'timeout', status: null, response: null });
    expect(res.body.latencyMs).toBeLessThan(1_900);
  });

  it('reports a closed port as refused', async () => {
    const port = await freePort();
    const res = await call('POST', '/api/channels/test', { ...couponChannel(), url: `http://127.0.0.1:${port}/x` });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ verdict: 'refused', status: null });
    expect(res.body.error).toContain('ECONNREFUSED');
  });

  it('reports a reset connection and an unknown host', async () => {
    receiver.behave(() => ({ reset: true }));
    const reset = await call('POST', '/api/channels/test', couponChannel());
    expect(reset.body.verdict).toBe('reset');
    const dns = await call('POST', '/api/channels/test', { ...couponChannel(), url: 'http://no-such-host.invalid/x' });
    expect(dns.body.verdict).toBe('dns');
  });

  it('does not follow redirects', async () => {
    receiver.behave(() => ({ status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } }));
    const res = await call('POST', '/api/channels/test', couponChannel());
    expect(res.body).toMatchObject({ verdict: 'non_2xx', status: 302 });
    expect(receiver.requests).toHaveLength(1);
  });

  it('rejects sample values of the wrong type or for unknown parameters', async () => {
    const wrongType = await call('POST', '/api/channels/test', { ...couponChannel(), sampleValues: { amount: 'lots' } });
    expect(wrongType.status).toBe(400);
    expect(paths(wrongType.body)).toEqual(['sampleValues.amount']);
    const unknown = await call('POST', '/api/channels/test', { ...couponChannel(), sampleValues: { colour: 'red' } });
    expect(paths(unknown.body)).toEqual(['sampleValues.colour']);
    expect(receiver.requests).toHaveLength(0);
  });
});
