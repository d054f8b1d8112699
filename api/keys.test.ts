import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHash } from '../access/api-keys.js';
import { createLogger } from '../lib/logger.js';
import { authHeader, TEST_API_KEY } from '../test/credentials.js';
import { useTestDatabase } from '../test/database.js';
import { jsonCaller } from '../test/http.js';
import { createApp } from './app.js';

const testDb = useTestDatabase();
let app: ReturnType<typeof createApp>;
const as = (key: string | null) => jsonCaller(app, key === null ? {} : { authorization: `Bearer ${key}` });
const admin = () => jsonCaller(app, authHeader);

beforeAll(() => {
  app = createApp({ db: testDb.db, logger: createLogger('test', 'silent') });
});

async function newKey(scope: 'read' | 'write' | 'admin') {
  const created = await admin()('POST', '/api/keys', { name: `${scope} key`, scope });
  expect(created.status).toBe(201);
  return created.body as { id: string; key: string; prefix: string; scope: string };
}

describe('API keys', () => {
  it('refuses every /api route without a key or with an unknown one, with a JSON 401', async () => {
    for (const [method, path] of [['GET', '/api/channels'], ['POST', '/api/channels'], ['GET', '/api/segments'], ['POST', '/api/users'], ['GET', '/api/keys'], ['GET', '/api/nothing-here']]) {
      const missing = await as(null)(method!, path!, method === 'POST' ? {} : undefined);
      expect(missing.status, `${method} ${path}`).toBe(401);
      expect(missing.body.error).toBe('unauthorized');
      const unknown = await as(`hk_${'x'.repeat(43)}`)(method!, path!);
      expect(unknown.status).toBe(401);
    }
    // A key sharing the visible prefix of a real one but not the rest is unknown.
    const forged = await as(`${TEST_API_KEY.slice(0, 12)}${'y'.repeat(40)}`)('GET', '/api/channels');
    expect(forged.status).toBe(401);
    // Not Bearer, or the key in another header: refused.
    const basic = await app.request('/api/channels', { headers: { authorization: `Basic ${Buffer.from(`x:${TEST_API_KEY}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
  });

  it('leaves /healthz, /readyz and /metrics open', async () => {
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/metrics')).status).toBe(200);
    expect([200, 503]).toContain((await app.request('/readyz')).status);
  });

  it('gives read keys GET only, write keys everything but key management, admin keys everything', async () => {
    const read = await newKey('read');
    const write = await newKey('write');
    expect((await as(read.key)('GET', '/api/channels')).status).toBe(200);
    const readPost = await as(read.key)('POST', '/api/channels', { name: 'x' });
    expect(readPost.status).toBe(403);
    expect(readPost.body.error).toBe('forbidden');
    expect((await as(read.key)('DELETE', `/api/keys/${write.id}`)).status).toBe(403);
    expect((await as(write.key)('POST', '/api/channels', { name: 'w', url: 'https://example.com/h', auth: { type: 'none' } })).status).toBe(201);
    expect((await as(write.key)('GET', '/api/keys')).status).toBe(403);
    expect((await as(write.key)('POST', '/api/keys', { name: 'escalate', scope: 'admin' })).status).toBe(403);
    expect((await as(read.key)('GET', '/api/keys')).status).toBe(403);
  });

  it('answers a new key once, stores only its hash and prefix, lists without keys, and a revocation applies to the next request', async () => {
    const created = await newKey('write');
    expect(created.key).toMatch(/^hk_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.key.slice(0, 12));
    const stored = await testDb.sql`SELECT * FROM api_keys WHERE id = ${created.id}`;
    expect(JSON.stringify(stored)).not.toContain(created.key);
    expect(stored[0]!.key_hash).toBe(apiKeyHash(created.key));
    const listed = await admin()('GET', '/api/keys');
    expect(JSON.stringify(listed.body)).not.toContain(created.key);
    expect(listed.body.items.find((k: { id: string }) => k.id === created.id)).toMatchObject({ scope: 'write', prefix: created.prefix, revokedAt: null });

    expect((await as(created.key)('GET', '/api/channels')).status).toBe(200);
    expect((await admin()('DELETE', `/api/keys/${created.id}`)).status).toBe(204);
    const after = await as(created.key)('GET', '/api/channels');
    expect(after.status).toBe(401);
    expect((await admin()('DELETE', '/api/keys/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  it('validates the key fields by name', async () => {
    const bad = await admin()('POST', '/api/keys', { name: '', scope: 'root' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['name', 'scope']);
    expect(Number((await testDb.db.execute(sql`SELECT count(*) AS n FROM api_keys WHERE name = ''`))[0]!.n)).toBe(0);
  });
});
