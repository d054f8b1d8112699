import { z } from 'zod';
import { apiKeyInputSchema } from '../access/api-keys.js';
import { eventEnvelopeSchema } from '../audience/events.js';
import { identifyInputSchema } from '../audience/identify.js';
import { userBatchSchema, userInputSchema } from '../audience/users.js';
import { campaignDraftSchema, campaignPatchSchema } from '../contracts/campaign.js';
import { renderPreviewSchema } from '../campaigns/render-preview.js';
import { channelCreateSchema, channelEditSchema, channelTestSchema, rotationSchema, savedChannelTestSchema } from '../contracts/channel.js';
import { goldCartAbandoners } from '../segments/stories.js';
import { previewInputSchema, segmentInputSchema, segmentPatchSchema } from '../segments/store.js';

/*
 * The document's examples: the product seed's stories. Every request example
 * is listed with the schema its route validates it with, and
 * api/openapi.test.ts checks each one fits.
 */

/** Story 1 of the product seed: a coupon channel, signed with a secret. */
export const storyChannel = {
  name: '白鸽卡券中心',
  url: 'https://coupons.example.com/hooks/grant',
  method: 'POST',
  auth: { type: 'secret' },
  userAttributeParams: [{ name: 'user_id', attribute: '$id', identity: 'login' }],
  templateParams: [{ name: 'amount', displayName: '优惠券金额', type: 'integer', default: 50, required: true }],
};
export const storyRule = goldCartAbandoners;
export const storySegment = { name: 'gold VIP, added to cart yesterday, no order', rule: storyRule, timeZone: 'Asia/Shanghai' };
export const storyCampaign = {
  name: '购物车挽回 100 元券',
  segmentId: '00000000-0000-4000-8000-000000000001',
  channelId: '00000000-0000-4000-8000-000000000002',
  templateValues: { amount: 100 },
  trigger: { type: 'once', sendAt: 'now' },
  // Did they order because of it: an order of at least 100 within 3 days, compared with 10 % held out.
  goal: { event: 'pay_order', where: [{ property: 'amount', op: 'gte', value: 100 }], within: 'P3D', value: 'amount' },
  holdout: { percent: 10 },
};
/** Story 3: a daily birthday greeting. */
export const storyRecurringCampaign = {
  name: '生日祝福',
  segmentId: '00000000-0000-4000-8000-000000000003',
  channelId: '00000000-0000-4000-8000-000000000002',
  templateValues: {},
  trigger: { type: 'recurring', schedule: { every: 'day', at: '09:00' }, timeZone: 'Asia/Shanghai' },
};

export const campaignTestSchema = z.strictObject({ user: z.string().min(1).meta({ description: 'login id, visitor id or user id of the user to send the real test request to' }) });

/**
 * Every request example of the document with the schema it must pass; the
 * test validates each one, so an example that stops fitting fails CI.
 */
export const requestExamples: { name: string; schema: z.ZodType; example: unknown }[] = [
  { name: 'channel (story 1)', schema: channelCreateSchema, example: storyChannel },
  { name: 'channel patch', schema: channelEditSchema, example: { url: 'https://coupons.example.com/hooks/v2' } },
  { name: 'channel test', schema: channelTestSchema, example: { ...storyChannel, sampleValues: { amount: 100 } } },
  { name: 'saved channel test', schema: savedChannelTestSchema, example: { url: 'https://coupons.example.com/hooks/grant-v2', sampleValues: { amount: 100 } } },
  { name: 'secret rotation', schema: rotationSchema, example: { graceHours: 24 } },
  { name: 'segment (story 1)', schema: segmentInputSchema, example: storySegment },
  { name: 'segment patch', schema: segmentPatchSchema, example: { name: 'gold VIP (renamed)' } },
  { name: 'segment preview', schema: previewInputSchema, example: { rule: storyRule, timeZone: 'Asia/Shanghai' } },
  { name: 'user', schema: userInputSchema, example: { loginId: 'u-42', attributes: { vip_level: 'gold', name: '李雷' } } },
  { name: 'user batch', schema: userBatchSchema, example: { users: [{ loginId: 'u-42', attributes: { vip_level: 'gold' } }] } },
  { name: 'identify', schema: identifyInputSchema, example: { visitorId: 'v-9c1', loginId: 'u-42' } },
  {
    name: 'events',
    schema: eventEnvelopeSchema,
    example: { events: [{ name: 'add_to_cart', loginId: 'u-42', properties: { sku: 'A1' }, time: '2026-02-27T23:59:00+08:00', clientEventId: 'c-7f3a' }] },
  },
  { name: 'campaign (story 1)', schema: campaignDraftSchema, example: storyCampaign },
  { name: 'campaign (story 3)', schema: campaignDraftSchema, example: storyRecurringCampaign },
  { name: 'api key', schema: apiKeyInputSchema, example: { name: 'operations console', scope: 'write' } },
  { name: 'campaign test', schema: campaignTestSchema, example: { user: 'u-42' } },
  { name: 'campaign patch', schema: campaignPatchSchema, example: { templateValues: { amount: 100 } } },
  {
    name: 'campaign render preview',
    schema: renderPreviewSchema,
    example: { channelId: storyCampaign.channelId, segmentId: storyCampaign.segmentId, templateValues: { amount: 100 } },
  },
];
export const example = (name: string) => requestExamples.find((e) => e.name === name)!.example;

/** Story 1's campaign as the list shows it once its run is over; api/openapi.test.ts validates it against the answer's schema. */
export const campaignListExample = {
  items: [
    {
      ...storyCampaign,
      id: '00000000-0000-4000-8000-000000000004',
      status: 'completed',
      identity: 'login',
      timeZone: 'Asia/Shanghai',
      expiresAt: null,
      quietHours: null,
      launchedAt: '2026-02-28T02:00:00.000Z',
      finishedAt: '2026-02-28T02:00:04.000Z',
      lastError: null,
      pauseReason: null,
      holdout: { percent: 10, draw: 1 },
      createdAt: '2026-02-28T01:58:00.000Z',
      updatedAt: '2026-02-28T02:00:04.000Z',
      deliveries: { total: 257, pending: 0, succeeded: 225, failed: 4, skipped: 3, cancelled: 0, held_out: 25 },
    },
  ],
};
