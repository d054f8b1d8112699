import { Client } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { freezeDefinition } from '../campaigns/definition.js';
import { createCampaignService } from '../campaigns/store.js';
import { createLogger } from '../lib/logger.js';
import { useTestDatabase } from '../test/database.js';
import { issuePaths, jsonCaller } from '../test/http.js';
import { createApp } from './app.js';

const testDb = useTestDatabase();
let call: ReturnType<typeof jsonCaller>;

beforeAll(() => {
  // The Temporal client connects lazily; drafts never reach it.
  const service = createCampaignService({ db: testDb.db, temporal: new Client(), taskQueue: 'unused' });
  call = jsonCaller(
    createApp({ db: testDb.db, logger: createLogger('test', 'silent'), campaigns: { service, temporalUiUrl: 'http://x', namespace: 'default' } }),
  );
});

const channel = (name: string, extra: Record<string, unknown> = {}) => ({ name, url: 'http://127.0.0.1:1/hook', auth: { type: 'none' }, ...extra });

describe('channel userCap', () => {
  it('is absent unless set, shown as set, replaced or lifted by a PATCH', async () => {
    const plain = await call('POST', '/api/channels', channel('no cap'));
    expect(plain.status).toBe(201);
    expect(plain.body.userCap).toBeNull();
    const capped = await call('POST', '/api/channels', channel('capped', { userCap: { max: 3, per: 'P1D' } }));
    expect(capped.status).toBe(201);
    expect((await call('GET', `/api/channels/${capped.body.id}`)).body.userCap).toEqual({ max: 3, per: 'P1D' });
    const renamed = await call('PATCH', `/api/channels/${capped.body.id}`, { name: 'capped, renamed' });
    expect(renamed.body.userCap).toEqual({ max: 3, per: 'P1D' });
    const recapped = await call('PATCH', `/api/channels/${capped.body.id}`, { userCap: { max: 1, per: 'PT12H' } });
    expect(recapped.body.userCap).toEqual({ max: 1, per: 'PT12H' });
    const lifted = await call('PATCH', `/api/channels/${capped.body.id}`, { userCap: null });
    expect(lifted.status).toBe(200);
    expect(lifted.body.userCap).toBeNull();
  });

  it('refuses a bad cap with a 400 naming the field, writing nothing', async () => {
    const created = await call('POST', '/api/channels', channel('strict cap', { userCap: { max: 2, per: 'P7D' } }));
    for (const [userCap, paths] of [
      [{ max: 0, per: 'P1D' }, ['userCap.max']],
      [{ max: 2.5, per: 'P1D' }, ['userCap.max']],
      [{ max: 1001, per: 'P1D' }, ['userCap.max']],
      [{ max: 3, per: '1 day' }, ['userCap.per']],
      [{ max: 3, per: 'P1M' }, ['userCap.per']],
      [{ max: 3, per: 'PT' }, ['userCap.per']],
      [{ max: 3, per: 'PT30S' }, ['userCap.per']],
      [{ max: 3, per: 'P32D' }, ['userCap.per']],
      [{ max: 3 }, ['userCap.per']],
      [{ max: 3, per: 'P1D', burst: 1 }, ['userCap.burst']],
      [3, ['userCap']],
    ] as const) {
      const patched = await call('PATCH', `/api/channels/${created.body.id}`, { userCap });
      expect(patched.status, JSON.stringify(userCap)).toBe(400);
      expect(issuePaths(patched.body), JSON.stringify(userCap)).toEqual(paths);
      const posted = await call('POST', '/api/channels', channel(`bad ${JSON.stringify(userCap)}`, { userCap }));
      expect(posted.status).toBe(400);
      expect(issuePaths(posted.body)).toEqual(paths);
    }
    expect((await call('GET', `/api/channels/${created.body.id}`)).body.userCap).toEqual({ max: 2, per: 'P7D' });
    const names = (await call('GET', '/api/channels')).body.items.map((c: { name: string }) => c.name);
    expect(names.filter((n: string) => n.startsWith('bad'))).toEqual([]);
  });
});

