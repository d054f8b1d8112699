import { eq } from 'drizzle-orm';
import { findUser } from '../audience/users.js';
import { sendTestRequest, type TestSendResult } from '../channels/test-send.js';
import type { Database } from '../db/client.js';
import { channels, type campaigns } from '../db/schema.js';
import { ApiError, conflict, fieldError, notFound } from '../lib/errors.js';
import { resolveTemplateValues } from './definition.js';

/**
 * Seed "测试效果": one real request of a campaign (its channel, its template
 * values) to one named user, outside any run.
 *
 * @example
 * await testCampaignSend(db, campaign, { user: 'u-42' }); // { verdict: 'ok', status: 200, … }
 */
export async function testCampaignSend(db: Database, campaign: typeof campaigns.$inferSelect, body: unknown): Promise<TestSendResult> {
  const key = (body as { user?: unknown } | null)?.user;
  if (typeof key !== 'string' || key === '') throw fieldError('user', 'must be a login id, visitor id or user id');
  const user = await findUser(db, key);
  if (!user) throw fieldError('user', 'no user has this id');
  if (!campaign.channelId) throw conflict('the campaign has no channel', [{ path: 'channelId', message: 'is required to test' }]);
  const [channel] = await db.select().from(channels).where(eq(channels.id, campaign.channelId));
  if (!channel) throw notFound('channel');
  const { values, problems } = resolveTemplateValues(channel.templateParams, campaign.templateValues);
  if (problems.length > 0) throw new ApiError(409, 'cannot_test', 'template values are incomplete or invalid', problems);
  return sendTestRequest(channel, user, values, (error) =>
    new ApiError(409, 'cannot_test', error.message, [{ path: `templateValues.${error.param}`, message: error.message }]),
  );
}
