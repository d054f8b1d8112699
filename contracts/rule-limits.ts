/** Groups nest at most this deep; the root group is level 1. */
export const MAX_DEPTH = 5;
/** A rule holds at most this many conditions (leaves), across all its groups. */
export const MAX_CONDITIONS = 50;

export interface LimitIssue {
  path: (string | number)[];
  message: string;
}

function groupItems(node: unknown): { key: 'all' | 'any'; items: unknown[] } | undefined {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  for (const key of ['all', 'any'] as const) {
    const items = (node as Record<string, unknown>)[key];
    if (Array.isArray(items)) return { key, items };
  }
  return undefined;
}

/**
 * Walks raw rule JSON without recursion and reports the first group nested
 * deeper than MAX_DEPTH and the first condition over MAX_CONDITIONS. Runs
 * before schema validation so a huge or deep tree costs one cheap pass.
 *
 * @example
 * ruleLimitIssues({ all: [{ all: [{ all: [{ all: [{ all: [{ all: [] }] }] }] }] }] });
 * // [{ path: ['all', 0, 'all', 0, 'all', 0, 'all', 0, 'all', 0], message: 'groups nest at most 5 levels deep' }]
 */
export function ruleLimitIssues(rule: unknown): LimitIssue[] {
  const issues: LimitIssue[] = [];
  const stack: { node: unknown; path: (string | number)[]; depth: number }[] = [{ node: rule, path: [], depth: 1 }];
  let conditions = 0;
  let tooDeep = false;
  let tooMany = false;
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop()!;
    const group = groupItems(node);
    if (!group) {
      conditions += 1;
      if (conditions > MAX_CONDITIONS && !tooMany) {
        tooMany = true;
        issues.push({ path, message: `a rule has at most ${MAX_CONDITIONS} conditions` });
      }
      continue;
    }
    if (depth > MAX_DEPTH) {
      if (!tooDeep) issues.push({ path, message: `groups nest at most ${MAX_DEPTH} levels deep` });
      tooDeep = true;
      continue;
    }
    // Pushed in reverse so conditions are counted in document order.
    for (let index = group.items.length - 1; index >= 0; index -= 1) {
      stack.push({ node: group.items[index], path: [...path, group.key, index], depth: depth + 1 });
    }
  }
  return issues;
}