describe('campaign quietHours and timeZone', () => {
  it('default to no quiet hours in Asia/Shanghai; mode defaults to wait', async () => {
    const plain = await call('POST', '/api/campaigns', { name: 'plain' });
    expect(plain.status).toBe(201);
    expect(plain.body).toMatchObject({ quietHours: null, timeZone: 'Asia/Shanghai' });
    const quiet = await call('POST', '/api/campaigns', { name: 'quiet', quietHours: { from: '22:00', to: '08:00' }, timeZone: 'Europe/Berlin' });
    expect(quiet.status).toBe(201);
    expect(quiet.body).toMatchObject({ quietHours: { from: '22:00', to: '08:00', mode: 'wait' }, timeZone: 'Europe/Berlin' });
    const edited = await call('PATCH', `/api/campaigns/${quiet.body.id}`, { quietHours: { from: '12:00', to: '13:30', mode: 'skip' } });
    expect(edited.status).toBe(200);
    expect((await call('GET', `/api/campaigns/${quiet.body.id}`)).body).toMatchObject({ quietHours: { from: '12:00', to: '13:30', mode: 'skip' } });
    const cleared = await call('PATCH', `/api/campaigns/${quiet.body.id}`, { quietHours: null });
    expect(cleared.body.quietHours).toBeNull();
  });

  it('refuses bad quiet hours or zones with a 400 naming the field, writing nothing', async () => {
    const created = await call('POST', '/api/campaigns', { name: 'strict quiet', quietHours: { from: '21:00', to: '09:00', mode: 'skip' } });
    for (const [patch, paths] of [
      [{ quietHours: { from: '24:00', to: '08:00' } }, ['quietHours.from']],
      [{ quietHours: { from: '22:00', to: '8:00' } }, ['quietHours.to']],
      [{ quietHours: { from: '22:00', to: '22:00' } }, ['quietHours.to']],
      [{ quietHours: { from: '22:00', to: '08:00', mode: 'drop' } }, ['quietHours.mode']],
      [{ quietHours: { from: '22:00' } }, ['quietHours.to']],
      [{ quietHours: { from: '22:00', to: '08:00', zone: 'UTC' } }, ['quietHours.zone']],
      [{ quietHours: '22-8' }, ['quietHours']],
      [{ timeZone: 'Mars/Olympus' }, ['timeZone']],
      [{ timeZone: 'UTC+8' }, ['timeZone']],
      [{ timeZone: null }, ['timeZone']],
    ] as const) {
      const patched = await call('PATCH', `/api/campaigns/${created.body.id}`, patch);
      expect(patched.status, JSON.stringify(patch)).toBe(400);
      expect(issuePaths(patched.body), JSON.stringify(patch)).toEqual(paths);
      const posted = await call('POST', '/api/campaigns', { name: `bad ${JSON.stringify(patch)}`, ...patch });
      expect(posted.status).toBe(400);
      expect(issuePaths(posted.body)).toEqual(paths);
    }
    expect((await call('GET', `/api/campaigns/${created.body.id}`)).body).toMatchObject({
      quietHours: { from: '21:00', to: '09:00', mode: 'skip' },
      timeZone: 'Asia/Shanghai',
    });
    const names = (await call('GET', '/api/campaigns')).body.items.map((c: { name: string }) => c.name);
    expect(names.filter((n: string) => n.startsWith('bad'))).toEqual([]);
  });
});

describe('the frozen definition', () => {
  const channel = {
    id: 'c',
    name: 'c',
    url: 'http://x.test',
    method: 'POST' as const,
    headers: {},
    format: 'standard' as const,
    batchSize: 100,
    timeoutMs: 1000,
    retry: { initialIntervalMs: 5000, maxIntervalMs: 60000, maxDurationMs: 600000 },
    userAttributeParams: [],
    templateParams: [],
    userCap: { max: 3, per: 'P1D' },
  };
  const segment = { id: 's', name: 's', rule: { all: [] }, timeZone: 'UTC' };

  it("carries the quiet hours, the channel's cap, and the zone: the trigger's own zone wins over the campaign's", () => {
    const quietHours = { from: '22:00', to: '08:00', mode: 'wait' as const };
    const once = freezeDefinition({ name: 'n', identity: 'login', trigger: { type: 'once' }, timeZone: 'Europe/Berlin', quietHours }, channel, segment as never, {});
    expect(once).toMatchObject({ quietHours, timeZone: 'Europe/Berlin', channel: { userCap: { max: 3, per: 'P1D' } } });
    const recurring = freezeDefinition({ name: 'n', identity: 'login', trigger: { type: 'recurring', timeZone: 'America/New_York' }, timeZone: 'Europe/Berlin', quietHours }, channel, segment as never, {});
    expect(recurring.timeZone).toBe('America/New_York');
    const plain = freezeDefinition({ name: 'n', identity: 'login' }, { ...channel, userCap: null }, segment as never, {});
    expect(plain).toMatchObject({ quietHours: null, timeZone: 'Asia/Shanghai', channel: { userCap: null } });
  });
});
