import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignApi, type CampaignApi } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { useTemporal } from '../test/temporal.js';

const database = useTestDatabase();
const temporal = useTemporal(database);
const SECRET = 'planted-S3cret-a41c';
let api: CampaignApi;

beforeAll(async () => {
  api = campaignApi(database, temporal);
  // Every audience freeze now fails inside PostgreSQL, on a statement whose parameters hold the segment's values.
  await database.db.execute(sql`ALTER TABLE run_recipients ADD CONSTRAINT planted_refuse CHECK (false) NOT VALID`);
});
afterAll(() => database.db.execute(sql`ALTER TABLE run_recipients DROP CONSTRAINT IF EXISTS planted_refuse`));

describe('an activity failing on a database error', () => {
  it('reports the query shape to Temporal, never the parameters', async () => {
    expect((await api.call('POST', '/api/users', { loginId: 'u-1', attributes: { tier: SECRET } })).status).toBe(200);
    const segment = await api.call('POST', '/api/segments', { name: 'planted', rule: { all: [{ attribute: 'tier', op: 'equals', value: SECRET }] } });
    const channel = await api.call('POST', '/api/channels', { name: 'c', url: 'http://127.0.0.1:9/hook', auth: { type: 'none' } });
    const campaign = await api.call('POST', '/api/campaigns', { name: 'planted', segmentId: segment.body.id, channelId: channel.body.id });
    const launched = await api.call('POST', `/api/campaigns/${campaign.body.id}/launch`);
    expect(launched.status).toBe(200);
    const handle = temporal.client.workflow.getHandle(launched.body.temporal.workflowId);
    try {
      let failure: { message?: string | null } | null | undefined;
      const deadline = Date.now() + 30_000;
      while (!failure && Date.now() < deadline) {
        const description = await handle.describe();
        failure = description.raw.pendingActivities?.find((a) => a.activityType?.name === 'freezeAudience')?.lastFailure;
        if (!failure) await new Promise((r) => setTimeout(r, 200));
      }
      expect(failure?.message).toMatch(/^database error: 23514 .* in query: /);
      const described = JSON.stringify((await handle.describe()).raw);
      const history = JSON.stringify(await handle.fetchHistory());
      expect(described).not.toContain(SECRET);
      expect(history).not.toContain(SECRET);
    } finally {
      await handle.terminate('test over');
    }
  });
});
