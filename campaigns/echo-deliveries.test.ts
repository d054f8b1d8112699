import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { campaignApi, insertSegment, waitForCampaign } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { jsonCaller } from '../test/http.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';

/*
 * Issue 17: a Basic-auth channel whose endpoint echoes the request headers had
 * `authorization: Basic …` and the signature stored in run_recipients and shown
 * to a read key by GET /deliveries/:user. Now answers are scrubbed before they
 * are stored, read keys see no response bodies, and the launch is audited.
 */

const database = useTestDatabase();
const temporal = useTemporal(database);
let api: ReturnType<typeof campaignApi>;
let receiver: Receiver;
const PASSWORD = 'echo-pa55word-long';
const TOKEN = Buffer.from(`bob:${PASSWORD}`).toString('base64');

beforeAll(async () => {
  api = campaignApi(database, temporal);
  receiver = await startReceiver((request) => ({
    status: 200,
    body: JSON.stringify({ headers: request.headers, decoded: Buffer.from(String(request.headers.authorization).slice(6), 'base64').toString() }),
  }));
  await insertUsers(database.db, [1, 2, 3].map((i) => ({ loginId: `echo-${i}`, attributes: { cohort: 'echo' } })));
});
afterAll(() => receiver.close());

describe('a run against an endpoint that echoes credentials', () => {
  it('stores and shows no credential, shows bodies only to keys that may write, and audits the launch', async () => {
    const segment = await insertSegment(database, 'echo', { attribute: 'cohort', op: 'equals', value: 'echo' });
    const channel = await api.call('POST', '/api/channels', {
      name: 'echo',
      url: `${receiver.url}/echo`,
      auth: { type: 'basic', username: 'bob', password: PASSWORD },
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
    });
    const created = await api.call('POST', '/api/campaigns', { name: 'echo', segmentId: segment.id, channelId: channel.body.id });
    expect((await api.call('POST', `/api/campaigns/${created.body.id}/launch`)).status).toBe(200);
    const done = await waitForCampaign(api, created.body.id);
    expect(done.deliveries).toMatchObject({ succeeded: 3 });
    expect(receiver.requests.some((r) => r.headers.authorization === `Basic ${TOKEN}`)).toBe(true);

    const stored = await database.db.execute<{ body: string }>(sql`SELECT response_body AS body FROM run_recipients WHERE response_body IS NOT NULL`);
    expect(stored).toHaveLength(3);
    for (const { body } of stored) {
      expect(body).not.toContain(TOKEN);
      expect(body).not.toContain(PASSWORD);
      expect(body).toContain('"authorization":"********"');
    }

    const keyFor = async (scope: string) => (await api.call('POST', '/api/keys', { name: scope, scope })).body.key as string;
    const asRead = jsonCaller(api.app, { authorization: `Bearer ${await keyFor('read')}` });
    const asWrite = jsonCaller(api.app, { authorization: `Bearer ${await keyFor('write')}` });
    const read = await asRead('GET', `/api/campaigns/${created.body.id}/deliveries/echo-1`);
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('succeeded');
    expect(read.body).not.toHaveProperty('responseBody');
    const written = await asWrite('GET', `/api/campaigns/${created.body.id}/deliveries/echo-1`);
    expect(written.body.responseBody).toContain('"decoded":"********"');
    expect(JSON.stringify(written.body)).not.toContain(TOKEN);

    const trail = await api.call('GET', `/api/audit?targetType=campaign&targetId=${created.body.id}`);
    expect(trail.body.items.map((e: { action: string }) => e.action)).toEqual(['launched', 'created']);
    expect(trail.body.items[0]).toMatchObject({ actor: { name: 'test admin' }, target: { name: 'echo' } });
  });
});
