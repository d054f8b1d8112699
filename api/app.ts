import type { ConnectionLike } from '@temporalio/client';
import type { Dispatcher } from 'undici';
import type { OutboundPolicy } from '../webhook/outbound.js';
import { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { serveStatic } from '@hono/node-server/serve-static';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { timeout } from 'hono/timeout';
import { readFileSync } from 'node:fs';
import type { CampaignService } from '../campaigns/store.js';
import type { Database } from '../db/client.js';
import type { IngestHooks } from '../audience/events.js';
import { createChannelStore } from '../channels/store.js';
import { createSegmentStore } from '../segments/store.js';
import { safeErrorDescription } from '../lib/db-errors.js';
import { ApiError, type LiveCampaignsCheck } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { httpRequests, registry, requestsInFlight } from '../lib/metrics.js';
import { createApiKeyStore } from '../access/api-keys.js';
import { createAuthThrottle, type AuthThrottle } from '../access/auth-throttle.js';
import { auditChanges, auditRoutes } from './audit.js';
import { boundIngestion, DEFAULT_INGEST_CONCURRENCY } from './ingest-limit.js';
import { requireApiKey } from './auth.js';
import { checkReadiness, unavailableAnswer } from './availability.js';
import { campaignRoutes } from './campaigns.js';
import { catalogRoutes } from './catalog.js';
import { channelRoutes } from './channels.js';
import { eventRoutes } from './events.js';
import { apiKeyRoutes } from './keys.js';
import { campaignIdOf, requestLogLevel, type RequestLogEnv } from './request-log.js';
import { describeApi } from './openapi.js';
import { defineRoute, json } from './contract.js';
import { segmentRoutes } from './segments.js';
import { userRoutes } from './users.js';

export interface AppDeps {
  db: Database;
  logger: Logger;
  /** Which live campaigns use a channel; defaults to asking `campaigns`. */
  channelUsage?: LiveCampaignsCheck;
  /** Which live campaigns use a segment; defaults to asking `campaigns`, else none. */
  segmentUsage?: LiveCampaignsCheck;
  /** Campaign routes are mounted when a campaign service (and so Temporal) is given. */
  campaigns?: { service: CampaignService; temporalUiUrl: string; namespace: string; readShareMs?: number };
  /**
   * The connection the campaign service's Temporal client uses: every /api
   * request gets a deadline for its Temporal calls, and /readyz probes it.
   */
  temporal?: { connection: ConnectionLike; readDeadlineMs?: number; writeDeadlineMs?: number };
  /** Where channel test sends may go; defaults to the process's OUTBOUND_ALLOW_CIDRS policy. */
  outbound?: { policy: OutboundPolicy; dispatcher: Dispatcher };
  /** Hooks of each event ingest (event-triggered campaigns' outbox); none: events are only stored. */
  eventHooks?: () => IngestHooks;
  /** The built operator console (dist/console), served at `/`; absent: only the API. */
  consoleDir?: string;
  /** Counts wrong API keys per client address; defaults to a fresh one per app. */
  authThrottle?: AuthThrottle;
  /** Ingest requests run at once (api/ingest-limit.ts); 0: no bound. Defaults to DEFAULT_INGEST_CONCURRENCY. */
  ingestConcurrency?: number;
  /**
   * How long an erasure waits after it committed before it answers: the workers'
   * RUN_CONTROL_CACHE_MS, after which no request for the erased user starts. Defaults to CONTROL_TTL_MS.
   */
  eraseSettleMs?: number;
}


const swaggerUiDir = relative(process.cwd(), dirname(fileURLToPath(import.meta.resolve('swagger-ui-dist/package.json'))));
const referencePage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>hookcast API</title><link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="reference"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/reference.js"></script>
</body>
</html>`;
// A file, not an inline script: the CSP allows scripts from this origin only. No validator badge (it would call swagger.io).
const referenceScript = `SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#reference', deepLinking: true, validatorUrl: null });`;

/**
 * Browser hardening of every answer: scripts (no inline script, no eval),
 * images, fonts and connections from this origin only, no plugins, no <base>,
 * forms to this origin, and no framing by any other page. Styles may also be
 * inline: the console's component library (antd) writes <style> elements and
 * style attributes at run time, some without a way to give them a nonce; an
 * injected style cannot run code.
 */
const hardened = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: 'DENY',
  referrerPolicy: 'no-referrer',
});

