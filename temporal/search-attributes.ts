import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes hookcast keeps current on campaign workflows so an
 * engineer can filter them in the Temporal UI. The dev server registers them at
 * start (`--search-attribute Name=Type`); a production cluster needs
 * `temporal operator search-attribute create` once.
 */
export const CampaignIdKey = defineSearchAttributeKey('CampaignId', SearchAttributeType.KEYWORD);
export const ChannelIdKey = defineSearchAttributeKey('ChannelId', SearchAttributeType.KEYWORD);
export const CampaignStatusKey = defineSearchAttributeKey('CampaignStatus', SearchAttributeType.KEYWORD);
export const TriggerTypeKey = defineSearchAttributeKey('TriggerType', SearchAttributeType.KEYWORD);

export const searchAttributeKeys = [CampaignIdKey, ChannelIdKey, CampaignStatusKey, TriggerTypeKey];

/** The `--search-attribute` flags for `temporal server start-dev`. */
export function devServerSearchAttributeFlags(): string[] {
  return searchAttributeKeys.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}
