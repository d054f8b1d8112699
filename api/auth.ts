import type { MiddlewareHandler } from 'hono';
import type { ApiKeyStore } from '../access/api-keys.js';

/**
 * Every /api request carries `Authorization: Bearer <key>`. `read` keys may
 * only read (GET, HEAD); `write` keys may do everything but manage keys;
 * `admin` keys may do everything. Keys are checked against PostgreSQL on
 * every request, so a revoked key stops working at once.
 */
export function requireApiKey(keys: ApiKeyStore): MiddlewareHandler {
  return async function checkApiKey(c, next) {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      return c.json({ error: 'unauthorized', message: 'an API key is required: send Authorization: Bearer <key>' }, 401, { 'www-authenticate': 'Bearer' });
    }
    const key = await keys.verify(match[1]!);
    if (!key) return c.json({ error: 'unauthorized', message: 'unknown or revoked API key' }, 401, { 'www-authenticate': 'Bearer' });
    const reading = c.req.method === 'GET' || c.req.method === 'HEAD';
    const managingKeys = c.req.path === '/api/keys' || c.req.path.startsWith('/api/keys/');
    if (managingKeys && key.scope !== 'admin') {
      return c.json({ error: 'forbidden', message: `API keys are managed with an admin key; this key's scope is ${key.scope}` }, 403);
    }
    if (!reading && key.scope === 'read') {
      return c.json({ error: 'forbidden', message: `a read key may only read (GET); ${c.req.method} needs a write key` }, 403);
    }
    await next();
  };
}
