import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importGraph } from './import-graph.js';

/*
 * The import graph has no circle, type-only imports included (a type import
 * still ties two modules' designs together): the layering in
 * docs/architecture.md ("Layers and who may import what") depends on it.
 * `npx madge --circular --extensions ts .` says the same; this test needs no
 * extra package. Each import is read with TypeScript's own pre-processor
 * (test/import-graph.ts).
 */
const root = resolve(import.meta.dirname, '..');
const skip = new Set(['node_modules', '.data', 'dist', '.git', 'console', 'migrations', 'histories']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (skip.has(name) || name.startsWith('dist.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Strongly connected components with more than one module (or a module importing itself): the circles. */
export function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        on.delete(w);
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

describe('import graph', () => {
  const files = sources(root);
  const graph = importGraph(files);

  it('has no import circle', () => {
    expect(circles(graph).map((c) => c.map((f) => relative(root, f)))).toEqual([]);
  });

  it('keeps contracts/ a leaf: it imports nothing of the project outside it', () => {
    const upward = [...graph].flatMap(([file, deps]) =>
      relative(root, file).startsWith('contracts/') ? deps.filter((d) => !relative(root, d).startsWith('contracts/')).map((d) => `${relative(root, file)} → ${relative(root, d)}`) : [],
    );
    expect(upward).toEqual([]);
  });

  it('finds a circle when there is one', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(circles(g)).toEqual([['a', 'b', 'c']]);
    expect(circles(new Map([['a', ['a']]]))).toEqual([['a']]);
  });
});
