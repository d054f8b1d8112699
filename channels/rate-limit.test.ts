import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { createChannelLimitsCache } from '../delivery/limiter.js';
import { createLogger } from '../lib/logger.js';
import { useTestDatabase } from '../test/database.js';
import { issuePaths, jsonCaller } from '../test/http.js';

const testDb = useTestDatabase();
let call: ReturnType<typeof jsonCaller>;

beforeAll(() => {
  call = jsonCaller(createApp({ db: testDb.db, logger: createLogger('test', 'silent'), channelUsage: async () => [] }));
});

const channel = (name: string, extra: Record<string, unknown> = {}) => ({ name, url: 'http://127.0.0.1:1/hook', auth: { type: 'none' }, ...extra });

describe('channel rateLimit', () => {
  it('is unlimited unless set, and is shown as set', async () => {
    const plain = await call('POST', '/api/channels', channel('plain'));
    expect(plain.status).toBe(201);
    expect(plain.body.rateLimit).toEqual({ perSecond: null, concurrency: null });

    const limited = await call('POST', '/api/channels', channel('limited', { rateLimit: { perSecond: 50, concurrency: 10 } }));
    expect(limited.status).toBe(201);
    expect((await call('GET', `/api/channels/${limited.body.id}`)).body.rateLimit).toEqual({ perSecond: 50, concurrency: 10 });
    const onlyRate = await call('POST', '/api/channels', channel('only rate', { rateLimit: { perSecond: 5 } }));
    expect(onlyRate.body.rateLimit).toEqual({ perSecond: 5, concurrency: null });
  });

  it('survives edits of other fields and is replaced as a whole by an edit of its own', async () => {
    const created = await call('POST', '/api/channels', channel('edited', { rateLimit: { perSecond: 20, concurrency: 4 } }));
    const renamed = await call('PATCH', `/api/channels/${created.body.id}`, { name: 'edited again' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.rateLimit).toEqual({ perSecond: 20, concurrency: 4 });
    const relimited = await call('PATCH', `/api/channels/${created.body.id}`, { rateLimit: { concurrency: 2 } });
    expect(relimited.body.rateLimit).toEqual({ perSecond: null, concurrency: 2 });
    const lifted = await call('PATCH', `/api/channels/${created.body.id}`, { rateLimit: { perSecond: null, concurrency: null } });
    expect(lifted.body.rateLimit).toEqual({ perSecond: null, concurrency: null });
  });

  it('refuses bad limits with a 400 naming each field, writing nothing', async () => {
    const created = await call('POST', '/api/channels', channel('strict', { rateLimit: { perSecond: 10, concurrency: 3 } }));
    for (const [rateLimit, paths] of [
      [{ perSecond: 0 }, ['rateLimit.perSecond']],
      [{ perSecond: 2.5, concurrency: -1 }, ['rateLimit.perSecond', 'rateLimit.concurrency']],
      [{ perSecond: 10_001 }, ['rateLimit.perSecond']],
      [{ concurrency: 1_001 }, ['rateLimit.concurrency']],
      [{ perSecond: '50' }, ['rateLimit.perSecond']],
      [{ burst: 5 }, ['rateLimit.burst']],
      ['fast', ['rateLimit']],
    ] as const) {
      const patched = await call('PATCH', `/api/channels/${created.body.id}`, { rateLimit });
      expect(patched.status, JSON.stringify(rateLimit)).toBe(400);
      expect(issuePaths(patched.body)).toEqual(paths);
      const posted = await call('POST', '/api/channels', channel(`bad ${JSON.stringify(rateLimit)}`, { rateLimit }));
      expect(posted.status).toBe(400);
      expect(issuePaths(posted.body)).toEqual(paths);
    }
    expect((await call('GET', `/api/channels/${created.body.id}`)).body.rateLimit).toEqual({ perSecond: 10, concurrency: 3 });
    const names = (await call('GET', '/api/channels')).body.items.map((c: { name: string }) => c.name);
    expect(names.filter((n: string) => n.startsWith('bad'))).toEqual([]);
  });

  it('is read live by the sending side, within the cache time', async () => {
    const created = await call('POST', '/api/channels', channel('live', { rateLimit: { perSecond: 100, concurrency: null } }));
    const limits = createChannelLimitsCache(testDb.db, 200);
    expect(await limits.get(created.body.id)).toEqual({ perSecond: 100, concurrency: null });
    await call('PATCH', `/api/channels/${created.body.id}`, { rateLimit: { perSecond: 5, concurrency: 1 } });
    expect(await limits.get(created.body.id)).toEqual({ perSecond: 100, concurrency: null }); // still cached
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await limits.get(created.body.id)).toEqual({ perSecond: 5, concurrency: 1 });
  });
});
