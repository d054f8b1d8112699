import { Client } from '@temporalio/client';
import { count } from 'drizzle-orm';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import { request as undiciRequest } from 'undici';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearAudience } from '../audience/fixtures.js';
import { createCampaignService } from '../campaigns/store.js';
import { campaigns, channels, events, segments, users } from '../db/schema.js';
import { createLogger } from '../lib/logger.js';
import { useTestDatabase } from '../test/database.js';
import { issuePaths, jsonCaller } from '../test/http.js';
import { createApp } from './app.js';
import { authHeader } from '../test/credentials.js';

const database = useTestDatabase();
let call: ReturnType<typeof jsonCaller>;

beforeAll(() => {
  // Draft routes never reach Temporal; the client connects lazily.
  const service = createCampaignService({ db: database.db, temporal: new Client(), taskQueue: 'unused' });
  const app = createApp({ db: database.db, logger: createLogger('test', 'silent'), campaigns: { service, temporalUiUrl: 'http://x', namespace: 'default' } });
  call = jsonCaller(app);
});
beforeEach(() => clearAudience(database.db));

async function rows(table: typeof channels | typeof users | typeof events | typeof segments | typeof campaigns) {
  const [row] = await database.db.select({ n: count() }).from(table);
  return row!.n;
}

const channel = (headers: Record<string, string>) => ({ name: `c-${Math.random()}`, url: 'http://127.0.0.1:9/hook', auth: { type: 'none' }, headers });

describe('channel headers that undici would refuse, or that speak for the connection', () => {
  it.each([
    ['中文值', 'non-ASCII beyond Latin-1'],
    ['a\u0000b', 'NUL'],
    ['a\u0001b', 'a control character'],
    ['a\u007fb', 'DEL'],
    ['a\u000bb', 'a vertical tab'],
    ['a\r\nX-Evil: 1', 'CRLF'],
  ])('refuses the value %j (%s), naming the header', async (value) => {
    const before = await rows(channels);
    const res = await call('POST', '/api/channels', channel({ 'X-Shop': value }));
    expect(res.status).toBe(400);
    expect(issuePaths(res.body)).toEqual(['headers.X-Shop']);
    expect(await rows(channels)).toBe(before);
  });

  it.each(['Expect', 'Upgrade', 'Keep-Alive', 'Connection', 'Transfer-Encoding', 'TE', 'Trailer', 'Proxy-Authorization', 'Proxy-Connection', 'Host', 'Content-Length', 'content-type', 'Webhook-Signature', 'X-Gio-Signature'])(
    'refuses the header %s',
    async (name) => {
      const res = await call('POST', '/api/channels', channel({ [name]: 'x' }));
      expect(res.status).toBe(400);
      expect(issuePaths(res.body)).toEqual([`headers.${name}`]);
    },
  );

  it('refuses a header name with CRLF', async () => {
    const res = await call('POST', '/api/channels', channel({ 'X-A\r\nHost': 'x' }));
    expect(res.status).toBe(400);
    expect(issuePaths(res.body)).toEqual(['headers.X-A\r\nHost']);
  });

  it('refuses the same on PATCH, leaving the stored headers alone', async () => {
    const created = await call('POST', '/api/channels', channel({ 'X-Shop': 'ok' }));
    expect(created.status).toBe(201);
    const res = await call('PATCH', `/api/channels/${created.body.id}`, { headers: { Expect: '100-continue' } });
    expect(res.status).toBe(400);
    expect(issuePaths(res.body)).toEqual(['headers.Expect']);
    expect((await call('GET', `/api/channels/${created.body.id}`)).body.headers).toEqual({ 'X-Shop': 'ok' });
  });

  it('keeps accepting ordinary headers, Latin-1 and tabs included', async () => {
    const res = await call('POST', '/api/channels', channel({ 'X-Shop': 'Café\tnord', 'X-Api-Key': 'k-1' }));
    expect(res.status).toBe(201);
  });
});

