import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import type { RuleNode } from '../../contracts/segment-rule.js';
import { en, zh } from './messages.js';
import { ruleWords } from './rule-words.js';

/*
 * A segment opened in the console reads its rule in words; one saved through
 * the API may use any node the API takes, so every operator and window has words.
 */
const t = async (lng: 'zh-CN' | 'en') => {
  const i18n = i18next.createInstance();
  await i18n.init({ resources: { 'zh-CN': { translation: zh }, en: { translation: en } }, lng, interpolation: { escapeValue: false } });
  return i18n.t.bind(i18n);
};

const story1: RuleNode = { all: [{ attribute: 'vip_level', op: 'equals', value: 'gold' }, { event: 'add_to_cart', window: { type: 'yesterday' } }, { noEvent: 'pay_order', window: { type: 'since', daysAgo: 1 } }] };

const everyNode: RuleNode = {
  any: [
    { attribute: 'city', op: 'in', value: ['上海', '杭州'] }, { attribute: 'city', op: 'notIn', value: ['北京'] },
    { attribute: 'phone', op: 'exists' }, { attribute: 'email', op: 'notExists' }, { attribute: 'name', op: 'startsWith', value: '王' },
    { attribute: 'age', op: 'gte', value: 18 }, { attribute: 'signup', op: 'before', value: '2026-01-01' }, { attribute: 'signup', op: 'after', value: '2025-01-01' },
    { attribute: 'signup', op: 'withinLastDays', value: 30 }, { attribute: 'birthday', op: 'anniversaryToday' },
    { event: 'view', count: { op: 'exactly', value: 2 }, window: { type: 'lastDays', days: 7 }, where: [{ property: 'sku', op: 'equals', value: 'A1' }] },
    { event: 'view', count: { op: 'atMost', value: 0 }, window: { type: 'between', from: '2026-01-01', to: '2026-01-31' } },
    { all: [{ identity: 'hasLoginId' }, { noEvent: 'pay', window: { type: 'since', date: '2026-02-01' } }] },
  ],
};

describe('a segment rule in words', () => {
  it('reads story 1 as an operator says it, in Chinese and in English', async () => {
    expect(ruleWords(await t('zh-CN'), story1)).toBe('vip_level 等于 gold 且 昨天做过 add_to_cart 且 自昨天起没有做过 pay_order');
    expect(ruleWords(await t('en'), story1)).toBe('vip_level equals gold and did add_to_cart yesterday and did not do pay_order since yesterday');
  });

  it('has words for every operator, count and window the API takes, nested groups in parentheses', async () => {
    const zhWords = ruleWords(await t('zh-CN'), everyNode);
    expect(zhWords).toBe([
      'city 是以下之一 上海、杭州', 'city 不是以下之一 北京', 'phone 有值', 'email 没有值', 'name 开头是 王', 'age 大于等于 18',
      'signup 早于 2026-01-01', 'signup 晚于 2025-01-01', 'signup 在最近 30 天内', 'birthday 今天是周年日',
      '最近 7 天内做过 view 恰好 2 次（sku 等于 A1）', '2026-01-01 至 2026-01-31 期间没有做过 view', '（有登录 ID 且 自 2026-02-01 起没有做过 pay）',
    ].join(' 或 '));
    // No operator or window left as the API's own word, no key of a missing translation.
    expect(ruleWords(await t('en'), everyNode)).not.toMatch(/\b(notIn|startsWith|notExists|withinLastDays|atMost|lastDays|rw_\w+|op_\w+)\b/);
  });
});
