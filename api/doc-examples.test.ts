import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { triggerSchema } from '../contracts/trigger.js';
import { segmentRuleSchema } from '../contracts/segment-rule.js';
import { STORIES } from '../segments/stories.js';
import { requestExamples } from './openapi.js';

/*
 * Every JSON block of the README and docs/ is pasted somewhere by a new user:
 * it must be JSON as written (no comments, no ellipses) and be accepted by
 * one of the schemas the API parses bodies, rules and triggers with.
 */
const root = new URL('../', import.meta.url);
const files = ['README.md', ...readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

function jsonBlocks(text: string): { line: number; source: string }[] {
  const blocks: { line: number; source: string }[] = [];
  const fence = /^```(json\w*)\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    blocks.push({ line: text.slice(0, m.index).split('\n').length, source: m[2]! });
  }
  return blocks;
}

const schemas = [
  ...requestExamples.map((e) => ({ name: e.name, schema: e.schema })),
  { name: 'segment rule', schema: segmentRuleSchema },
  { name: 'trigger', schema: triggerSchema },
];

/** The names of the schemas that accept the value, or the issues of each. */
function acceptedBy(value: unknown): string[] {
  return schemas.filter(({ schema }) => schema.safeParse(value).success).map((s) => s.name);
}

const blocks = files.flatMap((file) => jsonBlocks(readFileSync(new URL(file, root), 'utf8')).map((b) => ({ file, ...b })));

describe('JSON examples in the README and docs/', () => {
  it('there are examples to check (the extraction works)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  it.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))('%s pastes as is', (_where, block) => {
    const value = JSON.parse(block.source) as unknown;
    expect(acceptedBy(value)).not.toEqual([]);
  });

  it('a block with a comment or a lone event object would fail', () => {
    expect(() => JSON.parse('{ "all": [ /* the three conditions of story 1 */ ] }')).toThrow();
    expect(acceptedBy({ name: 'add_to_cart', loginId: 'u-42' })).toEqual([]);
  });

  it('the story rules shown in docs/audience.md are the ones the story tests use', () => {
    const shown = blocks.filter((b) => b.file === 'docs/audience.md').map((b) => JSON.parse(b.source) as unknown);
    for (const story of STORIES) expect(shown).toContainEqual(story.rule);
  });
});
