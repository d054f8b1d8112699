import i18next, { type TFunction } from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { segmentRuleSchema } from '../../contracts/segment-rule.js';
import { en, zh } from './messages.js';
import { buildRule, builderFromRule, catalogTypes, conditionWords, editableBuilder, type BuilderState } from './segment-rule-rows.js';

/*
 * The segment builder's rows and the rule they stand for: every operator the
 * API has goes into the builder and comes out as the same rule (so editing a
 * stored segment changes nothing by itself), and each condition reads as a
 * sentence in zh-CN and en.
 */

/** One condition of each kind, with every operator and window the API has (segments/rule.ts). */
const everyOperator = {
  all: [
    { attribute: 'vip_level', op: 'equals', value: 'gold' },
    { attribute: 'vip_level', op: 'notEquals', value: 'silver' },
    { attribute: 'vip_level', op: 'in', value: ['gold', 'platinum'] },
    { attribute: 'points', op: 'notIn', value: [1, 2] },
    { attribute: 'points', op: 'gt', value: 100 },
    { attribute: 'points', op: 'gte', value: 100 },
    { attribute: 'points', op: 'lt', value: 5 },
    { attribute: 'points', op: 'lte', value: 5 },
    { attribute: 'points', op: 'equals', value: 7 },
    { attribute: 'sms_opt_in', op: 'equals', value: true },
    { attribute: 'city', op: 'contains', value: '州' },
    { attribute: 'city', op: 'startsWith', value: '杭' },
    { attribute: 'phone', op: 'exists' },
    { attribute: 'phone', op: 'notExists' },
    { attribute: 'birthday', op: 'before', value: '2000-01-01' },
    { attribute: 'birthday', op: 'after', value: '1990-12-31' },
    { attribute: 'signed_up', op: 'withinLastDays', value: 30 },
    { attribute: 'birthday', op: 'anniversaryToday' },
    { event: 'add_to_cart', count: { op: 'atLeast', value: 1 } },
    { event: 'add_to_cart', count: { op: 'atMost', value: 2 }, window: { type: 'today' } },
    { event: 'add_to_cart', count: { op: 'exactly', value: 3 }, window: { type: 'yesterday' } },
    { event: 'pay_order', count: { op: 'atLeast', value: 2 }, window: { type: 'lastDays', days: 14 }, where: [{ property: 'amount', op: 'gte', value: 100 }, { property: 'channel', op: 'in', value: ['app', 'web'] }] },
    { noEvent: 'pay_order', window: { type: 'since', daysAgo: 1 } },
    { noEvent: 'pay_order', window: { type: 'since', daysAgo: 3 } },
    { noEvent: 'pay_order', window: { type: 'since', date: '2026-11-01' } },
    { noEvent: 'refund', window: { type: 'between', from: '2026-11-01', to: '2026-11-11' }, where: [{ property: 'reason', op: 'notExists' }] },
    { noEvent: 'refund' },
    { identity: 'hasLoginId' },
    { identity: 'visitorOnly' },
  ],
};

let zhT: TFunction;
let enT: TFunction;
beforeAll(async () => {
  const instance = i18next.createInstance();
  await instance.init({ resources: { 'zh-CN': { translation: zh }, en: { translation: en } }, lng: 'zh-CN', interpolation: { escapeValue: false } });
  zhT = instance.getFixedT('zh-CN');
  enT = instance.getFixedT('en');
});

