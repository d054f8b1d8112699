import type { AttributeType } from '../db/schema.js';
import type { FieldIssue } from '../contracts/errors.js';
import { inferAttributeType } from '../audience/attributes.js';
import type { AttributeCondition, RuleNode, ScalarValue } from '../contracts/segment-rule.js';

/** The attribute type each operator works on; absent means any type. */
const OPERATOR_TYPES: Partial<Record<AttributeCondition['op'], AttributeType>> = {
  gt: 'number',
  gte: 'number',
  lt: 'number',
  lte: 'number',
  contains: 'string',
  startsWith: 'string',
  before: 'date',
  after: 'date',
  withinLastDays: 'date',
  anniversaryToday: 'date',
};

function fits(type: AttributeType, value: ScalarValue): boolean {
  // A date-looking string is still a fine value for a string key.
  return type === 'string' ? typeof value === 'string' : inferAttributeType(value) === type;
}

/**
 * Every attribute condition with the path that names it (`rule.all.0`).
 *
 * @example
 * attributeConditions({ all: [{ attribute: 'vip_level', op: 'exists' }] }, 'rule');
 * // [{ path: 'rule.all.0', condition: { attribute: 'vip_level', op: 'exists' } }]
 */
export function attributeConditions(node: RuleNode, path: string): { path: string; condition: AttributeCondition }[] {
  if ('all' in node) return node.all.flatMap((child, index) => attributeConditions(child, `${path}.all.${index}`));
  if ('any' in node) return node.any.flatMap((child, index) => attributeConditions(child, `${path}.any.${index}`));
  return 'attribute' in node ? [{ path, condition: node }] : [];
}

/**
 * Checks a rule against the types recorded for its attributes, so "vip_level
 * greater than 3" on a string key is a 400 naming the condition rather than a
 * segment that silently matches nobody. Keys not seen yet pass: a segment may
 * be defined before its data arrives.
 *
 * @example
 * attributeTypeIssues(rule, new Map([['vip_level', 'string']]));
 * // [{ path: 'rule.all.0.op', message: 'vip_level is a string attribute; gt works on number attributes' }]
 */
export function attributeTypeIssues(rule: RuleNode, types: ReadonlyMap<string, AttributeType>, prefix = 'rule'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const { path, condition } of attributeConditions(rule, prefix)) {
    const type = types.get(condition.attribute);
    if (type === undefined) continue;
    const wanted = OPERATOR_TYPES[condition.op];
    if (wanted !== undefined && wanted !== type) {
      issues.push({ path: `${path}.op`, message: `${condition.attribute} is a ${type} attribute; ${condition.op} works on ${wanted} attributes` });
      continue;
    }
    if (condition.op === 'equals' || condition.op === 'notEquals') {
      if (!fits(type, condition.value)) issues.push({ path: `${path}.value`, message: `must be a ${type}: ${condition.attribute} is a ${type} attribute` });
    } else if (condition.op === 'in' || condition.op === 'notIn') {
      condition.value.forEach((value, index) => {
        if (!fits(type, value)) issues.push({ path: `${path}.value.${index}`, message: `must be a ${type}: ${condition.attribute} is a ${type} attribute` });
      });
    }
  }
  return issues;
}