/**
 * Reads only ask Temporal for a campaign's live progress, which is optional
 * (null without it), so they wait less; writes (launch, pause…) need an answer.
 */
const READ_DEADLINE_MS = 2000;
const WRITE_DEADLINE_MS = 5000;
/**
 * Campaign reads (an operator's dashboard polls them) answer within this, even
 * while PostgreSQL restarts. Reads only: a write that overran would still
 * happen, and a 503 would lie about it.
 */
const CAMPAIGN_READ_BUDGET_MS = 4000;

/** What each dependency answered: `ok`, or why not (no data, no credentials). */
const checksSchema = z.record(z.string(), z.string()).meta({ description: '`ok`, or why the dependency is not (postgres, temporal)' });
const healthRoute = defineRoute({
  method: 'get',
  path: '/healthz',
  tags: ['operations'],
  security: [],
  summary: 'Liveness: the process is up',
  responses: { 200: json(z.strictObject({ ok: z.literal(true) })) },
});
const readyRoute = defineRoute({
  method: 'get',
  path: '/readyz',
  tags: ['operations'],
  security: [],
  summary: 'Readiness (PostgreSQL, Temporal)',
  responses: {
    200: json(z.strictObject({ ready: z.literal(true), checks: checksSchema })),
    503: json(z.strictObject({ ready: z.literal(false), error: z.literal('not_ready'), message: z.string(), checks: checksSchema }), undefined, 'Not ready (`not_ready`), with each dependency\'s answer'),
  },
});

const noLiveCampaigns: LiveCampaignsCheck = async () => [];

