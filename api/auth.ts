import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { PREFIX_LENGTH, type ApiKeyScope, type ApiKeyStore } from '../access/api-keys.js';
import type { AuthThrottle } from '../access/auth-throttle.js';
import type { Logger } from '../lib/logger.js';
import type { RequestLogEnv } from './request-log.js';

/** The requests an `ingest` key may make: audience data in, nothing out, nothing else changed. */
const INGEST_ROUTES = new Set(['POST /api/events', 'POST /api/users', 'POST /api/users/identify']);
/** Routes only an admin key may use. */
const ADMIN_PATHS = [/^\/api\/keys(\/|$)/, /^\/api\/audit(\/|$)/];
/** Erasing and exporting a user (docs/privacy.md): admin keys only, like the audit trail. */
const isPrivacyRoute = (method: string, path: string) =>
  (method === 'DELETE' && /^\/api\/users\/[^/]+\/?$/.test(path)) || ((method === 'GET' || method === 'HEAD') && /^\/api\/users\/[^/]+\/export\/?$/.test(path));

/** A path as it may be logged: a user's id in it (a login id, docs/privacy.md) is replaced by `:id`. */
export function loggablePath(path: string): string {
  return path.replace(/^(\/api\/users\/)(?!identify(?:\/|$))[^/]+/, '$1:id');
}

/** The address the request came from (the TCP peer: a proxy in front shows as itself), or `unknown` outside a server. */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Why a key of this scope may not make this request, or null when it may. */
function refusal(scope: ApiKeyScope, method: string, path: string): string | null {
  if (isPrivacyRoute(method, path)) return scope === 'admin' ? null : `erasing or exporting a user needs an admin key; this key's scope is ${scope}`;
  if (ADMIN_PATHS.some((p) => p.test(path))) return scope === 'admin' ? null : `${path.startsWith('/api/keys') ? 'API keys are managed' : 'the audit trail is read'} with an admin key; this key's scope is ${scope}`;
  if (scope === 'admin' || scope === 'write') return null;
  if (scope === 'ingest') return INGEST_ROUTES.has(`${method} ${path.replace(/\/$/, '')}`) ? null : `an ingest key may only send events and users (POST /api/events, /api/users, /api/users/identify); ${method} ${path} needs a read or write key`;
  return method === 'GET' || method === 'HEAD' ? null : `a read key may only read (GET); ${method} needs a write key`;
}

/**
 * Every /api request carries `Authorization: Bearer <key>`. `read` keys may
 * only read (GET, HEAD); `ingest` keys may only send events and users; `write`
 * keys may do everything but manage keys and read the audit trail; `admin`
 * keys may do everything. Keys are checked against PostgreSQL on every
 * request, so a revoked key stops working at once. Wrong keys are counted per
 * client address (AuthThrottle) and logged with the address and the prefix
 * tried; the key is put on the request for the routes (`c.get('apiKey')`).
 */
export function requireApiKey(keys: ApiKeyStore, throttle: AuthThrottle, logger: Logger): MiddlewareHandler<RequestLogEnv> {
  return async function checkApiKey(c, next) {
    const address = clientAddress(c);
    const wait = throttle.retryAfterSeconds(address);
    if (wait > 0) {
      return c.json(
        { error: 'too_many_failed_attempts', message: `too many wrong API keys from this address; try again in ${wait} s` },
        429,
        { 'retry-after': String(wait) },
      );
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      return c.json({ error: 'unauthorized', message: 'an API key is required: send Authorization: Bearer <key>' }, 401, { 'www-authenticate': 'Bearer' });
    }
    const presented = match[1]!;
    const key = await keys.verify(presented);
    if (!key) {
      throttle.failed(address);
      // The visible prefix only (what `GET /api/keys` shows of a real key): enough to tell a stale key from a guess.
      logger.warn({ address, keyPrefix: presented.slice(0, PREFIX_LENGTH), method: c.req.method, path: loggablePath(c.req.path) }, 'unknown or revoked API key');
      return c.json({ error: 'unauthorized', message: 'unknown or revoked API key' }, 401, { 'www-authenticate': 'Bearer' });
    }
    const refused = refusal(key.scope, c.req.method, c.req.path);
    if (refused) return c.json({ error: 'forbidden', message: refused }, 403);
    c.set('apiKey', key);
    await next();
  };
}
