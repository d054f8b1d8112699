import { describe, expect, it } from 'vitest';
import { validationError } from '../lib/errors.js';
import { segmentRuleSchema } from '../contracts/segment-rule.js';
import { ruleLimitIssues } from '../contracts/rule-limits.js';
import { goldBirthdays, goldCartAbandoners, loggedInGoldCartAbandoners } from './stories.js';

function issuePaths(rule: unknown): string[] {
  const parsed = segmentRuleSchema.safeParse(rule);
  return parsed.success ? [] : validationError(parsed.error, 'rule').issues.map((issue) => issue.path);
}

const gold = { attribute: 'vip_level', op: 'equals', value: 'gold' };

function nested(depth: number): unknown {
  let node: unknown = gold;
  for (let level = 0; level < depth; level += 1) node = { all: [node] };
  return node;
}

describe('segment rule schema', () => {
  it('accepts the three seed stories unchanged', () => {
    for (const rule of [goldCartAbandoners, loggedInGoldCartAbandoners, goldBirthdays]) {
      expect(segmentRuleSchema.parse(rule)).toEqual(rule);
    }
  });

  it('accepts every operator and window', () => {
    const rule = {
      any: [
        { attribute: 'a', op: 'notEquals', value: 3 },
        { attribute: 'a', op: 'in', value: ['x', 1, true] },
        { attribute: 'a', op: 'notIn', value: ['x'] },
        { attribute: 'a', op: 'gte', value: 1.5 },
        { attribute: 'a', op: 'contains', value: 'x' },
        { attribute: 'a', op: 'startsWith', value: 'x' },
        { attribute: 'a', op: 'exists' },
        { attribute: 'a', op: 'notExists' },
        { attribute: 'd', op: 'before', value: '2024-02-29' },
        { attribute: 'd', op: 'after', value: '2024-01-01' },
        { attribute: 'd', op: 'withinLastDays', value: 7 },
        { event: 'e', window: { type: 'today' } },
        { event: 'e', count: { op: 'atMost', value: 0 }, window: { type: 'lastDays', days: 30 } },
        { event: 'e', count: { op: 'exactly', value: 2 }, window: { type: 'since', date: '2026-01-01' } },
        { event: 'e', window: { type: 'between', from: '2026-01-01', to: '2026-01-31' }, where: [{ property: 'sku', op: 'in', value: ['A'] }] },
        { noEvent: 'e' },
        { identity: 'visitorOnly' },
        { all: [] },
      ],
    };
    expect(segmentRuleSchema.parse(rule)).toEqual(rule);
  });

  it.each([
    ['an unknown operator', { all: [{ attribute: 'vip_level', op: 'like', value: 'g%' }] }, ['rule.all.0.op']],
    ['a text value for gt', { all: [{ attribute: 'age', op: 'gt', value: '18' }] }, ['rule.all.0.value']],
    ['a single value for in', { all: [{ attribute: 'vip_level', op: 'in', value: 'gold' }] }, ['rule.all.0.value']],
    ['an object value for equals', { all: [{ attribute: 'vip_level', op: 'equals', value: { $ne: 1 } }] }, ['rule.all.0.value']],
    ['a value on exists', { all: [{ attribute: 'vip_level', op: 'exists', value: 1 }] }, ['rule.all.0.value']],
    ['an impossible date', { all: [{ attribute: 'birthday', op: 'before', value: '2023-02-29' }] }, ['rule.all.0.value']],
    ['lastDays 0', { all: [{ event: 'e', window: { type: 'lastDays', days: 0 } }] }, ['rule.all.0.window.days']],
    ['withinLastDays -1', { all: [{ attribute: 'd', op: 'withinLastDays', value: -1 }] }, ['rule.all.0.value']],
    ['fractional days', { all: [{ event: 'e', window: { type: 'lastDays', days: 1.5 } }] }, ['rule.all.0.window.days']],
    ['an unknown window', { all: [{ event: 'e', window: { type: 'lastWeek' } }] }, ['rule.all.0.window.type']],
    ['since with both forms', { all: [{ event: 'e', window: { type: 'since', date: '2026-01-01', daysAgo: 1 } }] }, ['rule.all.0.window']],
    ['between backwards', { all: [{ event: 'e', window: { type: 'between', from: '2026-02-01', to: '2026-01-01' } }] }, ['rule.all.0.window.to']],
    ['atLeast 0', { all: [{ event: 'e', count: { op: 'atLeast', value: 0 } }] }, ['rule.all.0.count.value']],
    ['an unknown count op', { all: [{ event: 'e', count: { op: 'moreThan', value: 1 } }] }, ['rule.all.0.count.op']],
    ['an event name that is SQL', { all: [{ event: "x'); DROP TABLE events; --" }] }, ['rule.all.0.event']],
    ['an attribute key that is SQL', { all: [{ attribute: 'vip_level; DROP TABLE users', op: 'exists' }] }, ['rule.all.0.attribute']],
    ['an unknown identity', { all: [{ identity: 'robot' }] }, ['rule.all.0.identity']],
    ['a node of no known kind', { all: [{ segment: 'x' }] }, ['rule.all.0']],
    ['a group that is not a list', { all: { attribute: 'a', op: 'exists' } }, ['rule.all']],
    ['an unknown field', { all: [{ ...gold, caseInsensitive: true }] }, ['rule.all.0.caseInsensitive']],
    ['a condition mixing kinds', { all: [{ ...gold, event: 'e' }] }, ['rule.all.0.event']],
    ['a date operator on a property', { all: [{ event: 'e', where: [{ property: 'd', op: 'anniversaryToday' }] }] }, ['rule.all.0.where.0.op']],
  ])('rejects %s, naming the path', (_label, rule, paths) => {
    expect(issuePaths(rule)).toEqual(paths);
  });

  it('reports every bad field of a rule at once', () => {
    expect(issuePaths({ any: [{ attribute: 'a', op: 'gt', value: 'x' }, { event: 'e', window: { type: 'lastDays', days: 0 } }] })).toEqual([
      'rule.any.0.value',
      'rule.any.1.window.days',
    ]);
  });

  it('allows groups 5 levels deep and refuses a 6th, naming the group', () => {
    expect(issuePaths(nested(5))).toEqual([]);
    expect(issuePaths(nested(6))).toEqual(['rule.all.0.all.0.all.0.all.0.all.0']);
  });

  it('allows 50 conditions and refuses the 51st, naming it', () => {
    expect(issuePaths({ all: Array.from({ length: 50 }, () => gold) })).toEqual([]);
    expect(issuePaths({ all: [{ any: Array.from({ length: 30 }, () => gold) }, { all: Array.from({ length: 21 }, () => gold) }] })).toEqual([
      'rule.all.1.all.20',
    ]);
  });

  it('checks limits on raw JSON without recursion, even 100,000 levels deep', () => {
    let node: unknown = gold;
    for (let level = 0; level < 100_000; level += 1) node = { any: [node] };
    expect(ruleLimitIssues(node)).toHaveLength(1);
    expect(issuePaths(node)).toHaveLength(1);
  });
});
