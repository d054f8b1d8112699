import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { laneGroups, laneNames, lanes, lanesOf, patternToRegExp } from './lanes.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every *.test.ts of the repository, root-relative (not node_modules, data or build output). */
function testFiles(dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', '.git', '.data', 'dist'].includes(entry.name) ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

describe('test lanes (test/lanes.ts)', () => {
  const files = testFiles();

  it('finds the test files (the walk works)', () => {
    expect(files).toContain('test/lanes.test.ts');
    expect(files.length).toBeGreaterThan(50);
  });

  it('puts every test file in exactly one lane', () => {
    const misplaced = files
      .map((file) => ({ file, lanes: lanesOf(file) }))
      .filter((f) => f.lanes.length !== 1)
      .map((f) => `${f.file}: ${f.lanes.length === 0 ? 'in no lane: add it to one in test/lanes.ts' : `in ${f.lanes.join(' and ')}`}`);
    expect(misplaced).toEqual([]);
  });

  it('has no pattern that matches nothing (a moved or deleted file leaves none behind)', () => {
    const unused = laneNames.flatMap((lane) => lanes[lane].filter((p) => !files.some((f) => patternToRegExp(p).test(f))).map((p) => `${lane}: ${p}`));
    expect(unused).toEqual([]);
  });

  it('schedules every lane in exactly one group', () => {
    expect(laneGroups.flatMap((g) => g.lanes).sort()).toEqual([...laneNames].sort());
  });

  it('keeps whole-stack and crash tests in system/, and system/ for them', () => {
    expect(lanesOf('system/worker-crash.test.ts')).toEqual(['system']);
    expect(lanesOf('campaigns/new.test.ts')).toEqual(['temporal']);
    expect(lanesOf('webhook/sub/deeper.test.ts')).toEqual([]);
  });
});
