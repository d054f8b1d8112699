import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';

export { campaignListAnswerSchema } from './answers.js';
export { campaignListExample, requestExamples } from './examples.js';

/*
 * The parts of the document no route defines with a JSON answer: metrics,
 * the document and its reference page (text, HTML, JavaScript), and the API
 * key scheme (/healthz and /readyz are defined in api/app.ts). Every /api route describes itself where it is defined (api/contract.ts).
 */

/** Registers the operations endpoints and the key scheme (the /api routes register themselves). */
export function describeApi(app: Pick<OpenAPIHono, 'openAPIRegistry'>) {
  const r = app.openAPIRegistry;
  const route = (config: Parameters<typeof createRoute>[0]) => r.registerPath(createRoute(config));
  route({ method: 'get', path: '/metrics', tags: ['operations'], security: [], summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } });
  route({ method: 'get', path: '/api/openapi.json', tags: ['operations'], security: [], summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } });
  r.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer', description: 'An API key: `read` keys may GET, `ingest` keys only POST /api/events, /api/users and /api/users/identify, `write` keys everything but /api/keys and /api/audit, `admin` keys everything. 20 wrong keys from one address within a minute: 429 until the minute ends.' });
  route({ method: 'get', path: '/api/docs', tags: ['operations'], security: [], summary: 'Browsable API reference', responses: { 200: { description: 'HTML' } } });
  route({ method: 'get', path: '/api/docs/reference.js', tags: ['operations'], security: [], summary: 'The reference page\'s start-up script (a file: the CSP allows no inline script)', responses: { 200: { description: 'JavaScript' } } });

}
