import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { listAudit, recordAudit, type AuditAction } from '../access/audit.js';
import type { Database } from '../db/client.js';
import { safeErrorDescription } from '../lib/db-errors.js';
import type { Logger } from '../lib/logger.js';
import { auditEventSchema } from './answers.js';
import { apiRouter, defineRoute, errors, json, page } from './contract.js';
import { jsonBodyOf } from './json.js';
import type { RequestLogEnv } from './request-log.js';

const listAuditRoute = defineRoute({
  method: 'get',
  path: '/',
  tags: ['keys'],
  summary: 'The audit trail (admin): who created, changed, launched, paused, resumed, cancelled, triggered, rotated, deleted or revoked what, newest first',
  security: [{ apiKey: [] }],
  request: { query: z.object({ cursor: z.string().optional(), limit: z.string().optional(), targetType: z.string().optional(), targetId: z.string().optional() }) },
  responses: { 200: json(page(auditEventSchema)), 400: errors.validation, 401: errors.unauthorized, 403: errors.forbidden, 429: errors.throttled },
});

/** `GET /api/audit` (admin keys): the trail, newest first, `?targetType=&targetId=` for one object. */
export function auditRoutes(db: Database) {
  const app = apiRouter();
  app.openapi(listAuditRoute, async (c) => c.json(await listAudit(db, c.req.valid('query')), 200));
  return app;
}

/** Which successful requests are audited, by method and route pattern: [action, target type]. */
const AUDITED: Record<string, [AuditAction, string]> = {
  'POST /api/channels': ['created', 'channel'],
  'PATCH /api/channels/:id': ['changed', 'channel'],
  'DELETE /api/channels/:id': ['deleted', 'channel'],
  'POST /api/channels/:id/rotate-secret': ['rotated', 'channel'],
  'POST /api/segments': ['created', 'segment'],
  'PATCH /api/segments/:id': ['changed', 'segment'],
  'DELETE /api/segments/:id': ['deleted', 'segment'],
  'POST /api/campaigns': ['created', 'campaign'],
  'PATCH /api/campaigns/:id': ['changed', 'campaign'],
  'DELETE /api/campaigns/:id': ['deleted', 'campaign'],
  'POST /api/campaigns/:id/launch': ['launched', 'campaign'],
  'POST /api/campaigns/:id/pause': ['paused', 'campaign'],
  'POST /api/campaigns/:id/resume': ['resumed', 'campaign'],
  'POST /api/campaigns/:id/cancel': ['cancelled', 'campaign'],
  'POST /api/campaigns/:id/trigger': ['triggered', 'campaign'],
  'POST /api/keys': ['created', 'api_key'],
  'DELETE /api/keys/:id': ['revoked', 'api_key'],
};

/**
 * Records every successful change made through the API in the audit trail,
 * after the route answered (the change is made by then): who from the request's
 * key, the change from its body (masked by recordAudit), the object's id and
 * name from the path or the answer. A failure to record is logged, and the
 * answer still goes out: the change happened, and a 500 would say otherwise.
 */
export function auditChanges(db: Database, logger: Logger): MiddlewareHandler<RequestLogEnv> {
  return async function audit(c, next) {
    await next();
    if (c.req.method === 'GET' || c.res.status >= 300) return;
    const audited = AUDITED[`${c.req.method} ${c.req.routePath}`];
    const key = c.get('apiKey');
    if (!audited || !key) return;
    const [action, targetType] = audited;
    try {
      const body = jsonBodyOf(c);
      const answer = c.res.headers.get('content-type')?.includes('json') ? ((await c.res.clone().json().catch(() => undefined)) as { id?: string; name?: string } | undefined) : undefined;
      await recordAudit(db, {
        actor: { keyId: key.id, name: key.name },
        action,
        targetType,
        targetId: c.req.param('id') ?? answer?.id ?? null,
        targetName: answer?.name ?? (body as { name?: string } | undefined)?.name ?? null,
        change: body,
      });
    } catch (error) {
      logger.error({ err: safeErrorDescription(error), action, targetType }, 'could not record an audit event');
    }
  };
}
