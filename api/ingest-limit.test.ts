import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.js';
import { authHeader } from '../test/credentials.js';
import { useTestDatabase } from '../test/database.js';
import { createApp } from './app.js';

/*
 * Issue 17: 200 concurrent ingests of 1,000 events were all taken on at once
 * and /healthz waited seconds. Now a few run, a few wait, and the rest are
 * told to come back (503 ingest_busy, Retry-After) before their bodies are read.
 */

const database = useTestDatabase();

function batch(n: number) {
  return JSON.stringify({ events: Array.from({ length: 1000 }, (_, i) => ({ name: 'view', loginId: `flood-${n}-${i % 50}`, properties: { i } })) });
}

describe('concurrent ingestion', () => {
  it('runs a bounded number at once and refuses the rest with 503 and Retry-After, while /healthz answers', async () => {
    const app = createApp({ db: database.db, logger: createLogger('test', 'silent'), ingestConcurrency: 2 });
    const post = (n: number) => app.request('/api/events', { method: 'POST', headers: { ...authHeader, 'content-type': 'application/json' }, body: batch(n) });
    const flood = Array.from({ length: 40 }, (_, n) => post(n));
    const health = await app.request('/healthz');
    expect(health.status).toBe(200);
    const answers = await Promise.all(flood);
    const statuses = answers.map((a) => a.status);
    // Two run and eight wait (four per running one); the other thirty are refused at once.
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 503)).toHaveLength(30);
    const refused = answers.find((a) => a.status === 503)!;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: 'ingest_busy' });
    // Once the flood is over, ingestion takes requests again, and reads were never bounded.
    expect((await post(99)).status).toBe(200);
    expect((await app.request('/api/channels', { headers: authHeader })).status).toBe(200);
  });
});
