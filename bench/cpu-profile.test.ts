import { describe, expect, it } from 'vitest';
import { formatProfileSummary, selfTimeByNode, shortUrl, sourceMapResolver, summarizeProfile, type CpuProfile } from './cpu-profile.js';

/** root → main → (work, send); plus idle, GC and program, as V8 lays them out. */
const profile: CpuProfile = {
  startTime: 1_000_000,
  endTime: 1_010_000,
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, hitCount: 0, children: [2, 5, 6, 7] },
    { id: 2, callFrame: { functionName: 'main', url: 'file:///repo/bench/app.ts', lineNumber: 9 }, hitCount: 1, children: [3, 4] },
    { id: 3, callFrame: { functionName: 'work', url: 'file:///repo/delivery/record.ts', lineNumber: 41 }, hitCount: 4, children: [] },
    { id: 4, callFrame: { functionName: '', url: 'file:///repo/node_modules/undici/lib/pool.js', lineNumber: 0 }, hitCount: 2, children: [] },
    { id: 5, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 }, hitCount: 2, children: [] },
    { id: 6, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 }, hitCount: 1, children: [] },
    // A second node of the same function (another call path) adds to the same entry.
    { id: 7, callFrame: { functionName: 'work', url: 'file:///repo/delivery/record.ts', lineNumber: 41 }, hitCount: 0, children: [] },
  ],
  // Ten samples, one per millisecond; the last lasts until endTime (1 ms later).
  samples: [2, 3, 3, 4, 5, 3, 4, 6, 5, 7],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe('cpu profile summary', () => {
  it('gives each sample the time until the next sample', () => {
    const byNode = selfTimeByNode(profile);
    expect(byNode.get(3)).toBe(3);
    expect(byNode.get(7)).toBe(1);
    expect(byNode.get(5)).toBe(2);
    expect([...byNode.values()].reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('ranks functions by self time and keeps idle apart from busy time', () => {
    const summary = summarizeProfile(profile, { root: '/repo' });
    expect(summary.totalMs).toBe(10);
    expect(summary.idleMs).toBe(2);
    expect(summary.busyMs).toBe(8);
    expect(summary.functions.map((f) => [f.name, f.selfMs])).toEqual([
      ['work delivery/record.ts:42', 4],
      ['(anonymous) node_modules/undici/lib/pool.js:1', 2],
      ['main bench/app.ts:10', 1],
      ['(garbage collector)', 1],
    ]);
    expect(summary.functions[0]!.share).toBe(0.5);
    expect(summary.files[0]).toEqual({ name: 'delivery/record.ts', selfMs: 4, share: 0.5 });
  });

  it('falls back to hit counts over the mean interval without timeDeltas', () => {
    const { samples: _s, timeDeltas: _t, ...hitsOnly } = profile;
    const summary = summarizeProfile(hitsOnly, { root: '/repo', top: 1 });
    // 10 hits over 10 ms: 1 ms per hit; work has 4 hits.
    expect(summary.functions).toEqual([{ name: 'work delivery/record.ts:42', selfMs: 4, share: 0.5 }]);
    expect(summary.idleMs).toBe(2);
  });

  it('shortens locations and prints one line per entry', () => {
    expect(shortUrl('file:///x/y/node_modules/pg/a.js', '/repo')).toBe('node_modules/pg/a.js');
    expect(shortUrl('node:internal/timers', '/repo')).toBe('node:internal/timers');
    const lines = formatProfileSummary(summarizeProfile(profile, { root: '/repo', top: 2 }));
    expect(lines[0]).toBe('profile: 0.0 s sampled, 0.0 s busy, 0.0 s idle (20.0%)');
    expect(lines).toContainEqual(expect.stringContaining('50.0%  work delivery/record.ts:42'));
    expect(lines.filter((line) => line.startsWith('  '))).toHaveLength(4);
  });

  it('reports original lines through inline source maps, as tsx writes them', () => {
    // Generated line 0: column 0 comes from original line 0, column 10 from original line 5.
    const map = { version: 3, sources: ['x.ts'], names: [], mappings: 'AAAA,UAKA' };
    const resolve = sourceMapResolver(
      new Map([
        ['7', `data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`],
        ['8', 'x.js.map'],
      ]),
    );
    expect(resolve({ functionName: 'f', url: 'file:///repo/x.ts', lineNumber: 0, columnNumber: 12, scriptId: '7' })).toBe(6);
    expect(resolve({ functionName: 'g', url: 'file:///repo/x.ts', lineNumber: 0, columnNumber: 3, scriptId: '7' })).toBe(1);
    expect(resolve({ functionName: 'h', url: 'file:///repo/y.js', lineNumber: 0, columnNumber: 3, scriptId: '8' })).toBeUndefined();
    expect(resolve({ functionName: 'i', url: 'file:///repo/z.js', lineNumber: 0, columnNumber: 3, scriptId: '9' })).toBeUndefined();

    const summary = summarizeProfile(profile, { root: '/repo', top: 1, resolveLine: (frame) => (frame.functionName === 'work' ? 120 : undefined) });
    expect(summary.functions[0]!.name).toBe('work delivery/record.ts:120');
  });
});