/**
 * Builds the HTTP API. Kept free of listening and process concerns so tests
 * call it with `app.request(...)` or serve it on an ephemeral port.
 *
 * @example
 * const app = createApp({ db, logger });
 * const res = await app.request('/healthz');
 */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<RequestLogEnv>();

  app.use(hardened);
  // What the API answers is current and may be confidential: no browser or proxy keeps it.
  app.use('/api/*', async function noStore(c, next) {
    await next();
    if (!c.req.path.startsWith('/api/docs/assets/')) c.header('cache-control', 'no-store');
  });

  app.use(async function logRequest(c, next) {
    const started = performance.now();
    requestsInFlight.api++;
    try {
      await next();
    } finally {
      requestsInFlight.api--;
    }
    httpRequests.inc({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) });
    // The route's pattern, not the path: a path may hold a user's login id.
    const campaignId = campaignIdOf(c.req.path);
    deps.logger[requestLogLevel(c.req.method, c.res.status)](
      {
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        ...(campaignId ? { campaignId } : {}),
        ...c.get('logIds'),
      },
      'request',
    );
  });

  /** Liveness: the process is up. Dependencies are /readyz's business. */
  app.openapi(healthRoute, (c) => c.json({ ok: true as const }, 200));
  app.openapi(readyRoute, async (c) => {
    const { ready, checks } = await checkReadiness({ db: deps.db, temporal: deps.temporal?.connection });
    if (ready) return c.json({ ready, checks }, 200);
    const failing = Object.entries(checks).filter(([, v]) => v !== 'ok');
    return c.json({ ready, error: 'not_ready' as const, message: `not ready: ${failing.map(([k, v]) => `${k} (${v})`).join('; ')}`, checks }, 503);
  });
  app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'content-type': registry.contentType }));

  if (deps.temporal) {
    const { connection, readDeadlineMs = READ_DEADLINE_MS, writeDeadlineMs = WRITE_DEADLINE_MS } = deps.temporal;
    // Without a deadline the client retries an unreachable server for ~20 s per call.
    app.use('/api/*', (c, next) => connection.withDeadline(Date.now() + (c.req.method === 'GET' ? readDeadlineMs : writeDeadlineMs), next));
  }

  const readBudget = timeout(
    CAMPAIGN_READ_BUDGET_MS,
    () =>
      new HTTPException(503, {
        res: Response.json(
          { error: 'unavailable', message: `no answer within ${CAMPAIGN_READ_BUDGET_MS / 1000} s: PostgreSQL or Temporal is slow or restarting; try again shortly` },
          { status: 503 },
        ),
      }),
  );
  app.use('/api/campaigns/*', (c, next) => (c.req.method === 'GET' ? readBudget(c, next) : next()));
  // The description is public (it holds no data): registered before the key check.
  describeApi(app);
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'hookcast', version: '1', description: 'Webhook marketing campaigns: channels, audience, segments, campaigns and their runs.' },
    // Every /api route but this document and /api/docs needs a key.
    security: [{ apiKey: [] }],
  });
  // Swagger UI's files come from the installed package, not a CDN: a self-hosted install may have no internet.
  app.get('/api/docs', (c) => c.html(referencePage));
  app.get('/api/docs/reference.js', (c) => c.body(referenceScript, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.use('/api/docs/assets/*', serveStatic({ root: swaggerUiDir, rewriteRequestPath: (path) => path.replace(/^\/api\/docs\/assets/, '') }));
  // After the read budget, so a key lookup during a PostgreSQL restart still answers in time.
  const keys = createApiKeyStore(deps.db);
  const ingestConcurrency = deps.ingestConcurrency ?? DEFAULT_INGEST_CONCURRENCY;
  const ingest = ingestConcurrency > 0 ? boundIngestion(ingestConcurrency) : null;
  const ingestPaths = ['/api/events', '/api/users', '/api/users/identify'];
  if (ingest) for (const path of ingestPaths) app.use(path, ingest.admit);
  app.use('/api/*', requireApiKey(keys, deps.authThrottle ?? createAuthThrottle(), deps.logger));
  app.use('/api/*', auditChanges(deps.db, deps.logger));
  if (ingest) for (const path of ingestPaths) app.use(path, ingest.turn);
  app.route('/api/keys', apiKeyRoutes(keys));
  app.route('/api/audit', auditRoutes(deps.db));

  const campaignService = deps.campaigns?.service;
  const channelUsage = deps.channelUsage ?? (campaignService ? (id: string) => campaignService.liveUsing('channelId', id) : noLiveCampaigns);
  const channels = createChannelStore(deps.db, channelUsage, deps.outbound?.policy);
  app.route('/api/channels', channelRoutes(channels, deps.outbound?.dispatcher));
  const segmentUsage = deps.segmentUsage ?? (campaignService ? (id: string) => campaignService.liveUsing('segmentId', id) : noLiveCampaigns);
  app.route('/api/users', userRoutes(deps.db, { eraseSettleMs: deps.eraseSettleMs }));
  app.route('/api/events', eventRoutes(deps.db, deps.eventHooks));
  app.route('/api/catalog', catalogRoutes(deps.db));
  app.route('/api/segments', segmentRoutes(createSegmentStore(deps.db, segmentUsage)));
  if (deps.campaigns) {
    app.route('/api/campaigns', campaignRoutes({ db: deps.db, ...deps.campaigns, campaigns: deps.campaigns.service }));
  }


  if (deps.consoleDir) {
    const root = relative(process.cwd(), deps.consoleDir);
    app.use('/assets/*', serveStatic({ root }));
    const index = readFileSync(join(deps.consoleDir, 'index.html'), 'utf8');
    // The console is one page: every other GET outside /api answers its index (revalidated: it names the current build's assets).
    app.get('*', async (c, next) => (c.req.path.startsWith('/api') ? next() : c.html(index, 200, { 'cache-control': 'no-cache' })));
  }

  app.notFound((c) => c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404));

  app.onError(function answerError(error, c) {
    if (error instanceof ApiError) return c.json(error.toJSON(), error.status);
    if (error instanceof HTTPException) return error.getResponse();
    const unavailable = unavailableAnswer(error);
    if (unavailable) {
      deps.logger.warn({ error: unavailable.error, path: c.req.routePath }, 'dependency unavailable');
      return c.json(unavailable, 503);
    }
    // Only the error's class and a safe message reach the log: no request data, no query parameters.
    deps.logger.error({ err: safeErrorDescription(error) }, 'unhandled error');
    return c.json({ error: 'internal', message: 'internal error' }, 500);
  });

  return app;
}