describe('events that used to cost the whole batch', () => {
  function deep(levels: number): unknown {
    let value: unknown = 1;
    for (let i = 0; i < levels; i += 1) value = { a: value };
    return value;
  }

  it('rejects properties nested 100,000 levels deep, keeping the good events', async () => {
    // Sent as text: JSON.stringify itself cannot write a value this deep.
    const deepProperties = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const good = '{"name":"ok","loginId":"u-1"},{"name":"ok","loginId":"u-2"},{"name":"ok","loginId":"u-3"}';
    const res = await call('POST', '/api/events', `{"events":[${good},{"name":"deep","loginId":"u-4","properties":${deepProperties}}]}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 3, duplicates: 0, rejected: [{ index: 3, path: 'events.3.properties', message: 'must not nest deeper than 32 levels', code: expect.any(String) }] });
    expect(await rows(events)).toBe(3);
  });

  it('accepts properties 32 levels deep and rejects 33', async () => {
    const res = await call('POST', '/api/events', { events: [{ name: 'a', loginId: 'u', properties: deep(32) }, { name: 'b', loginId: 'u', properties: deep(33) }] });
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected.map((r: { path: string }) => r.path)).toEqual(['events.1.properties']);
  });

  it('survives a body nested 100,000 levels at the top', async () => {
    const res = await call('POST', '/api/events', `{"events":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(res.status).toBeLessThan(500);
    const wrapped = await call('POST', '/api/events', `{"events":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}`);
    expect(wrapped.status).toBe(200);
    expect(wrapped.body.rejected[0].path).toBe('events.0');
    const elsewhere = await call('POST', '/api/users', `{"loginId":"u","attributes":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`);
    expect(elsewhere.status).toBe(400);
    expect(issuePaths(elsewhere.body)).toEqual(['attributes']);
  });

  it.each([
    ['0000-01-01T00:00:00Z', 'must be an ISO 8601 date-time with Z or an offset'],
    ['1999-12-31T23:59:59Z', 'must not be before 2000-01-01T00:00:00Z'],
    ['99999-01-01T00:00:00Z', 'must be an ISO 8601 date-time with Z or an offset'],
  ])('rejects the time %s alone, keeping the good events', async (time, message) => {
    const res = await call('POST', '/api/events', {
      events: [{ name: 'ok', loginId: 'u-1' }, { name: 'ok', loginId: 'u-2' }, { name: 'ok', loginId: 'u-3' }, { name: 'old', loginId: 'u-4', time }],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 3, duplicates: 0, rejected: [{ index: 3, path: 'events.3.time', message, code: expect.any(String) }] });
    expect(await rows(events)).toBe(3);
  });
});

describe('NUL and lone surrogates', () => {
  const bad = ['a\u0000b', 'a\ud800b', 'a\udc00'];

  it.each(bad)('rejects %j in event names, ids, property keys and values, event by event', async (text) => {
    const res = await call('POST', '/api/events', {
      events: [
        { name: 'ok', loginId: 'u-1' },
        { name: 'x', loginId: text },
        { name: 'x', visitorId: text },
        { name: 'x', loginId: 'u', properties: { deep: { list: [1, text] } } },
        { name: 'x', loginId: 'u', properties: { [`k${text}`]: 1 } },
        { name: `x${text}`, loginId: 'u' },
        { name: 'x', loginId: 'u', clientEventId: text },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected.map((r: { path: string }) => r.path)).toEqual([
      'events.1.loginId',
      'events.2.visitorId',
      'events.3.properties.deep.list.1',
      `events.4.properties.${JSON.stringify(`k${text}`).slice(1, -1)}`,
      'events.5.name',
      'events.6.clientEventId',
    ]);
    expect(await rows(events)).toBe(1);
  });

  it.each(bad)('refuses %j in users, identify, segments, channels and campaigns with a 400 naming the field', async (text) => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/users', { loginId: 'u', attributes: { tier: text } }, 'attributes.tier'],
      ['POST', '/api/users', { loginId: text }, 'loginId'],
      ['POST', '/api/users', { visitorId: text }, 'visitorId'],
      ['POST', '/api/users', { users: [{ loginId: 'a' }, { loginId: 'b', attributes: { tier: text } }] }, 'users.1.attributes.tier'],
      ['POST', '/api/users/identify', { loginId: 'u', visitorId: text }, 'visitorId'],
      ['POST', '/api/segments', { name: text, rule: { all: [] } }, 'name'],
      ['POST', '/api/segments', { name: 's', rule: { all: [{ attribute: 'tier', op: 'equals', value: text }] } }, 'rule.all.0.value'],
      ['POST', '/api/channels', { ...channel({}), name: text }, 'name'],
      ['POST', '/api/campaigns', { name: text }, 'name'],
      ['POST', '/api/campaigns', { name: 'c', templateValues: { note: text } }, 'templateValues.note'],
    ];
    const before = await Promise.all([rows(users), rows(segments), rows(channels), rows(campaigns)]);
    for (const [method, path, body, field] of cases) {
      const res = await call(method, path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(issuePaths(res.body)).toEqual([field]);
    }
    expect(await Promise.all([rows(users), rows(segments), rows(channels), rows(campaigns)])).toEqual(before);
  });
});

describe('integers beyond 2^53', () => {
  it('refuses them in user attributes, naming the attribute, and writes nothing', async () => {
    const res = await call('POST', '/api/users', '{"loginId":"u","attributes":{"order_id":9007199254740993}}');
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'attributes.order_id', message: 'integer beyond ±2^53 cannot be kept exactly (send it as a string)', code: 'unsafe_integer', params: {} }]);
    expect(await rows(users)).toBe(0);
  });

  it('keeps 2^53 itself and big numbers that are exact', async () => {
    const res = await call('POST', '/api/users', '{"loginId":"u","attributes":{"a":9007199254740992,"b":1e20,"c":-9007199254740991,"d":0.1}}');
    expect(res.status).toBe(200);
    expect(res.body.attributes).toEqual({ a: 9007199254740992, b: 1e20, c: -9007199254740991, d: 0.1 });
  });

  it('rejects the event that holds one, keeping the rest', async () => {
    const res = await call('POST', '/api/events', '{"events":[{"name":"a","loginId":"u"},{"name":"b","loginId":"u","properties":{"order":{"id":-9007199254740993}}}]}');
    expect(res.body).toMatchObject({
      accepted: 1,
      duplicates: 0,
      rejected: [{ index: 1, path: 'events.1.properties.order.id', message: 'integer beyond ±2^53 cannot be kept exactly (send it as a string)', code: 'unsafe_integer' }],
    });
  });

  it('refuses them in template parameter defaults and campaign template values', async () => {
    const params = '[{"name":"amount","displayName":"A","type":"integer","default":12345678901234567890}]';
    const created = await call('POST', '/api/channels', `{"name":"big","url":"http://127.0.0.1:9/","auth":{"type":"none"},"templateParams":${params}}`);
    expect(created.status).toBe(400);
    expect(issuePaths(created.body)).toEqual(['templateParams.0.default']);
    const draft = await call('POST', '/api/campaigns', '{"name":"c","templateValues":{"amount":9007199254740993}}');
    expect(draft.status).toBe(400);
    expect(issuePaths(draft.body)).toEqual(['templateValues.amount']);
    const infinite = await call('POST', '/api/campaigns', '{"name":"c","templateValues":{"amount":1e400}}');
    expect(infinite.status).toBe(400);
    expect(infinite.body.issues).toEqual([{ path: 'templateValues.amount', message: 'number is beyond the range of a double', code: 'number_out_of_range', params: {} }]);
    expect(await rows(campaigns)).toBe(0);
  });
});

