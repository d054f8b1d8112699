import { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createCampaignService } from '../campaigns/store.js';
import { createLogger } from '../lib/logger.js';
import { useTestDatabase } from '../test/database.js';
import { createApp } from './app.js';
import { authHeader } from '../test/credentials.js';

const database = useTestDatabase();

const BODIES = [
  '',
  'null',
  '[]',
  '"text"',
  '123',
  '{"name":"',
  '{"name":null}',
  '{"name":{"$gt":1}}',
  '{"__proto__":{"polluted":1}}',
  '{"name":"x","segmentId":"abc","channelId":"00000000-0000-0000-0000-000000000000"}',
  '{"rule":{"all":[{"all":[{"all":[{"all":[{"all":[{"all":[]}]}]}]}]}]}}',
  '{"users":[{"loginId":"a","attributes":{"x":[1]}}]}',
  '{"events":[{"name":"x","loginId":"a","time":"2999-01-01T00:00:00Z"}]}',
  '{"visitorId":"a","loginId":"b"}',
  '{"user":123}',
  '{"sampleValues":"x"}',
  '{"name":"c","url":"http://x.test","auth":{"type":"secret","secret":"whsec_@@@"},"headers":{"a\\nb":"c"}}',
  '{"name":"c","url":"http://x.test","auth":null}',
];

const PATHS = [
  '/api/channels',
  '/api/channels/test',
  '/api/channels/00000000-0000-4000-8000-000000000000',
  '/api/channels/not-an-id/test',
  '/api/campaigns',
  '/api/campaigns/not-an-id',
  '/api/campaigns/00000000-0000-4000-8000-000000000000/launch',
  '/api/campaigns/00000000-0000-4000-8000-000000000000/test',
  '/api/campaigns/not-an-id/deliveries?cursor=abc&limit=0&status=x',
  '/api/campaigns/not-an-id/deliveries/u',
  '/api/segments',
  '/api/segments/preview',
  '/api/segments/not-an-id',
  '/api/segments/not-an-id/preview?at=yesterday',
  '/api/users',
  '/api/users/identify',
  '/api/users/not-an-id',
  '/api/events',
];

describe('bad input', () => {
  it('never gets a 5xx from any endpoint, whatever the body', async () => {
    // The Temporal client connects lazily and none of these requests gets far enough to use it.
    const service = createCampaignService({ db: database.db, temporal: new Client(), taskQueue: 'unused' });
    const app = createApp({ db: database.db, logger: createLogger('test', 'silent'), campaigns: { service, temporalUiUrl: 'http://x', namespace: 'default' } });
    const serverErrors: string[] = [];
    let calls = 0;
    for (const path of PATHS) {
      for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) {
        for (const body of method === 'POST' || method === 'PATCH' ? BODIES : ['']) {
          const res = await app.request(path, { method, headers: { 'content-type': 'application/json', ...authHeader }, body: body || undefined });
          calls += 1;
          if (res.status >= 500) serverErrors.push(`${res.status} ${method} ${path} ${body}`);
          else if (res.status >= 400) expect((await res.json()) as object).toHaveProperty('error');
        }
      }
    }
    expect(calls).toBeGreaterThan(600);
    expect(serverErrors).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
