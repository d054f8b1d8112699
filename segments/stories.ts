import type { RuleNode } from '../contracts/segment-rule.js';

/** A rule whose top level is an AND group. */
export type AllRule = { all: RuleNode[] };

/*
 * The three seed stories (webhook-feature.md, 白鸽公司) as segment rules. Used by
 * the story tests, the benchmark and the documentation, so all three agree.
 */

/** 故事1: gold VIP members who added to cart yesterday and have not ordered since. */
export const goldCartAbandoners: AllRule = {
  all: [
    { attribute: 'vip_level', op: 'equals', value: 'gold' },
    { event: 'add_to_cart', window: { type: 'yesterday' } },
    { noEvent: 'pay_order', window: { type: 'since', daysAgo: 1 } },
  ],
};

/** 故事2: story 1 restricted to users with a login id (the coupon system keys on it). */
export const loggedInGoldCartAbandoners: AllRule = {
  all: [...goldCartAbandoners.all, { identity: 'hasLoginId' }],
};

/** 故事3: gold VIP members whose birthday is today. */
export const goldBirthdays: AllRule = {
  all: [
    { attribute: 'vip_level', op: 'equals', value: 'gold' },
    { attribute: 'birthday', op: 'anniversaryToday' },
  ],
};

export const STORIES = [
  { name: 'story 1: gold VIPs, add_to_cart yesterday, no pay_order since', rule: goldCartAbandoners },
  { name: 'story 2: story 1 with a login id', rule: loggedInGoldCartAbandoners },
  { name: 'story 3: gold VIPs with a birthday today', rule: goldBirthdays },
] as const;