describe('dates beyond what hookcast schedules or PostgreSQL stores', () => {
  it.each([
    [{ name: 'c', trigger: { type: 'once', sendAt: '9999-12-31T00:00:00Z' } }, 'trigger.sendAt'],
    [{ name: 'c', trigger: { type: 'once', sendAt: '0000-01-01T00:00:00Z' } }, 'trigger.sendAt'],
    [{ name: 'c', trigger: { type: 'once', sendAt: '+099999-01-01T00:00:00Z' } }, 'trigger.sendAt'],
    [{ name: 'c', expiresAt: '9999-12-31T00:00:00Z' }, 'expiresAt'],
    [{ name: 'c', expiresAt: '0000-01-01T00:00:00Z' }, 'expiresAt'],
  ])('refuses the campaign draft %j', async (body, field) => {
    const res = await call('POST', '/api/campaigns', body);
    expect(res.status).toBe(400);
    expect(issuePaths(res.body)).toEqual([field]);
    expect(await rows(campaigns)).toBe(0);
  });

  it('refuses a send time beyond the horizon on PATCH of a draft, and accepts one within it', async () => {
    const draft = await call('POST', '/api/campaigns', { name: 'c' });
    const far = await call('PATCH', `/api/campaigns/${draft.body.id}`, { trigger: { type: 'once', sendAt: '9999-12-31T00:00:00Z' } });
    expect(far.status).toBe(400);
    expect(issuePaths(far.body)).toEqual(['trigger.sendAt']);
    const soon = new Date(Date.now() + 300 * 86_400_000).toISOString();
    const ok = await call('PATCH', `/api/campaigns/${draft.body.id}`, { trigger: { type: 'once', sendAt: soon } });
    expect(ok.status).toBe(200);
  });

  it('refuses year 0 in attribute dates, segment days and template date values', async () => {
    await call('POST', '/api/users', { loginId: 'u', attributes: { birthday: '1990-01-01' } });
    const attribute = await call('POST', '/api/users', { loginId: 'u', attributes: { birthday: '0000-01-01' } });
    expect(attribute.status).toBe(400);
    expect(issuePaths(attribute.body)).toEqual(['attributes.birthday']);
    const segment = await call('POST', '/api/segments/preview', { rule: { all: [{ attribute: 'birthday', op: 'before', value: '0000-01-01' }] } });
    expect(segment.status).toBe(400);
    expect(issuePaths(segment.body)).toEqual(['rule.all.0.value']);
    const window = await call('POST', '/api/segments/preview', { rule: { all: [{ event: 'x', window: { type: 'since', date: '0000-01-01' } }] } });
    expect(window.status).toBe(400);
    const at = await call('POST', '/api/segments/preview', { rule: { all: [] }, at: '0000-01-01T00:00:00Z' });
    expect(at.status).toBe(400);
    expect(issuePaths(at.body)).toEqual(['at']);
    const param = await call('POST', '/api/channels', {
      ...channel({}),
      templateParams: [{ name: 'day', displayName: 'D', type: 'date', default: '0000-01-01' }],
    });
    expect(param.status).toBe(400);
    expect(issuePaths(param.body)).toEqual(['templateParams.0.default']);
  });
});

