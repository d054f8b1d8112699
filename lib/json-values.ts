import type { FieldIssue } from '../contracts/errors.js';

/** A value JSON can carry: what a client sent and hookcast keeps as sent. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * How deep a submitted JSON value may nest; the value itself is level 1, so
 * `{"a":{"b":1}}` is 2 levels. Deeper values are refused before anything
 * recursive (zod, JSON.stringify, PostgreSQL) walks them: JSON.stringify of a
 * value 100,000 levels deep overflows the stack.
 */
export const MAX_JSON_DEPTH = 32;

export const NUL_MESSAGE = 'must not contain the NUL character (\\u0000): PostgreSQL cannot store it';
export const LONE_SURROGATE_MESSAGE = 'must not contain a lone UTF-16 surrogate (\\ud800–\\udfff without its pair): it is not valid Unicode';

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why a string cannot be stored as text or sent on: NUL, or a lone surrogate
 * (PostgreSQL keeps it in jsonb as an escape but turns it into U+FFFD in
 * text, so the value would change on the way). Undefined when it is fine.
 *
 * @example
 * textProblem('a\u0000b'); // 'must not contain the NUL character …'
 * textProblem('会员 🎁');   // undefined
 */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(value)) return LONE_SURROGATE_MESSAGE;
  return undefined;
}

/**
 * Checks a parsed JSON value without recursion: nesting at most `maxDepth`
 * levels (one issue naming `path` itself, the subtree is not walked further),
 * and no string or object key with NUL or a lone surrogate (each named by its
 * full dotted path; a bad key is named by the key as sent, with the bad
 * characters escaped). Stops after `maxIssues`.
 *
 * @example
 * jsonValueIssues({ a: 'x\u0000' }, 'properties'); // [{ path: 'properties.a', message: 'must not contain the NUL …' }]
 */
export function jsonValueIssues(value: unknown, path: string, options: { maxDepth?: number; maxIssues?: number } = {}): FieldIssue[] {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const maxIssues = options.maxIssues ?? 20;
  const issues: FieldIssue[] = [];
  const stack: { value: unknown; path: string; depth: number; keyProblem?: string }[] = [{ value, path, depth: 1 }];
  while (stack.length > 0 && issues.length < maxIssues) {
    const item = stack.pop()!;
    if (item.keyProblem) issues.push({ path: item.path, message: `key ${item.keyProblem}` });
    if (typeof item.value === 'string') {
      const problem = textProblem(item.value);
      if (problem) issues.push({ path: item.path, message: problem });
      continue;
    }
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth > maxDepth) {
      return [{ path, message: `must not nest deeper than ${maxDepth} levels` }];
    }
    const entries = Array.isArray(item.value) ? item.value.map((v, i) => [String(i), v] as const) : Object.entries(item.value);
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const [key, child] = entries[i]!;
      const childPath = `${item.path}.${pathSegment(key)}`;
      stack.push({ value: child, path: childPath, depth: item.depth + 1, keyProblem: textProblem(key) });
    }
  }
  return issues.slice(0, maxIssues);
}

/** A key as it can appear in a dotted path: NUL and lone surrogates escaped. */
export function pathSegment(key: string): string {
  return textProblem(key) === undefined ? key : JSON.stringify(key).slice(1, -1);
}
