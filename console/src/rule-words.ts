import type { TFunction } from 'i18next';
import type { RuleNode } from '../../contracts/segment-rule.js';
import { conditionWords } from './segment-rule-rows.js';

/*
 * A segment rule read out as an operator says it: "vip_level 等于 gold 且
 * 昨天完成过 add_to_cart 且 自昨天起没有完成过 pay_order". Each condition reads
 * as the builder reads its row back (conditionWords), so a segment opened
 * says what its builder said; this adds the groups.
 */

/** The rule in words; nested groups in parentheses. */
export function ruleWords(t: TFunction, rule: RuleNode, nested = false): string {
  if ('all' in rule || 'any' in rule) {
    const [children, join] = 'all' in rule ? [rule.all, t('rw_and')] : [rule.any, t('rw_or')];
    const inner = children.map((child) => ruleWords(t, child, true)).join(join);
    return nested && children.length > 1 ? t('rw_group', { inner }) : inner;
  }
  return conditionWords(t, rule as Record<string, unknown>);
}
