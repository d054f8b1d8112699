import { describe, expect, it } from 'vitest';
import type { CampaignService } from '../campaigns/store.js';
import type { Database } from '../db/client.js';
import { createLogger } from '../lib/logger.js';
import { createApp } from './app.js';
import { readFileSync } from 'node:fs';
import { consoleTypes, schemaFile } from '../scripts/openapi.js';
import { campaignListAnswerSchema, campaignListExample, requestExamples } from './openapi.js';

/*
 * Pure: listing routes and serving the document touch neither PostgreSQL nor
 * Temporal, so the dependencies are never called.
 */
const app = createApp({
  db: {} as Database,
  logger: createLogger('test', 'silent'),
  campaigns: { service: {} as CampaignService, temporalUiUrl: 'http://localhost:8233', namespace: 'default' },
});

type Document = { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { example?: unknown }> } }>> };

async function document(): Promise<Document> {
  const res = await app.request('/api/openapi.json');
  expect(res.status).toBe(200);
  return (await res.json()) as Document;
}

describe('GET /api/openapi.json', () => {
  it('is OpenAPI 3.1 and describes every mounted route', async () => {
    const doc = await document();
    expect(doc.openapi).toBe('3.1.0');
    const mounted = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`),
    );
    const described = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`)));
    expect(mounted.size).toBeGreaterThan(30);
    expect([...mounted].filter((r) => !described.has(r))).toEqual([]);
    expect([...described].filter((r) => !mounted.has(r))).toEqual([]);
  });

  it('names the error bodies: 400 validation_failed with issues, 404, 409', async () => {
    const doc = await document();
    const create = doc.paths['/api/campaigns/{id}/launch']!.post as unknown as { responses: Record<string, unknown> };
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['200', '404', '409']));
    const channel = doc.paths['/api/channels']!.post as unknown as { responses: Record<string, { content: { 'application/json': { example: { error: string; issues: unknown[] } } } }> };
    expect(channel.responses['400']!.content['application/json'].example).toMatchObject({ error: 'validation_failed', issues: [{ path: 'url' }] });
  });

  it('every request example validates against the schema the API parses it with', async () => {
    for (const { name, schema, example } of requestExamples) {
      const result = schema.safeParse(example);
      expect(result.success ? [] : result.error.issues.map((i) => `${name}: ${i.path.join('.')} ${i.message}`)).toEqual([]);
    }
    const doc = await document();
    const inDocument = Object.values(doc.paths)
      .flatMap((ops) => Object.values(ops))
      .map((op) => op.requestBody?.content['application/json']?.example)
      .filter((e) => e !== undefined);
    // Every example the document shows is one of the validated ones.
    const validated = requestExamples.map((e) => JSON.stringify(e.example));
    expect(inDocument.length).toBeGreaterThan(10);
    for (const e of inDocument) expect(validated).toContain(JSON.stringify(e));
  });

  it('the campaign list\'s answer example fits its schema, counts included', async () => {
    const result = campaignListAnswerSchema.safeParse(campaignListExample);
    expect(result.success ? [] : result.error.issues).toEqual([]);
    const { deliveries, ...withoutCounts } = campaignListExample.items[0]!;
    expect(deliveries.total).toBe(deliveries.pending + deliveries.succeeded + deliveries.failed + deliveries.skipped + deliveries.cancelled + deliveries.held_out);
    expect(campaignListAnswerSchema.safeParse({ items: [withoutCounts] }).success).toBe(false);
    const doc = await document();
    const list = doc.paths['/api/campaigns']!.get as unknown as { responses: Record<string, { content: { 'application/json': { example: unknown } } }> };
    expect(list.responses['200']!.content['application/json'].example).toEqual(campaignListExample);
  });

  it('an example the API would refuse fails the check (the check can fail)', () => {
    const channel = requestExamples.find((e) => e.name === 'channel (story 1)')!;
    expect(channel.schema.safeParse({ ...(channel.example as object), url: 'not a url' }).success).toBe(false);
  });

  it('serves the reference page at /api/docs from its own files, so it works without internet', async () => {
    const res = await app.request('/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const page = await res.text();
    // No inline script (the CSP allows none): the start-up is a file of its own, which loads the document.
    expect(page).not.toMatch(/<script>/);
    expect(page).toContain('<script src="/api/docs/reference.js">');
    expect(await (await app.request('/api/docs/reference.js')).text()).toContain('/api/openapi.json');
    expect(page).not.toMatch(/(src|href)="https?:/);
    for (const asset of page.matchAll(/(?:src|href)="(\/api\/docs\/assets\/[^"]+)"/g)) {
      const file = await app.request(asset[1]!);
      expect(file.status, asset[1]).toBe(200);
      expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
    expect([...page.matchAll(/\/api\/docs\/assets\//g)]).toHaveLength(2);
  });

  it('the console\'s generated API types are current (run `npm run openapi` after changing a schema)', async () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(await consoleTypes());
  });
});
