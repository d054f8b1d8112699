import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { campaigns } from '../db/schema.js';
import { campaignApi } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { useTemporal } from '../test/temporal.js';

/*
 * An operator's action the lifecycle refuses is a 409 naming the status and the
 * action, and changes nothing: not the row, not its updated_at. (The refusals
 * come before Temporal is asked, so no worker runs.)
 */
const database = useTestDatabase();
const temporal = useTemporal(database, { runWorker: false });
let api: ReturnType<typeof campaignApi>;

beforeAll(() => {
  api = campaignApi(database, temporal);
});

async function campaignIn(status: 'draft' | 'completed' | 'cancelled' | 'scheduled', trigger: Record<string, unknown> = { type: 'once' }) {
  const draft = await api.call('POST', '/api/campaigns', { name: `lifecycle ${status}`, trigger });
  expect(draft.status).toBe(201);
  // The test builds the situation directly; the product only moves a campaign through campaigns/lifecycle.ts.
  if (status !== 'draft') await database.db.update(campaigns).set({ status }).where(eq(campaigns.id, draft.body.id));
  const [row] = await database.db.select().from(campaigns).where(eq(campaigns.id, draft.body.id));
  return row!;
}

const recurring = { type: 'recurring', schedule: { every: 'day', at: '09:00' }, timeZone: 'Asia/Shanghai' };

describe('illegal operator actions', () => {
  it.each([
    ['pause', 'draft', { type: 'once' }],
    ['resume', 'draft', { type: 'once' }],
    ['cancel', 'completed', { type: 'once' }],
    ['pause', 'completed', { type: 'once' }],
    ['launch', 'scheduled', { type: 'once' }],
    ['pause', 'cancelled', recurring],
    ['resume', 'cancelled', recurring],
    ['cancel', 'cancelled', recurring],
    ['launch', 'completed', recurring],
  ] as const)('%s of a %s campaign is a 409 naming both and writes nothing', async (action, status, trigger) => {
    const before = await campaignIn(status, trigger);
    const res = await api.call('POST', `/api/campaigns/${before.id}/${action}`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'invalid_transition', issues: [{ path: 'status', message: `is ${status}` }] });
    expect(res.body.message).toBe(`cannot ${action} a campaign that is ${status} (from ${status}, event ${action})`);
    const [after] = await database.db.select().from(campaigns).where(eq(campaigns.id, before.id));
    expect(after).toEqual(before);
  });
});
