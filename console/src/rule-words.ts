import type { TFunction } from 'i18next';
import type { AttributeCondition, Condition, EventWindow, PropertyFilter, RuleNode } from '../../contracts/segment-rule.js';

/*
 * A segment rule read out as an operator says it: "vip_level 等于 gold 且
 * 昨天做过 add_to_cart 且 自昨天起没有做过 pay_order". Covers every node the
 * API takes (segments/rule.ts), so a rule saved through the API reads as well
 * as one made in the builder.
 */

const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function comparisonWords(t: TFunction, subject: string, c: Omit<AttributeCondition, 'attribute'>): string {
  const op = c.op;
  if (op === 'exists' || op === 'notExists' || op === 'anniversaryToday') return t('rw_attributeNoValue', { attribute: subject, op: t(op === 'anniversaryToday' ? 'op_anniversaryToday' : `rw_op_${op}`) });
  const value = 'value' in c ? (c as { value: unknown }).value : undefined;
  if (op === 'withinLastDays') return t('rw_attributeNoValue', { attribute: subject, op: t('rw_op_withinLastDays', { n: value }) });
  const words = Array.isArray(value) ? value.map(shown).join(t('listSep')) : shown(value);
  const opWords = ['in', 'notIn', 'startsWith', 'before', 'after'].includes(op) ? t(`rw_op_${op}`) : t(`op_${op}`);
  return t('rw_attribute', { attribute: subject, op: opWords, value: words });
}

function windowWords(t: TFunction, w: EventWindow | undefined): string {
  if (!w) return '';
  switch (w.type) {
    case 'today':
    case 'yesterday':
      return t(`rw_win_${w.type}`);
    case 'lastDays':
      return t('rw_win_lastDays', { n: w.days });
    case 'since':
      if (w.date !== undefined) return t('rw_win_sinceDate', { date: w.date });
      return w.daysAgo === 0 ? t('rw_win_sinceToday') : w.daysAgo === 1 ? t('rw_win_sinceYesterday') : t('rw_win_sinceDaysAgo', { n: w.daysAgo });
    case 'between':
      return t('rw_win_between', { from: w.from, to: w.to });
  }
}

function whereWords(t: TFunction, where: PropertyFilter[] | undefined): string {
  if (!where || where.length === 0) return '';
  return t('rw_where', { filters: where.map(({ property, ...c }) => comparisonWords(t, property, c)).join(t('rw_and')) });
}

function conditionWords(t: TFunction, c: Condition): string {
  if ('identity' in c) return t(`opt_${c.identity}`);
  if ('attribute' in c) {
    const { attribute, ...comparison } = c;
    return comparisonWords(t, attribute, comparison);
  }
  if ('noEvent' in c) return t('rw_didNot', { event: c.noEvent, window: windowWords(t, c.window), where: whereWords(t, c.where) });
  const count = c.count;
  // "At least once" is just "did"; "at most 0 times" is "did not".
  if (count?.op === 'atMost' && count.value === 0) return t('rw_didNot', { event: c.event, window: windowWords(t, c.window), where: whereWords(t, c.where) });
  const countWords = !count || (count.op === 'atLeast' && count.value === 1) ? '' : t(`rw_count_${count.op}`, { n: count.value });
  return t('rw_did', { event: c.event, count: countWords, window: windowWords(t, c.window), where: whereWords(t, c.where) });
}

/** The rule in words; nested groups in parentheses. */
export function ruleWords(t: TFunction, rule: RuleNode, nested = false): string {
  if ('all' in rule || 'any' in rule) {
    const [children, join] = 'all' in rule ? [rule.all, t('rw_and')] : [rule.any, t('rw_or')];
    const inner = children.map((child) => ruleWords(t, child, true)).join(join);
    return nested && children.length > 1 ? t('rw_group', { inner }) : inner;
  }
  return conditionWords(t, rule);
}