describe('segment builder rows', () => {
  it('the test rule is one the API accepts (so it covers real operators)', () => {
    expect(segmentRuleSchema.safeParse(everyOperator).success).toBe(true);
  });

  it('every operator goes into the builder and comes out as the same rule', () => {
    const builder = builderFromRule(everyOperator)!;
    expect(builder.rows).toHaveLength(everyOperator.all.length);
    expect(buildRule(builder)).toEqual(everyOperator);
    expect(buildRule(builderFromRule({ any: [{ attribute: 'a', op: 'exists' }] })!)).toEqual({ any: [{ attribute: 'a', op: 'exists' }] });
  });

  it('a rule the builder cannot show (nested groups) is refused rather than flattened', () => {
    expect(builderFromRule({ all: [{ any: [{ identity: 'hasLoginId' }] }] })).toBeUndefined();
  });

  it('an edit starts from the builder only when the builder gives back the very rule saved', () => {
    expect(editableBuilder(everyOperator)?.rows).toHaveLength(everyOperator.all.length);
    // A single condition saved through the API is edited as a group of one.
    expect(editableBuilder({ attribute: 'vip_level', op: 'equals', value: 'gold' })).toEqual(builderFromRule({ all: [{ attribute: 'vip_level', op: 'equals', value: 'gold' }] }));
    // Key order is not content.
    expect(editableBuilder({ all: [{ value: 'gold', op: 'equals', attribute: 'vip_level' }] })).toBeDefined();
    expect(editableBuilder({ all: [{ any: [{ identity: 'hasLoginId' }] }] })).toBeUndefined();
    // A field the builder has no input for would be dropped by an edit: the rule is kept as saved instead.
    const unshown = { all: [{ attribute: 'vip_level', op: 'equals', value: 'gold', note: 'from the API' }] };
    expect(builderFromRule(unshown)).toBeDefined();
    expect(editableBuilder(unshown)).toBeUndefined();
  });

  it('types typed values as the catalog knows the attribute or property', () => {
    const builder: BuilderState = {
      join: 'all',
      rows: [
        { kind: 'attribute', attribute: 'points', op: 'equals', value: '100', values: [], days: null },
        { kind: 'attribute', attribute: 'sms_opt_in', op: 'equals', value: 'true', values: [], days: null },
        { kind: 'attribute', attribute: 'unknown', op: 'equals', value: '100', values: [], days: null },
        { kind: 'event', did: true, event: 'pay_order', countOp: 'atLeast', times: 1, window: 'ever', days: 7, where: [{ property: 'amount', op: 'in', value: '', values: ['5', '10'] }] },
      ],
    };
    const types = catalogTypes({
      attributes: [{ name: 'points', type: 'number', examples: [], lastSeenAt: '' }, { name: 'sms_opt_in', type: 'boolean', examples: [], lastSeenAt: '' }],
      events: [{ name: 'pay_order', lastSeenAt: '', properties: [{ name: 'amount', types: ['number'] }] }],
      truncated: { attributes: false, events: false },
    });
    expect(buildRule(builder, types)).toEqual({
      all: [
        { attribute: 'points', op: 'equals', value: 100 },
        { attribute: 'sms_opt_in', op: 'equals', value: true },
        { attribute: 'unknown', op: 'equals', value: '100' },
        { event: 'pay_order', count: { op: 'atLeast', value: 1 }, where: [{ property: 'amount', op: 'in', value: [5, 10] }] },
      ],
    });
  });

  it('reads each condition as a sentence in zh-CN and en', () => {
    const words = (t: TFunction) => everyOperator.all.map((node) => conditionWords(t, node));
    const inChinese = words(zhT);
    expect(inChinese).toContain('自昨天起没有完成过 pay_order');
    expect(inChinese).toContain('没有完成过 refund');
    expect(inChinese).toContain('vip_level 是 gold、platinum 之一');
    expect(inChinese).toContain('最近 14 天内完成过 pay_order 至少 2 次（其中 amount 大于等于 100，且 channel 是 app、web 之一）');
    expect(inChinese).toContain('昨天完成过 add_to_cart 恰好 3 次');
    expect(inChinese).toContain('今天是 birthday 的周年日');
    expect(inChinese).toContain('在 2026-11-01 至 2026-11-11 期间没有完成过 refund（其中 reason 没有值）');
    const inEnglish = words(enT);
    expect(inEnglish).toContain('did not do pay_order since yesterday');
    expect(inEnglish).toContain('did add_to_cart at most 2 times today');
    expect(inEnglish).toContain('points is none of 1, 2');
  });
});