describe('a body over the limit', () => {
  it('is refused with 413 JSON when its declared length is too large', async () => {
    const res = await call('POST', '/api/users', `{"loginId":"u","attributes":{"a":"${'x'.repeat(6 * 1024 * 1024)}"}}`);
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('payload_too_large');
  });

  it('stops a streamed body at the limit instead of reading it all', async () => {
    const app = createApp({ db: database.db, logger: createLogger('test', 'silent') });
    let sent = 0;
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"loginId":"u","attributes":{"a":"'));
      },
      pull(controller) {
        // 100 MB if read to the end.
        if (sent >= 100 * 1024 * 1024) controller.close();
        else {
          sent += chunk.byteLength;
          controller.enqueue(chunk);
        }
      },
    });
    const res = await app.request('/api/users', { method: 'POST', headers: { 'content-type': 'application/json', ...authHeader }, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe('payload_too_large');
    expect(sent).toBeLessThan(6 * 1024 * 1024 + 4 * chunk.byteLength);
    expect(await rows(users)).toBe(0);
  });

  it('over real HTTP, answers 413 without the server holding the 100 MB it was sent', async () => {
    const app = createApp({ db: database.db, logger: createLogger('test', 'silent') });
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    try {
      const chunk = Buffer.alloc(256 * 1024, 'x');
      let sent = 0;
      async function* hugeBody() {
        yield Buffer.from('{"loginId":"u","attributes":{"a":"');
        while (sent < 100 * 1024 * 1024) {
          sent += chunk.byteLength;
          yield chunk;
        }
        yield Buffer.from('"}}');
      }
      // Chunked (no Content-Length), so only reading can tell the size.
      const res = await undiciRequest(`http://127.0.0.1:${port}/api/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authHeader },
        body: Readable.from(hugeBody()),
      }).catch((error: unknown) => ({ error }));
      if ('statusCode' in res) {
        expect(res.statusCode).toBe(413);
        expect(((await res.body.json()) as { error: string }).error).toBe('payload_too_large');
      }
      // The server stopped reading at the limit: either the upload was cut short or its bytes were dropped unread.
      expect(peak - before).toBeLessThan(60 * 1024 * 1024);
      expect(await rows(users)).toBe(0);
    } finally {
      clearInterval(sampler);
      server.close();
    }
  });
});
